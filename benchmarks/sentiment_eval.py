"""Scoring helpers for the sentiment benchmarks: every model, VADER and the scikit-learn
baseline are scored by the same functions on the same held-out parts.

* 3-class sets (TweetEval validation, SemEval, airline, entity, SentiRuEval): accuracy,
  macro-F1 and macro-averaged recall (TweetEval's official measure); SentiRuEval's own
  measure, macro-F1 over positive and negative only, too.
* Sentiment140 (positive vs negative): a 3-class model says positive when
  P(positive) >= P(negative); VADER when its compound score is >= 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, recall_score

LABELS = ["negative", "neutral", "positive"]


def scores(gold: Sequence[str], pred: Sequence[str]) -> dict[str, float]:
    """Accuracy, macro-F1, macro recall and F1 over positive and negative (F1_PN)."""
    present = [lab for lab in LABELS if lab in set(gold)]
    return {
        "n": len(gold),
        "accuracy": float(accuracy_score(gold, pred)),
        "macro_f1": float(f1_score(gold, pred, labels=present, average="macro", zero_division=0)),
        "macro_recall": float(recall_score(gold, pred, labels=present, average="macro",
                                           zero_division=0)),
        "f1_pn": float(f1_score(gold, pred, labels=["negative", "positive"], average="macro",
                                zero_division=0)),
    }


def binary(gold: Sequence[str], proba: np.ndarray, classes: Sequence[str]) -> float:
    """Positive-vs-negative accuracy of a model's probabilities (neutral ignored)."""
    pos, neg = list(classes).index("positive"), list(classes).index("negative")
    pred = np.where(proba[:, pos] >= proba[:, neg], "positive", "negative")
    return float(np.mean(pred == np.asarray(gold)))


class Vader:
    """VADER (Hutto and Gilbert 2014) with its usual thresholds: compound >= 0.05
    positive, <= -0.05 negative, else neutral."""

    name = "VADER"

    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self.sia = SentimentIntensityAnalyzer()

    def compound(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([self.sia.polarity_scores(t)["compound"] for t in texts])

    def predict(self, texts: Sequence[str]) -> list[str]:
        c = self.compound(texts)
        return ["positive" if x >= 0.05 else "negative" if x <= -0.05 else "neutral" for x in c]

    def binary(self, gold: Sequence[str], texts: Sequence[str]) -> float:
        pred = np.where(self.compound(texts) >= 0, "positive", "negative")
        return float(np.mean(pred == np.asarray(gold)))


class SklearnBaseline:
    """TF-IDF (word 1-2-grams + char 2-5-grams, sublinear) + logistic regression in
    scikit-learn: the baseline anyone would write first, trained on the same data."""

    name = "sklearn TF-IDF + LR"

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> SklearnBaseline:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, make_pipeline

        features = FeatureUnion([
            ("word", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                     max_features=200_000)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3,
                                     sublinear_tf=True, max_features=300_000)),
        ])
        self.pipe = make_pipeline(features, LogisticRegression(C=2.0, max_iter=2000))
        self.pipe.fit(list(texts), list(labels))
        self.classes_ = list(self.pipe.classes_)
        return self

    def predict(self, texts: Sequence[str]) -> list[str]:
        return list(self.pipe.predict(list(texts)))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.pipe.predict_proba(list(texts))
