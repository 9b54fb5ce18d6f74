"""The generator contract (:class:`TweetGenerator`: fit, generate, score, update, save,
load) and the one-call API: :func:`train_generator`, :func:`update_generator`,
:func:`load_generator`."""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self, cast

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .. import distributed
from ..api import finish_output, hardware, prepare_output
from ..bundled import is_bundled_name
from ..config import TrainConfig, override_key, split_overrides
from ..errors import ConfigError, DataError, ModelError, NotFittedError
from ..ngram import CharNgram, context_hashes
from ..persistence import check_writable, read_metrics, read_model_dir, write_model_dir
from ..training import TrainResult, resolve_device, train_module
from .config import (
    BOUNDARY,
    FAMILY_DEFAULTS,
    GENERATION_TASK,
    GENERATOR_FAMILIES,
    MAX_TWEET,
    TRAIN_DEFAULTS,
    UNK,
    GeneratorConfig,
)
from .corpus import TweetCorpus, read_tweets, recency_weights
from .networks import CharLSTM, CharTransformer, CharVocab

log = logging.getLogger("tweetlab")

_WORD = re.compile(r"\w+", re.UNICODE)


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
    vocab_: CharVocab
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
        # Geometric mixture p ~ p_network ** a * p_ngram ** b: (a, b), or None for linear.
        self.ngram_exponents_: tuple[float, float] | None = None
        self.ngram_tuning_geometric_: dict[str, float] = {}

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
            checkpoint_dir: str | Path | None = None, resume: bool = False,
            base: TweetGenerator | None = None) -> Self:
        """Learn from tweets (already cleaned); ``valid`` drives early stopping.

        ``base``: a trained generator of the same family and architecture to start from
        (its network's weights and characters; characters new in ``texts`` get rows of
        their own) instead of random weights - for an account with few tweets, a base
        trained on many tweets in the same language. The n-gram and the novelty filter
        are counted on ``texts`` alone.
        """
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
        own_vocab = CharVocab.build(texts, self.config.min_count)
        if base is not None:
            check_base(base, self.config)
            known = set(base.vocab_.chars)
            self.vocab_ = CharVocab(base.vocab_.chars
                                    + [c for c in own_vocab.chars if c not in known])
        else:
            self.vocab_ = own_vocab
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
        if base is not None:
            warm_start(self.module_, base.module_, len(base.vocab_))
        bs = cfg.batch_size
        n_batches = sum(-(-min(bs * 50, len(train) - s) // bs) for s in range(0, len(train), bs * 50))
        fingerprint = hashlib.sha256(repr((self.vocab_.chars, self.config.to_dict(),
                                           len(train), base is not None)).encode()).hexdigest()
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
            # One pass of the network over the tuning tweets serves both mixtures.
            geometric = self.config.ngram_mix != "linear"
            net_at, ngram_at, full = [], [], []
            for _, net, ngram, y in self._group_dists([seqs[i] for i in tuning]):
                assert ngram is not None
                rows = np.arange(len(y))
                net_at.append(net[rows, y])
                ngram_at.append(ngram[rows, y])
                if geometric:
                    full.append((net, ngram, y))
            log_nn, p_ng = np.concatenate(net_at), np.concatenate(ngram_at)
            self.ngram_tuning_ = {w: round(_mixed_bits(log_nn, p_ng, w), 4)
                                  for w in self.NGRAM_WEIGHTS}
            weight = min(self.ngram_tuning_, key=lambda w: self.ngram_tuning_[w])
            if geometric:
                self._choose_geometric(full, weight)
        self.ngram_ = CharNgram.fit(seqs, order, size)
        # Too few tweets to spare some for choosing: a middle weight.
        self.ngram_weight_ = float(weight if weight is not None else 0.2)

    TUNING_POSITIONS = 40_000  # characters the geometric exponents are fitted on, at most

    def _choose_geometric(self, parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
                          weight: float) -> None:
        """Fit the geometric mixture's exponents on ``parts`` (per batch of tuning tweets,
        from :meth:`_group_dists` with the n-gram counted without them: network
        log-probabilities, n-gram probabilities, the characters that came) and keep it if
        ``ngram_mix`` says geometric, or (auto) if it beats the linear mixture of
        ``weight`` on the same characters."""
        lp = [net.astype(np.float32) for net, _, _ in parts]
        lg = [np.log(np.maximum(ngram, 1e-12)).astype(np.float32) for _, ngram, _ in parts]
        target = [y for _, _, y in parts]
        lp_all, lg_all, t_all = np.concatenate(lp), np.concatenate(lg), np.concatenate(target)
        if len(t_all) > self.TUNING_POSITIONS:  # a random share: enough for two numbers
            keep = np.sort(np.random.default_rng(self.train_config.seed).choice(
                len(t_all), self.TUNING_POSITIONS, replace=False))
            lp_all, lg_all, t_all = lp_all[keep], lg_all[keep], t_all[keep]
        a, b, bits = _fit_exponents(lp_all.astype(np.float64), lg_all.astype(np.float64), t_all)
        rows = np.arange(len(t_all))
        linear = _mixed_bits(lp_all[rows, t_all].astype(np.float64),
                             np.exp(lg_all[rows, t_all].astype(np.float64)), weight)
        self.ngram_tuning_geometric_ = {"a": round(a, 4), "b": round(b, 4),
                                        "bits_per_char": round(bits, 4),
                                        "linear_bits_per_char": round(linear, 4)}
        if self.config.ngram_mix == "geometric" or bits < linear:
            self.ngram_exponents_ = (a, b)

    @torch.no_grad()
    def _group_dists(self, seqs: list[np.ndarray]
                     ) -> Iterator[tuple[list[int], np.ndarray, np.ndarray | None, np.ndarray]]:
        """Per batch of similar lengths: (its tweets' indices into ``seqs``, the network's
        log-probabilities (M, V) of every predicted position (row-major: tweet by tweet),
        the n-gram's probabilities (M, V) or None, the characters that came (M,))."""
        self.module_.eval()
        device = next(self.module_.parameters()).device
        for group in self.batch_groups(seqs, 256, None):
            x, y = self._collate([seqs[i] for i in group])
            logits = self.module_(x.to(device)).float().cpu()
            sel = y != -100
            net = F.log_softmax(logits, dim=-1)[sel].double().numpy()
            ngram = None
            if self.ngram_ is not None:
                hashes, valid = context_hashes(x.numpy(), self.ngram_.order)
                ngram = self.ngram_.probs(hashes[sel.numpy()], valid[sel.numpy()])
            yield group, net, ngram, y[sel].numpy()

    def _mixed_at(self, net: np.ndarray, ngram: np.ndarray | None,
                  target: np.ndarray) -> np.ndarray:
        """log p of ``target`` under the model's mixture of ``net`` (log-probabilities)
        and ``ngram`` (probabilities), both (M, V)."""
        rows = np.arange(len(target))
        if ngram is None:
            return net[rows, target]
        if self.ngram_exponents_ is not None:
            a, b = self.ngram_exponents_
            z = a * net + b * np.log(np.maximum(ngram, 1e-12))
            top = z.max(axis=1)
            return z[rows, target] - top - np.log(np.exp(z - top[:, None]).sum(axis=1))
        w = self.ngram_weight_
        if w <= 0:
            return net[rows, target]
        return np.logaddexp(math.log1p(-w) + net[rows, target],
                            math.log(w) + np.log(np.maximum(ngram[rows, target], 1e-300)))

    def _in_tweet_order(self, seqs: list[np.ndarray],
                        pick: Callable[[np.ndarray, np.ndarray | None, np.ndarray],
                                       tuple[np.ndarray, np.ndarray]]
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Two per-character arrays, ``pick(net, ngram, target)`` of each batch of
        :meth:`_group_dists`, put back in tweet order (the batches group tweets by
        length)."""
        first: list[np.ndarray] = [np.zeros(0)] * len(seqs)
        second: list[np.ndarray] = [np.zeros(0)] * len(seqs)
        for group, net, ngram, target in self._group_dists(seqs):
            cuts = np.cumsum([len(seqs[i]) - 1 for i in group])[:-1]  # row-major selection
            parts = (np.split(v, cuts) for v in pick(net, ngram, target))
            for i, a, b in zip(group, *parts, strict=True):
                first[i], second[i] = a, b
        if not seqs:
            return np.zeros(0), np.zeros(0)
        return np.concatenate(first), np.concatenate(second)

    def _position_logprobs(self, seqs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(the model's log-probability of each predicted character, the network's
        alone), float64, tweet by tweet in the order of ``seqs``."""
        return self._in_tweet_order(seqs, lambda net, ngram, target: (
            self._mixed_at(net, ngram, target), net[np.arange(len(target)), target]))

    def _position_probs(self, seqs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
        """(the network's log-probability of each predicted character, float64; the
        n-gram's probability of it, or None without an n-gram), tweet by tweet in the
        order of ``seqs``."""
        def pick(net: np.ndarray, ngram: np.ndarray | None,
                 target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            rows = np.arange(len(target))
            return net[rows, target], (ngram if ngram is not None else net)[rows, target]

        network, at_ngram = self._in_tweet_order(seqs, pick)
        return network, (at_ngram if self.ngram_ is not None else None)

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
        mixed, network = self._position_logprobs(self._sequences(corpus.texts, corpus.ends))
        if not len(mixed):
            return 0.0, 0.0
        return float(-mixed.mean() / math.log(2)), float(-network.mean() / math.log(2))

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
        seqs, stream = self._as_stream(texts, chunk, progress,
                                       lambda part: self._position_logprobs(part)[0])
        if not seqs:
            return 0.0, 0.0
        static = self._position_logprobs(seqs)[0]
        return (float(-static.mean() / math.log(2)),
                float(-np.concatenate(stream).mean() / math.log(2)))

    def stream_probs(self, texts: Sequence[str] | TweetCorpus, *, chunk: int = 50,
                     progress: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per predicted character, tweet by tweet: (the network's log-probability, the
        n-gram's probability as the model is, as a stream) - see :meth:`stream_bits`
        (which mixes them as the model does; these are the parts)."""
        seqs, stream = self._as_stream(texts, chunk, progress, self._ngram_probs_in_order)
        log_nn, p_static = self._position_probs(seqs)
        assert p_static is not None
        return log_nn, p_static, np.concatenate([np.zeros(0), *stream])

    def _as_stream(self, texts: Sequence[str] | TweetCorpus, chunk: int, progress: bool,
                   score: Callable[[list[np.ndarray]], np.ndarray]
                   ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(the sequences of ``texts``, ``score`` of each ``chunk`` of them in order, with
        the n-gram having counted the chunks before it); the model is left unchanged."""
        self._check_fitted()
        if self.ngram_ is None:
            raise ConfigError("this generator has no n-gram part; a stream score needs one")
        if chunk < 1:
            raise ConfigError(f"chunk = {chunk}: must be >= 1")
        corpus = texts if isinstance(texts, TweetCorpus) else \
            TweetCorpus(list(texts), [True] * len(texts), [None] * len(texts))
        seqs = self._sequences(corpus.texts, corpus.ends)
        original, novelty = self.ngram_, self._novelty
        self._novelty = set(novelty)
        parts = []

        try:
            for s in tqdm(range(0, len(seqs), chunk), desc="stream", unit="chunk",
                          disable=None if progress else True):
                if s:
                    self.update(TweetCorpus(corpus.texts[s - chunk:s], corpus.ends[s - chunk:s],
                                            corpus.dates[s - chunk:s]))
                parts.append(score(seqs[s:s + chunk]))
        finally:
            self.ngram_, self._novelty = original, novelty
        return seqs, parts

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
        mix = self.ngram_ is not None and (self.ngram_weight_ > 0
                                           or self.ngram_exponents_ is not None)
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
                if self.ngram_exponents_ is not None:
                    a, b = self.ngram_exponents_
                    logits = (a * torch.log_softmax(logits, dim=-1)
                              + b * torch.log(p_ng.clamp_min(1e-12)))
                else:
                    logits = torch.log((1.0 - self.ngram_weight_)
                                       * torch.softmax(logits, dim=-1)
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
        if not isinstance(prompt, str):
            raise TypeError(f"prompt must be a string (the seed phrase), not "
                            f"{type(prompt).__name__}")
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
                  "ngram_exponents": list(self.ngram_exponents_)
                  if self.ngram_exponents_ is not None else None,
                  "info": {"parameters": self.parameters, "characters": len(self.vocab_)}}
        return write_model_dir(directory, arrays, {"vocab.json": self.vocab_.to_dict()}, config,
                               metrics or {}, force=force)

    @property
    def parameters(self) -> int:
        return int(sum(p.numel() for p in self.module_.parameters()))

    @classmethod
    def load(cls, directory: str | Path) -> TweetGenerator:
        """Load a folder written by :meth:`save`."""

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
            exponents = config.get("ngram_exponents")  # (folders before: linear)
            gen.ngram_exponents_ = (float(exponents[0]), float(exponents[1])) \
                if exponents else None
        return gen

    def to(self, device: str) -> TweetGenerator:
        """Move the model for sampling (``"cuda"``, ``"cpu"`` or ``"auto"``)."""
        self.module_.to(resolve_device(device))
        return self


# ------------------------------------------------------------------- warm start
# A warm start trains at a third of the family's learning rate unless one is set: Trump's
# newest 2,000 tweets from a base, 5 minutes (2026-11-28): lr 3e-3 (the default from
# scratch) 1.934 held-out bits/char, 1e-3 1.904, 3e-4 1.914, 1e-4 1.917.
WARM_LR = 1 / 3
ARCHITECTURE = ("family", "embed", "hidden", "layers", "dim", "heads", "kv_heads", "positions",
                "conv", "activation")


def check_base(base: TweetGenerator, config: GeneratorConfig) -> None:
    """A base generator must have the architecture of the one trained from it."""
    base._check_fitted()
    differ = [k for k in ARCHITECTURE if getattr(base.config, k) != getattr(config, k)]
    if differ:
        raise ConfigError("the base generator's network differs in " + ", ".join(
            f"{k} ({getattr(base.config, k)} vs {getattr(config, k)})" for k in differ)
            + "; a warm start keeps the base's architecture")


@torch.no_grad()
def warm_start(module: torch.nn.Module, base: torch.nn.Module, n_base: int) -> None:
    """Copy ``base``'s weights into ``module``, whose vocabulary is the base's first
    ``n_base`` characters plus new ones: a new character's embedding and output rows start
    as the mean of the base's (a character like the average one), its output bias as the
    base's lowest (as rare as its rarest character)."""
    target = module.state_dict()
    for name, value in base.state_dict().items():
        dest = target[name]
        if dest.shape == value.shape:
            dest.copy_(value)
        else:  # a vocabulary-sized first axis: embed.weight, out.weight, out.bias
            dest[:n_base] = value
            dest[n_base:] = value.min() if name.endswith("bias") else value.mean(dim=0)
    module.load_state_dict(target)


# -------------------------------------------------------------------------- API
def train_generator(
    data: str | Path | Sequence[str] | TweetCorpus,
    family: str | None = None,
    *,
    out: str | Path | None = None,
    overrides: Sequence[str] = (),
    force: bool = False,
    resume: bool = False,
    text: str | None = None,
    command: str | None = None,
    base: str | Path | TweetGenerator | None = None,
    encoding: str | None = None,
) -> TweetGenerator:
    """Train a tweet generator on an account's tweets and (with ``out``) save it.

    The newest ``valid_fraction`` (5%) of the tweets is held out (a time split) for
    early stopping and the bits-per-character score in ``metrics.json``.
    ``overrides``: ``key=value`` for the generator config (``hidden=512``,
    ``cleaning.lowercase=true``) or the training loop (``epochs=5``, ``max_seconds=600``).
    ``family``: ``char-lstm`` (default) or ``char-transformer``.
    ``base``: a generator (or its folder) to start from rather than from random weights
    (:meth:`TweetGenerator.fit`); ``family`` and the network's shape are then the base's,
    and the learning rate a third of the family's default unless ``lr=`` is given.
    """

    base_gen = load_generator(base) if isinstance(base, str | Path) else base
    if base_gen is not None:
        if family is not None and family != base_gen.family:
            raise ConfigError(f"the base generator is a {base_gen.family}, not a {family}; "
                              "leave the family out to train one like it")
        family = base_gen.family
    family = family or "char-lstm"
    if family not in GENERATOR_FAMILIES:
        raise ConfigError(f"unknown generator family {family!r}; choose one of "
                          f"{', '.join(GENERATOR_FAMILIES)}")
    out_path, ckpt = prepare_output(out, force=force, resume=resume)
    start_cfg = (base_gen.config if base_gen is not None
                 else GeneratorConfig(family=family, **FAMILY_DEFAULTS[family]))
    gcfg, tcfg = split_overrides([start_cfg, TrainConfig(**TRAIN_DEFAULTS[family])],
                                 list(overrides))
    if base_gen is not None:
        check_base(base_gen, gcfg)
        if not any(override_key(o) == "lr" for o in overrides):
            tcfg = tcfg.replace(lr=tcfg.lr * WARM_LR)
    if isinstance(data, TweetCorpus):
        corpus = data
    else:
        corpus = read_tweets(data, gcfg.cleaning, text=text, encoding=encoding)
    train_part, valid_part = corpus.split_by_time(gcfg.valid_fraction)
    if len(train_part) < 10:
        left = len(train_part)
        raise DataError(f"only {left} tweet{'' if left == 1 else 's'} left for training after "
                        "cleaning; a style needs at least a few hundred", path=corpus.source)
    log.info("training %s on %d tweets (%d characters), holding out the newest %d",
             family, len(train_part), sum(map(len, train_part.texts)), len(valid_part))
    gen = TweetGenerator(gcfg, train_config=tcfg)
    gen.fit(train_part, valid=valid_part if len(valid_part) else None,
            checkpoint_dir=ckpt, resume=resume, base=base_gen)
    if not distributed.is_main():  # under torchrun the first process scores and saves
        gen.metrics_ = {"train_seconds": round(gen.fit_seconds_, 3)}
        return gen
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
        **hardware(gen.train_result_),
    }
    if base_gen is not None:
        base_metrics = (read_metrics(base) if isinstance(base, str | Path)
                        else getattr(base_gen, "metrics_", None) or {})
        metrics["base"] = {
            "path": str(base) if isinstance(base, str | Path) else None,
            "source": (base_metrics.get("data") or {}).get("source"),
            "n_train": (base_metrics.get("data") or {}).get("n_train"),
            "characters": len(base_gen.vocab_),
            "new_characters": len(gen.vocab_) - len(base_gen.vocab_)}
    if gen.ngram_ is not None:
        metrics["ngram"] = {
            "order": gen.ngram_.order, "weight": gen.ngram_weight_,
            "weight_from": ("5% of the training tweets kept from the network"
                            if gen.ngram_tuning_
                            else "the config"),
            "tuning_bits_per_char": {str(w): b for w, b in gen.ngram_tuning_.items()},
            "characters": len(gen.ngram_.corpus),
            "mix": "geometric" if gen.ngram_exponents_ is not None else "linear",
            "exponents": list(gen.ngram_exponents_) if gen.ngram_exponents_ else None,
            "tuning_geometric": gen.ngram_tuning_geometric_ or None}
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
    encoding: str | None = None,
) -> tuple[TweetGenerator, UpdateSummary]:
    """Teach a saved generator an account's newer tweets (:meth:`TweetGenerator.update`:
    the n-gram counts and the novelty filter; seconds, no retraining) and save it to
    ``out``, or over ``model`` itself with ``in_place`` (atomically: a failure leaves the
    old folder). ``data`` is read with the model's own cleaning; tweets it has already
    counted are skipped, so the same growing file can be given again and again.
    """

    if (out is None) == (not in_place):
        raise ConfigError("say where the updated model goes: out=DIR (CLI: --out DIR) or "
                          "in_place=True (CLI: --in-place) to replace the model folder")
    target = Path(model) if in_place else Path(cast(str | Path, out))
    check_writable(target, force or in_place)  # before the work, not after it
    gen = load_generator(model)
    corpus = data if isinstance(data, TweetCorpus) else \
        read_tweets(data, gen.config.cleaning, text=text, encoding=encoding)
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


def _fit_exponents(net: np.ndarray, ngram: np.ndarray, target: np.ndarray
                   ) -> tuple[float, float, float]:
    """(a, b, bits/char) of the geometric mixture ``p ~ exp(a * net + b * ngram)`` (both
    (M, V) log-probabilities) with the lowest log-loss of ``target``: the loss is convex in
    (a, b), so Newton's method (with step halving, a and b kept >= 0) from (0.5, 0.5)."""
    rows = np.arange(len(target))
    at_net, at_ngram = net[rows, target], ngram[rows, target]

    def loss(theta: np.ndarray) -> float:
        z = theta[0] * net + theta[1] * ngram
        top = z.max(axis=1)
        logz = top + np.log(np.exp(z - top[:, None]).sum(axis=1))
        return float((logz - theta[0] * at_net - theta[1] * at_ngram).mean())

    theta = np.array([0.5, 0.5])
    current = loss(theta)
    for _ in range(30):
        z = theta[0] * net + theta[1] * ngram
        q = np.exp(z - z.max(axis=1, keepdims=True))
        q /= q.sum(axis=1, keepdims=True)
        mean_net, mean_ngram = (q * net).sum(1), (q * ngram).sum(1)
        grad = np.array([(mean_net - at_net).mean(), (mean_ngram - at_ngram).mean()])
        cov = np.array([
            [((q * net * net).sum(1) - mean_net ** 2).mean(),
             ((q * net * ngram).sum(1) - mean_net * mean_ngram).mean()],
            [0.0, ((q * ngram * ngram).sum(1) - mean_ngram ** 2).mean()]])
        cov[1, 0] = cov[0, 1]
        step = np.linalg.solve(cov + 1e-9 * np.eye(2), grad)
        scale = 1.0
        while scale > 1e-3:
            trial = np.maximum(theta - scale * step, 0.0)
            value = loss(trial)
            if value <= current:
                break
            scale /= 2
        else:
            break
        moved = float(np.abs(trial - theta).max())
        theta, current = trial, value
        if moved < 1e-5:
            break
    return float(theta[0]), float(theta[1]), current / math.log(2)


def _mixed_bits(log_nn: np.ndarray, p_ng: np.ndarray, weight: float) -> float:
    """Mean bits per character of ``(1 - weight) * p_network + weight * p_ngram``."""
    if weight <= 0:
        return float(-log_nn.mean() / math.log(2))
    mixed = np.logaddexp(math.log1p(-weight) + log_nn, math.log(weight) + np.log(p_ng))
    return float(-mixed.mean() / math.log(2))


def load_generator(directory: str | Path) -> TweetGenerator:
    """Load a generator folder written by :func:`train_generator` or ``save``."""
    return TweetGenerator.load(directory)

