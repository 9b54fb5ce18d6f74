"""Settings of tweet generators: how tweets are cleaned (:class:`TweetCleaning`), the
networks' hyperparameters (:class:`GeneratorConfig`) and each family's defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import ConfigBase, _check

GENERATOR_FAMILIES = ("char-lstm", "char-transformer")
GENERATION_TASK = "text-generation"
MAX_TWEET = 280
BOUNDARY = 0  # id of <b>: start and end of a tweet (also the padding input)
UNK = 1  # id of characters too rare to have their own


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
    ``ngram_mix``: ``linear`` is the mixture above; ``geometric`` multiplies instead,
    ``p ~ p_network ** a * p_ngram ** b`` renormalised, with ``a`` and ``b`` fitted on the
    same 5% (their log-loss is convex in them: Newton's method); ``auto`` (the default)
    keeps whichever scores better there. Geometric won on every saved Trump and Petro
    model we checked (`benchmarks/bench_mixing.py`), 0.011-0.022 bits/char lower held out.
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
    ngram_mix: str = "auto"
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
        _check(self.ngram_mix in {"auto", "linear", "geometric"}, "generator", "ngram_mix",
               self.ngram_mix, "auto, linear or geometric")


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

