"""The character vocabulary and the two networks: :class:`CharLSTM` (the founding
design) and :class:`CharTransformer` (a small causal transformer with a key/value cache)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import nn

from .config import BOUNDARY, MAX_TWEET, UNK, GeneratorConfig


# ------------------------------------------------------------------------- vocabulary
class CharVocab:
    """Characters to ids: 0 is the tweet boundary ``<b>``, 1 the rare-character id.

    >>> v = CharVocab.build(["aab", "ab"], min_count=2)
    >>> v.encode("abc"), v.decode([2, 3, 1])
    ([2, 3, 1], 'ab\ufffd')
    """

    def __init__(self, chars: list[str]) -> None:
        self.chars = chars
        self.index = {c: i + 2 for i, c in enumerate(chars)}

    @classmethod
    def build(cls, texts: Sequence[str], min_count: int = 1) -> CharVocab:
        counts = Counter(c for t in texts for c in t)
        return cls(sorted(c for c, n in counts.items() if n >= min_count))

    def __len__(self) -> int:
        return len(self.chars) + 2

    def encode(self, text: str) -> list[int]:
        return [self.index.get(c, UNK) for c in text]

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(self.chars[i - 2] if i >= 2 else "\ufffd" for i in ids if i != BOUNDARY)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "chars", "specials": ["<b>", "<unk>"], "chars": self.chars}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CharVocab:
        return cls(list(data["chars"]))


# --------------------------------------------------------------------------- modules
class CharLSTM(nn.Module):
    """Embedding -> stacked LSTM -> linear over characters. (B, T) ids -> (B, T, V)."""

    # bf16 autocast on the CPU: each epoch 1.57x faster, but each epoch learns less (Trump,
    # 14 minutes: held-out 1.907 after 14 epochs vs 1.898 after 10 in float32): float32
    cpu_bf16 = False

    def __init__(self, vocab: int, cfg: GeneratorConfig) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, cfg.embed)
        self.lstm = nn.LSTM(cfg.embed, cfg.hidden, cfg.layers, batch_first=True,
                            dropout=cfg.dropout if cfg.layers > 1 else 0.0)
        self.drop = nn.Dropout(cfg.dropout)
        self.out = nn.Linear(cfg.hidden, vocab)

    def forward(self, ids: torch.Tensor, state: Any = None) -> torch.Tensor:
        h, _ = self.lstm(self.embed(ids), state)  # (B, T, H)
        return self.out(self.drop(h))  # (B, T, V)

    def step(self, ids: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        """Logits of the last position of ``ids`` (B, T) and the carried state."""
        h, state = self.lstm(self.embed(ids), state)
        return self.out(h[:, -1]), state

    @staticmethod
    def select(state: Any, rows: torch.Tensor) -> Any:
        """The state of the sequences ``rows`` only (finished ones dropped)."""
        h, c = state
        return h[:, rows], c[:, rows]


class _ReLU2(nn.Module):
    """Squared ReLU (Primer): ``relu(x) ** 2``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.square(F.relu(x))


class _Block(nn.Module):
    def __init__(self, dim: int, heads: int, dropout: float, conv: int = 0,
                 activation: str = "gelu", kv_heads: int = 0) -> None:
        super().__init__()
        self.heads = heads
        # Grouped-query attention: kv_heads key/value heads, each shared by heads / kv_heads
        # query heads (1: multi-query), so sampling reads a smaller key/value cache.
        self.kv_heads = kv_heads or heads
        self.head_dim = dim // heads
        self.ln1 = nn.LayerNorm(dim)
        width = dim + 2 * self.kv_heads * self.head_dim
        self.qkv = nn.Linear(dim, width)
        # Causal depthwise convolution over the projected queries, keys and values: each
        # channel mixes its own last ``conv`` positions (left zero padding).
        self.conv = conv
        self.dconv = nn.Conv1d(width, width, conv, groups=width) if conv > 0 else None
        self.proj = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim)
        act = _ReLU2() if activation == "relu2" else nn.GELU()
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), act, nn.Linear(4 * dim, dim))
        self.drop = nn.Dropout(dropout)
        self.p = dropout

    def _mix(self, raw: torch.Tensor) -> torch.Tensor:
        """(B, T, 3C) projections -> the causal convolution's (B, T - conv + 1, 3C)."""
        assert self.dconv is not None
        return self.dconv(raw.transpose(1, 2)).transpose(1, 2)

    def _heads(self, qkv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, T, width) -> queries (B, H, T, d), keys and values (B, H_kv, T, d)."""
        b, t, _ = qkv.shape
        d, kv = self.head_dim, self.kv_heads * self.head_dim
        q, k, v = qkv.split([self.heads * d, kv, kv], dim=2)
        return (q.view(b, t, self.heads, d).transpose(1, 2),
                k.view(b, t, self.kv_heads, d).transpose(1, 2),
                v.view(b, t, self.kv_heads, d).transpose(1, 2))

    def _shared(self, z: torch.Tensor) -> torch.Tensor:
        """Keys or values (B, H_kv, T, d) repeated for each query head of their group."""
        group = self.heads // self.kv_heads
        return z if group == 1 else z.repeat_interleave(group, dim=1)

    def _rest(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Attention output (B, H, T, d) -> projection and MLP, both residual."""
        y = y.transpose(1, 2).reshape(x.shape)  # (B, T, C)
        x = x + self.drop(self.proj(y))
        return x + self.drop(self.mlp(self.ln2(x)))

    def forward(self, x: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
        """``bias``: (H, T, T) additive attention scores (ALiBi, causal mask included)."""
        raw = self.qkv(self.ln1(x))
        if self.dconv is not None:
            raw = self._mix(F.pad(raw, (0, 0, self.conv - 1, 0)))
        q, k, v = self._heads(raw)
        y = F.scaled_dot_product_attention(q, self._shared(k), self._shared(v), attn_mask=bias,
                                           is_causal=bias is None,
                                           dropout_p=self.p if self.training else 0.0)
        return self._rest(x, y)

    def step(self, x: torch.Tensor, cache: dict[str, torch.Tensor], start: int,
             bias: torch.Tensor | None = None) -> torch.Tensor:
        """Sampling: ``x`` (B, T) new positions from ``start``; keys and values are written
        into the preallocated (B, H, L, d) buffers ``cache["k"]``, ``cache["v"]``, attention
        reads their filled part (and the convolution the projections of the last
        positions, kept in ``cache["raw"]``). ``bias``: the (H, T, start + T) rows of the
        ALiBi scores for these positions."""
        t = x.shape[1]
        raw = self.qkv(self.ln1(x))
        if self.dconv is not None:
            buf = cache["raw"]  # (B, L + conv - 1, 3C): conv - 1 zero rows in front
            buf[:, start + self.conv - 1:start + self.conv - 1 + t] = raw
            window = buf[:, start:start + self.conv - 1 + t]
            if t == 1:  # one new character: a weighted sum of the window, no conv call
                w = self.dconv.weight[:, 0, :].t()  # (conv, 3C)
                raw = ((window * w).sum(1) + cast(torch.Tensor, self.dconv.bias)).unsqueeze(1)
            else:
                raw = self._mix(window)
        q, k, v = self._heads(raw)
        kbuf, vbuf = cache["k"], cache["v"]
        kbuf[:, :, start:start + t] = k
        vbuf[:, :, start:start + t] = v
        keys, values = kbuf[:, :, :start + t], vbuf[:, :, :start + t]
        if t == 1:
            # One new position sees all: plain matrix products, the query heads of a group
            # side by side against their shared keys. (SDPA's CPU fallback scales the whole
            # key cache on every call, ~3x slower here.)
            b, group = x.shape[0], self.heads // self.kv_heads
            qg = q.reshape(b, self.kv_heads, group, self.head_dim)
            scores = (qg * self.head_dim ** -0.5) @ keys.transpose(-1, -2)  # (B, H_kv, G, S)
            if bias is not None:
                scores = scores + bias.reshape(self.kv_heads, group, -1)
            y = (torch.softmax(scores, dim=-1) @ values).reshape(b, self.heads, 1, self.head_dim)
        else:  # a prompt starts at 0: causal over itself
            y = F.scaled_dot_product_attention(q, self._shared(keys), self._shared(values),
                                               attn_mask=bias, is_causal=bias is None)
        return self._rest(x, y)


def alibi_bias(heads: int, length: int) -> torch.Tensor:
    """(H, L, L) causal ALiBi scores: -slope_h x distance, -inf for later positions.

    Slopes 2^(-8/H), 2^(-16/H), ...: the first head looks mostly at the last few
    characters, the last one almost evenly at the whole tweet.

    >>> b = alibi_bias(2, 3); b[0].tolist()
    [[0.0, -inf, -inf], [-0.0625, 0.0, -inf], [-0.125, -0.0625, 0.0]]
    """
    slopes = torch.tensor([2.0 ** (-8.0 * (h + 1) / heads) for h in range(heads)])
    pos = torch.arange(length)
    ahead = (pos[None, :] - pos[:, None]).float()  # (L, L): key - query, <= 0 when visible
    return (slopes[:, None, None] * ahead).masked_fill(ahead > 0, -math.inf)


class CharTransformer(nn.Module):
    """A small pre-norm causal transformer over characters. (B, T) ids -> (B, T, V)."""

    bias: torch.Tensor  # ALiBi's (heads, positions, positions) buffer

    def __init__(self, vocab: int, cfg: GeneratorConfig) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, cfg.dim)
        self.alibi = cfg.positions == "alibi"
        if self.alibi:
            self.register_buffer("bias", alibi_bias(cfg.heads, MAX_TWEET + 2), persistent=False)
        else:
            self.pos = nn.Embedding(MAX_TWEET + 2, cfg.dim)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(_Block(cfg.dim, cfg.heads, cfg.dropout, cfg.conv,
                                           cfg.activation, cfg.kv_heads)
                                    for _ in range(cfg.layers))
        self.ln = nn.LayerNorm(cfg.dim)
        self.out = nn.Linear(cfg.dim, vocab, bias=False)
        self.out.weight = self.embed.weight  # tied input/output embeddings
        # Small normal init for every matrix, positions included: position vectors of
        # nn.Embedding's default scale (std 1) drown the token vectors (std 0.02), and the
        # model then stays near a unigram model for many epochs.
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)
        for block in self._blocks():  # the convolution starts as the identity
            if block.dconv is not None:
                nn.init.zeros_(block.dconv.weight)
                nn.init.ones_(block.dconv.weight[:, :, -1])
                nn.init.zeros_(cast(torch.Tensor, block.dconv.bias))

    def _blocks(self) -> list[_Block]:
        return cast("list[_Block]", list(self.blocks))

    def _inputs(self, ids: torch.Tensor, start: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Vectors of ``ids`` at positions ``start``... and the attention bias rows of those
        positions (ALiBi), or position vectors added and no bias (learned)."""
        end = start + ids.shape[1]
        x = self.embed(ids)
        if self.alibi:
            return x, self.bias[:, start:end, :end]
        return x + self.pos(torch.arange(start, end, device=ids.device)), None

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x, bias = self._inputs(ids, 0)
        x = self.drop(x)
        for block in self._blocks():
            x = block(x, bias)
        return self.out(self.ln(x))  # (B, T, V)

    def step(self, ids: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        """Logits of the last position given new ``ids`` (B, T) and the key/value cache.

        The cache is preallocated for a whole tweet (per block: keys, values and, with
        ``conv``, the projections the convolution reads; the filled length): no
        concatenation per character.
        """
        b, t = ids.shape
        if state is None:
            dtype = self.embed.weight.dtype
            caches = []
            for block in self._blocks():
                shape = (b, block.kv_heads, MAX_TWEET + 2, block.head_dim)
                cache = {"k": ids.new_zeros(shape, dtype=dtype),
                         "v": ids.new_zeros(shape, dtype=dtype)}
                if block.conv:
                    cache["raw"] = ids.new_zeros(
                        (b, MAX_TWEET + 1 + block.conv, block.qkv.out_features), dtype=dtype)
                caches.append(cache)
            state = {"blocks": caches, "len": 0}
        start = state["len"]
        x, bias = self._inputs(ids, start)
        for block, cache in zip(self._blocks(), state["blocks"], strict=True):
            x = block.step(x, cache, start, bias)
        state["len"] = start + t
        return self.out(self.ln(x[:, -1])), state

    @staticmethod
    def select(state: Any, rows: torch.Tensor) -> Any:
        """The cache of the sequences ``rows`` only (finished ones dropped)."""
        return {"blocks": [{name: buf[rows] for name, buf in cache.items()}
                           for cache in state["blocks"]], "len": state["len"]}

