"""The few verbs most users need: :func:`train`, :func:`evaluate`, :func:`load`.

Everything the CLI does is one of these calls.

>>> import tweetlab
>>> ds = tweetlab.Dataset(texts=["good", "great", "bad", "awful"] * 5,
...                       labels=["pos", "pos", "neg", "neg"] * 5)
>>> model = tweetlab.train(ds, model="tfidf", valid_size=0.2)
>>> model.predict(["awful"])
['neg']
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import distributed
from ._fs import check_can_write
from ._workers import auto_workers, scored
from .bundled import load
from .config import TrainConfig, split_overrides
from .data import (
    KNOWN_COLUMNS,
    Dataset,
    ImageDataset,
    SkippedRow,
    check_leakage,
    iter_dataset,
    load_dataset,
    load_images,
    split_dataset,
)
from .data.splits import choose_split, text_keys
from .data.stream import as_text
from .data.writers import TableWriter, table_format
from .errors import ConfigError, DataError, ModelError, list_columns
from .evaluation import (
    EvaluationReport,
    calibration,
    evaluate_model,
    fit_temperature,
    mistakes,
    neutral_bands,
)
from .explanation import explain, top_words, words_relied_on
from .models import Classifier, get_family
from .models.base import check_neutral_band, label_confidence, with_entity
from .persistence import check_writable, file_fingerprint, read_text_keys, write_text_keys
from .reports import write_evaluation
from .text.scripts import unfamiliar_script_note

log = logging.getLogger("tweetlab")


def hardware(result: Any) -> dict[str, Any]:
    """``{"device": "cpu", "bf16": true}`` of a training loop's result (empty without one);
    ``processes``: how many trained it together (torchrun), when more than one."""
    if result is None or not hasattr(result, "device"):
        return {}
    out = {"device": result.device, "bf16": bool(result.bf16)}
    if getattr(result, "processes", 1) > 1:
        out["processes"] = result.processes
    return out


def checkpoint_dir_for(out: str | Path) -> Path:
    """Where an interrupted ``train --out DIR`` keeps its checkpoint: ``.DIR.checkpoint``."""
    out = Path(out)
    return out.with_name(f".{out.name}.checkpoint")


IMAGE_TASK = "image-classification"
AnyDataset = Dataset | ImageDataset


def read_data(path: str | Path, task: str = "text-classification", *,
              require_labels: bool = True, **read: Any) -> AnyDataset:
    """Read a data file for a model of ``task``: tweets, or pixel rows for image models.

    ``read`` keywords: ``text``, ``label``, ``format``, ``encoding``, ``skip_bad_rows``
    for tweets; ``label`` and ``shape`` (``"28x28"``) for images. ``None`` values are
    ignored.
    """
    opts = {k: v for k, v in read.items() if v is not None}
    if task == IMAGE_TASK:
        return load_images(path, label=opts.get("label"), shape=opts.get("shape"),
                           require_labels=require_labels)
    opts.pop("shape", None)
    return load_dataset(path, require_labels=require_labels, **opts)


def _as_dataset(data: AnyDataset | str | Path, task: str = "text-classification",
                **read: Any) -> AnyDataset:
    if isinstance(data, Dataset | ImageDataset):
        return data
    return read_data(data, task, **read)


def check_trainable(ds: Any) -> None:
    """Labels, and at least two classes of them, or a clear error naming the file."""
    if ds.labels is None:
        raise DataError("the data has no labels to train on", path=ds.source)
    if len(set(ds.labels)) < 2:
        raise DataError(f"a classifier needs at least two classes; found only {ds.classes}",
                        path=ds.source, field="label")


def train(
    data: AnyDataset | str | Path,
    model: str = "fasttext",
    *,
    out: str | Path | None = None,
    valid: AnyDataset | str | Path | None = None,
    valid_size: float = 0.1,
    split: str = "auto",
    seed: int = 0,
    overrides: Sequence[str] = (),
    train_config: TrainConfig | None = None,
    neutral_band: Sequence[float] | None = None,
    force: bool = False,
    resume: bool = False,
    command: str | None = None,
    entity: bool = True,
    **read: Any,
) -> Classifier:
    """Train a ``model`` family on ``data`` and (with ``out``) save it.

    Args:
        data: a :class:`Dataset` or a path that :func:`load_dataset` reads (``read``
            keywords such as ``text=``, ``label=``, ``skip_bad_rows=`` go to it).
        model: family name (``tfidf``, ``bow-mlp``, ``fasttext``...).
        out: model directory to write; must not exist unless ``force``.
        valid: a separate validation set; otherwise ``valid_size`` of ``data`` is held
            out by ``split`` (``auto`` groups by ``id`` when ids repeat). The held-out
            part drives early stopping and gives the scores in ``metrics.json``.
        overrides: ``key=value`` strings for the family config or the training loop.
        neutral_band: (low, high) stored with a binary model.
        resume: continue an interrupted run of the same command from its checkpoint.
        entity: when the data has an ``entity`` column, train on "[entity] text" so the
            model knows what each tweet is about (entity-level sentiment).
    """
    cls = get_family(model)
    check_data_parallel(cls.family, cls.data_parallel)
    out_path, ckpt = prepare_output(out, force=force, resume=resume)
    ds = _as_dataset(data, cls.task, **read)
    check_trainable(ds)
    split_used = "given"
    if valid_size is not None and (valid_size < 0 or (
            valid_size >= 1 and not float(valid_size).is_integer())):
        raise ConfigError(f"valid_size = {valid_size}: use a fraction in (0, 1), a number of "
                          "rows, or 0 for no validation split")
    if valid is not None:
        train_ds, valid_ds = ds, _as_dataset(valid, cls.task, **read)
    elif valid_size and valid_size > 0:
        split_used = choose_split(ds) if split == "auto" else split
        train_ds, valid_ds = split_dataset(ds, test_size=valid_size, by=split_used, seed=seed)
    else:
        train_ds, valid_ds = ds, None
    family_cfg, tcfg = split_overrides(
        [cls.Config(), train_config or TrainConfig(**{**cls.train_defaults, "seed": seed})],
        list(overrides))
    if isinstance(ds, ImageDataset):
        # The image size is a fact of the data (``shape=`` / ``--shape``), not a setting.
        h, w, c = ds.shape
        family_cfg = family_cfg.replace(height=h, width=w, channels=c)
    clf = cls(family_cfg, train_config=tcfg, neutral_band=neutral_band)
    log.info("training %s on %d %s (%s), validating on %d", model, len(train_ds),
             "images" if isinstance(train_ds, ImageDataset) else "tweets",
             ", ".join(f"{k}: {v}" for k, v in sorted(train_ds.label_counts().items())),
             len(valid_ds) if valid_ds is not None else 0)
    use_entity = entity and isinstance(train_ds, Dataset) and "entity" in train_ds.columns
    if use_entity:
        clf.entity_input = True
        log.info("the data has an entity column: the model sees each tweet as '[entity] text'")
    if valid_ds is not None:  # before training, naming the file
        unseen = sorted(set(valid_ds.labels or []) - set(train_ds.labels or []))
        if unseen:
            raise DataError(f"validation labels {unseen} never occur in the training part",
                            path=valid_ds.source, field="label")
    clf.fit(model_inputs(clf, train_ds), train_ds.labels or [],
            valid=(model_inputs(clf, valid_ds), valid_ds.labels or [])
            if valid_ds is not None else None,
            checkpoint_dir=ckpt, resume=resume)
    if not distributed.is_main():  # under torchrun the first process does the rest
        clf.metrics_ = {"train_seconds": round(clf.fit_seconds_, 3)}
        return clf
    metrics: dict[str, Any] = {
        "train_seconds": round(clf.fit_seconds_, 3),
        "data": {"source": ds.source, "sha256": file_fingerprint(ds.source),
                 "bytes": Path(ds.source).stat().st_size
                 if ds.source and Path(ds.source).is_file() else None,
                 "format": getattr(ds, "format", "pixel-csv"),
                 "n_train": len(train_ds),
                 "n_valid": len(valid_ds) if valid_ds is not None else 0, "split": split_used,
                 "skipped_rows": len(getattr(ds, "skipped", []))},
    }
    if command:
        metrics["command"] = command
    if valid_ds is not None and tcfg.calibrate:
        if len(valid_ds) >= CALIBRATION_MIN:
            metrics["calibration"] = calibrate(clf, valid_ds)
        else:
            log.info("confidences not calibrated: %d validation examples (%d needed)",
                     len(valid_ds), CALIBRATION_MIN)
    if hasattr(clf, "history_"):
        metrics["history"] = clf.history_
        metrics["best_epoch"] = getattr(getattr(clf, "train_result_", None), "best_epoch", None)
        metrics.update(hardware(getattr(clf, "train_result_", None)))
    if valid_ds is not None:
        report = evaluate_model(clf, model_inputs(clf, valid_ds), valid_ds.labels or [])
        metrics["validation"] = report.to_dict()
        metrics["validation_note"] = ("validation split, also used for early stopping"
                                      if hasattr(clf, "history_") else "validation split")
        if isinstance(train_ds, Dataset) and isinstance(valid_ds, Dataset):
            leak = check_leakage(train_ds, valid_ds)
            metrics["leakage"] = {"exact": leak.exact, "normalized": leak.normalized,
                                  "n_valid": leak.n_b}
            log.info("held-out: accuracy %.4f, macro-F1 %.4f on %d tweets; %s",
                     report.accuracy, report.macro_f1, report.n, leak)
        else:
            log.info("held-out: accuracy %.4f, macro-F1 %.4f on %d %s", report.accuracy,
                     report.macro_f1, report.n,
                     "images" if isinstance(valid_ds, ImageDataset) else "tweets")
        if isinstance(valid_ds, Dataset) and clf.task == "text-classification":
            metrics["relies_on"] = relied_on(clf, valid_ds)
    clf.metrics_ = metrics
    finish_output(clf, out_path, ckpt, force=force, metrics=metrics,
                  train_texts=train_ds.texts if isinstance(train_ds, Dataset) else None)
    return clf


CALIBRATION_MIN = 100  # validation tweets from which training fits a temperature


def calibrate(clf: Any, ds: AnyDataset) -> dict[str, Any]:
    """Fit ``clf.temperature`` on the labelled ``ds`` (temperature scaling: the labels stay,
    the confidences move to match how often they are right); what metrics.json records."""

    clf.temperature = 1.0
    proba = clf.predict_proba(model_inputs(clf, ds, warn=False))
    index = {c: i for i, c in enumerate(clf.classes_)}
    t, before, after = fit_temperature(proba, [index[lab] for lab in ds.labels or []])
    clf.temperature = t
    log.info("calibrated: temperature %.2f (validation log-loss %.3f -> %.3f)", t, before,
             after)
    return {"temperature": round(t, 4), "nll_before": round(before, 4),
            "nll_after": round(after, 4), "n": len(ds)}


# Families that run a pretrained encoder: ~50 ms to explain a tweet on 2 cores, not ~0.5 ms.
SLOW_FAMILIES = frozenset({"transformer", "embed-lr"})


def relied_on(clf: Any, ds: Dataset) -> dict[str, Any]:
    """The words ``clf`` relies on per class (:func:`tweetlab.explanation.words_relied_on`)
    over the first 400 held-out tweets (100 for a family with a pretrained encoder, whose
    predictions cost ~100x more: about 5 s either way on 2 cores)."""
    entity = ds.columns.get("entity") if getattr(clf, "entity_input", False) else None
    return relied_on_texts(clf, ds.texts, entity)


def relied_on_texts(clf: Any, texts: Sequence[str], entity: Sequence[Any] | None,
                    most: int = 400) -> dict[str, Any]:
    """:func:`relied_on` for a list of tweets (and their entities, or None): the first
    ``most`` (100 at most for a slow family). The same tweets give the same words whatever
    the machine's speed."""

    n = min(len(texts), most, 100 if getattr(clf, "family", "") in SLOW_FAMILIES else most)
    words = words_relied_on(clf, texts[:n], entity=list(entity[:n]) if entity else None)
    return {"tweets": n, "classes": {c: [list(w) for w in ws] for c, ws in words.items()}}


def check_data_parallel(family: str, data_parallel: bool, processes: int | None = None
                        ) -> None:
    """Refuse to train ``family`` in several processes (torchrun, ``--processes``) when
    it cannot."""
    n = distributed.world_size() if processes is None else processes
    if n > 1 and not data_parallel:
        raise ConfigError(f"{family} trains in one process: run it without torchrun or "
                          f"--processes ({n} processes asked for)")


def prepare_output(out: str | Path | None, *, force: bool, resume: bool
                   ) -> tuple[Path | None, Path | None]:
    """(model folder, checkpoint folder) of a training run, checked before any work.

    Refuses an existing folder without ``force``, and a checkpoint left by an
    interrupted run unless ``resume`` (continue it) or ``force`` (start over).
    """
    if out is None:
        return None, None
    out_path = Path(out)
    ckpt = checkpoint_dir_for(out_path)
    if not distributed.is_main():  # under torchrun: the first process checks and writes
        return out_path, ckpt
    check_writable(out_path, force)
    if ckpt.exists() and not resume:
        if not force:
            raise ModelError(f"an interrupted training run left {ckpt}; pass --resume to "
                             "continue it or --force to start over")
        shutil.rmtree(ckpt)
    if resume and not ckpt.exists():
        log.warning("nothing to resume for %s (no checkpoint %s); training from the start",
                    out_path, ckpt)
    return out_path, ckpt


def finish_output(model: Any, out_path: Path | None, ckpt: Path | None, *, force: bool,
                  metrics: dict[str, Any], train_texts: Sequence[str] | None = None) -> None:
    """Save the trained model (if asked) with the keys of its ``train_texts`` (no text),
    and drop its now useless checkpoint."""
    if out_path is None:
        return
    model.save(out_path, force=force, metrics=metrics)
    if train_texts is not None:
        write_text_keys(out_path, train_texts)
    if ckpt is not None and ckpt.exists():
        shutil.rmtree(ckpt, ignore_errors=True)


def evaluate(model: Classifier | str | Path, data: AnyDataset | str | Path, *,
             neutral_band: Sequence[float] | None = None, progress: bool = False,
             out: str | Path | None = None, explain_mistakes: int = 100,
             source: str | Path | None = None, **read: Any) -> EvaluationReport:
    """Score a model (object or directory) on labelled ``data`` (``progress``: a progress
    bar for more than 50,000 tweets). A warning says when the data is the file the model
    was trained on, or when 5% or more of its tweets were in the training part
    (``source``: the file a ``data`` Dataset was read from, for the first check).

    The report also holds its ``calibration`` (:func:`tweetlab.evaluation.calibration`),
    for a binary text model what neutral bands would do (``bands``), and the wrong
    predictions, surest first (``mistakes``). ``out``: a folder to write all of it into -
    ``metrics.json``, ``confusion_matrix.png``, ``reliability.png`` and ``mistakes.csv``
    (the first ``explain_mistakes`` with the words that spoke for the wrong label) or, for
    images, ``worst_mistakes.png``; ``report.files`` lists them.

    >>> # tweetlab.evaluate("models/disaster", "test.csv", out="eval").accuracy
    """

    clf = load(model) if isinstance(model, str | Path) else model
    ds = _as_dataset(data, clf.task, **read)
    if ds.labels is None:
        raise DataError("the data has no labels to evaluate against", path=ds.source)
    check_label_overlap(clf, ds.labels, ds.source)
    warn_if_training_file(clf, data if isinstance(data, str | Path) else source,
                          ds.texts if isinstance(ds, Dataset) else None)
    report = evaluate_model(clf, model_inputs(clf, ds), ds.labels, neutral_band=neutral_band,
                            progress=progress)
    report.calibration = calibration(report.proba, ds.labels, clf.classes_)
    if isinstance(ds, Dataset):
        if len(clf.classes_) == 2:
            report.bands = neutral_bands(report.proba, ds.labels, clf.classes_)
        report.mistakes = mistakes(report, ds.texts, ds.labels, ds.lines)
        if out is not None and explain_mistakes > 0:
            report.mistakes = explained_mistakes(clf, ds, report.mistakes, explain_mistakes,
                                                 neutral_band)
    if out is not None:
        report.files = write_evaluation(report, clf, ds, Path(out), source=ds.source)
    return report


def explained_mistakes(clf: Any, ds: Dataset, found: list[Any], n: int,
                       neutral_band: Sequence[float] | None) -> list[Any]:
    """``found`` (:func:`tweetlab.evaluation.mistakes` of ``ds``) with the first ``n``
    given the words that spoke most for their wrong label."""

    head = found[:n]
    if not head:
        return found
    entities = ds.columns.get("entity") if getattr(clf, "entity_input", False) else None
    why = explain(clf, [m.text for m in head], neutral_band=neutral_band,
                  entity=[entities[m.index] for m in head] if entities else None)
    return [dataclasses.replace(m, words=top_words(e), target=e.target)
            for m, e in zip(head, why, strict=True)] + found[n:]


OVERLAP_WARNING = 0.05  # share of a test file's tweets seen in training that is said


def warn_if_training_file(model: Classifier, source: str | Path | None,
                          texts: Sequence[str] | None = None) -> bool:
    """Log a warning (and return True) when ``source`` is the file ``model`` was trained on,
    or when 5% or more of ``texts`` (the file's tweets) were in its training part - a test
    file cut from the training file: scores on them are optimistic."""
    if _same_file(model, source):
        return True
    folder = getattr(model, "folder_", None)
    if texts is None or folder is None or not texts:
        return False

    trained = read_text_keys(folder)
    if trained is None:
        return False
    keys = text_keys(texts)
    seen = int(np.isin(keys, trained).sum())
    if not len(keys) or seen / len(keys) < OVERLAP_WARNING:
        return False
    log.warning("%s of the %s distinct tweets here (%.0f%%) were in this model's training "
                "part: these scores are optimistic; evaluate on tweets it has not seen",
                f"{seen:,}", f"{len(keys):,}", 100 * seen / len(keys))
    return True


def _same_file(model: Classifier, source: str | Path | None) -> bool:
    trained = (getattr(model, "metrics_", None) or {}).get("data") or {}
    if not trained.get("sha256") or source is None or not Path(source).is_file():
        return False
    if trained.get("bytes") not in (None, Path(source).stat().st_size):
        return False  # another size: no need to read the file
    if file_fingerprint(source) != trained["sha256"]:
        return False
    log.warning("%s is the file this model was trained on (%s of its rows were in the training "
                "part): these scores are optimistic. The held-out score from training is in "
                "metrics.json (tweetlab info); evaluate on data the model has not seen.",
                source, trained.get("n_train", "most"))
    return True


def iter_predictions(model: Classifier | str | Path, data: Dataset | str | Path, *,
                     neutral_band: Sequence[float] | None = None, progress: bool = False,
                     chunk_size: int | None = None, workers: int | None = None,
                     explain: bool = False, **read: Any
                     ) -> tuple[list[str], Iterator[list[list[Any]]]]:
    """:func:`predict_table` a piece at a time: ``(header, pieces)``, each piece a list of
    rows. A file is read as the pieces are asked for (:func:`tweetlab.data.iter_dataset`),
    so memory stays flat however many tweets it holds. ``chunk_size``: tweets per piece
    (default: the model's ``PREDICT_CHUNK``, 50,000). ``progress``: a progress bar from the
    second piece on, its total (and time left) estimated from how much of the file has
    been read. Bad rows skipped (``skip_bad_rows=True``) are logged at the end.
    ``workers``: processes that clean and score pieces while this one reads and writes
    (``None``: one per core, up to 4, for files over ~150k tweets; 1: none). ``explain``:
    a last column, ``words``, with the three words that spoke most for each label
    (:func:`tweetlab.explanation.top_words`; a tweet then costs one prediction per word).

    The header comes from the first piece: a column that piece lacks is left out, and
    cells a later piece lacks are empty (``None``).

    >>> import tweetlab
    >>> ds = tweetlab.Dataset(texts=["good", "bad"] * 10, labels=["pos", "neg"] * 10)
    >>> m = tweetlab.train(ds, model="tfidf", valid_size=0)
    >>> header, pieces = iter_predictions(m, ds, chunk_size=8)
    >>> [len(rows) for rows in pieces]
    [8, 8, 4]
    """
    clf = load(model) if isinstance(model, str | Path) else model
    size = int(chunk_size or getattr(clf, "PREDICT_CHUNK", None) or 50_000)
    if isinstance(data, Dataset):
        pieces: Iterator[Dataset] = (data.subset(range(i, min(i + size, len(data))))
                                     for i in range(0, len(data), size)) \
            if len(data) > size else iter([data])
        source: Any = data.source
    elif clf.task == IMAGE_TASK or isinstance(data, ImageDataset):
        raise DataError("predictions tables are for tweets; use model.predict for images",
                        path=getattr(data, "source", data))
    else:
        opts = {k: v for k, v in read.items() if v is not None and k != "shape"}
        pieces = iter_dataset(data, chunk_size=size, require_labels=False, **opts)
        source = data
    n_workers = (auto_workers(data, clf) if workers is None else workers) \
        if not isinstance(data, Dataset) else (workers or 1)
    if n_workers < 1:
        raise ConfigError(f"workers = {n_workers}: must be >= 1")
    first = next(pieces)
    n_read = 0
    extra = [c for c in KNOWN_COLUMNS if c in first.columns]
    labelled = first.labels is not None
    header = [*extra, "text", *(["true_label"] if labelled else []), "label", "confidence",
              *(f"p_{c}" for c in clf.classes_), *(["words"] if explain else [])]

    def rows_of(ds: Dataset, scores: Any) -> list[list[Any]]:
        proba, words = scores if explain else (scores, None)
        labels = clf.labels_from_proba(proba, neutral_band)
        cols = [ds.columns.get(c) for c in extra]
        truth = ds.labels if labelled else None
        rows = []
        for i, (text, lab, p) in enumerate(zip(ds.texts, labels, proba.tolist(), strict=True)):
            rows.append([*(col[i] if col is not None else None for col in cols), text,
                         *([truth[i] if truth is not None else None] if labelled else []),
                         lab, round(label_confidence(clf.classes_, lab, p), 4),
                         *(round(v, 4) for v in p), *([words[i]] if words is not None else [])])
        return rows

    def inputs(ds: Dataset) -> tuple[Any, ...]:
        if explain:  # the texts and their entities apart: the entity is never left out
            entity = ds.columns.get("entity") if getattr(clf, "entity_input", False) else None
            return ds.texts, entity
        return (model_inputs(clf, ds, warn=ds is first),)

    def drawn() -> Iterator[Dataset]:
        nonlocal n_read
        for ds in itertools.chain([first], pieces):
            n_read += len(ds)
            yield ds

    def estimate() -> int | None:
        """Tweets in all: exact for a Dataset, else from how far the file has been read."""
        if isinstance(data, Dataset):
            return len(data)
        fraction = getattr(pieces, "fraction_read", None)
        return max(n_read, round(n_read / fraction)) if fraction else None

    def generate() -> Iterator[list[list[Any]]]:
        skipped: list[SkippedRow] = []
        bar = None
        model_ref = Path(model) if isinstance(model, str | Path) else clf
        try:
            scorer, args = (_Explained, (neutral_band,)) if explain else (_Proba, ())
            for ds, scores in scored(drawn(), inputs, scorer, clf, model_ref, args, n_workers):
                skipped += ds.skipped
                yield rows_of(ds, scores)
                if progress and ds is not first:  # a bar from the second piece on
                    if bar is None:
                        from tqdm.auto import tqdm  # lazy: may be missing

                        bar = tqdm(initial=len(first), desc="predict", unit=" tweets")
                    bar.total = estimate()  # the file's tweets, estimated as it is read
                    bar.update(len(ds))
            if bar is not None:
                bar.total = bar.n  # read to the end: the count is known
                bar.refresh()
        finally:
            if bar is not None:
                bar.close()
        if skipped:
            warn_skipped(source, skipped)

    return header, generate()


class _Proba:
    """A piece's class probabilities (here or in a worker process)."""

    def __init__(self, clf: Any) -> None:
        self.clf = clf

    def __call__(self, inputs: Any) -> np.ndarray:
        return np.asarray(self.clf.predict_proba(inputs))


class _Explained:
    """A piece's class probabilities and, per tweet, the words that spoke most for its
    label (here or in a worker process)."""

    def __init__(self, clf: Any, neutral_band: Sequence[float] | None) -> None:
        self.clf = clf
        self.band = neutral_band

    def __call__(self, texts: list[str], entity: list[Any] | None
                 ) -> tuple[np.ndarray, list[str]]:
        found = explain(self.clf, texts, entity=entity, neutral_band=self.band)
        proba = np.array([[e.probabilities[c] for c in self.clf.classes_] for e in found])
        return proba.reshape(len(found), len(self.clf.classes_)), [top_words(e) for e in found]


def score_frame(model: Classifier | str | Path, frame: Any, text: str = "text", *,
                entity: str | None = "entity", neutral_band: Sequence[float] | None = None
                ) -> Any:
    """Label the tweets of a pandas DataFrame: a copy of ``frame`` with ``label``,
    ``confidence`` and one ``p_<class>`` column per class added (a ``label`` column the
    frame already has - the true labels - is renamed ``true_label``). The same labels and
    probabilities as :func:`predict_file` gives for those tweets.

    The building block for scoring on an engine that hands out DataFrame batches: Ray
    Data's ``map_batches`` (what ``tweetlab predict --engine ray`` runs), Spark's
    ``mapInPandas`` or ``predict_batch_udf``, Dask's ``map_partitions``. ``model``: a
    classifier (load it once per worker and pass it to every batch), a model folder or a
    bundled name. ``text``: the column of the tweets (missing values score as empty
    texts). ``entity``: for a model trained with entities, the column naming what each
    tweet is about, when the frame has it. Rows keep their order and index.

    >>> import pandas as pd, tweetlab
    >>> m = tweetlab.create("tfidf").fit(["good", "great", "bad", "awful"], ["pos", "pos", "neg", "neg"])
    >>> out = score_frame(m, pd.DataFrame({"id": [1, 2], "text": ["good", "awful"]}))
    >>> out[["id", "label"]].values.tolist()
    [[1, 'pos'], [2, 'neg']]
    """
    clf = load(model) if isinstance(model, str | Path) else model
    if text not in frame.columns:
        raise DataError(f"no column {text!r} for the text; columns: "
                        f"{list_columns([str(c) for c in frame.columns])}", field=text)
    texts = as_text(frame[text].tolist())
    inputs: list[str] = texts
    if getattr(clf, "entity_input", False) and entity is not None and entity in frame.columns:
        inputs = with_entity(texts, as_text(frame[entity].tolist()))
    classes = list(clf.classes_)
    proba = np.asarray(clf.predict_proba(inputs)) if texts else \
        np.zeros((0, len(classes)), dtype=np.float32)
    labels = clf.labels_from_proba(proba, check_neutral_band(neutral_band)) if texts else []
    out = frame.rename(columns={"label": "true_label"}) if "label" in frame.columns \
        else frame.copy()
    out["label"] = labels
    out["confidence"] = [label_confidence(classes, lab, p)
                         for lab, p in zip(labels, proba.tolist(), strict=True)]
    for j, c in enumerate(classes):
        out[f"p_{c}"] = proba[:, j].astype(np.float64)
    return out


def warn_skipped(source: Any, skipped: Sequence[SkippedRow]) -> None:
    """Log how many bad rows were skipped, by reason, and the first one's line."""
    reasons: dict[str, int] = {}
    for row in skipped:
        reasons[row.reason] = reasons.get(row.reason, 0) + 1
    detail = ", ".join(f"{n} {r}" for r, n in sorted(reasons.items(), key=lambda x: -x[1]))
    log.warning("%s: skipped %d bad rows (%s); first at line %d", source, len(skipped),
                detail, skipped[0].line)


def predict_table(model: Classifier | str | Path, data: Dataset | str | Path, *,
                  neutral_band: Sequence[float] | None = None, progress: bool = False,
                  columns: Sequence[str] | None = None, explain: bool = False,
                  **read: Any) -> tuple[list[str], list[list[Any]]]:
    """Label every row of ``data``: ``(header, rows)``, one row per tweet.

    Columns: those of ``id``, ``date``, ``user``, ``entity``, ``keyword`` the data has,
    ``text``, ``true_label`` (when the data is labelled), ``label`` (the prediction),
    ``confidence``, one ``p_<class>`` per class and, with ``explain``, ``words`` (the three
    that spoke most for the label). ``progress``: a progress bar while
    scoring (files of more than 50,000 tweets, scored in pieces of that size).
    ``columns``: only these, in this order; ``NEW=NAME`` renames (Kaggle's disaster
    submission: ``["id", "target=label"]``). All rows are held in memory: for files of
    millions of tweets use :func:`predict_file` or :func:`iter_predictions`.

    >>> import tweetlab
    >>> ds = tweetlab.Dataset(texts=["good", "bad"] * 10, labels=["pos", "neg"] * 10)
    >>> m = tweetlab.train(ds, model="tfidf", valid_size=0)
    >>> header, rows = predict_table(m, ds)
    >>> header, rows[0][:3]
    (['text', 'true_label', 'label', 'confidence', 'p_neg', 'p_pos'], ['good', 'pos', 'pos'])
    """
    header, pieces = iter_predictions(model, data, neutral_band=neutral_band,
                                      progress=progress, explain=explain, **read)
    rows = [row for piece in pieces for row in piece]
    if columns:
        header, rows = select_columns(header, rows, columns)
    return header, rows


def select_columns(header: list[str], rows: list[list[Any]], columns: Sequence[str] | None
                   ) -> tuple[list[str], list[list[Any]]]:
    """Keep ``columns`` (``NAME`` or ``NEW=NAME``) of a table, in that order (all of them
    when ``columns`` is empty or ``None``).

    >>> select_columns(["id", "text", "label"], [[7, "hi", "1"]], ["id", "target=label"])
    (['id', 'target'], [[7, '1']])
    """
    if not columns:
        return list(header), rows
    names, picks = [], []
    for spec in columns:
        new, _, old = spec.strip().rpartition("=")
        old = old.strip()
        if old not in header:
            raise ConfigError(f"no output column {old!r}; the columns are "
                              f"{', '.join(header)}")
        names.append(new.strip() or old)
        picks.append(header.index(old))
    return names, [[row[i] for i in picks] for row in rows]


def check_output_file(out: str | Path, force: bool) -> None:
    """Before the work: ``out`` names a table format, its folder takes files, and it is
    not an existing file (unless ``force``)."""

    table_format(out)
    check_can_write(Path(out).parent, Path(out).name)
    if Path(out).exists() and not force:
        raise DataError("already exists; pass force=True (CLI: --force) to overwrite it",
                        path=out)


def predict_file(model: Classifier | str | Path, data: Dataset | str | Path,
                 out: str | Path, *, neutral_band: Sequence[float] | None = None,
                 force: bool = False, progress: bool = False,
                 columns: Sequence[str] | None = None, chunk_size: int | None = None,
                 workers: int | None = None, explain: bool = False,
                 **read: Any) -> dict[str, int]:
    """Label every row of ``data`` and write :func:`predict_table`'s table to ``out``
    (CSV, TSV, JSON lines or Parquet by its name; ``.gz`` ok; atomic; an existing file
    only with ``force``). A file is read, scored and written ``chunk_size`` tweets at a
    time (see :func:`iter_predictions`, also for ``workers``), so its size is not limited
    by memory. Returns how many tweets got each label.
    """

    check_output_file(out, force)
    header, pieces = iter_predictions(model, data, neutral_band=neutral_band,
                                      progress=progress, chunk_size=chunk_size,
                                      workers=workers, explain=explain, **read)
    at = header.index("label")
    names = select_columns(header, [], columns)[0]  # (an unknown column: before any work)
    counts: dict[str, int] = {}
    with TableWriter(out, names, force=force) as table:
        for rows in pieces:
            for row in rows:
                counts[row[at]] = counts.get(row[at], 0) + 1
            table.write(select_columns(header, rows, columns)[1])
    return dict(sorted(counts.items()))


def check_label_overlap(model: Any, labels: Sequence[str], source: str | None) -> None:
    """Scoring ``model`` against ``labels``: an error when they share no label (the data
    names its classes differently), a warning for labels the model cannot predict."""
    known = set(getattr(model, "output_labels", model.classes_))
    data = sorted(set(labels))
    foreign = [lab for lab in data if lab not in known]
    if foreign and len(foreign) == len(data):
        raise DataError(f"none of the data's labels ({', '.join(data)}) is one the model "
                        f"predicts ({', '.join(sorted(known))}); rename them with label_map= "
                        f"(CLI: --label-map {data[0]}=...,{data[-1]}=...)", path=source)
    if foreign:
        n = sum(1 for lab in labels if lab not in known)
        log.warning("%d of %d rows have labels the model never predicts (%s); they count as "
                    "errors", n, len(labels), ", ".join(foreign))


def model_inputs(model: Any, ds: AnyDataset, *, warn: bool = True) -> Any:
    """What ``model`` predicts from for the rows of ``ds``: texts, "[entity] text" for a
    model trained with entities (rows without an entity stay plain), or pixels."""
    if not isinstance(ds, Dataset):
        return ds.texts
    if warn:
        warn_unfamiliar_script(model, ds.texts)
    if getattr(model, "entity_input", False) and "entity" in ds.columns:
        return with_entity(ds.texts, ds.columns["entity"])
    if getattr(model, "entity_input", False) and warn:
        log.warning("this model was trained with entities, but the data has no entity column")
    return ds.texts


def warn_unfamiliar_script(model: Any, texts: Sequence[str]) -> bool:
    """Log :func:`tweetlab.text.scripts.unfamiliar_script_note` as a warning, if there is
    one (True then)."""

    note = unfamiliar_script_note(model, texts)
    if note is not None:
        log.warning("%s", note)
    return note is not None
