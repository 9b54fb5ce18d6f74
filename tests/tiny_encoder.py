"""A tiny random BERT (or RoBERTa / MPNet) folder in Hugging Face layout, for testing
encoder code offline."""

from __future__ import annotations

import json
import string
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from .conftest import FILLER, NEGATIVE, POSITIVE


def make_tiny_encoder(folder: Path, hidden: int = 32, layers: int = 2, heads: int = 2,
                      seed: int = 0, kind: str = "bert") -> Path:
    """``kind``: ``bert``; ``roberta`` (padding id 1, positions from 2, ``roberta.``
    names); ``mpnet`` (as roberta, no token types, relative position bias, ``mpnet.``
    names and MPNet's attention names)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    folder.mkdir(parents=True, exist_ok=True)
    # The vocabulary is built here, not trained: WordPiece training breaks ties in an order
    # that changes from run to run, and a different vocabulary gives different test results.
    normalizer = normalizers.BertNormalizer(lowercase=True)
    pre = pre_tokenizers.BertPreTokenizer()
    words: set[str] = set()
    for text in FILLER + POSITIVE + NEGATIVE + ["good bad film day love hate"]:
        words.update(w for w, _ in pre.pre_tokenize_str(normalizer.normalize_str(text)))
    chars = sorted({c for w in words for c in w} | set(string.ascii_lowercase + string.digits))
    pieces = (["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] if kind == "bert" else
              ["[CLS]", "[PAD]", "[SEP]", "[UNK]", "[MASK]"])  # RoBERTa/MPNet: padding is 1
    pieces += sorted(words - set(chars)) + chars + [f"##{c}" for c in chars]
    tok = Tokenizer(models.WordPiece({p: i for i, p in enumerate(dict.fromkeys(pieces))},
                                     unk_token="[UNK]"))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre
    tok.decoder = decoders.WordPiece()
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])
    tok.save(str(folder / "tokenizer.json"))
    vocab = tok.get_vocab_size()
    inter = hidden * 4
    pad = 0 if kind == "bert" else 1
    positions = 128 + (0 if kind == "bert" else pad + 1)
    config = {"model_type": kind, "hidden_act": "gelu", "vocab_size": vocab,
              "hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
              "intermediate_size": inter, "max_position_embeddings": positions,
              "layer_norm_eps": 1e-12, "hidden_dropout_prob": 0.1, "pad_token_id": pad}
    if kind == "mpnet":
        config["relative_attention_num_buckets"] = 32
    else:
        config["type_vocab_size"] = 2
    (folder / "config.json").write_text(json.dumps(config))
    rng = np.random.default_rng(seed)

    def w(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    state = {"embeddings.word_embeddings.weight": w(vocab, hidden),
             "embeddings.position_embeddings.weight": w(positions, hidden),
             "embeddings.LayerNorm.weight": np.ones(hidden, np.float32),
             "embeddings.LayerNorm.bias": np.zeros(hidden, np.float32)}
    if kind == "mpnet":
        state["encoder.relative_attention_bias.weight"] = (rng.standard_normal((32, heads))
                                                           ).astype(np.float32)
    else:
        state["embeddings.token_type_embeddings.weight"] = w(2, hidden)
    mpnet = kind == "mpnet"
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for n, m in (("query", "q"), ("key", "k"), ("value", "v")):
            name = f"{p}attention.attn.{m}" if mpnet else f"{p}attention.self.{n}"
            state[f"{name}.weight"] = w(hidden, hidden)
            state[f"{name}.bias"] = np.zeros(hidden, np.float32)
        out = f"{p}attention.attn.o" if mpnet else f"{p}attention.output.dense"
        state[f"{out}.weight"] = w(hidden, hidden)
        state[f"{out}.bias"] = np.zeros(hidden, np.float32)
        state[f"{p}intermediate.dense.weight"] = w(inter, hidden)
        state[f"{p}intermediate.dense.bias"] = np.zeros(inter, np.float32)
        state[f"{p}output.dense.weight"] = w(hidden, inter)
        state[f"{p}output.dense.bias"] = np.zeros(hidden, np.float32)
        for ln in ("attention.LayerNorm" if mpnet else "attention.output.LayerNorm",
                   "output.LayerNorm"):
            state[f"{p}{ln}.weight"] = np.ones(hidden, np.float32)
            state[f"{p}{ln}.bias"] = np.zeros(hidden, np.float32)
    if kind != "bert":  # as saved by *ForMaskedLM / *ForSequenceClassification
        state = {f"{kind}.{k}": v for k, v in state.items()}
    save_file(state, str(folder / "model.safetensors"))
    return folder
