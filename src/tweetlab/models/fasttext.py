"""``fasttext``: a fastText-style classifier in PyTorch.

Each tweet becomes a bag of feature ids - known words, hashed character n-grams of
every word (``<word>`` wrapped as in fastText) and hashed word n-grams - whose
embeddings are averaged and fed to one linear layer. Hashes are stable (CRC-32), so a
saved model predicts the same in every process. Bucket rows never seen in training
are zero and not stored, which keeps the saved model small.

Training on the CPU runs fastText's own update, compiled with numba
(:mod:`tweetlab.models.sgd_kernel`): per-example SGD that reads and writes each feature
row once, inside the same training loop (epochs, linear decay, validation, checkpoints)
as the other families; on a GPU, or with ``engine=torch``, the module trains through
autograd with mini-batch SGD of the same scale. The bags of the training tweets are
assembled by compiled code too (same ids as the Python path, tested).

>>> clf = FastTextClassifier(train_config=TrainConfig(epochs=20, progress=False))
>>> clf = clf.fit(["good film", "bad film"] * 8, ["pos", "neg"] * 8)
>>> clf.predict(["good"])
['pos']
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from .. import distributed
from ..config import CleaningConfig, ConfigBase, TrainConfig, _check
from ..errors import ConfigError
from ..text import TokenIds, Vocabulary, tokenize
from . import sgd_kernel
from .torch_base import Ragged, TorchTextClassifier

log = logging.getLogger("tweetlab")

__all__ = ["FastTextClassifier", "FastTextConfig", "TrainConfig"]

_MIX = 116_049_371  # fastText's multiplier for combining word hashes into n-gram hashes
_MASK = (1 << 64) - 1
_CACHE_LIMIT = 500_000


def _word_ngram_ids(h: np.ndarray, lengths: np.ndarray, text_of_tok: np.ndarray, max_n: int,
                    offset: int, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashed word n-gram ids (2 <= n <= max_n) of texts whose tokens hash to ``h``.

    ``h``: (T,) uint64 word hashes of all texts' tokens in order; ``lengths``: tokens per
    text; ``text_of_tok``: the text of each token. Returns the ids (``offset + hash %
    buckets``) and the text each belongs to, grouped by n; n-grams never cross a text
    boundary. numpy's uint64 arithmetic wraps mod 2**64
    like fastText's.
    """
    ids: list[np.ndarray] = []
    rows: list[np.ndarray] = []
    if max_n >= 2 and len(h):
        pos = np.arange(len(h)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        left = np.repeat(lengths, lengths) - pos  # tokens from here to the text's end
        acc = h.copy()
        for k in range(2, max_n + 1):
            m = len(h) - k + 1
            if m <= 0:
                break
            acc = acc[:m] * np.uint64(_MIX) + h[k - 1:k - 1 + m]
            ok = left[:m] >= k
            ids.append(offset + (acc[ok] % np.uint64(buckets)).astype(np.int64))
            rows.append(text_of_tok[:m][ok])
    empty = np.zeros(0, dtype=np.int64)
    return (np.concatenate(ids) if ids else empty), (np.concatenate(rows) if rows else empty)


class _Projected:
    """Scores bags without the embedding dimension: the fast path of ``predict_proba``.

    The output layer is linear, so out(mean of rows) = mean of (rows @ W.T) + b: with the
    embedding table projected once to ``k`` numbers per feature (k = classes), a word's
    own features (its id and char n-grams) reduce to one k-vector and a count, cached per
    distinct word; a tweet costs a few k-vector sums instead of gathering ~200 rows of
    ``dim`` floats. Rebuilt when the weights change (torch's version counters). Same
    probabilities as the module within float rounding (tested).
    """

    def __init__(self) -> None:
        self.key: tuple[int, ...] | None = None
        self.lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {}  # a cache: rebuilt on first use

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    def refresh(self, clf: FastTextClassifier) -> None:
        module: FastTextModule = clf.module_
        emb, out = module.embedding.weight, module.out
        key = (emb.data_ptr(), emb._version, out.weight._version, out.bias._version)
        if key == self.key:
            return
        with torch.no_grad():
            w = out.weight.detach().to("cpu", torch.float64)
            self.table = emb.detach().to("cpu", torch.float64).numpy() @ w.numpy().T  # (F, k)
            self.bias = out.bias.detach().to("cpu", torch.float64).numpy()
        k = self.table.shape[1]
        self.index: dict[str, int] = {}
        self.per_word = np.zeros((1024, k + 1))  # own features' projected sum, their count
        self.hashes = np.zeros(1024, dtype=np.uint64)
        self.key = key

    def add(self, clf: FastTextClassifier, words: list[str]) -> None:
        """Make rows for ``words`` (not yet in the index)."""
        feats = [clf._word_features(w) for w in words]
        own = Ragged.from_lists([f[1] for f in feats])
        counts = np.diff(own.offsets)
        owner = np.repeat(np.arange(len(words)), counts)
        start, end = len(self.index), len(self.index) + len(words)
        if end > len(self.per_word):
            grow = max(end, 2 * len(self.per_word))
            self.per_word = np.resize(self.per_word, (grow, self.per_word.shape[1]))
            self.hashes = np.resize(self.hashes, grow)
        block = self.per_word[start:end]
        proj = self.table[own.flat]
        for c in range(proj.shape[1]):
            block[:, c] = np.bincount(owner, weights=proj[:, c], minlength=len(words))
        block[:, -1] = counts
        self.hashes[start:end] = np.fromiter((f[0] for f in feats), dtype=np.uint64,
                                             count=len(words))
        self.index.update(zip(words, range(start, end), strict=True))

    def rows(self, clf: FastTextClassifier, words: list[str]) -> np.ndarray:
        """Row of each word, adding rows for words not seen before."""
        if len(self.index) > _CACHE_LIMIT:
            self.index.clear()  # rows are rewritten from the start
        rows = np.fromiter(map(self.index.get, words, itertools.repeat(-1)),
                           dtype=np.int64, count=len(words))
        missing = np.flatnonzero(rows < 0)
        if len(missing):
            new = [words[i] for i in missing.tolist()]  # distinct already
            self.add(clf, new)
            rows[missing] = np.fromiter(map(self.index.__getitem__, new), dtype=np.int64,
                                        count=len(new))
        return rows

    def proba(self, clf: FastTextClassifier, tokens: TokenIds) -> np.ndarray:
        cfg = clf.config
        lengths = tokens.lengths
        n = len(lengths)
        with self.lock:  # serving threads share the cache
            self.refresh(clf)
            rows = self.rows(clf, tokens.words)[tokens.ids]
            own = self.per_word[rows]  # (T, k + 1)
            word_hash = self.hashes[rows]
            table, bias = self.table, self.bias
        k = table.shape[1]
        text_of_tok = np.repeat(np.arange(n), lengths)
        grams, gram_rows = _word_ngram_ids(word_hash, lengths, text_of_tok, cfg.word_ngrams,
                                           len(clf.vocab_), cfg.buckets)
        gram_proj = table[grams]
        z = np.empty((n, k))
        for c in range(k):
            z[:, c] = (np.bincount(text_of_tok, weights=own[:, c], minlength=n)
                       + np.bincount(gram_rows, weights=gram_proj[:, c], minlength=n))
        count = (np.bincount(text_of_tok, weights=own[:, k], minlength=n)
                 + np.bincount(gram_rows, minlength=n))
        z /= np.maximum(count, 1.0)[:, None]  # an empty bag's mean is 0, as in EmbeddingBag
        z += bias
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z.astype(np.float32)


@dataclass(frozen=True)
class FastTextConfig(ConfigBase):
    """Hyperparameters of the ``fasttext`` family (names follow fastText's)."""

    dim: int = 100
    word_ngrams: int = 2
    minn: int = 3
    maxn: int = 5
    buckets: int = 1 << 18
    min_count: int = 1
    half: bool = True
    # "auto": the compiled per-example SGD step on CPU when numba is installed (fastText's
    # update, ~5x faster than autograd here); "torch": always autograd; "compiled": the
    # compiled step or an error.
    engine: str = "auto"
    # Threads of the compiled step: 1 is exactly reproducible; more split each batch
    # between threads updating the weights without locks (Hogwild, like fastText's
    # -thread), faster but not bit-for-bit repeatable; 0: as many as torch uses.
    threads: int = 1
    cleaning: CleaningConfig = field(default_factory=CleaningConfig)

    def __post_init__(self) -> None:
        _check(self.engine in {"auto", "torch", "compiled"}, "fasttext", "engine", self.engine,
               "auto, torch or compiled")
        _check(self.threads >= 0, "fasttext", "threads", self.threads, "must be >= 0")
        _check(self.dim >= 1, "fasttext", "dim", self.dim, "must be >= 1")
        _check(self.word_ngrams >= 1, "fasttext", "word_ngrams", self.word_ngrams, "must be >= 1")
        _check(self.minn == 0 or 1 <= self.minn <= self.maxn, "fasttext", "minn/maxn",
               (self.minn, self.maxn), "need minn = 0 (no char n-grams) or 1 <= minn <= maxn")
        _check(1 <= self.buckets <= 1 << 30, "fasttext", "buckets", self.buckets,
               "must be between 1 and 2**30")


def _hash(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


class FastTextModule(nn.Module):
    """Mean of feature embeddings -> linear layer. Input: flat ids (N,), bag starts (B,).

    ``compiled`` (true when ``engine`` is not "torch" and numba is installed): the training
    loop calls :meth:`sgd_step` (fastText's per-example update, compiled) instead of
    autograd + SGD when it trains on the CPU with plain SGD. Asked only when training, so
    loading a model to predict never imports numba.
    """

    def __init__(self, n_features: int, dim: int, n_classes: int, engine: str = "torch",
                 threads: int = 1) -> None:
        super().__init__()
        self.engine = engine
        self.threads = threads
        # Weights made uniform directly (EmbeddingBag's own normal init of ~30M floats
        # would be thrown away: 0.24 s on entity).
        start = torch.empty(n_features, dim).uniform_(-1.0 / dim, 1.0 / dim)
        self.embedding = nn.EmbeddingBag(n_features, dim, mode="mean", sparse=True, _weight=start)
        self.out = nn.Linear(dim, n_classes)
        # Unlike fastText (output zero), the output starts random: with mini-batch means a
        # zero output layer gives the embeddings no gradient and learning barely starts.

    @property
    def compiled(self) -> bool:
        if self.engine == "torch":
            return False
        if not sgd_kernel.available():
            if self.engine == "compiled":
                raise ConfigError("fasttext engine=compiled needs numba (pip install numba)")
            return False
        return True

    def forward(self, ids: torch.Tensor, starts: torch.Tensor) -> torch.Tensor:
        return self.out(self.embedding(ids, starts))  # (B, n_classes)

    def sgd_step(self, ids: torch.Tensor, starts: torch.Tensor, target: torch.Tensor,
                 lr: float) -> float:
        """Update the weights in place with fastText's per-example SGD (rate ``lr / batch``
        per example, the mini-batch step's scale); returns the batch's mean loss."""
        return sgd_kernel.sgd_bags(
            self.embedding.weight.detach().numpy(), self.out.weight.detach().numpy(),
            self.out.bias.detach().numpy(), ids.numpy(), starts.numpy(), target.numpy(), lr,
            self.threads)


class CompactFastText(nn.Module):
    """The same network with only the embedding rows training touched (plus one zero row
    for all the others) and an id -> row map: what ONNX export writes, so that a model of
    ~0.1-20 MB on disk does not become a 100 MB+ graph (262,144 hash buckets x 100 floats).
    Predicts exactly what the full module does (unused rows are zero in both)."""

    def __init__(self, module: FastTextModule) -> None:
        super().__init__()
        weight = module.embedding.weight.detach()
        rows = torch.nonzero(weight.abs().sum(1) != 0)[:, 0]
        remap = torch.full((weight.shape[0],), len(rows), dtype=torch.int32)
        remap[rows] = torch.arange(len(rows), dtype=torch.int32)
        self.remap: torch.Tensor
        self.register_buffer("remap", remap)
        table = torch.cat([weight[rows], weight.new_zeros(1, weight.shape[1])])
        self.embedding = nn.EmbeddingBag.from_pretrained(table, mode="mean", freeze=True)
        self.out = module.out

    def forward(self, ids: torch.Tensor, starts: torch.Tensor) -> torch.Tensor:
        return self.out(self.embedding(self.remap[ids].long(), starts))


class FastTextClassifier(TorchTextClassifier):
    """Averaged word + hashed char/word n-gram embeddings with a linear output."""

    family = "fasttext"
    takes_tokens = True  # _predict_proba(texts, tokens=...) skips tokenizing again
    Config = FastTextConfig
    config: FastTextConfig
    module_: FastTextModule | Any  # Any: an ONNX Runtime session after ``export``
    # fastText trains with SGD and a linearly decaying rate. ``lr`` is a mini-batch rate:
    # the loss is a batch mean, so each example moves by lr / batch (the compiled step
    # applies exactly that per example); lr 10 at batch 32 is fastText's ~0.3. lr None:
    # picked from the data size (_auto_lr).
    # monitor "last": the rate decays to zero, so the last epoch is kept, as fastText
    # does (on the four benchmark tasks, held-out scores of the last epoch vs the epoch of
    # best validation accuracy: disaster F1 0.750 vs 0.747, entity macro-F1 0.551 vs 0.545,
    # TASS 0.442 vs 0.384, TweetEval 0.485 vs 0.503).
    train_defaults = {"epochs": None, "batch_size": 32, "lr": None, "optimizer": "sgd",
                      "schedule": "linear", "patience": 25, "monitor": "last"}

    def _auto_epochs(self, n_train: int) -> int:
        # Small data needs more passes (fastText's tutorial raises epoch to 25 for a few
        # thousand examples): about 60k tweet-updates in all, between 5 and 25 epochs.
        return int(min(25, max(5, round(60_000 / max(n_train, 1)))))

    def _auto_lr(self, n_train: int) -> float:
        # fastText's advice: larger data, smaller rate (0.1 by default, 0.5-1.0 for small
        # sets). Per example (lr / batch 32): ~0.31 up to 6,000 tweets, falling with the
        # square root of the size to 0.1 from ~58,000. Entity (59k tweets): lr 10 -> 3.2
        # raised held-out accuracy 0.553 -> 0.576 (two seeds each).
        return float(min(10.0, max(3.2, 10.0 * math.sqrt(6_000 / max(n_train, 1)))))

    def _word_features(self, word: str) -> tuple[int, list[int]]:
        """(hash of the word, its own feature ids), cached per distinct word."""
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        cfg = self.config
        n_words = len(self.vocab_)
        ids: list[int] = []
        wid = self.vocab_.get(word)
        if wid is not None:
            ids.append(wid)
        if cfg.minn > 0 and not word.startswith("<"):
            wrapped = f"<{word}>"
            size, buckets, crc = len(wrapped), cfg.buckets, zlib.crc32
            grams = [wrapped[i:i + n] for n in range(cfg.minn, min(cfg.maxn, size) + 1)
                     for i in range(size - n + 1)]
            if wid is not None and cfg.maxn >= size >= cfg.minn:
                grams.pop()  # the whole word is its own feature (always the last gram)
            ids += [n_words + crc(g.encode("utf-8")) % buckets for g in grams]
        entry = (_hash(word), ids)
        if len(self._cache) > _CACHE_LIMIT:
            self._cache.clear()
        self._cache[word] = entry
        return entry

    def _features(self, text: str) -> list[int]:
        cfg = self.config
        n_words = len(self.vocab_)
        words = tokenize(text)
        ids: list[int] = []
        hashes: list[int] = []
        for w in words:
            h, own = self._word_features(w)
            ids.extend(own)
            hashes.append(h)
        for n in range(2, cfg.word_ngrams + 1):
            for i in range(len(hashes) - n + 1):
                h = hashes[i]
                for j in range(1, n):
                    h = (h * _MIX + hashes[i + j]) & _MASK
                ids.append(n_words + h % cfg.buckets)
        return ids

    def _prepare(self, texts: list[str]) -> None:
        # One tokenize of the training texts, kept for _encode (same list) right after.
        tokens = TokenIds.of(texts)
        self._fit_tokens = (texts, tokens)
        counts = np.bincount(tokens.ids, minlength=len(tokens.words))
        # Most frequent first, ties by first appearance: Vocabulary.build's order.
        order = np.argsort(-counts, kind="stable")
        order = order[counts[order] >= self.config.min_count]
        self.vocab_ = Vocabulary([tokens.words[i] for i in order.tolist()], unk=None)
        self._cache: dict[str, tuple[int, list[int]]] = {}

    def _encode(self, texts: list[str],
                tokens: list[list[str]] | TokenIds | None = None) -> Ragged:
        """Feature ids of every text, computed for whole arrays of tokens at once.

        Gives the same ids as :meth:`_features` (bag order may differ, which a mean
        ignores): each distinct word's own features are looked up once, and word n-gram
        hashes are combined with numpy's wrapping uint64 arithmetic.
        """
        cfg = self.config
        n = len(texts)
        fit_tokens = self.__dict__.pop("_fit_tokens", None)
        if tokens is None and fit_tokens is not None and fit_tokens[0] is texts:
            tokens = fit_tokens[1]  # the training texts, tokenized by _prepare
        ids = TokenIds.ensure(tokens, texts)
        lengths, tok = ids.lengths, ids.ids
        n_words = len(self.vocab_)
        per_word = sgd_kernel.word_features(ids.words, [self.vocab_.get(w) for w in ids.words],
                                            cfg.minn, cfg.maxn, n_words, cfg.buckets)
        if per_word is not None:
            own, word_hash = Ragged(per_word[0], per_word[1]), per_word[2]
        else:
            feats = [self._word_features(w) for w in ids.words]
            own = Ragged.from_lists([f[1] for f in feats])
            word_hash = np.array([f[0] for f in feats], dtype=np.uint64)
        compiled = sgd_kernel.bags(own.flat, own.offsets, tok, lengths, word_hash,
                                   cfg.word_ngrams, len(self.vocab_), cfg.buckets)
        if compiled is not None:  # one pass instead of the numpy steps below (same ids)
            return Ragged(*compiled)
        # Part 1: each token's own features (word id + char n-grams), in token order.
        own_ids, _ = own.take(tok)
        text_of_tok = np.repeat(np.arange(n), lengths)
        own_per_text = np.bincount(text_of_tok, weights=own.lengths(tok),
                                   minlength=n).astype(np.int64)
        # Part 2: hashed word n-grams that do not cross a text boundary.
        grams, rows = _word_ngram_ids(word_hash[tok], lengths, text_of_tok, cfg.word_ngrams,
                                      len(self.vocab_), cfg.buckets)
        gram_per_text = np.bincount(rows, minlength=n).astype(np.int64)
        # Interleave: text i holds its own-feature ids, then its n-gram ids.
        counts = own_per_text + gram_per_text
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        flat = np.empty(int(offsets[-1]), dtype=np.int32)  # as the compiled bags
        own_rows = np.repeat(np.arange(n), own_per_text)
        own_rank = np.arange(len(own_ids)) - np.repeat(np.cumsum(own_per_text) - own_per_text,
                                                       own_per_text)
        flat[offsets[own_rows] + own_rank] = own_ids
        if len(grams):
            order = np.argsort(rows, kind="stable")  # already sorted per n; merges n = 2, 3...
            grams, rows = grams[order], rows[order]
            rank = np.arange(len(grams)) - np.repeat(np.cumsum(gram_per_text) - gram_per_text,
                                                     gram_per_text)
            flat[offsets[rows] + own_per_text[rows] + rank] = grams
        return Ragged(flat, offsets)

    def _take(self, data: Ragged, order: np.ndarray, training: bool) -> tuple[np.ndarray, np.ndarray]:
        # While training (numba is loaded for the compiled step anyway) one compiled pass
        # instead of numpy's three over the epoch's ~14M ids (entity: 0.2 s -> ~0.03 s).
        got = sgd_kernel.gather(data.flat, data.offsets, order) if training else None
        return got if got is not None else data.take(order)

    def _predict_proba(self, texts: list[str],
                       tokens: list[list[str]] | TokenIds | None = None) -> np.ndarray:
        if not isinstance(self.module_, FastTextModule):  # e.g. an ONNX Runtime session
            if isinstance(tokens, TokenIds):
                tokens = tokens.per_text()
            return super()._predict_proba(texts, tokens)
        projected = self.__dict__.get("_projected")
        if projected is None:
            projected = self._projected = _Projected()
        return projected.proba(self, TokenIds.ensure(tokens, texts))

    def _training_config(self, cfg: TrainConfig) -> TrainConfig:
        # The compiled per-example step runs on the CPU, and there it beats autograd on a
        # GPU for this small sparse model (disaster tweets: 9.9 s of autograd on an H200,
        # 5 s compiled on 2 CPU cores), so device=auto trains it on the CPU.
        if self.config.engine == "torch":
            return cfg
        plain_sgd = cfg.optimizer == "sgd" and cfg.accumulate == 1 and not cfg.grad_clip
        if self.config.engine == "compiled":  # (without numba, FastTextModule.compiled says so)
            if distributed.active():
                raise ConfigError("fasttext engine=compiled trains in one process; under "
                                  "torchrun it trains through autograd (engine=auto or torch)")
            if cfg.device.startswith("cuda") or not plain_sgd:
                raise ConfigError("fasttext engine=compiled trains on the CPU with plain SGD "
                                  "(optimizer=sgd, accumulate=1, no grad_clip); use "
                                  "engine=torch for a GPU or other optimizers")
        if cfg.device == "auto" and plain_sgd and sgd_kernel.available():
            if torch.cuda.is_available():
                log.info("fasttext trains on the CPU with its compiled step (faster than "
                         "autograd on the GPU for this model; engine=torch uses the GPU)")
            return cfg.replace(device="cpu")
        return cfg

    def _make_module(self) -> nn.Module:
        n = len(self.vocab_) + self.config.buckets
        return FastTextModule(n, self.config.dim, len(self.classes_), engine=self.config.engine,
                              threads=self.config.threads or torch.get_num_threads())

    def _after_fit(self, train: Ragged) -> None:
        # Rows no training tweet touched hold only their random start values: zero them
        # (unseen n-grams then add nothing) and keep only the used rows on disk.
        used = np.zeros(self.module_.embedding.weight.shape[0], dtype=bool)
        used[train.flat] = True
        with torch.no_grad():
            weight = self.module_.embedding.weight
            weight[torch.from_numpy(~used)] = 0.0
            if self.config.half:
                # Stored as float16 (half the size on disk); round now so the model in
                # memory predicts exactly what the saved one will.
                weight.copy_(weight.half().float())

    def _featurizer_files(self) -> dict[str, Any]:
        return {"vocab.json": self.vocab_.to_dict()}

    def export_module(self) -> nn.Module:
        """What ONNX export traces: :class:`CompactFastText`."""
        assert isinstance(self.module_, FastTextModule)
        return CompactFastText(self.module_).eval()

    def _restore_featurizer(self, files: dict[str, Any]) -> None:
        self.vocab_ = Vocabulary.from_dict(files["vocab.json"])
        self._cache = {}

    def _state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays, files = super()._state()
        weight = arrays.pop("module.embedding.weight")
        rows = np.flatnonzero(np.any(weight != 0, axis=1)).astype(np.int64)
        arrays["embedding_rows"] = rows
        arrays["embedding_values"] = weight[rows].astype(
            np.float16 if self.config.half else np.float32)
        return arrays, files

    @classmethod
    def _restore(cls, model: FastTextClassifier, arrays: dict[str, np.ndarray],  # type: ignore[override]
                 files: dict[str, Any]) -> None:
        n = len(files["vocab.json"]["tokens"]) + model.config.buckets
        weight = np.zeros((n, model.config.dim), dtype=np.float32)
        weight[arrays.pop("embedding_rows")] = arrays.pop("embedding_values").astype(np.float32)
        arrays["module.embedding.weight"] = weight
        super()._restore(model, arrays, files)

    def unknown_words(self, text: str) -> list[str]:
        return [t for t in dict.fromkeys(self.tokens(text)) if t not in self.vocab_]

    def extra_info(self) -> dict[str, Any]:
        used = int(np.any(self.module_.embedding.weight.detach().numpy() != 0, axis=1).sum())
        return {"vocabulary": len(self.vocab_), "feature rows used": used}
