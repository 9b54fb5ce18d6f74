"""The contract every classifier family follows (scikit-learn style).

:class:`Classifier` holds what every family shares - labels, probabilities, the neutral
band, saving; :class:`TextClassifier` adds cleaning and fitting on tweets, and the
image family (``image-cnn``) fits on pixel arrays.

``__init__`` only stores settings; ``fit`` learns and returns ``self``; learned state ends
in ``_`` (``classes_``); ``predict_proba`` returns an (n, k) array whose columns follow
``classes_``; everything takes a list of texts and returns one result per text.

>>> from tweetlab.models import create
>>> clf = create("tfidf").fit(["good", "great", "bad", "awful"], ["pos", "pos", "neg", "neg"])
>>> clf.classes_
['neg', 'pos']
>>> clf.predict_proba(["good"]).shape
(1, 2)
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from ..config import ConfigBase, TrainConfig
from ..errors import ConfigError, DataError, NotFittedError
from ..text import normalize_many, tokenize
from ..text.scripts import script_profile
from .io import save_model

NEUTRAL = "neutral"


def with_entity(texts: Sequence[str], entities: Sequence[Any]) -> list[str]:
    """Tweets prefixed with the entity they are about: ``"[Nvidia] new drivers are great"``.

    Models trained on a dataset with an ``entity`` column see their input this way
    (``entity_input`` in config.json); pass each tweet's entity the same way to predict.

    >>> with_entity(["so good"], ["Borderlands"])
    ['[Borderlands] so good']
    """
    return [f"[{e}] {t}" if e not in (None, "") else t
            for t, e in zip(texts, entities, strict=True)]


log = logging.getLogger("tweetlab")

LARGE_INPUT = 200_000  # from this many tweets, fit says what it does before training


def say_for_large(n: int, what: str) -> None:
    """Log ``what`` (INFO) before a step of fit that takes tens of seconds on ``n`` tweets,
    so that a large file's minute before the first progress bar is not silent."""
    if n >= LARGE_INPUT:
        log.info("%s %s tweets...", what, f"{n:,}")


def label_confidence(classes: Sequence[str], label: str, p: Sequence[float]) -> float:
    """How sure a prediction is: the probability of ``label``; for ``neutral`` from a
    neutral band (not a class of the model) ``1 - 2 |p_positive - 0.5|``.

    >>> label_confidence(["neg", "pos"], "pos", [0.2, 0.8])
    0.8
    >>> round(label_confidence(["neg", "pos"], "neutral", [0.45, 0.55]), 2)
    0.9
    """
    if label in classes:
        return float(p[list(classes).index(label)])
    return float(1.0 - abs(float(p[1]) - 0.5) * 2)


def with_temperature(proba: np.ndarray, temperature: float) -> np.ndarray:
    """``proba`` with its log-probabilities divided by ``temperature`` and renormalised: the
    most probable class stays the same; T > 1 softens the probabilities, T < 1 sharpens.

    >>> with_temperature(np.array([[0.2, 0.8]]), 2.0).round(3).tolist()
    [[0.333, 0.667]]
    """
    if temperature == 1.0:
        return proba
    logp = np.log(np.maximum(np.asarray(proba, dtype=np.float64), 1e-12)) / temperature
    logp -= logp.max(axis=1, keepdims=True)
    e = np.exp(logp)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.asarray(proba).dtype, copy=False)


def check_neutral_band(band: Sequence[float] | None) -> tuple[float, float] | None:
    """Validate a (low, high) probability band; ``None`` means no band."""
    if band is None:
        return None
    if len(band) != 2:
        raise ConfigError(f"neutral band needs two numbers (low high), got {list(band)}")
    lo, hi = float(band[0]), float(band[1])
    if not 0.0 <= lo <= hi <= 1.0:
        raise ConfigError(f"neutral band {lo} {hi}: need 0 <= low <= high <= 1")
    return lo, hi


class Classifier(ABC):
    """Base class of every classifier family: text or image."""

    family: ClassVar[str]
    Config: ClassVar[type[ConfigBase]]
    #: What ``config.json`` records as the task (and what kind of input ``fit`` takes).
    task: ClassVar[str] = "text-classification"
    #: Training-loop defaults of this family (torch families), overridable by TrainConfig.
    train_defaults: ClassVar[dict[str, Any]] = {}
    #: Trains data-parallel under torchrun (families trained by ``train_module``).
    data_parallel: ClassVar[bool] = False

    #: Set by training: seconds ``fit`` took, and what ``train`` measured (metrics.json).
    fit_seconds_: float
    metrics_: dict[str, Any]

    def __init__(
        self,
        config: ConfigBase | None = None,
        *,
        train_config: TrainConfig | None = None,
        neutral_band: Sequence[float] | None = None,
        **params: Any,
    ) -> None:
        base = config if config is not None else self.Config()
        self.config = base.replace(**params) if params else base
        self.train_config = train_config or TrainConfig(**self.train_defaults)
        self.neutral_band = check_neutral_band(neutral_band)
        self.entity_input = False  # trained on "[entity] text" (see with_entity)
        self.folder_: Path | None = None  # the model folder it was loaded from, if any
        # Text families: each script's share of the training letters (text.scripts); {}
        # for a model saved before it was recorded.
        self.scripts_: dict[str, float] = {}
        # Text families: probabilities are softened (> 1) or sharpened (< 1) by this, fitted
        # on the validation split by training (``calibrate``); 1: as the network gives them.
        self.temperature = 1.0

    def __repr__(self) -> str:
        state = f"{len(self.classes_)} classes" if self.is_fitted else "unfitted"
        return f"{type(self).__name__}({state}, {self.config})"

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "classes_")

    def _learn_classes(self, labels: Sequence[Any], n_inputs: int,
                       valid_labels: Sequence[Any] | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """Set ``classes_`` from ``labels``; return integer targets for train (and valid)."""
        labels = [str(x) for x in labels]
        if n_inputs != len(labels):
            raise DataError(f"{n_inputs} inputs but {len(labels)} labels")
        classes = sorted(set(labels))
        if len(classes) < 2:
            raise DataError(
                f"a classifier needs at least two classes; the labels hold only {classes}",
                field="label",
            )
        self.classes_ = classes
        index = {c: i for i, c in enumerate(classes)}
        y = np.array([index[x] for x in labels], dtype=np.int64)
        if valid_labels is None:
            return y, None
        unknown = sorted(set(map(str, valid_labels)) - set(classes))
        if unknown:
            raise DataError(f"validation labels {unknown} do not occur in training data",
                            field="label")
        return y, np.array([index[str(x)] for x in valid_labels], dtype=np.int64)

    @abstractmethod
    def fit(self, inputs: Any, labels: Sequence[Any], *,
            valid: tuple[Any, Sequence[Any]] | None = None,
            checkpoint_dir: str | Path | None = None, resume: bool = False) -> Self:
        """Learn from ``inputs`` (texts, or pixel rows) and their ``labels``."""

    def unknown_words(self, text: str) -> list[str]:
        """Words of ``text`` the model never saw in training (they carry no signal)."""
        return []

    @abstractmethod
    def predict_proba(self, inputs: Any) -> np.ndarray:
        """Class probabilities, shape (n, len(classes_)), rows summing to 1."""

    def predict(self, inputs: Any, neutral_band: Sequence[float] | None = None) -> list[str]:
        """One label per input.

        For a binary model, a neutral band ``(low, high)`` (given here or stored on the
        model) maps P(second class) below ``low`` to the first class, above ``high`` to
        the second and in between to ``"neutral"``.
        """
        proba = self.predict_proba(inputs)
        return self.labels_from_proba(proba, neutral_band)

    def labels_from_proba(self, proba: np.ndarray,
                          neutral_band: Sequence[float] | None = None) -> list[str]:
        band = check_neutral_band(neutral_band) or self.neutral_band
        if band is not None:
            if len(self.classes_) != 2:
                raise ConfigError(
                    f"a neutral band needs a binary model; this one has classes {self.classes_}")
            lo, hi = band
            p = proba[:, 1]
            neg, pos = self.classes_
            return [neg if x < lo else pos if x > hi else NEUTRAL for x in p.tolist()]
        return [self.classes_[i] for i in proba.argmax(axis=1).tolist()]

    @property
    def output_labels(self) -> list[str]:
        """Labels ``predict`` can return (with ``neutral`` when a band is set)."""
        self._check_fitted()
        if self.neutral_band is not None and NEUTRAL not in self.classes_:
            return [self.classes_[0], NEUTRAL, self.classes_[1]]
        return list(self.classes_)

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(f"this {self.family} model is not fitted; call fit() first")

    # -------------------------------------------------------------- persistence
    def save(self, directory: str | Path, *, force: bool = False,
             metrics: dict[str, Any] | None = None) -> Path:
        """Write the model directory (atomically; refuses to overwrite unless ``force``)."""

        return save_model(self, directory, force=force, metrics=metrics)

    @abstractmethod
    def _state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """(arrays for model.safetensors, {file name: JSON object}) of the fitted model."""

    @classmethod
    @abstractmethod
    def _restore(cls, model: Self, arrays: dict[str, np.ndarray],
                 files: dict[str, Any]) -> None:
        """Set the learned state of ``model`` (config and classes_ already set)."""

    def extra_info(self) -> dict[str, Any]:
        """Family facts for ``tweetlab info`` (vocabulary size, parameters...)."""
        return {}


def text_list(texts: Any, what: str = "texts") -> list[str]:
    """``texts`` as a list, checked to hold strings: list in, list out, and a lone string
    (which would be read as a list of characters) is a clear error."""
    if isinstance(texts, str | bytes):
        raise TypeError(f"{what} must be a list of strings, not one string; wrap it in a "
                        "list: [text]")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise TypeError(f"{what}[{i}] is {type(t).__name__}, not a string")
    return out


class TextClassifier(Classifier):
    """Base class of every text-classifier family."""

    # True where ``_predict_proba(cleaned, tokens=...)`` accepts the texts' tokens.
    takes_tokens = False

    @property
    def multilingual(self) -> bool:
        """True when the model reads languages beyond those of its training tweets (a
        multilingual pretrained encoder); then its tweets' scripts are not checked."""
        return False

    # ----------------------------------------------------------------- learning
    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "classes_")

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        valid: tuple[Sequence[str], Sequence[str]] | None = None,
        checkpoint_dir: str | Path | None = None,
        resume: bool = False,
    ) -> Self:
        """Learn from ``texts`` and their ``labels``; returns ``self``.

        ``valid`` is a held-out (texts, labels) pair used by the torch families for early
        stopping; ``checkpoint_dir`` makes training resumable after a kill.
        """
        texts = text_list(texts)
        y, y_valid = self._learn_classes(labels, len(texts),
                                         list(valid[1]) if valid is not None else None)

        self.scripts_ = script_profile(texts)  # the writing systems it learns (config.json)
        start = time.perf_counter()
        say_for_large(len(texts), "cleaning")
        self._fit(
            self.clean(texts), y,
            (self.clean(list(valid[0])), y_valid) if valid is not None and y_valid is not None
            else None,
            Path(checkpoint_dir) if checkpoint_dir is not None else None,
            resume,
        )
        self.fit_seconds_ = time.perf_counter() - start
        return self

    @abstractmethod
    def _fit(self, texts: list[str], y: np.ndarray,
             valid: tuple[list[str], np.ndarray] | None,
             checkpoint_dir: Path | None, resume: bool) -> None:
        """Family-specific learning on cleaned texts and integer labels."""

    # --------------------------------------------------------------- prediction
    def clean(self, texts: Sequence[str]) -> list[str]:
        cleaning = getattr(self.config, "cleaning", None)
        return normalize_many(texts, cleaning) if cleaning is not None else list(texts)

    def tokens(self, text: str) -> list[str]:
        """The tokens this model sees for ``text`` (after cleaning)."""
        return tokenize(self.clean([text])[0])

    PREDICT_CHUNK = 50_000  # predict_proba scores larger inputs this many at a time

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, shape (n, len(classes_)), rows summing to 1."""
        self._check_fitted()
        texts = text_list(texts)
        if not texts:
            return np.zeros((0, len(self.classes_)), dtype=np.float32)
        parts = list(self._chunks(texts))
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def predict_proba_chunks(self, texts: Sequence[str]) -> Iterator[np.ndarray]:
        """:meth:`predict_proba` of ``PREDICT_CHUNK`` texts at a time: features of a
        million tweets at once (tfidf: ~2 GB) are never needed to score them."""
        self._check_fitted()
        return self._chunks(text_list(texts))

    def _chunks(self, texts: list[str]) -> Iterator[np.ndarray]:
        for i in range(0, len(texts), self.PREDICT_CHUNK):
            proba = self._predict_proba(self.clean(texts[i:i + self.PREDICT_CHUNK]))
            yield with_temperature(proba, self.temperature)

    @abstractmethod
    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        """Probabilities for already-cleaned texts."""

