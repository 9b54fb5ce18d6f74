"""``compare``: several families on one split (or k folds), one leaderboard.

Every family is trained on the same training part and scored on the same held-out
part; the leaderboard has accuracy, macro-F1, per-class F1, train seconds, predict
tweets/s and size on disk. Each finished model is kept as a normal model folder under
``OUT/models/FAMILY`` with its row in ``OUT/rows/FAMILY.json``, so an interrupted
comparison keeps what finished and ``resume=True`` skips it on the next run.
:func:`compare_generators` does the same for tweet generators: one time split, ranked by
held-out bits per character.

>>> import tempfile, tweetlab
>>> ds = tweetlab.Dataset(texts=["good", "great", "bad", "awful"] * 10,
...                       labels=["pos", "pos", "neg", "neg"] * 10)
>>> board = compare(ds, ["tfidf"], out=tempfile.mkdtemp() + "/cmp", progress=False)
>>> board.rows[0]["family"], board.rows[0]["accuracy"]
('tfidf', 1.0)
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._fs import check_can_write
from .api import _as_dataset, check_trainable, model_inputs
from .api import train as train_model
from .config import TrainConfig, check_override_keys
from .data import Dataset, split_dataset
from .data.images import ImageDataset
from .data.splits import choose_split
from .errors import ConfigError, DataError, TweetlabError
from .evaluation import calibration, evaluate_model
from .models import get_family
from .persistence import write_json_atomic
from .reports import (
    leaderboard_cell,
    leaderboard_columns,
    write_compare_report,
    write_generator_board,
)

log = logging.getLogger("tweetlab")


@dataclass
class Leaderboard:
    """Rows (one per family, best macro-F1 first) and the files written."""

    rows: list[dict[str, Any]]
    classes: list[str]
    split: str
    n_train: int
    n_test: int
    files: list[Path] = field(default_factory=list)
    #: model name -> the error that stopped it (the others still ran)
    failed: dict[str, str] = field(default_factory=dict)
    folds: int | None = None  # k-fold cross-validation (n_train/n_test: of the first fold)

    def describe(self) -> str:
        """One sentence on what the scores are measured on."""
        if self.folds:
            return (f"{self.folds}-fold cross-validation over {self.n_train + self.n_test:,} "
                    f"tweets ({self.split} folds): mean ± std over the folds; curves and "
                    "confusion matrices of the first fold; ranked by macro-F1")
        return (f"{self.n_train:,} training tweets, {self.n_test:,} held out ({self.split} "
                "split); ranked by macro-F1")

    def __repr__(self) -> str:
        best = self.rows[0] if self.rows else None
        head = f"best {best['model']} macro-F1 {best['macro_f1']:.4f}" if best else "empty"
        return f"Leaderboard({len(self.rows)} models, {head})"

    def to_markdown(self) -> str:
        cols = leaderboard_columns(self.rows, self.classes)
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for r in self.rows:
            lines.append("| " + " | ".join(leaderboard_cell(r, c) for c in cols) + " |")
        if self.failed:
            lines.append("")
            lines.extend(f"Failed: {name}: {why}" for name, why in self.failed.items())
        return "\n".join(lines)


NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def check_settings(entries: Sequence[tuple[str, str]],
                   overrides: Mapping[str, Sequence[str]] | None,
                   config_type: Callable[[str], type]) -> None:
    """Every model's settings name keys its family has, checked before any training (an
    unknown key would otherwise fail that model after the ones before it had trained)."""

    for name, family in entries:
        check_override_keys([config_type(family), TrainConfig],
                            list((overrides or {}).get(name, ())), what=f"{name}:")


def parse_models(models: Sequence[str],
                 families: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """(name, family) of each entry: ``fasttext``, or ``NAME=FAMILY`` for a variant with
    its own settings (``balanced=tfidf`` with ``--set balanced:class_weight=balanced``).
    ``families``: the allowed ones (default: the classifier registry).

    >>> parse_models(["tfidf", "bal=tfidf"])
    [('tfidf', 'tfidf'), ('bal', 'tfidf')]
    """

    out: list[tuple[str, str]] = []
    for entry in models:
        name, sep, family = entry.strip().partition("=")
        name, family = name.strip(), (family.strip() if sep else name.strip())
        if not NAME.match(name):
            raise ConfigError(f"model name {name!r}: use letters, digits, '.', '_' or '-'")
        # unknown families fail before any training
        if families is None:
            get_family(family)
        elif family not in families:
            raise ConfigError(f"unknown family {family!r}; choose from {', '.join(families)}")
        if name in (n for n, _ in out):
            raise ConfigError(f"model {name!r} is listed twice; give variants their own "
                              "names (NAME=FAMILY)")
        out.append((name, family))
    return out


def _output(out: str | Path, resume: bool) -> tuple[Path, Path]:
    """(the comparison's folder, its rows folder), checked before any training."""
    out_path = Path(out)
    check_can_write(out_path, "the comparison")
    rows_dir = out_path / "rows"
    if out_path.exists() and not resume and any(rows_dir.glob("*.json")):
        raise ConfigError(f"{out_path} holds an earlier comparison; pass resume=True "
                          "(CLI: --resume) to continue it, or choose another --out")
    return out_path, rows_dir


def _finished_row(row_file: Path, fingerprint: dict[str, Any],
                  resume: bool) -> dict[str, Any] | None:
    """With ``resume``, the row an earlier run saved for the same data, split and settings."""
    if not (resume and row_file.exists()):
        return None
    saved = json.loads(row_file.read_text(encoding="utf-8"))
    if saved.get("fingerprint") != fingerprint:
        return None
    log.info("compare: %s already done, reusing it", row_file.stem)
    return dict(saved["row"])


def _folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def make_splits(ds: Dataset, *, folds: int | None, test_size: float, split: str,
                seed: int) -> tuple[str, list[tuple[Dataset, Dataset]]]:
    """(the split used, [(train, held out)]): k folds, or one ``test_size`` split."""
    split_used = choose_split(ds) if split == "auto" else split
    if folds:
        if folds < 2:
            raise ConfigError(f"folds = {folds}: need at least 2")
        parts = [(ds.subset(tr.tolist()), ds.subset(te.tolist()))
                 for tr, te in _folds(ds, folds, split_used, seed)]
    else:
        parts = [split_dataset(ds, test_size=test_size, by=split_used, seed=seed)]
    missing = sorted({c for _, te in parts for c in set(ds.classes) - set(te.classes)})
    if missing:
        log.warning("the held-out part%s %s no tweets of class %s: its scores cannot tell how "
                    "well that class is found (more data, or fewer folds)",
                    "s" if folds else "", "have" if folds else "has", ", ".join(missing))
    return split_used, parts


def _folds(ds: Dataset, k: int, split: str, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import GroupKFold, StratifiedKFold  # lazy: sklearn: slow to import

    idx = np.arange(len(ds))
    labels = np.array(ds.labels or [])
    if split == "group":
        groups = np.array([str(x) for x in ds.column("id")])
        return list(GroupKFold(n_splits=k).split(idx, labels, groups))
    return list(StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(idx, labels))


def _score(name: str, family: str, train: Dataset | ImageDataset,
           test: Dataset | ImageDataset, out: Path | None,
           overrides: Sequence[str], seed: int) -> dict[str, Any]:
    start = time.perf_counter()
    model = train_model(train, family, out=out, valid_size=0.1, seed=seed,
                        overrides=["progress=false", *overrides], force=True)
    train_s = time.perf_counter() - start
    inputs = model_inputs(model, test)
    model.predict_proba(inputs[:32])  # one-time costs (thread pools, lazy imports) untimed
    start = time.perf_counter()
    report = evaluate_model(model, inputs, test.labels or [])
    predict_s = time.perf_counter() - start

    ece = calibration(report.proba, test.labels or [], model.classes_).ece
    return {"model": name, "family": family, "accuracy": report.accuracy,
            "macro_f1": report.macro_f1, "ece": ece,
            "per_class_f1": {c: s.f1 for c, s in report.per_class.items()},
            "train_s": train_s, "tweets_per_s": len(test) / max(predict_s, 1e-9),
            "size_mb": _folder_mb(out) if out is not None else None,
            "history": getattr(model, "history_", []),
            "best_epoch": getattr(getattr(model, "train_result_", None), "best_epoch", None),
            "confusion": report.confusion,
            "classes": list(report.labels), "n_test": len(test),
            "relies_on": (getattr(model, "metrics_", None) or {}).get("relies_on")}


def compare(
    data: Dataset | str | Path,
    models: Sequence[str] = ("tfidf", "fasttext", "bow-mlp", "lstm", "cnn"),
    *,
    out: str | Path = "compare",
    test: Dataset | str | Path | None = None,
    test_size: float = 0.2,
    split: str = "auto",
    folds: int | None = None,
    seed: int = 0,
    overrides: Mapping[str, Sequence[str]] | None = None,
    resume: bool = False,
    progress: bool = True,
    **read: Any,
) -> Leaderboard:
    """Train each family in ``models`` on one split and rank them by macro-F1.

    Args:
        test: a separate test file; otherwise ``test_size`` of ``data`` is held out by
            ``split`` (``auto`` groups by id when ids repeat).
        folds: k-fold cross-validation instead of one split (mean ± std per metric;
            the models of the first fold are kept).
        models: family names, or ``NAME=FAMILY`` entries: variants of one family, each with
            its own ``overrides`` (``["tfidf", "bal=tfidf"]``, ``{"bal": ["C=1"]}``).
        overrides: per model ``key=value`` settings, e.g. ``{"lstm": ["epochs=3"]}``.
        resume: reuse families already finished in ``out`` (same data and split).
    """

    from tqdm.auto import tqdm  # lazy: ~60 ms of start-up
    entries = parse_models(models)
    check_settings(entries, overrides, lambda family: get_family(family).Config)
    ds = _as_dataset(data, **read)
    if not isinstance(ds, Dataset) or ds.labels is None:
        raise DataError("compare needs labelled tweets", path=getattr(ds, "source", None))
    check_trainable(ds)  # once, rather than once per model
    out_path, rows_dir = _output(out, resume)
    splits: Sequence[tuple[Dataset, Dataset | ImageDataset]]
    if test is not None:
        splits = [(ds, _as_dataset(test, **read))]
        split_used = "given"
    else:
        split_used, splits = make_splits(ds, folds=folds, test_size=test_size, split=split,
                                         seed=seed)
    train0, test0 = splits[0]
    fingerprint = {"n": len(ds), "source": ds.source, "split": split_used, "folds": folds,
                   "test_size": test_size, "seed": seed, "n_test": len(test0)}
    rows: list[dict[str, Any]] = []
    failed: dict[str, str] = {}
    bar = tqdm(total=len(models) * len(splits), desc="compare", unit="model",
               disable=None if progress else True)
    try:
        for name, family in entries:
            row_file = rows_dir / f"{name}.json"
            settings = list((overrides or {}).get(name, ()))
            done = _finished_row(row_file, {**fingerprint, "family": family,
                                            "settings": settings}, resume)
            if done is not None:
                rows.append(done)
                bar.update(len(splits))
                continue
            bar.set_postfix(model=name)
            fold_rows = []
            try:
                for i, (tr, te) in enumerate(splits):
                    model_dir = out_path / "models" / name if i == 0 else None
                    fold_rows.append(_score(name, family, tr, te, model_dir, settings, seed))
                    bar.update(1)
            except TweetlabError as exc:
                # One family's problem (a missing encoder, a bad setting) must not throw
                # away the others: note it and go on.
                failed[name] = str(exc)
                log.error("compare: %s failed: %s", name, exc)
                bar.update(len(splits) - len(fold_rows))
                continue
            row = fold_rows[0]
            if len(fold_rows) > 1:
                for key in ("accuracy", "macro_f1", "ece", "train_s", "tweets_per_s"):
                    values = [r[key] for r in fold_rows]
                    row[key] = float(np.mean(values))
                    if key in {"accuracy", "macro_f1", "ece"}:
                        row[f"{key}_std"] = float(np.std(values))
                row["per_class_f1"] = {c: float(np.mean([r["per_class_f1"][c] for r in fold_rows]))
                                       for c in row["per_class_f1"]}
                row["folds"] = len(fold_rows)
            write_json_atomic(row_file, {"fingerprint": {**fingerprint, "family": family,
                                                         "settings": settings}, "row": row})
            rows.append(row)
            log.info("compare: %s accuracy %.4f macro-F1 %.4f (%.1f s)", name,
                     row["accuracy"], row["macro_f1"], row["train_s"])
    except KeyboardInterrupt:
        log.warning("compare interrupted: %d of %d models finished and saved in %s; run "
                    "again with --resume to continue", len(rows), len(entries), out_path)
        if rows:
            _finish(rows, out_path, split_used, len(train0), len(test0), failed, folds)
        raise
    finally:
        bar.close()
    if not rows:
        raise TweetlabError("compare: every model failed; "
                            + "; ".join(f"{n}: {why}" for n, why in failed.items()))
    return _finish(rows, out_path, split_used, len(train0), len(test0), failed, folds)


def _finish(rows: list[dict[str, Any]], out: Path, split: str, n_train: int,
            n_test: int, failed: dict[str, str] | None = None,
            folds: int | None = None) -> Leaderboard:
    rows = sorted(rows, key=lambda r: -r["macro_f1"])
    classes = sorted({c for r in rows for c in r["per_class_f1"]})
    board = Leaderboard(rows, classes, split, n_train, n_test, failed=dict(failed or {}),
                        folds=folds if folds and folds > 1 else None)
    board.files = write_compare_report(board, out)
    return board


# ------------------------------------------------------------------- generators
@dataclass
class GeneratorBoard:
    """Tweet generators trained on one time split, best held-out bits/char first."""

    rows: list[dict[str, Any]]
    n_train: int
    n_valid: int
    source: str | None = None
    files: list[Path] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    COLUMNS = ("model", "family", "bits_per_char", "network_bits_per_char", "train_s",
               "epochs", "parameters", "tweets_per_s", "size_mb")

    def describe(self) -> str:
        return (f"{self.n_train:,} training tweets, the newest {self.n_valid:,} held out "
                "(time split); ranked by held-out bits per character (lower is better)")

    def __repr__(self) -> str:
        best = self.rows[0] if self.rows else None
        head = f"best {best['model']} {best['bits_per_char']:.4f} bits/char" if best else "empty"
        return f"GeneratorBoard({len(self.rows)} models, {head})"

    def cell(self, row: dict[str, Any], col: str) -> str:
        value = row.get(col)
        if value is None:
            return ""
        if col.endswith("bits_per_char"):
            return f"{value:.4f}"
        if col in {"parameters", "epochs"}:
            return f"{value:,}"
        if isinstance(value, float):
            return f"{value:.1f}"
        return str(value)

    def to_markdown(self) -> str:
        lines = ["| " + " | ".join(self.COLUMNS) + " |", "|" + "---|" * len(self.COLUMNS)]
        lines += ["| " + " | ".join(self.cell(r, c) for c in self.COLUMNS) + " |"
                  for r in self.rows]
        lines += [f"\nFailed: {name}: {why}" for name, why in self.failed.items()]
        return "\n".join(lines)


def compare_generators(
    data: str | Path | Sequence[str],
    models: Sequence[str] = ("char-lstm", "char-transformer"),
    *,
    out: str | Path = "compare-generators",
    minutes: float = 5.0,
    overrides: Mapping[str, Sequence[str]] | None = None,
    prompt: str = "",
    resume: bool = False,
    progress: bool = True,
    text: str | None = None,
    encoding: str | None = None,
) -> GeneratorBoard:
    """Train each generator family in ``models`` (or ``NAME=FAMILY`` variants with their
    own ``overrides``) on the same tweets for ``minutes`` each, score all on the same
    newest 5%, and rank them by held-out bits per character. Writes ``leaderboard.md``
    (with samples from ``prompt``), ``leaderboard.csv``, ``report.html``, ``curves.png``
    (held-out bits per character against training time) and the models under
    ``OUT/models/NAME``.
    ``resume`` keeps the models an interrupted run finished.
    """

    from tqdm.auto import tqdm  # lazy: ~60 ms of start-up

    from .generation import (  # lazy: imports torch
        GENERATOR_FAMILIES,
        GeneratorConfig,
        read_tweets,
        train_generator,
    )

    entries = parse_models(models, GENERATOR_FAMILIES)
    check_settings(entries, overrides, lambda family: GeneratorConfig)
    if minutes <= 0:
        raise ConfigError(f"minutes = {minutes}: must be > 0")
    for name, settings in (overrides or {}).items():
        if any(x.strip().startswith(("cleaning.", "valid_fraction")) for x in settings):
            raise ConfigError(f"{name}: cleaning and valid_fraction settings would give each "
                              "model other held-out tweets; a comparison holds out the same "
                              "newest 5% for all")
    out_path, rows_dir = _output(out, resume)
    corpus = read_tweets(data, text=text, encoding=encoding)
    train_part, valid_part = corpus.split_by_time(GeneratorConfig().valid_fraction)
    fingerprint = {"n": len(corpus), "source": corpus.source, "minutes": minutes}
    rows: list[dict[str, Any]] = []
    failed: dict[str, str] = {}
    bar = tqdm(total=len(entries), desc="compare", unit="model",
               disable=None if progress else True)
    try:
        for name, family in entries:
            row_file = rows_dir / f"{name}.json"
            settings = list((overrides or {}).get(name, ()))
            key = {**fingerprint, "family": family, "settings": settings}
            done = _finished_row(row_file, key, resume)
            if done is not None:
                rows.append(done)
                bar.update(1)
                continue
            bar.set_postfix(model=name)
            try:
                gen = train_generator(corpus, family, out=out_path / "models" / name, force=True,
                                      overrides=[f"max_seconds={minutes * 60}", *settings,
                                                 *([] if progress else ["progress=false"])])
            except TweetlabError as exc:
                failed[name] = str(exc)
                log.error("compare: %s failed: %s", name, exc)
                bar.update(1)
                continue
            m = gen.metrics_
            gen.generate(prompt, n=5, seed=0)  # warm-up
            start = time.perf_counter()
            timed = gen.generate(prompt, n=100, seed=1)
            speed = len(timed) / (time.perf_counter() - start)
            row = {"model": name, "family": family, "settings": settings,
                   "bits_per_char": m.get("valid_bits_per_char"),
                   "network_bits_per_char": m.get("valid_bits_per_char_network"),
                   "train_s": m["train_seconds"], "epochs": m["epochs_run"],
                   "parameters": m["parameters"], "tweets_per_s": speed,
                   "size_mb": _folder_mb(out_path / "models" / name),
                   "samples": gen.generate(prompt, n=3, seed=2), "history": m["history"]}
            write_json_atomic(row_file, {"fingerprint": key, "row": row})
            rows.append(row)
            bar.update(1)
    finally:
        bar.close()
    if not rows:
        raise TweetlabError("compare: every model failed; "
                            + "; ".join(f"{n}: {why}" for n, why in failed.items()))

    rows.sort(key=lambda r: (r["bits_per_char"] is None, r["bits_per_char"] or 0.0))
    board = GeneratorBoard(rows, len(train_part), len(valid_part), corpus.source, failed=failed)
    board.files = write_generator_board(board, out_path, prompt)
    return board
