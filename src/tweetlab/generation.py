"""Tweet generation: character language models that learn an account's style.

Two families share one contract (:class:`TweetGenerator`): ``char-lstm`` (the founding
design: character vocabulary, stacked LSTM, next-character prediction) and
``char-transformer`` (a small causal transformer over characters, with a key/value
cache for fast sampling). Each tweet is one training sequence ``<b> t w e e t <b>``
where ``<b>`` marks both the start and the end of a tweet, so generation starts from
``<b>`` plus the seed phrase and stops when the model writes ``<b>`` again.

Quality is measured as bits per character (BPC) over held-out tweets - the newest
ones (a time split) - counting every character and the end of each tweet.

>>> gen = TweetGenerator(GeneratorConfig(family="char-lstm", hidden=32, layers=1, embed=16),
...                      train_config=TrainConfig(epochs=2, progress=False))
>>> gen = gen.fit(["hola mundo", "hola amigos", "buenos dias"] * 20)
>>> outs = gen.generate("hola", n=2, seed=1, max_chars=30, novelty=False)
>>> len(outs), all(o.startswith("hola") for o in outs)
(2, True)
"""

from __future__ import annotations

import bisect
import hashlib
import html
import logging
import math
import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Self, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .config import ConfigBase, TrainConfig, _check, apply_overrides, split_overrides
from .errors import ConfigError, DataError, ModelError, NotFittedError
from .ngram import CharNgram, context_hashes
from .training import TrainResult, resolve_device, train_module

log = logging.getLogger("tweetlab")

GENERATOR_FAMILIES = ("char-lstm", "char-transformer")
GENERATION_TASK = "text-generation"
MAX_TWEET = 280
BOUNDARY = 0  # id of <b>: start and end of a tweet (also the padding input)
UNK = 1  # id of characters too rare to have their own
_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"(?<![\w@])@\w+")
_TRUNCATED = re.compile(r"\s*(…|\.\.\.)\s*(https?://\S+)?\s*$")
_SPACES = re.compile(r"[ \t]+")
_WORD = re.compile(r"\w+", re.UNICODE)
_RETWEET = re.compile(r"^\s*RT @\w+:?\s*")


# ---------------------------------------------------------------------------- config
@dataclass(frozen=True)
class TweetCleaning(ConfigBase):
    """How tweets are prepared for style learning (stored with the model).

    ``truncated``: ``repair`` strips a trailing ``… https://t.co/...`` of tweets cut at
    140 characters and keeps the prefix (its end is not learned as an end of tweet),
    ``drop`` leaves such tweets out, ``keep`` leaves them as they are.
    """

    drop_retweets: bool = True
    truncated: str = "repair"
    urls: bool = False  # keep URLs (they are random characters: off by default)
    mentions: bool = False
    html: bool = True
    lowercase: bool = False
    min_chars: int = 10

    def __post_init__(self) -> None:
        _check(self.truncated in {"repair", "drop", "keep"}, "cleaning", "truncated",
               self.truncated, "one of repair, drop, keep")
        _check(self.min_chars >= 1, "cleaning", "min_chars", self.min_chars, "must be >= 1")


@dataclass(frozen=True)
class GeneratorConfig(ConfigBase):
    """Hyperparameters of a character language model.

    ``char-lstm`` uses ``embed``, ``hidden`` and ``layers``; ``char-transformer`` uses
    ``dim``, ``layers``, ``heads``, ``positions``, ``conv`` and ``activation``:
    ``positions`` is ``learned`` position vectors or ``alibi`` (no position vectors; each
    head's attention score falls linearly with the distance, at its own slope, so recent
    characters count from the first step); ``conv`` > 0 mixes each query, key and value
    with those of the previous ``conv - 1`` characters (a causal depthwise convolution,
    as in Primer), 0 leaves them as projected; ``activation`` of the MLP: ``gelu`` or
    ``relu2`` (squared ReLU); ``kv_heads``: key/value heads, each shared by a group of
    query heads (0: one per head; 1: multi-query attention), so writing a tweet reads a
    smaller key/value cache per character.
    ``min_count``: rarer characters share one id.
    ``recency_half_life``: days; when set and the tweets are dated, each epoch draws its
    tweets (as many as there are, with replacement) with weight ``0.5 ** (age / half_life)``,
    age counted back from the newest tweet, so the model leans to how the account writes
    now rather than years ago. Undated tweets count as new.
    ``retweet_weight``: 0 leaves the account's retweets out; > 0 adds their texts (other
    authors' words the account chose to share, the ``RT @user:`` prefix removed, cleaned
    like its own tweets) to the training tweets, each drawn with this weight relative to an
    own tweet - more text in the account's language and topics for a small account. Only
    retweets older than the held-out tweets are used; the held-out part is own tweets only.
    ``train_generator`` uses 1 for both families (0 here, the value of folders saved before).
    ``ngram``: > 0 mixes a character n-gram model of that order (interpolated Witten-Bell,
    counted on the training tweets and retweets; :mod:`tweetlab.ngram`) into the network's
    predictions, ``(1 - w) * p_network + w * p_ngram``, for scoring and for sampling: the
    network generalises, the n-gram recalls the account's recurring phrases exactly.
    ``ngram_weight``: ``w``; none (the default) chooses it after training, on 5% of the
    training tweets (drawn at random) that the network is not trained on, with the n-gram
    counted on the others (never on the held-out tweets). ``train_generator`` uses order 8
    for both families (0 here, the value of folders saved before).
    """

    family: str = "char-lstm"
    embed: int = 64
    hidden: int = 512
    layers: int = 1
    dim: int = 128
    heads: int = 4
    kv_heads: int = 0  # char-transformer: key/value heads shared by groups of heads (0: heads)
    positions: str = "learned"
    conv: int = 0
    activation: str = "gelu"
    dropout: float = 0.1
    min_count: int = 3
    valid_fraction: float = 0.05
    recency_half_life: float | None = None
    retweet_weight: float = 0.0
    ngram: int = 0
    ngram_weight: float | None = None
    cleaning: TweetCleaning = field(default_factory=TweetCleaning)

    def __post_init__(self) -> None:
        _check(self.family in GENERATOR_FAMILIES, "generator", "family", self.family,
               f"one of {', '.join(GENERATOR_FAMILIES)}")
        for name in ("embed", "hidden", "layers", "dim", "heads", "min_count"):
            _check(getattr(self, name) >= 1, "generator", name, getattr(self, name), "must be >= 1")
        _check(self.dim % self.heads == 0, "generator", "dim", self.dim,
               f"must be a multiple of heads ({self.heads})")
        _check(self.kv_heads >= 0 and (self.kv_heads == 0 or self.heads % self.kv_heads == 0),
               "generator", "kv_heads", self.kv_heads,
               f"0 (one per head) or a divisor of heads ({self.heads})")
        _check(self.positions in {"learned", "alibi"}, "generator", "positions", self.positions,
               "learned or alibi")
        _check(0 <= self.conv <= 16, "generator", "conv", self.conv,
               "a kernel width in [0, 16] (0: off)")
        _check(self.activation in {"gelu", "relu2"}, "generator", "activation",
               self.activation, "gelu or relu2")
        _check(0.0 <= self.dropout < 1.0, "generator", "dropout", self.dropout, "in [0, 1)")
        _check(0.0 <= self.valid_fraction < 0.5, "generator", "valid_fraction",
               self.valid_fraction, "in [0, 0.5)")
        _check(self.recency_half_life is None or self.recency_half_life > 0, "generator",
               "recency_half_life", self.recency_half_life, "days, > 0 (or none)")
        _check(0.0 <= self.retweet_weight <= 10.0, "generator", "retweet_weight",
               self.retweet_weight, "in [0, 10] (0: retweets left out)")
        _check(0 <= self.ngram <= 16, "generator", "ngram", self.ngram,
               "an n-gram order in [0, 16] (0: off)")
        _check(self.ngram_weight is None or 0.0 <= self.ngram_weight < 1.0, "generator",
               "ngram_weight", self.ngram_weight, "in [0, 1) (or none: chosen after training)")


# Sized for a 2-core laptop: within the default 14-minute budget a one-layer LSTM of 512
# units sees ~6 epochs of Trump's 1.6M characters; --set layers=2 gives the founding
# stacked design. Trump, 14 minutes: 512 units 1.985 bits/char (6 epochs), 384: 2.007
# (8), 256: 2.074 (14), 2 x 256: 2.010: capacity pays more than epochs here.
FAMILY_DEFAULTS: dict[str, dict[str, Any]] = {
    "char-lstm": {"layers": 1, "dropout": 0.1, "retweet_weight": 1.0, "ngram": 8},
    "char-transformer": {"layers": 4, "dropout": 0.0, "positions": "alibi", "conv": 3,
                         "activation": "relu2", "kv_heads": 1, "retweet_weight": 1.0,
                         "ngram": 8},
}
# kv_heads 1 (2026-11-28, multi-query attention): 14-minute runs, held-out bits/char Petro
# 1.754 -> 1.775, Trump 1.898 -> 1.900; writing 100 tweets, same run: Petro 18.1 -> 26.5,
# Trump 25.0 -> 50.0 tweets/s (sampling reads a quarter of the key/value cache).
# ngram 8 (2026-11-28): held-out bits/char in 14 minutes, network alone -> mixed:
# char-transformer Petro 1.900 -> 1.754, Trump 2.083 -> 1.898; char-lstm Petro 1.831 -> 1.752.
# (The weight's 5% came first from the newest training tweets: Trump's network lost 0.085
# without them, so they are drawn at random.) Orders 6, 8, 10, 12 on Trump: 1.950, 1.911,
# 1.908, 1.910.
# retweet_weight 1 (2026-11-28): Petro has 2,307 own tweets and 3,245 older retweets; with
# their text, held-out bits/char on the newest own tweets, 14-minute budget: char-lstm
# 1.939 -> 1.832, char-transformer 2.076 -> 1.923. (Trump retweets 25 times: no change.)
# char-transformer: ALiBi instead of learned positions and no dropout. On Petro in
# 5 minutes (batch 16): learned positions, dropout 0.1: 2.47 bits/char; ALiBi: 2.32;
# ALiBi without dropout: 2.12 (the model was under-fitting; early stopping now guards
# against over-fitting, which started after ~11 epochs). Then Primer's two changes, a
# causal depthwise convolution (width 3) over queries, keys and values and squared ReLU,
# in 5 minutes (2026-11-28): Petro 2.114 -> 2.069, Trump 2.359 -> 2.262 (each ~20% slower
# per epoch, better per second).
# char-lstm batch 16: an account has a few thousand tweets, and batches of 64 gave 36
# updates per epoch on Petro's 2,307 (held-out 2.10 bits/char in 10 minutes); batches of
# 16 (~4x the updates, each epoch faster: less padding) reached 1.98 in 4 minutes.
TRAIN_DEFAULTS: dict[str, dict[str, Any]] = {
    "char-lstm": {"epochs": 30, "batch_size": 16, "lr": 4e-3, "grad_clip": 1.0,
                  "schedule": "linear", "warmup": 0.01, "patience": 2, "max_seconds": 840.0},
    "char-transformer": {"epochs": 30, "batch_size": 16, "lr": 3e-3, "grad_clip": 1.0,
                         "optimizer": "adamw", "weight_decay": 0.01, "warmup": 0.02,
                         "schedule": "linear", "patience": 2, "max_seconds": 840.0},
}


# ------------------------------------------------------------------------- corpus
def clean_tweet(text: str, cleaning: TweetCleaning) -> tuple[str, bool] | None:
    """(cleaned text, whether it ends naturally), or ``None`` when the tweet is dropped.

    >>> clean_tweet("RT @x: hi there friends", TweetCleaning())
    >>> clean_tweet("Las mafias son el poder &amp; la ley … https://t.co/abc", TweetCleaning())
    ('Las mafias son el poder & la ley', False)
    >>> clean_tweet("@bob Thank you, great rally! https://t.co/x", TweetCleaning())
    ('Thank you, great rally!', True)
    """
    if cleaning.drop_retweets and text.lstrip().startswith("RT @"):
        return None
    ends = True
    if _TRUNCATED.search(text) and cleaning.truncated != "keep":
        if cleaning.truncated == "drop":
            return None
        text = _TRUNCATED.sub("", text)
        ends = False
    if cleaning.html:
        text = html.unescape(text)
    if not cleaning.urls:
        text = _URL.sub("", text)
    if not cleaning.mentions:
        text = _MENTION.sub("", text)
    if cleaning.lowercase:
        text = text.lower()
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.strip().splitlines())
    text = text.strip(" :")
    if len(text) < cleaning.min_chars:
        return None
    return text[:MAX_TWEET], ends


@dataclass
class TweetCorpus:
    """Tweets prepared for a language model, oldest first, with what was left out."""

    texts: list[str]
    ends: list[bool]
    dates: list[str | None]
    source: str | None = None
    dropped: Counter[str] = field(default_factory=Counter)
    # The account's retweets (cleaned, prefix removed), oldest first, and for each the
    # number of own tweets older than it (what a time split compares).
    retweets: TweetCorpus | None = None
    retweet_rank: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def split_by_time(self, fraction: float) -> tuple[TweetCorpus, TweetCorpus]:
        """(older part, newest ``fraction``): the held-out set is the most recent tweets.

        Retweets go with the older part when they are older than every held-out tweet.
        """
        n_valid = int(round(len(self) * fraction))
        cut = len(self) - n_valid

        def part(sl: slice) -> TweetCorpus:
            return TweetCorpus(self.texts[sl], self.ends[sl], self.dates[sl], self.source)

        older = part(slice(0, cut))
        if self.retweets is not None:
            keep = [i for i, r in enumerate(self.retweet_rank) if r <= cut]
            rt = self.retweets
            older.retweets = TweetCorpus([rt.texts[i] for i in keep], [rt.ends[i] for i in keep],
                                         [rt.dates[i] for i in keep], self.source)
            older.retweet_rank = [self.retweet_rank[i] for i in keep]
        return older, part(slice(cut, None))


def read_tweets(data: str | Path | Sequence[str], cleaning: TweetCleaning | None = None,
                *, text: str | None = None) -> TweetCorpus:
    """Read and clean tweets for style learning, sorted oldest first when dated.

    ``data``: a list of texts, or a file tweetlab reads (CSV/TSV/JSONL/Parquet, gzip
    ok) or an X archive ``tweets.js`` / JSON dump of tweet objects.
    """
    cleaning = cleaning or TweetCleaning()
    source: str | None = None
    if isinstance(data, str | Path) and not (isinstance(data, str) and "\n" in data
                                             and not Path(data).suffix):
        path = Path(data)
        source = str(path)
        name = path.name.lower().removesuffix(".gz")
        if name.endswith((".js", ".json")):
            from .collect import _objects, normalize_tweet

            records = [r for r in (normalize_tweet(o) for o in _objects(path)
                                   if isinstance(o, dict)) if r]
            raw = [str(r["text"]) for r in records]
            raw_dates = [r.get("date") for r in records]
        else:
            from .data import load_dataset

            ds = load_dataset(path, text=text, require_labels=False, skip_bad_rows=True)
            raw = ds.texts
            raw_dates = ds.columns.get("date", [None] * len(raw))
    else:
        raw = [str(t) for t in data]
        raw_dates = [None] * len(raw)
    rows: list[tuple[str, str, bool]] = []
    shared: list[tuple[str, str, bool]] = []  # retweets, cleaned without their prefix
    dropped: Counter[str] = Counter()
    as_own = replace(cleaning, drop_retweets=False)
    for i, (t, d) in enumerate(zip(raw, raw_dates, strict=True)):
        key = str(d) if d not in (None, "") else f"~{i:012d}"
        if cleaning.drop_retweets and t.lstrip().startswith("RT @"):
            dropped["retweet"] += 1
            got = clean_tweet(_RETWEET.sub("", t, count=1), as_own)
            if got is not None:
                shared.append((key, *got))
            continue
        got = clean_tweet(t, cleaning)
        if got is None:
            dropped["truncated" if _TRUNCATED.search(t) else "too short after cleaning"] += 1
            continue
        rows.append((key, *got))
    def when(row: tuple[str, str, bool]) -> tuple[bool, str]:
        # Dated rows by date (ISO dates sort as text); undated ones after, in file order.
        return row[0].startswith("~"), row[0]

    if any(not r[0].startswith("~") for r in rows):
        rows.sort(key=when)
        shared.sort(key=when)
    if not rows:
        raise DataError("no usable tweets after cleaning "
                        f"({', '.join(f'{n} {k}' for k, n in dropped.items()) or 'empty input'})",
                        path=source)

    def dates(part: list[tuple[str, str, bool]]) -> list[str | None]:
        return [None if r[0].startswith("~") else r[0] for r in part]

    order = [when(r) for r in rows]
    return TweetCorpus([r[1] for r in rows], [r[2] for r in rows], dates(rows), source, dropped,
                       retweets=TweetCorpus([r[1] for r in shared], [r[2] for r in shared],
                                            dates(shared), source),
                       retweet_rank=[bisect.bisect_left(order, when(r)) for r in shared])


def recency_weights(dates: Sequence[str | None], half_life: float | None) -> np.ndarray | None:
    """Sampling probabilities ``0.5 ** (age_days / half_life)``, normalised; age is counted
    back from the newest dated tweet and undated tweets count as new. ``None`` when no
    weighting applies (no half-life, or no dates).

    >>> recency_weights(["2020-01-01T00:00:00Z", "2020-01-11T00:00:00Z"], 10.0).round(3)
    array([0.333, 0.667])
    >>> recency_weights([None, None], 10.0) is None
    True
    """
    if half_life is None:
        return None
    stamps = [_timestamp(d) for d in dates]
    known = [t for t in stamps if t is not None]
    if not known:
        log.info("recency_half_life: the tweets carry no dates, so every tweet weighs the same")
        return None
    newest = max(known)
    age_days = np.array([(newest - t) / 86400.0 if t is not None else 0.0 for t in stamps])
    w = np.power(0.5, age_days / half_life)
    return w / w.sum()


def _timestamp(date: str | None) -> float | None:
    if not date:
        return None
    from .collect import parse_iso

    d = parse_iso(date)
    return d.timestamp() if d is not None else None


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


# ------------------------------------------------------------------------ novelty
def _shingles(text: str, n: int) -> set[int]:
    words = [w.lower() for w in _WORD.findall(text)]
    return {int.from_bytes(hashlib.blake2b(" ".join(words[i:i + n]).encode(),
                                           digest_size=8).digest(), "little") >> 1
            for i in range(len(words) - n + 1)}


_SENTENCE_END = re.compile(r"[.!?…](?=[\s\"'”)]|$)")


def trim_tweet(text: str, keep: int = 0) -> str:
    """End a tweet cut off by the length limit at its last sentence end (when that keeps
    at least half of it), or else at its last whole word; the seed phrase (``keep``
    characters) always stays.

    >>> trim_tweet("We won big in Iowa tonight, thank you all! The fake news will nev")
    'We won big in Iowa tonight, thank you all!'
    >>> trim_tweet("las mafias son el poder del pueb", 14)
    'las mafias son el poder del'
    """
    floor = max(keep + 20, len(text) // 2)
    ends = [m.end() for m in _SENTENCE_END.finditer(text) if m.end() > floor]
    if ends:
        return text[:ends[-1]]
    space = text.rfind(" ")
    if space > keep:
        return text[:space].rstrip(" ,;:-–—(\"'“")
    return text


def _key(seq: np.ndarray) -> bytes:
    """A tweet's identity in the n-gram corpus: the digest of its character ids."""
    return hashlib.blake2b(seq.astype(np.int16).tobytes(), digest_size=12).digest()


def _sequence_keys(lm: CharNgram) -> set[bytes]:
    """The :func:`_key` of every sequence an n-gram model has counted."""
    ends = np.cumsum(lm.lengths)
    return {hashlib.blake2b(lm.corpus[e - n:e].tobytes(), digest_size=12).digest()
            for e, n in zip(ends.tolist(), lm.lengths.tolist(), strict=True)}


@dataclass(frozen=True)
class UpdateSummary:
    """What :meth:`TweetGenerator.update` added."""

    added: int  # tweets newly counted
    known: int  # tweets the model had already counted (or empty ones), skipped
    characters: int  # predicted characters added (end-of-tweet marks included)
    unknown_characters: int  # of those, characters the model's vocabulary does not have

    def __str__(self) -> str:
        text = f"added {self.added:,} tweets ({self.characters:,} characters)"
        if self.known:
            text += f"; {self.known:,} already known, skipped"
        if self.unknown_characters:
            text += (f"; {self.unknown_characters:,} characters the model has never seen "
                     "count as its rare-character symbol")
        return text


# ------------------------------------------------------------------------ generator
class TweetGenerator:
    """A character language model of an account's tweets.

    ``fit(texts)`` learns, ``generate(prompt, n=...)`` writes tweets (list out),
    ``bits_per_char(texts)`` scores held-out tweets, ``save(dir)`` writes a model folder.
    """

    task = GENERATION_TASK

    n_retweets_: int = 0
    module_: CharLSTM | CharTransformer
    metrics_: dict[str, Any]  # what training measured (metrics.json)
    NGRAM_WEIGHTS = tuple(round(0.05 * i, 2) for i in range(20))  # 0 .. 0.95
    MAX_BATCH = 1024  # tweets sampled at once by generate()

    def __init__(self, config: GeneratorConfig | None = None, *,
                 train_config: TrainConfig | None = None, novelty_words: int = 8) -> None:
        self.config = config or GeneratorConfig()
        self.train_config = train_config or TrainConfig(**TRAIN_DEFAULTS[self.config.family])
        self.novelty_words = novelty_words
        self.ngram_: CharNgram | None = None
        self.ngram_weight_ = 0.0
        self.ngram_tuning_: dict[float, float] = {}  # weight -> bits/char where it was chosen

    @property
    def family(self) -> str:
        return self.config.family

    def __repr__(self) -> str:
        state = f"{len(self.vocab_)} characters" if self.is_fitted else "unfitted"
        return f"TweetGenerator({self.family}, {state})"

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "module_")

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError("this generator is not trained; call fit() first")

    def _make_module(self) -> CharLSTM | CharTransformer:
        cls = CharLSTM if self.family == "char-lstm" else CharTransformer
        return cls(len(self.vocab_), self.config)

    # -------------------------------------------------------------- sequences
    def _sequences(self, texts: Sequence[str], ends: Sequence[bool]) -> list[np.ndarray]:
        """``<b> chars <b>`` per tweet (the final ``<b>`` dropped when it did not end)."""
        out = []
        for t, e in zip(texts, ends, strict=True):
            ids = [BOUNDARY, *self.vocab_.encode(t[:MAX_TWEET])]
            if e:
                ids.append(BOUNDARY)
            out.append(np.array(ids, dtype=np.int64))
        return out

    @staticmethod
    def _collate(seqs: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
        """(inputs (B, T), targets (B, T)) with padding targets set to -100."""
        width = max(len(s) for s in seqs) - 1
        x = np.zeros((len(seqs), width), dtype=np.int64)
        y = np.full((len(seqs), width), -100, dtype=np.int64)
        for r, s in enumerate(seqs):
            x[r, : len(s) - 1] = s[:-1]
            y[r, : len(s) - 1] = s[1:]
        return torch.from_numpy(x), torch.from_numpy(y)

    @staticmethod
    def batch_groups(seqs: Sequence[np.ndarray], batch_size: int,
                     rng: np.random.Generator | None,
                     weights: np.ndarray | None = None) -> list[list[int]]:
        """Indices of ``seqs`` per batch: similar lengths together (little padding), in a
        shuffled order when ``rng`` is given.

        ``weights`` (with ``rng``): draw ``len(seqs)`` sequences with replacement, each
        with that probability, instead of taking each once.
        """
        if rng is not None and weights is not None:
            order = rng.choice(len(seqs), size=len(seqs), replace=True, p=weights)
        else:
            order = rng.permutation(len(seqs)) if rng is not None else np.arange(len(seqs))
        chunk = batch_size * 50
        groups = []
        for s in range(0, len(order), chunk):
            part = sorted(order[s:s + chunk].tolist(), key=lambda i: len(seqs[i]))
            groups += [part[j:j + batch_size] for j in range(0, len(part), batch_size)]
        if rng is not None:
            groups = [groups[i] for i in rng.permutation(len(groups))]
        return groups

    @staticmethod
    def _batches(seqs: list[np.ndarray], batch_size: int, rng: np.random.Generator | None,
                 weights: np.ndarray | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """(inputs, targets) per batch of :meth:`batch_groups`."""
        for b in TweetGenerator.batch_groups(seqs, batch_size, rng, weights):
            yield TweetGenerator._collate([seqs[i] for i in b])

    # ---------------------------------------------------------------- learning
    def fit(self, texts: Sequence[str] | TweetCorpus, *,
            valid: Sequence[str] | TweetCorpus | None = None,
            checkpoint_dir: str | Path | None = None, resume: bool = False) -> Self:
        """Learn from tweets (already cleaned); ``valid`` drives early stopping."""
        corpus = texts if isinstance(texts, TweetCorpus) else \
            TweetCorpus(list(texts), [True] * len(texts), [None] * len(texts))
        vcorpus = None
        if valid is not None:
            vcorpus = valid if isinstance(valid, TweetCorpus) else \
                TweetCorpus(list(valid), [True] * len(valid), [None] * len(valid))
        if not len(corpus):
            raise DataError("no tweets to learn from")
        cfg = self.train_config
        torch.manual_seed(cfg.seed)
        texts, ends = list(corpus.texts), list(corpus.ends)
        weights = recency_weights(corpus.dates, self.config.recency_half_life)
        shared = corpus.retweets if self.config.retweet_weight > 0 else None
        self.n_retweets_ = len(shared) if shared is not None else 0
        if shared is not None and len(shared):
            own = weights * len(texts) if weights is not None else np.ones(len(texts))
            weights = np.concatenate([own, np.full(len(shared), self.config.retweet_weight)])
            weights /= weights.sum()
            texts += shared.texts
            ends += shared.ends
        self.vocab_ = CharVocab.build(texts, self.config.min_count)
        seqs = self._sequences(texts, ends)
        vseqs = self._sequences(vcorpus.texts, vcorpus.ends) if vcorpus and len(vcorpus) else None
        n_own = len(corpus)
        # Choosing the n-gram weight needs tweets the network has not seen: 5% of the own
        # training tweets, drawn at random, are kept from it (the n-gram gets them in the
        # end). Not the newest: on Trump, keeping those from the network cost 0.085 bits/char
        # on the held-out tweets, which come right after them.
        n_tune = int(round(0.05 * n_own))
        tune = (bool(self.config.ngram) and self.config.ngram_weight is None
                and n_own - n_tune >= 10 and n_tune >= 1)
        train, nn_weights, tuning = seqs, weights, None
        if tune:
            tuning = np.sort(np.random.default_rng(cfg.seed).choice(n_own, n_tune, replace=False))
            keep = np.setdiff1d(np.arange(len(seqs)), tuning)
            train = [seqs[i] for i in keep]
            if weights is not None:
                nn_weights = weights[keep] / weights[keep].sum()
        self.module_ = self._make_module()
        bs = cfg.batch_size
        n_batches = sum(-(-min(bs * 50, len(train) - s) // bs) for s in range(0, len(train), bs * 50))
        fingerprint = hashlib.sha256(repr((self.vocab_.chars, self.config.to_dict(),
                                           len(train))).encode()).hexdigest()
        start = time.perf_counter()
        result: TrainResult = train_module(
            self.module_,
            lambda epoch: self._batches(train, bs, np.random.default_rng([cfg.seed, epoch]),
                                        nn_weights),
            n_batches, cfg,
            valid_batches=(lambda: self._batches(vseqs, 256, None)) if vseqs else None,
            checkpoint_dir=Path(checkpoint_dir) if checkpoint_dir else None, resume=resume,
            fingerprint=fingerprint, desc=self.family)
        self.module_.to("cpu").eval()
        self.history_ = result.history
        self.train_result_ = result
        self._novelty = set().union(*(_shingles(t, self.novelty_words) for t in texts))
        self.ngram_ = None
        if self.config.ngram:
            self._fit_ngram(seqs, tuning)
        self.fit_seconds_ = time.perf_counter() - start  # the n-gram and its weight included
        return self

    def _fit_ngram(self, seqs: list[np.ndarray], tuning: np.ndarray | None) -> None:
        """Count the n-gram model on ``seqs``; with ``tuning`` (indices of sequences the
        network did not see), first choose its weight on those against an n-gram of the
        others."""
        order, size = self.config.ngram, len(self.vocab_)
        weight = self.config.ngram_weight
        self.ngram_tuning_ = {}
        if tuning is not None:
            held = set(tuning.tolist())
            self.ngram_ = CharNgram.fit([s for i, s in enumerate(seqs) if i not in held],
                                        order, size)
            log_nn, p_ng = self._position_probs([seqs[i] for i in tuning])
            assert p_ng is not None
            self.ngram_tuning_ = {w: round(_mixed_bits(log_nn, p_ng, w), 4)
                                  for w in self.NGRAM_WEIGHTS}
            weight = min(self.ngram_tuning_, key=lambda w: self.ngram_tuning_[w])
        self.ngram_ = CharNgram.fit(seqs, order, size)
        # Too few tweets to spare some for choosing: a middle weight.
        self.ngram_weight_ = float(weight if weight is not None else 0.2)

    @torch.no_grad()
    def _position_probs(self, seqs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
        """(the network's log-probability of each predicted character, float64; the
        n-gram's probability of it, or None without an n-gram), tweet by tweet in the
        order of ``seqs``."""
        self.module_.eval()
        device = next(self.module_.parameters()).device
        # The network runs on batches of similar lengths; its values go back in tweet order.
        log_nn: list[np.ndarray] = [np.zeros(0)] * len(seqs)
        for group in self.batch_groups(seqs, 256, None):
            x, y = self._collate([seqs[i] for i in group])
            logits = self.module_(x.to(device)).float().cpu()
            sel = y != -100
            lp = F.log_softmax(logits, dim=-1)[sel].gather(1, y[sel][:, None])[:, 0]
            cuts = np.cumsum([len(seqs[i]) - 1 for i in group])[:-1]  # row-major selection
            for i, part in zip(group, np.split(lp.double().numpy(), cuts), strict=True):
                log_nn[i] = part
        network = np.concatenate(log_nn) if seqs else np.zeros(0)
        return network, (self._ngram_probs_in_order(seqs) if self.ngram_ is not None else None)

    def bits_per_char(self, texts: Sequence[str] | TweetCorpus) -> float:
        """Mean bits per predicted character (end of tweet included) over ``texts``."""
        return self.held_out_bits(texts)[0]

    def network_bits_per_char(self, texts: Sequence[str] | TweetCorpus) -> float:
        """:meth:`bits_per_char` of the network alone (the n-gram model left out)."""
        return self.held_out_bits(texts)[1]

    def held_out_bits(self, texts: Sequence[str] | TweetCorpus) -> tuple[float, float]:
        """(bits per character of the model, of its network alone) in one pass; the two
        are equal without an n-gram."""
        self._check_fitted()
        corpus = texts if isinstance(texts, TweetCorpus) else \
            TweetCorpus(list(texts), [True] * len(texts), [None] * len(texts))
        log_nn, p_ng = self._position_probs(self._sequences(corpus.texts, corpus.ends))
        if not len(log_nn):
            return 0.0, 0.0
        network = float(-log_nn.mean() / math.log(2))
        if p_ng is None or not self.ngram_weight_:
            return network, network
        return _mixed_bits(log_nn, p_ng, self.ngram_weight_), network

    # ------------------------------------------------------------ new tweets
    def _new_sequences(self, texts: Sequence[str] | TweetCorpus) -> tuple[list[str], list[np.ndarray]]:
        """The texts and ``<b> ... <b>`` sequences of ``texts`` (own tweets, and the
        retweets when the model learned from retweets)."""
        corpus = texts if isinstance(texts, TweetCorpus) else \
            TweetCorpus(list(texts), [True] * len(texts), [None] * len(texts))
        out, ends = list(corpus.texts), list(corpus.ends)
        if self.config.retweet_weight > 0 and corpus.retweets is not None:
            out += corpus.retweets.texts
            ends += corpus.retweets.ends
        return out, self._sequences(out, ends)

    def update(self, texts: Sequence[str] | TweetCorpus) -> UpdateSummary:
        """Learn an account's newer tweets without retraining: add them to the n-gram
        counts (seconds, not minutes) and to the novelty filter. The network is unchanged.

        Tweets the n-gram has already counted (the same characters) are skipped, so
        updating twice with a growing file counts each tweet once. Characters the model
        never saw count as its rare-character id.
        """
        self._check_fitted()
        if self.ngram_ is None:
            raise ConfigError("this generator has no n-gram part to update (it was trained "
                              "with ngram=0); retrain it with the default ngram=8")
        new_texts, seqs = self._new_sequences(texts)
        known = _sequence_keys(self.ngram_)
        added, added_texts, skipped = [], [], 0
        for text, seq in zip(new_texts, seqs, strict=True):
            key = _key(seq)
            if len(seq) < 2 or key in known:
                skipped += 1
                continue
            known.add(key)
            added.append(seq)
            added_texts.append(text)
        unknown = sum(int((s == UNK).sum()) for s in added)
        if added:
            old = self.ngram_
            corpus = np.concatenate([old.corpus.astype(np.int64), *added])
            lengths = np.concatenate([old.lengths, [len(s) for s in added]])
            self.ngram_ = CharNgram(old.order, old.vocab_size, corpus, lengths)
            self._novelty |= set().union(*(_shingles(t, self.novelty_words)
                                           for t in added_texts))
        return UpdateSummary(len(added), skipped, sum(len(s) - 1 for s in added), unknown)

    def known(self, texts: Sequence[str] | TweetCorpus) -> int:
        """How many of ``texts`` the n-gram has counted (in training or an update): their
        scores are optimistic. 0 without an n-gram part."""
        if self.ngram_ is None:
            return 0
        corpus = texts if isinstance(texts, TweetCorpus) else \
            TweetCorpus(list(texts), [True] * len(texts), [None] * len(texts))
        counted = _sequence_keys(self.ngram_)
        return sum(_key(s) in counted for s in self._sequences(corpus.texts, corpus.ends))

    def stream_bits(self, texts: Sequence[str] | TweetCorpus, *, chunk: int = 50,
                    progress: bool = False) -> tuple[float, float]:
        """(bits per character of ``texts`` scored as they are, scored as a stream):
        the stream figure scores the tweets in order, ``chunk`` at a time, each chunk with
        an n-gram that has also counted the chunks before it (what :meth:`update` does
        for a model that keeps up with its account) - never a tweet it is scoring or a
        later one. The model itself is left unchanged."""
        log_nn, p_static, p_stream = self.stream_probs(texts, chunk=chunk, progress=progress)
        if not len(log_nn):
            return 0.0, 0.0
        return (_mixed_bits(log_nn, p_static, self.ngram_weight_),
                _mixed_bits(log_nn, p_stream, self.ngram_weight_))

    def stream_probs(self, texts: Sequence[str] | TweetCorpus, *, chunk: int = 50,
                     progress: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per predicted character, tweet by tweet: (the network's log-probability, the
        n-gram's probability as the model is, as a stream) - see :meth:`stream_bits`."""
        self._check_fitted()
        if self.ngram_ is None:
            raise ConfigError("this generator has no n-gram part; a stream score needs one")
        if chunk < 1:
            raise ConfigError(f"chunk = {chunk}: must be >= 1")
        corpus = texts if isinstance(texts, TweetCorpus) else \
            TweetCorpus(list(texts), [True] * len(texts), [None] * len(texts))
        seqs = self._sequences(corpus.texts, corpus.ends)
        log_nn, p_static = self._position_probs(seqs)
        assert p_static is not None
        original, novelty = self.ngram_, self._novelty
        self._novelty = set(novelty)
        p_stream = [np.zeros(0)]
        from tqdm.auto import tqdm

        try:
            for s in tqdm(range(0, len(seqs), chunk), desc="stream", unit="chunk",
                          disable=None if progress else True):
                if s:
                    self.update(TweetCorpus(corpus.texts[s - chunk:s], corpus.ends[s - chunk:s],
                                            corpus.dates[s - chunk:s]))
                p_stream.append(self._ngram_probs_in_order(seqs[s:s + chunk]))
        finally:
            self.ngram_, self._novelty = original, novelty
        return log_nn, p_static, np.concatenate(p_stream)

    def _ngram_probs_in_order(self, seqs: list[np.ndarray]) -> np.ndarray:
        """The n-gram's probability of each predicted character, tweet by tweet."""
        assert self.ngram_ is not None
        out = []
        for s in range(0, len(seqs), 64):
            x, y = self._collate(seqs[s:s + 64])  # row-major selection keeps tweet order
            sel = (y != -100).numpy()
            hashes, valid = context_hashes(x.numpy(), self.ngram_.order)
            probs = self.ngram_.probs(hashes[sel], valid[sel])
            out.append(probs[np.arange(len(probs)), y.numpy()[sel]])
        return np.concatenate(out) if out else np.zeros(0)

    # -------------------------------------------------------------- generation
    @torch.no_grad()
    def _sample(self, prompt: str, n: int, temperature: float, top_k: int | None,
                top_p: float | None, max_chars: int, gen: torch.Generator
                ) -> list[tuple[str, bool]]:
        """``n`` samples: (text, whether the model ended it before the length limit)."""
        module = self.module_
        module.eval()
        device = next(module.parameters()).device
        prefix = [BOUNDARY, *self.vocab_.encode(prompt)]
        ids = torch.tensor([prefix] * n, device=device)  # (n, P)
        logits, state = module.step(ids, None)
        budget = max(max_chars - len(prompt), 0)
        if self.family == "char-transformer":  # positions end at the tweet's maximum
            budget = min(budget, MAX_TWEET + 2 - len(prefix))
        out = torch.full((n, max(budget, 1)), BOUNDARY, dtype=torch.long)
        mix = self.ngram_ is not None and self.ngram_weight_ > 0
        if mix:  # the n-gram's context: the last order - 1 ids of each row, -1 before the start
            assert self.ngram_ is not None
            width = max(self.ngram_.order - 1, 1)
            history = np.full((n, width), -1, dtype=np.int64)
            tail = prefix[-width:]
            history[:, width - len(tail):] = tail
        # Batch row i writes tweet rows[i]. Finished tweets leave the batch, but only once
        # a quarter of it has finished: removing them copies the transformer's whole cache,
        # and doing that for every finished tweet cost more than the characters.
        rows = torch.arange(n)
        done = torch.zeros(n, dtype=torch.bool)
        for step in range(budget):
            logits = logits.float()
            if mix:
                assert self.ngram_ is not None
                p_ng = torch.from_numpy(self.ngram_.next_probs(history)).to(logits)
                logits = torch.log((1.0 - self.ngram_weight_) * torch.softmax(logits, dim=-1)
                                   + self.ngram_weight_ * p_ng)
            logits = logits / max(temperature, 1e-6)
            logits[:, UNK] = -math.inf  # never write the rare-character placeholder
            if top_k:
                kth = torch.topk(logits, min(top_k, logits.shape[-1])).values[:, -1:]
                logits = logits.masked_fill(logits < kth, -math.inf)
            probs = torch.softmax(logits, dim=-1)
            if top_p is not None and top_p < 1.0:
                sorted_p, idx = probs.sort(dim=-1, descending=True)
                drop = sorted_p.cumsum(-1) - sorted_p > top_p  # keep the smallest nucleus
                sorted_p[drop] = 0.0
                probs = torch.zeros_like(probs).scatter_(1, idx, sorted_p)
            nxt = torch.multinomial(probs.cpu(), 1, generator=gen)  # (batch, 1)
            nxt[done] = BOUNDARY
            out[rows, step] = nxt[:, 0]
            done |= nxt[:, 0] == BOUNDARY
            if bool(done.all()) or step + 1 == budget:
                break
            if mix:
                history = np.concatenate([history[:, 1:], nxt.numpy()], axis=1)
            if 4 * int(done.sum()) >= len(done):
                keep = torch.nonzero(~done)[:, 0]
                rows, nxt, done = rows[keep], nxt[keep], done[keep]
                state = module.select(state, keep.to(device))
                if mix:
                    history = history[keep.numpy()]
            logits, state = module.step(nxt.to(device), state)
        texts = []
        for row in out.tolist():
            ended = BOUNDARY in row
            cut = row.index(BOUNDARY) if ended else len(row)
            texts.append(((prompt + self.vocab_.decode(row[:cut])).strip(), ended))
        return texts

    def is_novel(self, text: str) -> bool:
        """False when ``text`` copies ``novelty_words`` or more words of a training tweet."""
        return not (_shingles(text, self.novelty_words) & self._novelty)

    def generate(self, prompt: str = "", n: int = 1, *, temperature: float = 0.8,
                 top_k: int | None = None, top_p: float | None = 0.95,
                 max_chars: int = MAX_TWEET, seed: int | None = None, novelty: bool = True,
                 max_tries: int = 10, trim: bool = True, progress: bool = False) -> list[str]:
        """``n`` new tweets starting with ``prompt``.

        With ``novelty`` (default) a generation that copies a span of ``novelty_words``
        words (8) of a training tweet is rejected and another is sampled, up to
        ``max_tries`` rounds; ``self.rejected_`` counts the rejections of this call.
        With ``trim`` (default) a tweet the model had not ended when it reached
        ``max_chars`` ends at its last sentence end, or else its last whole word, instead
        of in the middle of a word. Tweets are written ``MAX_BATCH`` at a time at most
        (``progress``: a progress bar when that takes several batches).
        """
        self._check_fitted()
        if n < 1:
            raise ConfigError(f"n = {n}: ask for at least one tweet")
        if top_k is not None and top_k < 1:
            raise ConfigError(f"top_k = {top_k}: must be >= 1 (or none for no limit)")
        if not 1 <= max_chars <= MAX_TWEET:
            raise ConfigError(f"max_chars = {max_chars}: must be between 1 and {MAX_TWEET}")
        if len(prompt) >= max_chars:
            raise ConfigError(f"the seed phrase is {len(prompt)} characters; max_chars is "
                              f"{max_chars}")
        if temperature <= 0:
            raise ConfigError(f"temperature = {temperature}: must be > 0 (near 0: always the "
                              "likeliest character; 0.8 is the default)")
        if top_p is not None and not 0 < top_p <= 1:
            raise ConfigError(f"top_p = {top_p}: must be in (0, 1]")
        unseen = sorted({c for c in prompt if c not in self.vocab_.index})
        if unseen:
            log.warning("the seed phrase has characters this model never saw (%s); it reads "
                        "them as one unknown character", " ".join(unseen))
        gen = torch.Generator().manual_seed(seed if seed is not None else
                                            int(torch.randint(0, 2**31 - 1, ()).item()))
        kept: list[str] = []
        self.rejected_ = 0
        # At most MAX_BATCH tweets are written at once (memory: the transformer's cache
        # grows with the batch); max_tries rounds of retries come on top of the batches.
        from tqdm.auto import tqdm

        bar = tqdm(total=n, desc="writing", unit="tweet",
                   disable=None if progress and n > self.MAX_BATCH else True)
        for _ in range(max_tries + (n - 1) // self.MAX_BATCH):
            need = n - len(kept)
            if need <= 0:
                break
            size = min(max(need, 4) if novelty else need, self.MAX_BATCH)
            batch = self._sample(prompt, size, temperature, top_k, top_p, max_chars, gen)
            before = len(kept)
            for text, ended in batch:
                if len(kept) >= n:
                    break
                if trim and not ended:
                    text = trim_tweet(text, len(prompt))
                if novelty and not self.is_novel(text):
                    self.rejected_ += 1
                    continue
                kept.append(text)
            bar.update(len(kept) - before)
        bar.close()
        if len(kept) < n:
            log.warning("only %d of %d generations were new (rejected %d copies of training "
                        "tweets); try a higher temperature", len(kept), n, self.rejected_)
        return kept

    # ------------------------------------------------------------- persistence
    def save(self, directory: str | Path, *, force: bool = False,
             metrics: dict[str, Any] | None = None) -> Path:
        """Write the model folder (config.json, model.safetensors, vocab.json, ...)."""
        from .persistence import write_model_dir

        self._check_fitted()
        arrays = {f"module.{k}": v.detach().cpu().numpy()
                  for k, v in self.module_.state_dict().items() if k != "out.weight"
                  or self.family != "char-transformer"}
        arrays["novelty_hashes"] = np.array(sorted(self._novelty), dtype=np.int64)
        if self.ngram_ is not None:
            arrays.update(self.ngram_.state())
        config: dict[str, Any] = {"task": GENERATION_TASK, "family": self.family, "labels": [],
                  "neutral_band": None, "params": self.config.to_dict(),
                  "train": self.train_config.to_dict(),
                  "novelty_words": self.novelty_words,
                  "ngram_weight": self.ngram_weight_,
                  "info": {"parameters": self.parameters, "characters": len(self.vocab_)}}
        return write_model_dir(directory, arrays, {"vocab.json": self.vocab_.to_dict()}, config,
                               metrics or {}, force=force)

    @property
    def parameters(self) -> int:
        return int(sum(p.numel() for p in self.module_.parameters()))

    @classmethod
    def load(cls, directory: str | Path) -> TweetGenerator:
        """Load a folder written by :meth:`save`."""
        from .bundled import is_bundled_name
        from .persistence import read_model_dir

        if is_bundled_name(str(directory)):
            raise ModelError(f"{directory} is a bundled classifier, not a tweet generator; "
                             "train a generator with tweetlab generator train TWEETS --out DIR")
        config, arrays, files = read_model_dir(directory)
        if config.get("task") != GENERATION_TASK:
            raise ModelError(f"{directory} holds a model for {config.get('task')}, not a tweet "
                             "generator")
        try:
            params = GeneratorConfig.from_dict(config["params"])
            train = TrainConfig.from_dict(config.get("train", {}))
        except ConfigError as exc:
            raise ModelError(f"{Path(directory) / 'config.json'}: {exc}") from None
        gen = cls(params, train_config=train, novelty_words=config.get("novelty_words", 8))
        gen.vocab_ = CharVocab.from_dict(files["vocab.json"])
        module = gen._make_module()
        state = {k[7:]: torch.from_numpy(v) for k, v in arrays.items() if k.startswith("module.")}
        if params.family == "char-transformer":
            state["out.weight"] = state["embed.weight"]
        module.load_state_dict(state)
        module.eval()
        gen.module_ = module
        gen._novelty = set(arrays["novelty_hashes"].tolist())
        if "ngram.corpus" in arrays:
            gen.ngram_ = CharNgram.restore(arrays, params.ngram, len(gen.vocab_))
            gen.ngram_weight_ = float(config.get("ngram_weight", 0.0))
        return gen

    def to(self, device: str) -> TweetGenerator:
        """Move the model for sampling (``"cuda"``, ``"cpu"`` or ``"auto"``)."""
        self.module_.to(resolve_device(device))
        return self


# -------------------------------------------------------------------------- API
def train_generator(
    data: str | Path | Sequence[str] | TweetCorpus,
    family: str = "char-lstm",
    *,
    out: str | Path | None = None,
    overrides: Sequence[str] = (),
    force: bool = False,
    resume: bool = False,
    text: str | None = None,
    command: str | None = None,
) -> TweetGenerator:
    """Train a tweet generator on an account's tweets and (with ``out``) save it.

    The newest ``valid_fraction`` (5%) of the tweets is held out (a time split) for
    early stopping and the bits-per-character score in ``metrics.json``.
    ``overrides``: ``key=value`` for the generator config (``hidden=512``,
    ``cleaning.lowercase=true``) or the training loop (``epochs=5``, ``max_seconds=600``).
    """
    from .api import finish_output, prepare_output

    if family not in GENERATOR_FAMILIES:
        raise ConfigError(f"unknown generator family {family!r}; choose one of "
                          f"{', '.join(GENERATOR_FAMILIES)}")
    out_path, ckpt = prepare_output(out, force=force, resume=resume)
    base = GeneratorConfig(family=family, **FAMILY_DEFAULTS[family])
    gcfg, tcfg = split_overrides([base, TrainConfig(**TRAIN_DEFAULTS[family])], list(overrides))
    if isinstance(data, TweetCorpus):
        corpus = data
    else:
        corpus = read_tweets(data, gcfg.cleaning, text=text)
    train_part, valid_part = corpus.split_by_time(gcfg.valid_fraction)
    if len(train_part) < 10:
        left = len(train_part)
        raise DataError(f"only {left} tweet{'' if left == 1 else 's'} left for training after "
                        "cleaning; a style needs at least a few hundred", path=corpus.source)
    log.info("training %s on %d tweets (%d characters), holding out the newest %d",
             family, len(train_part), sum(map(len, train_part.texts)), len(valid_part))
    gen = TweetGenerator(gcfg, train_config=tcfg)
    gen.fit(train_part, valid=valid_part if len(valid_part) else None,
            checkpoint_dir=ckpt, resume=resume)
    metrics: dict[str, Any] = {
        "train_seconds": round(gen.fit_seconds_, 3),
        "data": {"source": corpus.source, "n_train": len(train_part),
                 "n_valid": len(valid_part), "split": "time (newest held out)",
                 "dropped": dict(corpus.dropped),
                 "train_characters": sum(map(len, train_part.texts)),
                 "retweets_used": gen.n_retweets_,
                 "retweet_characters": sum(map(len, train_part.retweets.texts))
                 if gen.n_retweets_ and train_part.retweets is not None else 0},
        "history": gen.history_,
        "best_epoch": gen.train_result_.best_epoch,
        "epochs_run": len(gen.history_),
        "out_of_time": gen.train_result_.out_of_time,
        "parameters": gen.parameters,
    }
    if gen.ngram_ is not None:
        metrics["ngram"] = {
            "order": gen.ngram_.order, "weight": gen.ngram_weight_,
            "weight_from": ("5% of the training tweets kept from the network"
                            if gen.ngram_tuning_
                            else "the config"),
            "tuning_bits_per_char": {str(w): b for w, b in gen.ngram_tuning_.items()},
            "characters": len(gen.ngram_.corpus)}
    if len(valid_part):
        mixed, network = gen.held_out_bits(valid_part)
        metrics["valid_bits_per_char"] = round(mixed, 4)
        if gen.ngram_ is not None:
            metrics["valid_bits_per_char_network"] = round(network, 4)
        metrics["train_bits_per_char_sample"] = round(
            gen.bits_per_char(train_part.texts[-len(valid_part):]), 4)
    # What it writes, for the model card: five tweets from no seed phrase, reproducibly.
    metrics["samples"] = gen.generate("", n=5, seed=0, max_tries=3)
    if command:
        metrics["command"] = command
    gen.metrics_ = metrics
    finish_output(gen, out_path, ckpt, force=force, metrics=metrics)
    return gen


def update_generator(
    model: str | Path,
    data: str | Path | Sequence[str] | TweetCorpus,
    *,
    out: str | Path | None = None,
    in_place: bool = False,
    force: bool = False,
    text: str | None = None,
) -> tuple[TweetGenerator, UpdateSummary]:
    """Teach a saved generator an account's newer tweets (:meth:`TweetGenerator.update`:
    the n-gram counts and the novelty filter; seconds, no retraining) and save it to
    ``out``, or over ``model`` itself with ``in_place`` (atomically: a failure leaves the
    old folder). ``data`` is read with the model's own cleaning; tweets it has already
    counted are skipped, so the same growing file can be given again and again.
    """
    from datetime import UTC, datetime

    from .persistence import check_writable, read_metrics

    if (out is None) == (not in_place):
        raise ConfigError("say where the updated model goes: out=DIR (CLI: --out DIR) or "
                          "in_place=True (CLI: --in-place) to replace the model folder")
    target = Path(model) if in_place else Path(cast(str | Path, out))
    check_writable(target, force or in_place)  # before the work, not after it
    gen = load_generator(model)
    corpus = data if isinstance(data, TweetCorpus) else \
        read_tweets(data, gen.config.cleaning, text=text)
    summary = gen.update(corpus)
    metrics = read_metrics(model)
    metrics.setdefault("updates", []).append({
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": corpus.source, "added": summary.added, "known": summary.known,
        "characters": summary.characters, "unknown_characters": summary.unknown_characters,
        "ngram_characters": len(gen.ngram_.corpus) if gen.ngram_ is not None else 0})
    gen.metrics_ = metrics
    gen.save(target, force=True, metrics=metrics)
    return gen, summary


def _mixed_bits(log_nn: np.ndarray, p_ng: np.ndarray, weight: float) -> float:
    """Mean bits per character of ``(1 - weight) * p_network + weight * p_ngram``."""
    if weight <= 0:
        return float(-log_nn.mean() / math.log(2))
    mixed = np.logaddexp(math.log1p(-weight) + log_nn, math.log(weight) + np.log(p_ng))
    return float(-mixed.mean() / math.log(2))


def load_generator(directory: str | Path) -> TweetGenerator:
    """Load a generator folder written by :func:`train_generator` or ``save``."""
    return TweetGenerator.load(directory)


__all__ = ["GeneratorConfig", "TweetCleaning", "TweetCorpus", "TweetGenerator", "apply_overrides",
           "UpdateSummary", "clean_tweet", "load_generator", "read_tweets", "train_generator",
           "update_generator"]
