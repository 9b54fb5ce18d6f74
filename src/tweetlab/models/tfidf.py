"""``tfidf``: word and character n-gram TF-IDF features with a logistic-regression head.

Saved without pickle: the two vocabularies go to ``vocab.json``; idf weights,
coefficients and intercepts to ``model.safetensors``.

>>> clf = TfidfClassifier().fit(["good film", "good day", "bad film", "bad day"],
...                             ["pos", "pos", "neg", "neg"])
>>> clf.predict(["good"])
['pos']
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

from ..config import CleaningConfig, ConfigBase, _check
from ..text import tokenize
from ..text.tokenize import tokenize_negated, without_negators
from ._compiled import load_kernels
from .base import TextClassifier, say_for_large

SOLVERS = ("newton-cg", "lbfgs", "saga")


@dataclass(frozen=True)
class TfidfConfig(ConfigBase):
    """Hyperparameters of the ``tfidf`` family."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] | None = (2, 5)
    max_word_features: int = 100_000
    max_char_features: int = 200_000
    min_df: int = 2
    sublinear_tf: bool = True
    C: float = 4.0
    max_iter: int = 1000
    # Newton-CG: a few Newton steps (6 on the entity data) instead of lbfgs's ~160; scores
    # within 0.002, training 1.5x faster on entity's 59k tweets, 1.4-1.8x on TASS and
    # TweetEval, 0.85x on disaster (benchmarks/bench_tfidf.py).
    solver: str = "newton-cg"
    class_weight: str | None = None
    # Words after a negator get "_NEG" ("not good" -> "not good_NEG") and count against
    # their own column: sentiment models tell "good" from "not good", also for words the
    # training tweets never showed negated (see _signed, tweetlab.text.mark_negation).
    negation: bool = False
    # How strongly a negated word counts against its columns: 1 cancels its char n-grams
    # (they are in the text too), 2 reverses them as fully as its word column.
    negation_weight: float = 1.0
    cleaning: CleaningConfig = field(default_factory=CleaningConfig)

    def __post_init__(self) -> None:
        _check(self.C > 0, "tfidf", "C", self.C, "must be > 0")
        _check(len(self.word_ngrams) == 2 and 1 <= self.word_ngrams[0] <= self.word_ngrams[1],
               "tfidf", "word_ngrams", self.word_ngrams, "need (low, high) with 1 <= low <= high")
        _check(self.solver in SOLVERS, "tfidf", "solver", self.solver,
               f"one of {', '.join(SOLVERS)}")
        _check(self.class_weight in (None, "balanced"), "tfidf", "class_weight",
               self.class_weight, "None or 'balanced'")
        _check(self.negation_weight >= 0, "tfidf", "negation_weight", self.negation_weight,
               "must be >= 0")


# scikit-learn is imported where a model is fitted, never to load or use one: its import
# alone took 1-2 s of the bundled model's start (load and predict use FittedNgrams).
def _word_vectorizer(cfg: TfidfConfig, vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer  # lazy: sklearn: slow to import

    return TfidfVectorizer(
        tokenizer=tokenize_negated if cfg.negation else tokenize, token_pattern=None,
        lowercase=False, ngram_range=cfg.word_ngrams,
        min_df=cfg.min_df, max_features=cfg.max_word_features, sublinear_tf=cfg.sublinear_tf,
        vocabulary=vocabulary, dtype=np.float32,
    )


def _char_vectorizer(cfg: TfidfConfig, vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer  # lazy: sklearn: slow to import

    assert cfg.char_ngrams is not None
    return TfidfVectorizer(
        analyzer="char_wb", lowercase=False, ngram_range=cfg.char_ngrams, min_df=cfg.min_df,
        max_features=cfg.max_char_features, sublinear_tf=cfg.sublinear_tf,
        vocabulary=vocabulary, dtype=np.float32,
    )


class FittedNgrams:
    """A fitted n-gram TF-IDF vectorizer's state - what transforming needs - without
    scikit-learn: the vocabulary, idf weights and analyzer settings, as restored from a
    model folder. :func:`ngram_counts` counts for it (and for a fitted scikit-learn one)."""

    lowercase = False
    strip_accents = None
    preprocessor = None
    max_df = 1.0

    def __init__(self, analyzer: str, ngram_range: tuple[int, int], vocabulary: dict[str, int],
                 idf: np.ndarray, sublinear_tf: bool, tokenizer: Any = None,
                 min_df: int = 1) -> None:
        self.analyzer = analyzer
        self.ngram_range = tuple(ngram_range)
        self.vocabulary_ = vocabulary
        self.vocabulary = vocabulary
        self.idf_ = idf
        self.sublinear_tf = sublinear_tf
        self.tokenizer = tokenizer
        self.min_df = min_df


def analyze(vec: Any, text: str) -> list[str]:
    """The n-grams scikit-learn's analyzer gives ``text`` (``word`` with a tokenizer, or
    ``char_wb``), in the same order; no lower-casing or accent stripping (never set here).

    >>> analyze(FittedNgrams("char_wb", (2, 3), {}, np.ones(0), True), "ab c")
    [' a', 'ab', 'b ', ' ab', 'ab ', ' c', 'c ', ' c ']
    """
    min_n, max_n = vec.ngram_range
    if vec.analyzer == "char_wb":  # as sklearn's _char_wb_ngrams
        grams = []
        for word in text.split():
            w = " " + word + " "
            for n in range(min_n, max_n + 1):
                offset = 0
                grams.append(w[offset:offset + n])
                while offset + n < len(w):
                    offset += 1
                    grams.append(w[offset:offset + n])
                if offset == 0:  # a word shorter than n: counted once
                    break
        return grams
    tokens = vec.tokenizer(text)
    if max_n == 1:
        return list(tokens)
    out = list(tokens) if min_n == 1 else []
    for n in range(max(min_n, 2), min(max_n + 1, len(tokens) + 1)):
        out.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return out


def ngram_counts(vec: Any, texts: list[str]) -> sp.csr_matrix:
    """``CountVectorizer.transform(vec, texts)`` for a fitted vectorizer, as float32 CSR
    with sorted indices: n-grams outside the vocabulary are dropped."""
    vocab = vec.vocabulary_
    indptr = [0]
    cols: list[int] = []
    for text in texts:
        for g in analyze(vec, text):
            j = vocab.get(g)
            if j is not None:
                cols.append(j)
        indptr.append(len(cols))
    out = sp.csr_matrix((np.ones(len(cols), dtype=np.float32), np.asarray(cols, dtype=np.int32),
                         np.asarray(indptr, dtype=np.int64)), shape=(len(texts), len(vocab)))
    out.sum_duplicates()  # sorts the indices too
    return out


COMPILED_MIN_TEXTS = 500  # fewer texts (served tweets): counted in Python, no numba
_CHUNK = 1024  # texts per call of the compiled counter (its buffers: ~30 MB for tweets)


def _kernels_for(vec: TfidfVectorizer) -> Any:
    """The compiled counter's module when it can stand in for ``vec``'s analyzer (plain
    ``char_wb``: no lower-casing, accent stripping or preprocessor); else None."""
    if vec.analyzer != "char_wb" or vec.lowercase or vec.strip_accents \
            or vec.preprocessor is not None:
        return None
    return load_kernels("_charwb_numba")


def _code_points(texts: list[str]) -> tuple[str, np.ndarray, np.ndarray]:
    """The texts joined, their code points (uint32) and where each text starts."""
    joined = "".join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in texts], out=starts[1:])
    return joined, codes, starts


def _spaces(codes: np.ndarray) -> np.ndarray:
    """Which code points are whitespace (``str.isspace``, what ``str.split`` splits on)."""
    spaces = [u for u in np.unique(codes).tolist() if chr(u).isspace()]
    return np.isin(codes, np.array(spaces, dtype=np.uint32))


def _vocabulary_hashes(vec: TfidfVectorizer, kernels: Any) -> tuple[Any, ...] | None:
    """The vocabulary's terms as a hash table of their 64-bit hashes and columns, and its
    size in bits (cached on ``vec``); None if two terms share a hash."""
    cached = vec.__dict__.get("_tweetlab_hashes")
    if cached is not None and cached[0] is vec.vocabulary_:
        return cached[1]
    terms = list(vec.vocabulary_)
    cols = np.fromiter(vec.vocabulary_.values(), dtype=np.int64, count=len(terms))
    _, codes, starts = _code_points(terms)
    keys = kernels.term_hashes(codes, starts)
    order = np.argsort(keys)
    keys, cols = keys[order], cols[order]
    result = None
    if not (len(keys) > 1 and bool(np.any(keys[1:] == keys[:-1]))):
        bits = max(int(2 * len(keys)).bit_length(), 4)  # at most half full
        result = (*kernels.hash_table(keys, cols, bits), bits)
    vec.__dict__["_tweetlab_hashes"] = (vec.vocabulary_, result)
    return result


def char_wb_counts(vec: TfidfVectorizer, texts: list[str]) -> sp.csr_matrix | None:
    """``CountVectorizer.transform`` for a fitted ``char_wb`` vectorizer, compiled: each
    word padded with spaces, its n-grams hashed and looked up in a hash table of the
    vocabulary's hashes (scikit-learn builds each n-gram string and looks it up in a dict:
    ~22 s for the 59k entity tweets). The same counts (tested), as float32 with int32
    column indices (8 bytes per entry: 1.3M tweets hold ~400M char n-gram entries); None
    when it cannot stand in (no numba, another analyzer)."""
    kernels = _kernels_for(vec)
    if kernels is None:
        return None
    vocab = _vocabulary_hashes(vec, kernels)
    if vocab is None:
        return None
    slot_keys, slot_cols, bits = vocab
    min_n, max_n = vec.ngram_range
    parts = []
    for c in range(0, len(texts), _CHUNK):
        chunk = texts[c:c + _CHUNK]
        _, codes, starts = _code_points(chunk)
        is_space = _spaces(codes)
        # each padded word of length L has at most L + 2 windows per n
        capacity = (max_n - min_n + 1) * (3 * len(codes) + 2) + 1
        indptr, indices, counts = kernels.count_chunk(
            codes, is_space, starts, slot_keys, slot_cols, bits, len(vec.vocabulary_), min_n,
            max_n, capacity)
        part = sp.csr_matrix((counts.astype(np.float32), indices.astype(np.int32), indptr),
                             shape=(len(chunk), len(vec.vocabulary_)))
        part.sort_indices()  # they come in order of first occurrence
        parts.append((part.data, part.indices, np.diff(part.indptr)))
    n_cols = len(vec.vocabulary_)
    if not parts:
        return sp.csr_matrix((0, n_cols), dtype=np.float32)
    # Stacked by hand: scipy's vstack would keep each part's index type and copy twice.
    lengths = np.concatenate([p[2] for p in parts])
    indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    if indptr[-1] < np.iinfo(np.int32).max:
        indptr = indptr.astype(np.int32)
    data = np.concatenate([p[0] for p in parts])
    indices = np.concatenate([p[1] for p in parts])
    del parts
    return sp.csr_matrix((data, indices, indptr), shape=(len(lengths), n_cols), copy=False)


def fit_char_wb(vec: TfidfVectorizer, texts: list[str]) -> bool:
    """``CountVectorizer.fit`` for a ``char_wb`` vectorizer, compiled: each distinct n-gram
    counted by hash in one pass, then scikit-learn's own selection (``min_df``, then the
    ``max_features`` most frequent, ties broken by the same ``argsort`` over the terms in
    alphabetical order), so the vocabulary is the same (tested). False (nothing set) when
    numba or the settings rule it out."""
    kernels = _kernels_for(vec)
    if kernels is None or vec.max_df != 1.0 or not isinstance(vec.min_df, int) \
            or vec.vocabulary is not None:
        return False
    joined, codes, starts = _code_points(texts)
    min_n, max_n = vec.ngram_range
    tf, df, where = kernels.count_distinct(codes, _spaces(codes), starts, min_n, max_n)
    keep = np.flatnonzero(df >= vec.min_df)
    terms = []
    for lo, length, offset, n in where[keep].tolist():
        word = " " + joined[lo:lo + length] + " "
        terms.append(word[offset:offset + n])
    order = sorted(range(len(terms)), key=terms.__getitem__)
    terms = [terms[i] for i in order]
    tfs = tf[keep][order]
    if not terms:
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    if vec.max_features is not None and len(terms) > vec.max_features:
        chosen = np.sort((-tfs).argsort()[:vec.max_features])  # scikit-learn's choice
        terms = [terms[i] for i in chosen.tolist()]
    vec.vocabulary_ = {t: i for i, t in enumerate(terms)}
    vec.fixed_vocabulary_ = False
    return True


def _tfidf(vec: TfidfVectorizer, texts: list[str]) -> sp.csr_matrix:
    """``vec.transform(texts)`` without scikit-learn's per-call validation (~1 ms); char
    n-grams of many texts counted by :func:`char_wb_counts`."""
    return _weight(vec, _counts(vec, texts, fit=False))


def _fit_tfidf(vec: TfidfVectorizer, texts: list[str]) -> sp.csr_matrix:
    """``vec.fit_transform(texts)`` with one pass of n-gram counting (fitting and then
    transforming counts every n-gram twice: 45 s instead of 23 s of char n-grams on the
    59k entity tweets). The idf is scikit-learn's smooth one, ``ln((1 + n) / (1 + df)) + 1``."""
    return _weight(vec, _counts(vec, texts, fit=True))


_WEIGHT_ROWS = 1 << 15  # rows weighted at a time (temporaries of a block, not of the matrix)


def _weight(vec: TfidfVectorizer, counts: sp.csr_matrix) -> sp.csr_matrix:
    """TfidfTransformer's steps on a count matrix: 1 + log(tf) when sublinear, times idf,
    rows scaled to unit L2 norm. ``counts`` is consumed: its values become the float32
    weights in place, block by block, so 1.3M tweets' ~400M char n-grams need no
    matrix-sized temporaries (the whole-matrix version peaked at 19 GB)."""
    counts.data = counts.data.astype(np.float32)
    data, indices, indptr, n = counts.data, counts.indices, counts.indptr, counts.shape[0]
    for r0 in range(0, n, _WEIGHT_ROWS):
        r1 = min(r0 + _WEIGHT_ROWS, n)
        a, b = int(indptr[r0]), int(indptr[r1])
        seg = data[a:b]  # a view: updated in place
        if vec.sublinear_tf:
            np.log(seg, seg)
            seg += 1.0
        seg *= vec.idf_[indices[a:b]]
        row_of = np.repeat(np.arange(r1 - r0), np.diff(indptr[r0:r1 + 1]))
        norms = np.sqrt(np.bincount(row_of, weights=seg * seg, minlength=r1 - r0))
        norms[norms == 0] = 1.0
        seg /= norms[row_of].astype(np.float32)
    return counts


def negated_words(texts: list[str]) -> list[str]:
    """Per text, its words inside a negation's scope, joined by spaces (what
    :func:`_signed` counts against their columns).

    >>> negated_words(["not bad at all , love it", "great"])
    ['bad at all', '']
    """
    return [" ".join(t[:-4] for t in tokenize_negated(text) if t.endswith("_NEG"))
            for text in texts]


def _counts(vec: TfidfVectorizer, texts: list[str], fit: bool) -> sp.csr_matrix:
    """Raw n-gram counts of ``texts`` (fitting ``vec``'s vocabulary and idf when ``fit``),
    the compiled char counter where it can stand in."""
    counts = None
    if fit:
        if len(texts) >= COMPILED_MIN_TEXTS and fit_char_wb(vec, texts):
            counts = char_wb_counts(vec, texts)
        if counts is None:
            from sklearn.feature_extraction.text import (
                CountVectorizer,  # lazy: sklearn: slow to import
            )

            counts = CountVectorizer.fit_transform(vec, texts)
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        vec.idf_ = (np.log((1.0 + counts.shape[0]) / (1.0 + df)) + 1.0).astype(np.float32)
        return counts
    if len(texts) >= COMPILED_MIN_TEXTS:
        counts = char_wb_counts(vec, texts)
    return counts if counts is not None else ngram_counts(vec, texts)


def _signed(vec: TfidfVectorizer, texts: list[str], negated: list[str], fit: bool,
            weight: float = 1.0) -> sp.csr_matrix:
    """TF-IDF where the n-grams of the words inside a negation's scope (``negated``, from
    :func:`negated_words`) also count *against* their columns ("not fantastic":
    -fantastic, and its char n-grams), so a negated word the training tweets never showed
    negated still reverses its polarity, as VADER's rule does; its ``w_NEG`` word token
    stays a feature of its own for what the data does teach. The negators themselves are
    left out: in tweets "not" mostly precedes praise, so alone it learns to mean
    "negative" and drags "not bad" down with it. Weighted like
    :func:`_weight` (sublinear tf, idf), the difference scaled to unit L2 norm per row."""
    if vec.analyzer == "char_wb":  # the negators' own n-grams left out, as the words' are
        texts = [without_negators(t) for t in texts]
    parts = []
    for m in (_counts(vec, texts, fit), _counts(vec, negated, fit=False)):
        m = sp.csr_matrix(m, dtype=np.float32)
        if vec.sublinear_tf:
            m.data = np.log(m.data) + 1.0
        parts.append(m @ sp.diags(vec.idf_.astype(np.float32)))
    signed = (parts[0] - weight * parts[1]).tocsr()
    signed.eliminate_zeros()
    norms = np.sqrt(np.asarray(signed.multiply(signed).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags((1.0 / norms).astype(np.float32)) @ signed, dtype=np.float32)


_STACK_ROWS = 1 << 15


def hstack_rows(parts: list[sp.csr_matrix]) -> sp.csr_matrix:
    """``sp.hstack(parts, format="csr")`` for float32 CSR matrices of the same rows, written
    into one preallocated matrix block by block, each part released (popped from
    ``parts``) once copied: scipy's hstack went through an intermediate that cost ~5 GB
    beside 1.3M tweets' ~2.7 GB of features.

    >>> a = sp.csr_matrix(np.array([[1, 0], [0, 2]], dtype=np.float32))
    >>> b = sp.csr_matrix(np.array([[0, 3, 0], [4, 0, 5]], dtype=np.float32))
    >>> hstack_rows([a, b]).toarray().tolist()
    [[1.0, 0.0, 0.0, 3.0, 0.0], [0.0, 2.0, 4.0, 0.0, 5.0]]
    """
    n = parts[0].shape[0]
    lengths = sum(np.diff(p.indptr) for p in parts)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    n_cols = sum(p.shape[1] for p in parts)
    index_type = np.int32 if max(indptr[-1], n_cols) < np.iinfo(np.int32).max else np.int64
    data = np.empty(int(indptr[-1]), dtype=np.float32)
    indices = np.empty(int(indptr[-1]), dtype=index_type)
    written = indptr[:-1].copy()  # next free slot of each row
    col0 = 0
    while parts:
        part = parts.pop(0)
        part.sort_indices()
        for r0 in range(0, n, _STACK_ROWS):
            r1 = min(n, r0 + _STACK_ROWS)
            a, b = int(part.indptr[r0]), int(part.indptr[r1])
            per_row = np.diff(part.indptr[r0:r1 + 1])
            pos = np.repeat(written[r0:r1] - part.indptr[r0:r1], per_row) + np.arange(a, b)
            data[pos] = part.data[a:b]
            indices[pos] = part.indices[a:b] + col0
            written[r0:r1] += per_row
        col0 += part.shape[1]
        del part
    out = sp.csr_matrix((data, indices, indptr.astype(index_type)), shape=(n, n_cols),
                        copy=False)
    out.has_sorted_indices = True
    return out


class NgramTfidf:
    """Word (and char) n-gram TF-IDF features: fitted vocabularies and idf weights.

    Shared by ``tfidf`` and by ``embed-lr`` with ``ngrams=true``. Saved without pickle:
    :meth:`state` gives the idf arrays and a JSON-ready vocabulary object.
    """

    def __init__(self, cfg: TfidfConfig) -> None:
        self.cfg = cfg
        self.word_vec_: TfidfVectorizer | None = None
        self.char_vec_: TfidfVectorizer | None = None

    def fit(self, texts: list[str]) -> NgramTfidf:
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: list[str]) -> sp.csr_matrix:
        """Fit the vocabularies and idf weights; return ``transform(texts)``."""
        cfg = self.cfg
        self.word_vec_ = _word_vectorizer(cfg)
        negated = negated_words(texts) if cfg.negation else None

        def features(vec: TfidfVectorizer) -> sp.csr_matrix:
            return _fit_tfidf(vec, texts) if negated is None else \
                _signed(vec, texts, negated, fit=True, weight=cfg.negation_weight)

        try:
            parts = [features(self.word_vec_)]
        except ValueError:
            # Tiny data: no n-gram reaches min_df; keep every n-gram instead of failing.
            cfg = cfg.replace(min_df=1)
            self.word_vec_ = _word_vectorizer(cfg)
            parts = [features(self.word_vec_)]
        self.char_vec_ = _char_vectorizer(cfg) if cfg.char_ngrams else None
        if self.char_vec_ is not None:
            parts.append(features(self.char_vec_))
        return hstack_rows(parts)

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        assert self.word_vec_ is not None, "fit first"
        vecs = [self.word_vec_] + ([self.char_vec_] if self.char_vec_ is not None else [])
        if not self.cfg.negation:
            return hstack_rows([_tfidf(v, texts) for v in vecs])
        negated = negated_words(texts)
        w = self.cfg.negation_weight
        return hstack_rows([_signed(v, texts, negated, fit=False, weight=w) for v in vecs])

    @property
    def words(self) -> dict[str, int]:
        assert self.word_vec_ is not None, "fit first"
        return self.word_vec_.vocabulary_

    def sizes(self) -> dict[str, int]:
        return {"word n-grams": len(self.words),
                "char n-grams": len(self.char_vec_.vocabulary_) if self.char_vec_ is not None else 0}

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """(``word_idf`` / ``char_idf`` arrays, the vocabulary object for ``vocab.json``)."""
        assert self.word_vec_ is not None, "fit first"
        arrays = {"word_idf": self.word_vec_.idf_.astype(np.float32)}
        vocab = {
            "format": "tweetlab.tfidf-vocab/1",
            "word": {t: int(i) for t, i in self.word_vec_.vocabulary_.items()},
            "char": ({t: int(i) for t, i in self.char_vec_.vocabulary_.items()}
                     if self.char_vec_ is not None else None),
        }
        if self.char_vec_ is not None:
            arrays["char_idf"] = self.char_vec_.idf_.astype(np.float32)
        return arrays, vocab

    @classmethod
    def restore(cls, cfg: TfidfConfig, arrays: dict[str, np.ndarray],
                vocab: dict[str, Any]) -> NgramTfidf:
        feats = cls(cfg)
        feats.word_vec_ = FittedNgrams(
            "word", cfg.word_ngrams, vocab["word"], arrays["word_idf"], cfg.sublinear_tf,
            tokenizer=tokenize_negated if cfg.negation else tokenize, min_df=cfg.min_df)
        if vocab.get("char") is not None:
            assert cfg.char_ngrams is not None
            feats.char_vec_ = FittedNgrams(
                "char_wb", cfg.char_ngrams, vocab["char"], arrays["char_idf"],
                cfg.sublinear_tf, min_df=cfg.min_df)
        return feats


class TfidfClassifier(TextClassifier):
    """TF-IDF over word n-grams (+ char n-grams) and multinomial logistic regression."""

    family = "tfidf"
    Config = TfidfConfig
    config: TfidfConfig
    LARGE = 300_000  # training tweets from which fit warns about time and memory

    def _fit(self, texts: list[str], y: np.ndarray, valid: Any, checkpoint_dir: Path | None,
             resume: bool) -> None:
        cfg = self.config
        if len(texts) >= self.LARGE:
            # bench_scale.py, 1.48M tweets: features 11.1 GB in ~3 minutes, then the solver
            # ran over 19 minutes (Newton-CG and saga alike) with nothing to show for it
            logging.getLogger("tweetlab").warning(
                "tfidf on %s tweets: its features need about %.0f GB and its solver may run "
                "for tens of minutes without a progress bar (1.3M tweets: over 19 minutes); "
                "fasttext trains a file this size in a few minutes (--model fasttext)",
                f"{len(texts):,}", 7.5 * len(texts) / 1e6)
        self.ngrams_ = NgramTfidf(cfg)
        say_for_large(len(texts), "TF-IDF features of")
        features = self.ngrams_.fit_transform(texts)
        weights = None
        if y.ndim == 2:  # soft labels (distill): (n, k) class probabilities per tweet
            features, y, weights = soft_rows(features, y, cfg.class_weight)
        from sklearn.linear_model import LogisticRegression  # lazy: sklearn: slow to import

        self.head_ = LogisticRegression(
            C=cfg.C, max_iter=cfg.max_iter,
            class_weight=cfg.class_weight if weights is None else None, solver=cfg.solver,
            random_state=self.train_config.seed,
        ).fit(features, y, sample_weight=weights)

    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        # LogisticRegression.predict_proba, computed directly: scikit-learn's input checks
        # cost ~1 ms a call, more than scoring a tweet.
        return linear_proba(self.ngrams_.transform(texts), self.head_.coef_, self.head_.intercept_)

    def unknown_words(self, text: str) -> list[str]:
        vocab = self.ngrams_.words
        return [t for t in dict.fromkeys(self.tokens(text)) if t not in vocab]

    # -------------------------------------------------------------- persistence
    def _state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays, vocab = self.ngrams_.state()
        arrays["coef"] = self.head_.coef_.astype(np.float32)
        arrays["intercept"] = self.head_.intercept_.astype(np.float32)
        return arrays, {"vocab.json": vocab}

    @classmethod
    def _restore(cls, model: TfidfClassifier, arrays: dict[str, np.ndarray],
                 files: dict[str, Any]) -> None:
        model.ngrams_ = NgramTfidf.restore(model.config, arrays, files["vocab.json"])
        model.head_ = LinearHead(arrays["coef"].astype(np.float64),
                                 arrays["intercept"].astype(np.float64))

    def extra_info(self) -> dict[str, Any]:
        return self.ngrams_.sizes()


class LinearHead:
    """A fitted logistic regression's weights, what predicting needs: ``coef_`` (k, d) -
    or (1, d) for two classes - and ``intercept_``."""

    def __init__(self, coef: np.ndarray, intercept: np.ndarray) -> None:
        self.coef_ = coef
        self.intercept_ = intercept


def soft_rows(x: sp.csr_matrix, targets: np.ndarray, class_weight: str | None = None
              ) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Soft labels as weighted hard ones: each row once per class it has probability for,
    weighted by that probability - the same cross-entropy, in a form logistic regression
    fits. ``class_weight="balanced"`` scales each class by n / (k x its probability mass).

    >>> x = sp.csr_matrix(np.eye(2, dtype=np.float32))
    >>> rows, y, w = soft_rows(x, np.array([[0.75, 0.25], [0.0, 1.0]]))
    >>> rows.shape, y.tolist(), w.tolist()
    ((3, 2), [0, 1, 1], [0.75, 0.25, 1.0])
    """
    n, k = targets.shape
    row, cls = np.nonzero(targets > 1e-4)  # ordered by row, then class
    weights = targets[row, cls].astype(np.float64)
    if class_weight == "balanced":
        mass = targets.sum(axis=0)
        weights *= (n / (k * np.maximum(mass, 1e-9)))[cls]
    return x[row], cls.astype(np.int64), weights


def linear_proba(x: Any, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """Class probabilities of a fitted logistic regression: ``coef`` (k, d), or (1, d)
    for two classes (scikit-learn keeps one column: the second class's logit)."""
    z = np.asarray(x @ coef.T, dtype=np.float64) + intercept
    if z.shape[1] == 1:
        p = 1.0 / (1.0 + np.exp(-z[:, 0]))
        return np.stack([1.0 - p, p], axis=1).astype(np.float32)
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
