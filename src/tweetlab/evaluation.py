"""Metrics: accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix.

>>> r = classification_report(["a", "b", "b"], ["a", "b", "a"])
>>> round(r.accuracy, 3), r.confusion
(0.667, [[1, 0], [1, 1]])
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from .data import Dataset
from .models.base import (
    NEUTRAL,
    check_neutral_band,
    label_confidence,
    with_entity,
    with_temperature,
)


@dataclass
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class EvaluationReport:
    """Scores of predictions against gold labels; ``labels`` orders the matrix rows."""

    labels: list[str]
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassScores]
    confusion: list[list[int]]  # rows: gold label, columns: predicted label
    n: int
    predict_seconds: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Per tweet, in the order scored (from evaluate_model; not in to_dict): the predicted
    # label and its probability - what :func:`mistakes` ranks.
    predicted: list[str] = field(default_factory=list, repr=False)
    confidence: list[float] = field(default_factory=list, repr=False)
    proba: Any = field(default=None, repr=False)  # (n, k) class probabilities
    # Filled by :func:`tweetlab.evaluate` (not in to_dict): the calibration, what neutral
    # bands would do (binary models), the wrong predictions, and the files written.
    calibration: Any = field(default=None, repr=False)
    bands: Any = field(default=None, repr=False)
    mistakes: list[Any] = field(default_factory=list, repr=False)
    files: list[Any] = field(default_factory=list, repr=False)
    unit: str = field(default="tweets", repr=False)  # what was scored: tweets or images

    def __repr__(self) -> str:
        return (f"EvaluationReport(n={self.n}, accuracy={self.accuracy:.4f}, "
                f"macro_f1={self.macro_f1:.4f})")

    @property
    def tweets_per_second(self) -> float | None:
        if not self.predict_seconds:
            return None
        return self.n / self.predict_seconds

    def to_dict(self) -> dict[str, Any]:
        """The scores (what metrics.json holds), without the per-tweet fields."""
        per_tweet = {"predicted", "confidence", "proba", "calibration", "bands", "mistakes",
                     "files", "unit"}
        out = {f.name: copy.deepcopy(getattr(self, f.name)) for f in fields(self)
               if f.name not in per_tweet}
        out["per_class"] = {k: asdict(v) for k, v in self.per_class.items()}
        if self.tweets_per_second is not None:
            out["tweets_per_second"] = self.tweets_per_second
        return out

    def to_text(self) -> str:
        """A plain-text report: summary, per-class table, confusion matrix."""
        width = max(9, *(len(x) for x in self.labels))
        lines = [f"{self.unit}: {self.n}   accuracy: {self.accuracy:.4f}   "
                 f"macro-F1: {self.macro_f1:.4f}"]
        if self.tweets_per_second:
            lines[0] += f"   speed: {self.tweets_per_second:,.0f} {self.unit}/s"
        lines += ["", f"{'label':<{width}}  precision  recall      f1  support"]
        for lab in self.labels:
            s = self.per_class[lab]
            lines.append(f"{lab:<{width}}  {s.precision:9.4f}  {s.recall:6.4f}  {s.f1:6.4f}  "
                         f"{s.support:7d}")
        lines += ["", "confusion matrix (rows: true label, columns: predicted)"]
        cell = max(6, *(len(x) for x in self.labels))
        lines.append(" " * width + "  " + " ".join(f"{x:>{cell}}" for x in self.labels))
        for lab, row in zip(self.labels, self.confusion, strict=True):
            lines.append(f"{lab:<{width}}  " + " ".join(f"{v:>{cell}d}" for v in row))
        return "\n".join(lines)


def classification_report(gold: Sequence[str], predicted: Sequence[str],
                          labels: Sequence[str] | None = None) -> EvaluationReport:
    """Scores of ``predicted`` against ``gold`` over ``labels`` (default: all seen)."""
    gold, predicted = [str(x) for x in gold], [str(x) for x in predicted]
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    labs = list(labels) if labels is not None else sorted(set(gold) | set(predicted))
    for extra in sorted((set(gold) | set(predicted)) - set(labs)):
        labs.append(extra)
    index = {lab: i for i, lab in enumerate(labs)}
    k = len(labs)
    cm = np.zeros((k, k), dtype=np.int64)
    if gold:
        np.add.at(cm, (np.array([index[g] for g in gold]), np.array([index[p] for p in predicted])), 1)
    tp = np.diag(cm).astype(float)
    pred_tot = cm.sum(axis=0).astype(float)
    gold_tot = cm.sum(axis=1).astype(float)
    precision = np.divide(tp, pred_tot, out=np.zeros(k), where=pred_tot > 0)
    recall = np.divide(tp, gold_tot, out=np.zeros(k), where=gold_tot > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(k), where=denom > 0)
    present = gold_tot > 0  # macro-F1 over labels that occur in the gold data
    per_class = {lab: ClassScores(float(precision[i]), float(recall[i]), float(f1[i]),
                                  int(gold_tot[i])) for i, lab in enumerate(labs)}
    return EvaluationReport(
        labels=labs,
        accuracy=float(tp.sum() / max(len(gold), 1)),
        macro_f1=float(f1[present].mean()) if present.any() else 0.0,
        per_class=per_class,
        confusion=cm.tolist(),
        n=len(gold),
    )


def evaluate_model(model: Any, texts: Sequence[str] | np.ndarray, labels: Sequence[str],
                   neutral_band: Sequence[float] | None = None,
                   progress: bool = False) -> EvaluationReport:
    """Predict ``texts`` (or image rows) with ``model`` and score against ``labels`` (timed).
    ``progress``: a progress bar while predicting more than one piece (50,000 tweets)."""
    from tqdm.auto import tqdm  # lazy: ~60 ms of start-up
    start = time.perf_counter()
    inputs = texts if isinstance(texts, np.ndarray) else list(texts)
    chunk = getattr(model, "PREDICT_CHUNK", None)
    if progress and chunk and hasattr(model, "predict_proba_chunks") and len(inputs) > chunk:
        parts = []
        with tqdm(total=len(inputs), desc="evaluate",
                  unit=" images" if isinstance(inputs, np.ndarray) else " tweets") as bar:
            for part in model.predict_proba_chunks(inputs):
                parts.append(part)
                bar.update(len(part))
        proba = np.concatenate(parts)
    else:
        proba = np.asarray(model.predict_proba(inputs))
    predicted = model.labels_from_proba(proba, neutral_band)
    seconds = time.perf_counter() - start

    band = check_neutral_band(neutral_band) or model.neutral_band
    order = list(model.classes_) if band is None else \
        [model.classes_[0], NEUTRAL, model.classes_[1]]
    report = classification_report(labels, predicted, labels=order)
    report.predict_seconds = seconds
    report.unit = "images" if isinstance(inputs, np.ndarray) else "tweets"
    report.predicted = predicted
    report.proba = proba
    report.confidence = [label_confidence(model.classes_, lab, p)
                         for lab, p in zip(predicted, proba.tolist(), strict=True)]
    if len(model.classes_) == 2 and band is None:
        report.extra["positive_label"] = model.classes_[1]
        report.extra["positive_f1"] = report.per_class[model.classes_[1]].f1
    return report


@dataclass(frozen=True)
class Mistake:
    """A tweet the model got wrong: ``index`` into the evaluated data, and its file line."""

    index: int
    line: int | None
    text: str
    true_label: str
    label: str
    confidence: float
    words: str = ""  # the words that spoke most for the wrong label (when explained)
    target: str = ""  # the class those words are about


def mistakes(report: EvaluationReport, texts: Sequence[str], gold: Sequence[str],
             lines: Sequence[int] | None = None) -> list[Mistake]:
    """The tweets ``report`` got wrong, the most confident first (where a model is surest
    and wrong, the label is often wrong - or the model learned a shortcut).

    >>> r = classification_report(["a", "b", "b"], ["a", "a", "a"])
    >>> r.predicted, r.confidence = ["a", "a", "a"], [0.9, 0.6, 0.8]
    >>> [(m.index, m.confidence) for m in mistakes(r, ["x", "y", "z"], ["a", "b", "b"])]
    [(2, 0.8), (1, 0.6)]
    """
    if len(report.predicted) != len(gold):
        raise ValueError(f"the report holds {len(report.predicted)} predictions for "
                         f"{len(gold)} labels; it must come from evaluate_model on this data")
    wrong = [i for i, (g, p) in enumerate(zip(gold, report.predicted, strict=True)) if g != p]
    wrong.sort(key=lambda i: -report.confidence[i])
    return [Mistake(i, lines[i] if lines is not None else None, texts[i], gold[i],
                    report.predicted[i], report.confidence[i]) for i in wrong]


@dataclass(frozen=True)
class BandRow:
    """One neutral band on labelled data: what share it labels neutral, and the scores."""

    band: tuple[float, float] | None
    neutral: float  # share of tweets labelled neutral
    accuracy_rest: float  # accuracy on the tweets it still labels (gold neutral: wrong)
    accuracy: float  # over all tweets, neutral counted as a label
    macro_f1: float  # over the gold labels and neutral


@dataclass(frozen=True)
class NeutralBands:
    """What neutral bands do on labelled data: ``rows`` (no band, then symmetric bands)
    and ``best`` (the best band for 3-class gold labels; ``None`` for 2-class ones)."""

    rows: list[BandRow]
    best: BandRow | None

    def __repr__(self) -> str:
        best = "" if self.best is None or self.best.band is None else \
            f", best band {self.best.band} (macro-F1 {self.best.macro_f1:.4f})"
        return f"NeutralBands({len(self.rows)} bands{best})"


def neutral_bands(proba: np.ndarray, gold: Sequence[str], classes: Sequence[str], *,
                  step: float = 0.05) -> NeutralBands:
    """How a binary model's neutral band would label ``gold``-labelled tweets.

    Returns symmetric bands ``(0.5 - w, 0.5 + w)`` for w = 0 (no band), 0.05 ... 0.30, and,
    when the gold labels include ``neutral`` (a 3-class test set for a 2-class model), the
    band with the best 3-class macro-F1 on a ``step`` grid (plus 0.01-0.04 and 0.96-0.99),
    the narrowest of equals (else ``None``).

    >>> p = np.array([[0.9, 0.1], [0.45, 0.55], [0.2, 0.8], [0.6, 0.4]])
    >>> bands = neutral_bands(p, ["neg", "neutral", "pos", "neutral"], ["neg", "pos"])
    >>> bands
    NeutralBands(7 bands, best band (0.4, 0.55) (macro-F1 1.0000))
    >>> bands.rows[0].band, bands.rows[0].accuracy
    (None, 0.5)
    """

    if len(classes) != 2:
        raise ValueError("a neutral band is for binary models")
    gold_a = np.asarray(list(gold), dtype=object)
    p = np.asarray(proba)[:, 1]
    names = [classes[0], classes[1], NEUTRAL]
    gold_i = np.full(len(gold_a), -1)
    for i, name in enumerate(names):
        gold_i[gold_a == name] = i
    present = [i for i in range(3) if (gold_i == i).any()]

    def row(lo: float | None, hi: float | None) -> BandRow:
        if lo is None or hi is None:
            pred = (p > 0.5).astype(int)  # argmax (ties to the first class)
        else:
            pred = np.where(p < lo, 0, np.where(p > hi, 1, 2))
        labelled = pred != 2
        f1s = []
        for c in sorted({*present, *(pred.tolist())}):
            tp = np.sum((pred == c) & (gold_i == c))
            denom = np.sum(pred == c) + np.sum(gold_i == c)
            f1s.append(2 * tp / denom if denom else 0.0)
        return BandRow(
            band=None if lo is None or hi is None else (lo, hi),
            neutral=float(1 - labelled.mean()) if len(p) else 0.0,
            accuracy_rest=float((pred[labelled] == gold_i[labelled]).mean())
            if labelled.any() else 0.0,
            accuracy=float((pred == gold_i).mean()) if len(p) else 0.0,
            macro_f1=float(np.mean(f1s)) if f1s else 0.0)

    rows = [row(None, None)] + [row(round(0.5 - w, 4), round(0.5 + w, 4))
                                for w in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3)]
    best = None
    if 2 in present:
        # a step grid, finer near 0 and 1 (a model trained on skewed data puts its
        # unsure tweets there)
        edges = [0.01, 0.02, 0.03, 0.04, 0.96, 0.97, 0.98, 0.99]
        grid = sorted({*edges, *(round(float(x), 4) for x in np.arange(step, 1 - step / 2,
                                                                         step))})
        best = max((row(lo, hi) for lo in grid for hi in grid if lo <= hi),
                   key=lambda r: (r.macro_f1, -(r.band[1] - r.band[0]) if r.band else 0))
    return NeutralBands(rows, best)


@dataclass(frozen=True)
class CalibrationBin:
    low: float
    high: float
    n: int
    confidence: float  # mean probability of the predicted class in the bin
    accuracy: float  # share of the bin's predictions that were right


@dataclass(frozen=True)
class Calibration:
    """How far a model's confidence is from its accuracy: ``ece`` (expected calibration
    error: the bins' |confidence - accuracy|, weighted by their share of tweets) and the
    bins themselves (a reliability diagram)."""

    ece: float
    overconfidence: float  # mean confidence minus accuracy (> 0: too sure of itself)
    bins: list[CalibrationBin]

    def __repr__(self) -> str:
        return (f"Calibration(ece={self.ece:.4f}, overconfidence={self.overconfidence:+.4f}, "
                f"{sum(b.n for b in self.bins)} predictions in {len(self.bins)} bins)")


def calibration(proba: np.ndarray, gold: Sequence[str], classes: Sequence[str], *,
                bins: int = 10) -> Calibration:
    """Compare the probability of each predicted class (the most probable one) with how
    often it was right, in ``bins`` equal-width bins of that probability.

    >>> p = np.array([[0.9, 0.1], [0.75, 0.25], [0.3, 0.7], [0.45, 0.55]])
    >>> calibration(p, ["a", "b", "b", "b"], ["a", "b"], bins=5)
    Calibration(ece=0.2500, overconfidence=-0.0250, 4 predictions in 3 bins)
    """
    p = np.asarray(proba, dtype=np.float64)
    if len(p) == 0:
        raise ValueError("no predictions to calibrate")
    conf = p.max(axis=1)
    right = np.asarray(classes, dtype=object)[p.argmax(axis=1)] == np.asarray(list(gold),
                                                                              dtype=object)
    # bin i holds (i / bins, (i + 1) / bins]; a probability of 1 falls in the last one
    which = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)
    found, ece = [], 0.0
    for i in range(bins):
        members = which == i
        n = int(members.sum())
        if n:
            b = CalibrationBin(i / bins, (i + 1) / bins, n, float(conf[members].mean()),
                               float(right[members].mean()))
            ece += n / len(p) * abs(b.confidence - b.accuracy)
            found.append(b)
    return Calibration(float(ece), float(conf.mean() - right.mean()), found)


def log_loss(proba: np.ndarray, y: Sequence[int]) -> float:
    """Mean negative log-probability of the true classes ``y`` (natural log; each
    probability floored at 1e-12).

    >>> round(log_loss(np.array([[0.5, 0.5], [0.1, 0.9]]), [0, 1]), 4)
    0.3993
    """
    y_arr = np.asarray(y, dtype=np.int64)
    picked = np.asarray(proba, dtype=np.float64)[np.arange(len(y_arr)), y_arr]
    return float(-np.log(np.maximum(picked, 1e-12)).mean())


def fit_temperature(proba: np.ndarray, y: Sequence[int], *, low: float = 0.25,
                    high: float = 4.0) -> tuple[float, float, float]:
    """The temperature in ``[low, high]`` that minimises the negative log-likelihood of the
    true classes ``y`` (temperature scaling, Guo et al. 2017), found by golden-section
    search on log T: ``(T, nll at T = 1, nll at T)``.

    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 2000)
    >>> sure = np.where(rng.random(2000) < 0.8, y, 1 - y)  # right 80% of the time...
    >>> p = np.full((2000, 2), 0.01); p[np.arange(2000), sure] = 0.99  # ...but 99% sure
    >>> t, before, after = fit_temperature(p, y)
    >>> t > 2, after < before
    (True, True)
    """

    def nll(t: float) -> float:
        return log_loss(with_temperature(proba, t), y)

    a, b = np.log(low), np.log(high)
    golden = (np.sqrt(5) - 1) / 2
    c, d = b - golden * (b - a), a + golden * (b - a)
    fc, fd = nll(float(np.exp(c))), nll(float(np.exp(d)))
    for _ in range(40):  # the bracket shrinks to 0.618**40 of its width
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - golden * (b - a)
            fc = nll(float(np.exp(c)))
        else:
            a, c, fc = c, d, fd
            d = a + golden * (b - a)
            fd = nll(float(np.exp(d)))
    t = float(np.exp((a + b) / 2))
    return t, nll(1.0), nll(t)


def held_out_scores(model: Any, tests: dict[str, Dataset]) -> dict[str, dict[str, Any]]:
    """Each held-out part scored: accuracy, macro-F1, macro recall (TweetEval's measure),
    F1 over positive and negative (SentiRuEval's) where the labels have both, and the
    expected calibration error. A part labelled with fewer classes than the model has
    (Sentiment140: positive and negative only) is scored among its own labels: the most
    probable of those, not of all (``among`` names them)."""

    out: dict[str, dict[str, Any]] = {}
    classes = list(model.classes_)
    for name, t in tests.items():
        texts = t.texts
        if getattr(model, "entity_input", False) and "entity" in t.columns:
            texts = with_entity(t.texts, t.columns["entity"])
        proba = np.asarray(model.predict_proba(texts))
        gold = t.labels or []
        labels = sorted(set(gold))
        row: dict[str, Any] = {"n": len(gold)}
        if set(labels) < set(classes):  # score among the part's own labels
            cols = [classes.index(lab) for lab in labels]
            proba = proba[:, cols] / proba[:, cols].sum(axis=1, keepdims=True)
            row["among"] = labels
            use = labels
        else:
            use = classes
        predicted = [use[i] for i in proba.argmax(axis=1)]
        rep = classification_report(gold, predicted, labels=use)
        recalls = [rep.per_class[c].recall for c in use if c in set(gold)]
        row.update(accuracy=rep.accuracy, macro_f1=rep.macro_f1,
                   macro_recall=sum(recalls) / len(recalls),
                   ece=calibration(proba, gold, use).ece)
        if {"positive", "negative"} <= set(use):
            row["f1_pn"] = (rep.per_class["positive"].f1 + rep.per_class["negative"].f1) / 2
        out[name] = row
    return out
