"""``tune``: a random search over a family's settings, scored on a held-out part.

fastText users know ``-autotune-validation``; this is the same idea for every fast
family. The data is split once (``valid_size`` held out, stratified or grouped as
``train`` would); trial 1 is the family's defaults, each further trial draws one option
per dimension of the family's search space. Each trial trains on the rest and is scored
on the held-out part (``macro_f1``, ``accuracy`` or ``f1_LABEL``); the best settings
then train the final model on all the data (``out``). Nothing is ever chosen on a test
file: keep one apart and ``evaluate`` the result on it.

>>> import tweetlab
>>> ds = tweetlab.Dataset(texts=["good day", "great fun", "bad day", "awful mess"] * 10,
...                       labels=["pos", "pos", "neg", "neg"] * 10)
>>> result = tune(ds, "tfidf", trials=3, progress=False)
>>> len(result.trials), result.best["score"] <= 1.0
(3, True)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .api import _as_dataset, check_trainable, model_inputs, prepare_output
from .api import train as train_model
from .comparison import make_splits
from .config import TrainConfig, check_override_keys
from .data import Dataset
from .errors import ConfigError, DataError, ModelError, TweetlabError
from .evaluation import evaluate_model
from .models import get_family
from .persistence import write_metrics

log = logging.getLogger("tweetlab")

# Per family: dimensions; each dimension is a list of options; an option is the settings
# (key=value strings) it sets together.
Space = Sequence[Sequence[Sequence[str]]]

SPACES: dict[str, Space] = {
    "tfidf": [
        [("C=0.5",), ("C=1",), ("C=2",), ("C=4",), ("C=8",), ("C=16",)],
        [("word_ngrams=1,1",), ("word_ngrams=1,2",), ("word_ngrams=1,3",)],
        [("char_ngrams=none",), ("char_ngrams=2,5",), ("char_ngrams=1,4",),
         ("char_ngrams=3,6",)],
        [("min_df=1",), ("min_df=2",), ("min_df=3",)],
        [("class_weight=none",), ("class_weight=balanced",)],
    ],
    "fasttext": [
        [("lr=0.05",), ("lr=0.1",), ("lr=0.25",), ("lr=0.5",), ("lr=1.0",)],
        [("epochs=5",), ("epochs=10",), ("epochs=25",), ("epochs=50",)],
        [("dim=50",), ("dim=100",), ("dim=200",)],
        [("word_ngrams=1",), ("word_ngrams=2",), ("word_ngrams=3",)],
        [("minn=0",), ("minn=2", "maxn=4"), ("minn=3", "maxn=5"), ("minn=3", "maxn=6")],
    ],
    "bow-mlp": [
        [("num_words=5000",), ("num_words=10000",), ("num_words=20000",)],
        [("hidden=512,256",), ("hidden=256",), ("hidden=1024,256",)],
        [("dropout=0.3",), ("dropout=0.5",), ("dropout=0.6",)],
        [("lr=0.0005",), ("lr=0.001",), ("lr=0.002",)],
    ],
    "lstm": [
        [("lr=0.001",), ("lr=0.002",), ("lr=0.004",)],
        [("hidden=128",), ("hidden=196",), ("hidden=256",)],
        [("bidirectional=false",), ("bidirectional=true",)],
        [("dropout=0.1",), ("dropout=0.2",), ("dropout=0.4",)],
    ],
    "cnn": [
        [("lr=0.0005",), ("lr=0.001",), ("lr=0.002",)],
        [("filters=64",), ("filters=100",), ("filters=200",)],
        [("widths=2,3,4",), ("widths=3,4,5",), ("widths=1,2,3,4",)],
        [("dropout=0.3",), ("dropout=0.5",)],
    ],
    "transformer": [  # each trial fine-tunes the encoder: minutes per trial on a CPU
        [("lr=2e-5",), ("lr=5e-5",), ("lr=1e-4",)],
        [("epochs=2",), ("epochs=3",), ("epochs=4",)],
    ],
}
METRICS = ("macro_f1", "accuracy")


@dataclass
class TuneResult:
    """Every trial (settings, score, seconds), best first; the final model if trained."""

    family: str
    metric: str
    trials: list[dict[str, Any]]
    n_train: int
    n_valid: int
    model: Any = None
    files: list[Path] = field(default_factory=list)
    folds: int | None = None

    @property
    def best(self) -> dict[str, Any]:
        return self.trials[0]

    def describe(self) -> str:
        if self.folds:
            return (f"{len(self.trials)} {self.family} trials, each scored by its mean "
                    f"{self.metric} over {self.folds} folds")
        return (f"{len(self.trials)} {self.family} trials, each trained on {self.n_train:,} "
                f"tweets (10% of them validating, as in `train`) and scored by {self.metric} "
                f"on {self.n_valid:,} held out")

    def to_markdown(self, limit: int = 20) -> str:
        lines = [f"| rank | {self.metric} | train_s | settings |", "|---:|---:|---:|---|"]
        for i, t in enumerate(self.trials[:limit], 1):
            score = f"{t['score']:.4f}" + (f" ± {t['std']:.4f}" if "std" in t else "")
            lines.append(f"| {i} | {score} | {t['seconds']:.1f} | "
                         f"{' '.join(t['settings']) or '(defaults)'} |")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"TuneResult({self.family}, {len(self.trials)} trials, best {self.metric} "
                f"{self.best['score']:.4f} with {' '.join(self.best['settings']) or 'defaults'})")


def _score(report: Any, metric: str) -> float:
    if metric == "accuracy":
        return float(report.accuracy)
    if metric == "macro_f1":
        return float(report.macro_f1)
    label = metric[3:]
    if label not in report.per_class:
        raise ConfigError(f"metric {metric}: no label {label!r} (labels: "
                          f"{', '.join(report.per_class)})")
    return float(report.per_class[label].f1)


def _draws(space: Space, trials: int, seed: int) -> list[list[str]]:
    """The settings of each trial: the defaults, then distinct random draws."""
    rng = np.random.default_rng(seed)
    out: list[list[str]] = [[]]
    seen: set[tuple[str, ...]] = {()}
    total = int(np.prod([len(d) for d in space])) if space else 1
    while len(out) < min(trials, total + 1):
        pick = [s for dim in space for s in dim[int(rng.integers(len(dim)))]]
        if tuple(pick) not in seen:
            seen.add(tuple(pick))
            out.append(pick)
    return out


def _checked_search(model: str, space: Space | None, fixed: Sequence[str], metric: str,
                    trials: int) -> Space:
    """The search space of ``model`` (``space``, or the family's default), after checking
    that every setting it and ``fixed`` name exists and that the metric and trial count
    make sense - before any trial runs."""

    cls = get_family(model)
    if space is None:
        if model not in SPACES:
            raise ConfigError(f"no search space for {model!r} (there is one for "
                              f"{', '.join(SPACES)}); pass space=")
        space = SPACES[model]
    # A key the family does not have would fail every trial that draws it: say so now.
    check_override_keys([cls.Config, TrainConfig], [p for dim in space for opt in dim
                                                    for p in opt], what=f"{model} search:")
    check_override_keys([cls.Config, TrainConfig], list(fixed), what=f"{model}:")
    if metric not in METRICS and not metric.startswith("f1_"):
        raise ConfigError(f"metric {metric!r}: choose macro_f1, accuracy or f1_LABEL")
    if trials < 1:
        raise ConfigError(f"trials = {trials}: need at least 1")
    return space


def _trial(parts: Sequence[tuple[Dataset, Dataset]], model: str, settings: list[str],
           overrides: list[str], seed: int, metric: str) -> dict[str, Any]:
    """Train ``model`` with ``overrides`` on each (train, valid) part and score it: the
    mean score (and its spread over folds) and seconds per part; an impossible
    combination of settings is a trial with a NaN score and its error."""

    t0 = time.perf_counter()
    scores = []
    try:
        for part_train, part_valid in parts:
            clf = train_model(part_train, model, overrides=overrides, seed=seed)
            report = evaluate_model(clf, model_inputs(clf, part_valid),
                                    part_valid.labels or [])
            scores.append(_score(report, metric))
    except TweetlabError as exc:  # an impossible combination: note it, go on
        return {"settings": settings, "score": float("nan"),
                "seconds": time.perf_counter() - t0, "error": str(exc)}
    trial = {"settings": settings, "score": float(np.mean(scores)),
             "seconds": (time.perf_counter() - t0) / len(parts)}
    if len(scores) > 1:
        trial["std"] = float(np.std(scores))
    return trial


def tune(
    data: Dataset | str | Path,
    model: str = "fasttext",
    *,
    trials: int = 20,
    minutes: float | None = None,
    metric: str = "macro_f1",
    valid_size: float = 0.2,
    folds: int | None = None,
    split: str = "auto",
    seed: int = 0,
    space: Space | None = None,
    fixed: Sequence[str] = (),
    out: str | Path | None = None,
    force: bool = False,
    resume: bool = False,
    progress: bool = True,
    command: str | None = None,
    **read: Any,
) -> TuneResult:
    """Random search over ``model``'s settings (see the module docstring).

    Args:
        trials: most trials (the first is the defaults); ``minutes`` stops starting new
            ones once spent; Ctrl-C stops too and keeps the finished trials.
        folds: score each trial by the mean over k folds instead of one held-out part
            (k times the work; a steadier choice on small data).
        metric: ``macro_f1``, ``accuracy`` or ``f1_LABEL`` (one class's F1, e.g.
            ``f1_1`` for disaster tweets).
        space: the dimensions to search (default :data:`SPACES` of the family).
        fixed: settings every trial keeps (``["epochs=5"]``).
        out: train the best settings on all of ``data`` and save the model there. Each
            finished trial is then also written to ``.OUT.tune.jsonl`` beside it (removed
            once the model is saved), so that ``resume=True`` after a kill or a crash
            reuses the trials that finished (same data, family and search) and runs the
            rest.
    """

    from tqdm.auto import tqdm  # lazy: ~60 ms of start-up
    space = _checked_search(model, space, fixed, metric, trials)
    trial_log = trial_log_for(out) if out is not None else None
    if resume and trial_log is None:
        raise ConfigError("resume needs out= (CLI: --out): the finished trials are kept "
                          "beside the model folder")
    if out is not None:
        prepare_output(out, force=force, resume=False)  # before the trials, not after
    if trial_log is not None and trial_log.exists() and not resume:
        if not force:
            raise ModelError(f"an interrupted tune left {trial_log}; pass --resume to reuse "
                             "its finished trials or --force to start over")
        trial_log.unlink()
    ds = _as_dataset(data, **read)
    if not isinstance(ds, Dataset) or ds.labels is None:
        raise DataError("tune needs labelled tweets", path=getattr(ds, "source", None))
    check_trainable(ds)  # once, rather than once per trial
    if metric.startswith("f1_") and metric[3:] not in set(ds.labels):
        raise ConfigError(f"metric {metric}: no label {metric[3:]!r} (labels: "
                          f"{', '.join(ds.classes)})")
    if folds is not None and folds < 2:
        raise ConfigError(f"folds = {folds}: need at least 2")
    _, parts = make_splits(ds, folds=folds, test_size=valid_size, split=split, seed=seed)
    tr, va = parts[0]
    draws = _draws(space, trials, seed)
    # hashes every tweet: only for a search that keeps its trials
    run_key = (_run_key(ds, model, metric, valid_size, folds, split, seed, fixed)
               if trial_log is not None else "")
    done = _read_trials(trial_log, run_key) if resume and trial_log is not None else {}
    if resume and not done:
        log.warning("nothing to resume for %s (no finished trials of this search in %s); "
                    "tuning from the start", out, trial_log)
    elif done:
        log.info("resuming: %d finished trial(s) from %s", len(done), trial_log)
    results: list[dict[str, Any]] = []
    start = time.perf_counter()
    level = log.level
    log.setLevel(max(level, logging.WARNING))  # one line per trial, not the loop's chatter
    bar = tqdm(draws, desc=f"tune {model}", unit="trial", disable=None if progress else True)
    try:
        for settings in bar:
            if tuple(settings) in done:
                results.append(done[tuple(settings)])
                continue
            if minutes is not None and results and time.perf_counter() - start > minutes * 60:
                break
            trial = _trial(parts, model, settings, [*fixed, *settings, "progress=false"],
                           seed, metric)
            results.append(trial)
            _append_trial(trial_log, run_key, trial)
            scored = [r["score"] for r in results if r["score"] == r["score"]]
            if scored:
                bar.set_postfix(best=f"{max(scored):.4f}")
    except KeyboardInterrupt:  # Ctrl-C: go on with the trials that finished
        if not any(r["score"] == r["score"] for r in results):
            raise
        log.warning("tune interrupted after %d of %d trials; using those", len(results),
                    len(draws))
    finally:
        bar.close()
        log.setLevel(level)
    ok = sorted((r for r in results if r["score"] == r["score"]), key=lambda r: -r["score"])
    if not ok:
        errors = Counter(r.get("error", "") for r in results)
        raise TweetlabError(f"tune: every trial failed ({len(results)}); " + "; ".join(
            f"{e} ({n} trials)" if n > 1 else e for e, n in errors.most_common()))
    result = TuneResult(model, metric, ok + [r for r in results if r not in ok],
                        len(tr), len(va), folds=folds)
    if out is not None:
        final = train_model(ds, model, out=out, force=force, seed=seed,
                            overrides=[*fixed, *result.best["settings"]],
                            command=command or _command(ds.source, model,
                                                        [*fixed, *result.best["settings"]]))
        final.metrics_["tuning"] = {"metric": metric, "n_train": len(tr), "n_valid": len(va),
                                    "trials": result.trials}

        write_metrics(out, final.metrics_)
        result.model = final
        if trial_log is not None:
            trial_log.unlink(missing_ok=True)
    return result


def trial_log_for(out: str | Path) -> Path:
    """Where ``tune(out=DIR)`` keeps its finished trials until DIR is saved."""
    out = Path(out)
    return out.with_name(f".{out.name}.tune.jsonl")


def _run_key(ds: Dataset, model: str, metric: str, valid_size: float, folds: int | None,
             split: str, seed: int, fixed: Sequence[str]) -> str:
    """What a trial's score depends on besides its settings: a resumed search reuses only
    trials with the same key (the same data, family, metric, split and fixed settings)."""
    digest = hashlib.sha256()
    for text, label in zip(ds.texts, ds.labels or [], strict=False):
        digest.update(f"{text}\x00{label}\x01".encode("utf-8", "surrogatepass"))
    return json.dumps([digest.hexdigest(), model, metric, valid_size, folds, split, seed,
                       list(fixed)])


def _read_trials(path: Path, key: str) -> dict[tuple[str, ...], dict[str, Any]]:
    """The finished trials of the search ``key`` in ``path`` (a line cut off by a kill is
    skipped)."""
    done: dict[tuple[str, ...], dict[str, Any]] = {}
    if not path.exists():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and row.get("key") == key and "trial" in row:
            trial = row["trial"]
            done[tuple(trial["settings"])] = trial
    return done


def _append_trial(path: Path | None, key: str, trial: dict[str, Any]) -> None:
    """Add one finished trial to the log (flushed to disk before the next trial starts)."""
    if path is None:
        return
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"key": key, "trial": trial}) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _command(source: str | None, model: str, settings: Sequence[str]) -> str | None:
    if not source:
        return None
    return " ".join(["tweetlab train", source, "--model", model,
                     *(f"--set {s}" for s in settings)])


def parse_space(text: Mapping[str, str]) -> Space:
    """``{"C": "1|4|16", "word_ngrams": "1,1|1,2"}`` -> one dimension per key, options
    split at ``|`` (CLI ``--search C=1|4|16``)."""
    return [[(f"{k}={v.strip()}",) for v in values.split("|")] for k, values in text.items()]
