"""A tiny random BERT folder in Hugging Face layout, for testing encoder code offline."""

from __future__ import annotations

import json
import string
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from .conftest import FILLER, NEGATIVE, POSITIVE


def make_tiny_encoder(folder: Path, hidden: int = 32, layers: int = 2, heads: int = 2,
                      seed: int = 0) -> Path:
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
    pieces = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
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
    config = {"model_type": "bert", "hidden_act": "gelu", "vocab_size": vocab,
              "hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
              "intermediate_size": inter, "max_position_embeddings": 128, "type_vocab_size": 2,
              "layer_norm_eps": 1e-12, "hidden_dropout_prob": 0.1, "pad_token_id": 0}
    (folder / "config.json").write_text(json.dumps(config))
    rng = np.random.default_rng(seed)

    def w(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    state = {"embeddings.word_embeddings.weight": w(vocab, hidden),
             "embeddings.position_embeddings.weight": w(128, hidden),
             "embeddings.token_type_embeddings.weight": w(2, hidden),
             "embeddings.LayerNorm.weight": np.ones(hidden, np.float32),
             "embeddings.LayerNorm.bias": np.zeros(hidden, np.float32)}
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for n in ("query", "key", "value"):
            state[f"{p}attention.self.{n}.weight"] = w(hidden, hidden)
            state[f"{p}attention.self.{n}.bias"] = np.zeros(hidden, np.float32)
        state[f"{p}attention.output.dense.weight"] = w(hidden, hidden)
        state[f"{p}attention.output.dense.bias"] = np.zeros(hidden, np.float32)
        state[f"{p}intermediate.dense.weight"] = w(inter, hidden)
        state[f"{p}intermediate.dense.bias"] = np.zeros(inter, np.float32)
        state[f"{p}output.dense.weight"] = w(hidden, inter)
        state[f"{p}output.dense.bias"] = np.zeros(hidden, np.float32)
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            state[f"{p}{ln}.weight"] = np.ones(hidden, np.float32)
            state[f"{p}{ln}.bias"] = np.zeros(hidden, np.float32)
    save_file(state, str(folder / "model.safetensors"))
    return folder
