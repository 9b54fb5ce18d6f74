"""``distill``: a fast student trained on a teacher model's soft labels.

The teacher (any saved classifier, typically a fine-tuned ``transformer``) labels the
training tweets and, if given, extra unlabelled tweets with class probabilities; a fast
student family (``fasttext``, ``bow-mlp`` or ``tfidf``) learns to reproduce them. Labelled tweets
get ``alpha`` x their gold label + (1 - ``alpha``) x the teacher's probabilities. The
result saves as an ordinary student model folder (loaded as that family), recording
what it was distilled from, so predictions run at the fast family's speed.

Without extra tweets of the same topic, ``augment=N`` makes N perturbed copies of each
labelled tweet (:func:`augment_texts`: words dropped, replaced by other words of the
training tweets, or the tweet cut to a span of its words, as in Tang et al. 2019,
"Distilling task-specific knowledge from BERT into simple neural networks"), labelled by
the teacher alone: the student sees how the teacher's answer moves as the words change.

    tweetlab train disaster.csv --model distill --set teacher=models/disaster-transformer \\
        --set unlabelled=more_tweets.csv --out models/disaster-fast
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..config import ConfigBase, _check
from ..data import load_dataset
from ..errors import ConfigError, DataError
from .base import TextClassifier
from .fasttext import FastTextClassifier
from .io import load_model
from .registry import create


@dataclass(frozen=True)
class DistillConfig(ConfigBase):
    """Settings of ``distill``: the teacher folder, the student family, extra tweets."""

    teacher: str = ""
    student: str = "fasttext"
    unlabelled: str | None = None
    alpha: float = 0.3
    max_unlabelled: int = 200_000
    augment: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        _check(self.student in {"fasttext", "bow-mlp", "tfidf"}, "distill", "student",
               self.student, "fasttext, bow-mlp or tfidf")
        _check(0.0 <= self.alpha <= 1.0, "distill", "alpha", self.alpha, "in [0, 1]")
        _check(0 <= self.augment <= 100, "distill", "augment", self.augment,
               "copies per labelled tweet, 0 to 100")


def augment_texts(texts: list[str], copies: int, *, seed: int = 0, p_drop: float = 0.1,
                  p_swap: float = 0.1, p_span: float = 0.25) -> list[str]:
    """``copies`` perturbed versions of each text (text by text), deterministic per ``seed``.

    Words are split on spaces. In each copy every word is dropped with probability
    ``p_drop`` or replaced, with probability ``p_swap``, by a word drawn from all the
    texts' words (by frequency); then, with probability ``p_span``, only a random span of
    at least half of the words is kept. A copy that comes out empty or equal to its text
    gets one word dropped or, for a one-word text, stays as it is.

    >>> augment_texts(["fire in the forest near town"], 2, seed=1)
    ['fire in in forest near town', 'fire the forest near town']
    """
    rng = np.random.default_rng(seed)
    words = [t.split() for t in texts]
    pool = [w for ws in words for w in ws] or [""]
    out: list[str] = []
    for ws in words:
        n = len(ws)
        for _ in range(copies):
            if n == 0:
                out.append("")
                continue
            r = rng.random(n)
            new = [pool[rng.integers(len(pool))] if p_drop <= x < p_drop + p_swap else w
                   for w, x in zip(ws, r, strict=True) if x >= p_drop]
            if len(new) > 1 and rng.random() < p_span:
                size = int(rng.integers((len(new) + 1) // 2, len(new) + 1))
                first = int(rng.integers(0, len(new) - size + 1))
                new = new[first:first + size]
            if (not new or new == ws) and n > 1:
                new = list(ws)
                del new[int(rng.integers(n))]
            out.append(" ".join(new) if new else " ".join(ws))
    return out


class DistillClassifier(TextClassifier):
    """Trains a fast student on soft labels; predicts (and saves) as that student."""

    family = "distill"
    Config = DistillConfig
    config: DistillConfig

    # The default student's loop settings (fasttext); --set overrides them for bow-mlp.
    # They are fasttext's except the rate: fasttext picks it from the
    # number of tweets, but extra tweets labelled by a teacher (other topics, soft labels)
    # do not call for the smaller rate that many labelled tweets do. Disaster, 20k extra
    # tweets: lr 10 -> F1 0.743; the size rule's 4.85 -> 0.718.
    train_defaults = {**FastTextClassifier.train_defaults, "lr": 10.0}

    def fit(self, texts: Any, labels: Any, *, valid: Any = None, checkpoint_dir: Any = None,
            resume: bool = False) -> DistillClassifier:
        """Label ``texts`` (and the unlabelled file) with the teacher, then fit the student."""

        if not self.config.teacher:
            raise ConfigError("distill needs a teacher model folder: --set teacher=DIR")
        teacher = load_model(self.config.teacher)
        texts, labels = list(texts), [str(x) for x in labels]
        unknown = sorted(set(labels) - set(teacher.classes_))
        if unknown:
            raise DataError(f"labels {unknown} are not among the teacher's classes "
                            f"{teacher.classes_}", field="label")
        extra: list[str] = []
        if self.config.unlabelled:
            extra = load_dataset(self.config.unlabelled, require_labels=False,
                                 skip_bad_rows=True).texts[: self.config.max_unlabelled]
        if self.config.augment:
            extra += augment_texts(texts, self.config.augment, seed=self.config.seed)
        soft = teacher.predict_proba(texts + extra)  # (n + m, k)
        gold = np.zeros((len(texts), len(teacher.classes_)), dtype=np.float32)
        gold[np.arange(len(texts)), [teacher.classes_.index(x) for x in labels]] = 1.0
        targets = soft.astype(np.float32)
        targets[: len(texts)] = self.config.alpha * gold + (1 - self.config.alpha) * soft[: len(texts)]
        student: Any = create(self.config.student, train_config=self.train_config,
                              neutral_band=self.neutral_band)
        student.classes_ = list(teacher.classes_)
        v = None
        if valid is not None:
            index = {c: i for i, c in enumerate(student.classes_)}
            v = (student.clean(list(valid[0])), np.array([index[str(x)] for x in valid[1]]))

        start = time.perf_counter()
        student._fit(student.clean(texts + extra), targets, v,
                     Path(checkpoint_dir) if checkpoint_dir else None, resume)
        student.fit_seconds_ = time.perf_counter() - start
        self.fit_seconds_ = student.fit_seconds_
        self.student_ = student
        self.classes_ = list(teacher.classes_)
        self.history_ = getattr(student, "history_", [])
        self.teacher_info_ = {"teacher": str(self.config.teacher),
                              "teacher_family": teacher.family,
                              "unlabelled": len(extra) - self.config.augment * len(texts),
                              "augmented": self.config.augment * len(texts),
                              "alpha": self.config.alpha}
        return self

    def _fit(self, *args: Any) -> None:  # fit() is overridden; nothing family-specific here
        raise NotImplementedError

    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        return self.student_._predict_proba(texts)

    def clean(self, texts: Any) -> list[str]:
        return self.student_.clean(texts) if hasattr(self, "student_") else list(texts)

    def unknown_words(self, text: str) -> list[str]:
        return self.student_.unknown_words(text)

    def save(self, directory: str | Path, *, force: bool = False,
             metrics: dict[str, Any] | None = None) -> Path:
        """Saved as the student family (it loads as that family), noting the teacher."""
        self._check_fitted()
        return self.student_.save(directory, force=force,
                                  metrics={**(metrics or {}), "distilled": self.teacher_info_})

    def _state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return self.student_._state()

    @classmethod
    def _restore(cls, model: Any, arrays: Any, files: Any) -> None:
        raise NotImplementedError("a distilled model loads as its student family")

    def extra_info(self) -> dict[str, Any]:
        return {**self.student_.extra_info(), **self.teacher_info_}
