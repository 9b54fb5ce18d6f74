"""``tfidf``: word and character n-gram TF-IDF features with a logistic-regression head.

Saved without pickle: the two vocabularies go to ``vocab.json``; idf weights,
coefficients and intercepts to ``model.safetensors``.

>>> clf = TfidfClassifier().fit(["good film", "good day", "bad film", "bad day"],
...                             ["pos", "pos", "neg", "neg"])
>>> clf.predict(["good"])
['pos']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from ..config import CleaningConfig, ConfigBase, _check
from ..text import tokenize
from .base import TextClassifier

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
    cleaning: CleaningConfig = field(default_factory=CleaningConfig)

    def __post_init__(self) -> None:
        _check(self.C > 0, "tfidf", "C", self.C, "must be > 0")
        _check(len(self.word_ngrams) == 2 and 1 <= self.word_ngrams[0] <= self.word_ngrams[1],
               "tfidf", "word_ngrams", self.word_ngrams, "need (low, high) with 1 <= low <= high")
        _check(self.solver in SOLVERS, "tfidf", "solver", self.solver,
               f"one of {', '.join(SOLVERS)}")
        _check(self.class_weight in (None, "balanced"), "tfidf", "class_weight",
               self.class_weight, "None or 'balanced'")


def _word_vectorizer(cfg: TfidfConfig, vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(
        tokenizer=tokenize, token_pattern=None, lowercase=False, ngram_range=cfg.word_ngrams,
        min_df=cfg.min_df, max_features=cfg.max_word_features, sublinear_tf=cfg.sublinear_tf,
        vocabulary=vocabulary, dtype=np.float32,
    )


def _char_vectorizer(cfg: TfidfConfig, vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    assert cfg.char_ngrams is not None
    return TfidfVectorizer(
        analyzer="char_wb", lowercase=False, ngram_range=cfg.char_ngrams, min_df=cfg.min_df,
        max_features=cfg.max_char_features, sublinear_tf=cfg.sublinear_tf,
        vocabulary=vocabulary, dtype=np.float32,
    )


def _tfidf(vec: TfidfVectorizer, texts: list[str]) -> sp.csr_matrix:
    """``vec.transform(texts)`` without scikit-learn's per-call validation (~1 ms)."""
    return _weight(vec, CountVectorizer.transform(vec, texts))


def _fit_tfidf(vec: TfidfVectorizer, texts: list[str]) -> sp.csr_matrix:
    """``vec.fit_transform(texts)`` with one pass of n-gram counting (fitting and then
    transforming counts every n-gram twice: 45 s instead of 23 s of char n-grams on the
    59k entity tweets). The idf is scikit-learn's smooth one, ``ln((1 + n) / (1 + df)) + 1``."""
    counts = CountVectorizer.fit_transform(vec, texts)
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    vec.idf_ = (np.log((1.0 + counts.shape[0]) / (1.0 + df)) + 1.0).astype(np.float32)
    return _weight(vec, counts)


def _weight(vec: TfidfVectorizer, counts: sp.csr_matrix) -> sp.csr_matrix:
    """TfidfTransformer's steps on a count matrix: 1 + log(tf) when sublinear, times idf,
    rows scaled to unit L2 norm."""
    X = counts.astype(np.float32)
    if vec.sublinear_tf:
        np.log(X.data, X.data)
        X.data += 1.0
    X.data *= vec.idf_[X.indices]
    per_row = np.diff(X.indptr)
    row_of = np.repeat(np.arange(X.shape[0]), per_row)
    norms = np.sqrt(np.bincount(row_of, weights=X.data * X.data, minlength=X.shape[0]))
    norms[norms == 0] = 1.0
    X.data /= norms[row_of].astype(np.float32)
    return X


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
        try:
            parts = [_fit_tfidf(self.word_vec_, texts)]
        except ValueError:
            # Tiny data: no n-gram reaches min_df; keep every n-gram instead of failing.
            cfg = cfg.replace(min_df=1)
            self.word_vec_ = _word_vectorizer(cfg)
            parts = [_fit_tfidf(self.word_vec_, texts)]
        self.char_vec_ = _char_vectorizer(cfg) if cfg.char_ngrams else None
        if self.char_vec_ is not None:
            parts.append(_fit_tfidf(self.char_vec_, texts))
        return sp.hstack(parts, format="csr")

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        assert self.word_vec_ is not None, "fit first"
        parts = [_tfidf(self.word_vec_, texts)]
        if self.char_vec_ is not None:
            parts.append(_tfidf(self.char_vec_, texts))
        return sp.hstack(parts, format="csr")

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
        feats.word_vec_ = _word_vectorizer(cfg, vocab["word"])
        feats.word_vec_.idf_ = arrays["word_idf"]
        if vocab.get("char") is not None:
            feats.char_vec_ = _char_vectorizer(cfg, vocab["char"])
            feats.char_vec_.idf_ = arrays["char_idf"]
        return feats


class TfidfClassifier(TextClassifier):
    """TF-IDF over word n-grams (+ char n-grams) and multinomial logistic regression."""

    family = "tfidf"
    Config = TfidfConfig
    config: TfidfConfig

    def _fit(self, texts: list[str], y: np.ndarray, valid: Any, checkpoint_dir: Path | None,
             resume: bool) -> None:
        cfg = self.config
        self.ngrams_ = NgramTfidf(cfg)
        features = self.ngrams_.fit_transform(texts)
        self.head_ = LogisticRegression(
            C=cfg.C, max_iter=cfg.max_iter, class_weight=cfg.class_weight, solver=cfg.solver,
            random_state=self.train_config.seed,
        ).fit(features, y)

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
    def _restore(cls, model: TfidfClassifier, arrays: dict[str, np.ndarray],  # type: ignore[override]
                 files: dict[str, Any]) -> None:
        model.ngrams_ = NgramTfidf.restore(model.config, arrays, files["vocab.json"])
        head = LogisticRegression()
        head.classes_ = np.arange(len(model.classes_))
        head.coef_ = arrays["coef"].astype(np.float64)
        head.intercept_ = arrays["intercept"].astype(np.float64)
        head.n_features_in_ = head.coef_.shape[1]
        model.head_ = head

    def extra_info(self) -> dict[str, Any]:
        return self.ngrams_.sizes()


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
