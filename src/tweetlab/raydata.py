"""Score and analyze collections of tweets on Ray Data: this machine's cores or a cluster.

``tweetlab predict MODEL --input PATH --output OUT.parquet --engine ray`` and ``tweetlab
analyze PATH --engine ray`` (in Python :func:`predict` and :func:`analyze`). ``PATH`` is
one file, a folder or a glob of CSV / TSV / JSONL / Parquet parts (gzip ok; one format):
a data lake's layout. Ray Data reads the parts in blocks, and ``map_batches`` hands them
to a pool of actors, each of which loads the model once and scores with
:func:`tweetlab.score_frame` - the same labels and probabilities as the built-in path.

* ``predict`` writes a Parquet dataset (a folder of parts that ``pandas.read_parquet``
  reads whole) with the built-in path's columns: the input's ``id``, ``date``, ``user``,
  ``entity``, ``keyword`` where it has them, ``text``, ``true_label`` (when it has
  labels), ``label``, ``confidence``, ``p_<class>``. The parts are written to a hidden
  folder beside the output and renamed into place at the end, so an interrupted run
  leaves nothing that looks complete.
* ``analyze`` counts each block where it is scored (labels per period and group, the
  most confident tweets, term counts, a random sample) and the driver adds the counts
  up: the same report as the built-in ``analyze``.

Without ``address`` a local Ray instance runs on this machine's cores (one actor per
core; one logical CPU more than there are cores, for the tasks that read and write, so
that a pool that fills every core never starves them). With ``address`` (``auto``, or
``ray://HOST:10001``) the work goes to an existing cluster; the model's files travel
with the job, so the nodes need tweetlab installed but not the model.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import json
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .analysis import AnalysisResult, Tally, _model_name, _Scorer, band_and_labels, finish
from .api import score_frame
from .bundled import default_for_file, resolve
from .data.dataset import KNOWN_COLUMNS
from .data.readers import LABEL_NAMES, open_text
from .data.splits import parse_dates
from .data.stream import as_text, column_roles
from .errors import ConfigError, DataError
from .models import load_model
from .models.base import check_neutral_band
from .periods import PERIODS
from .persistence import check_writable

log = logging.getLogger("tweetlab")

SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
            ".json": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
BATCH = 10_000  # tweets per map_batches call: large enough that Ray's per-call cost is small


def _kind(path: str) -> str | None:
    name = path.lower().removesuffix(".gz")
    return next((k for s, k in SUFFIXES.items() if name.endswith(s)), None)


def input_files(data: str | Path) -> tuple[list[str], str]:
    """The files of ``data`` (a file, a folder - searched recursively, hidden files and
    ``_``-prefixed markers left out - or a glob) and their format (csv, tsv, jsonl or
    parquet; all the same)."""
    spec = str(data)
    if any(c in spec for c in "*?["):
        files = sorted(glob.glob(spec, recursive=True))
    elif Path(spec).is_dir():
        files = sorted(str(p) for p in Path(spec).rglob("*") if p.is_file()
                       and not any(part.startswith((".", "_"))
                                   for part in p.relative_to(spec).parts))
    elif Path(spec).exists():
        files = [spec]
    else:
        raise DataError("file not found", path=spec)
    files = [f for f in files if Path(f).is_file()]
    kinds = {f: _kind(f) for f in files}
    unknown = [f for f, k in kinds.items() if k is None]
    if unknown and len(unknown) == len(files):
        raise DataError("no CSV, TSV, JSONL or Parquet files (by their names) here",
                        path=spec)
    if unknown:
        log.warning("%s: left out %d file(s) that are not CSV, TSV, JSONL or Parquet "
                    "(e.g. %s)", spec, len(unknown), unknown[0])
        files = [f for f in files if kinds[f] is not None]
    found = sorted({kinds[f] for f in files})  # type: ignore[type-var]
    if len(found) > 1:
        raise DataError(f"the parts are in several formats ({', '.join(map(str, found))}); "
                        "give one format at a time", path=spec)
    return files, str(found[0])


def _columns(path: str, kind: str) -> list[str]:
    """The column names of one part (the header, the Parquet schema, a JSON line's keys)."""
    if kind == "parquet":
        import pyarrow.parquet as pq  # lazy: pyarrow: slow to import

        return [str(c) for c in pq.read_schema(path).names]
    with open_text(Path(path), "utf-8-sig") as fh:
        first = fh.readline()
    if kind == "jsonl":
        try:
            return [str(k) for k in json.loads(first)]
        except (ValueError, TypeError):
            raise DataError("the first line is not a JSON object", path=path, line=1) from None
    return next(csv.reader([first], delimiter="\t" if kind == "tsv" else ","), [])


class Layout:
    """Which columns of the parts hold the text and the known roles, and the label."""

    def __init__(self, files: list[str], kind: str, text: str | None) -> None:
        self.files, self.kind = files, kind
        self.columns = _columns(files[0], kind)
        try:
            self.roles = column_roles(self.columns, text)  # file column -> text / role
        except DataError as exc:
            exc.path = files[0]
            raise
        lowered = {c.lower(): c for c in self.columns if c not in self.roles}
        self.label = next((lowered[n] for n in LABEL_NAMES if n in lowered), None)
        if self.label is not None:
            self.roles[self.label] = "label"

    def has(self, role: str) -> bool:
        return role in self.roles.values()

    def source(self) -> str:
        return self.files[0] if len(self.files) == 1 else \
            f"{len(self.files)} files like {self.files[0]}"


def _read(ray: Any, layout: Layout, columns: Sequence[str] | None = None) -> Any:
    """A Ray dataset of the parts (only ``columns``, when given); texts and ids as strings."""
    kind, files = layout.kind, layout.files
    if kind == "parquet":
        ds = ray.data.read_parquet(files)
        return ds.select_columns(list(columns)) if columns else ds
    if kind == "jsonl":
        ds = ray.data.read_json(files, lines=True)
        return ds.select_columns(list(columns)) if columns else ds
    import pyarrow as pa  # lazy: pyarrow: slow to import
    from pyarrow import csv as pacsv  # lazy: pyarrow: slow to import

    as_string = {c: pa.string() for c, role in layout.roles.items()
                 if role in ("text", "id", "label", "entity", "user", "keyword")}
    return ray.data.read_csv(
        files, parse_options=pacsv.ParseOptions(delimiter="\t" if kind == "tsv" else ",",
                                                newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types=as_string,
                                             include_columns=list(columns) if columns else None))


@contextlib.contextmanager
def session(address: str | None = None, *, progress: bool = True) -> Iterator[Any]:
    """Ray, connected: to ``address`` (a cluster), or to a local instance started here on
    this machine's cores and stopped at the end (one already started is used as it is)."""
    try:
        import ray  # lazy: optional dependency
    except ImportError:
        raise ConfigError("the ray engine needs Ray: pip install 'tweetlab[ray]'") from None
    started = False
    sigterm = signal.getsignal(signal.SIGTERM)
    if not ray.is_initialized():
        opts: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING,
                                "log_to_driver": False}
        if address:
            ray.init(address=address, **opts)
        else:
            ray.init(num_cpus=(os.cpu_count() or 1) + 1, **opts)
        started = True
        if sigterm is not None and threading.current_thread() is threading.main_thread():
            # Ray's own handler ends the process at once; the CLI's stops it as Ctrl-C
            # does, so that the partial output is removed and Ray stopped.
            signal.signal(signal.SIGTERM, sigterm)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = progress
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()


def _pool(ray: Any, actors: int | None, local: bool) -> dict[str, Any]:
    """``map_batches`` options for the actor pool: ``actors`` of them, or one per core
    here, or from 1 up to the cluster's CPUs less one (Ray grows the pool as blocks wait).
    """
    if actors is not None and actors < 1:
        raise ConfigError(f"actors = {actors}: must be >= 1")
    if actors is not None or local:
        strategy = ray.data.ActorPoolStrategy(size=actors or os.cpu_count() or 1)
    else:
        cpus = int(ray.cluster_resources().get("CPU", 2))
        strategy = ray.data.ActorPoolStrategy(min_size=1, max_size=max(1, cpus - 1))
    return {"compute": strategy, "num_cpus": 1}


def _pack(folder: Path) -> dict[str, bytes]:
    """A model folder's files (for a cluster, whose nodes may not see this disk)."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in folder.rglob("*") if p.is_file()}


def _unpack(model: Path | dict[str, bytes]) -> Any:
    """The classifier from a folder, or from files :func:`_pack` sent."""
    if isinstance(model, dict):
        folder = Path(tempfile.mkdtemp(prefix="tweetlab-model-"))
        for name, content in model.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(content)
        return load_model(folder)
    return load_model(model)


def _model_ref(model: Any, data: Any, text: str | None, local: bool) -> tuple[Path, Any]:
    """(the model's folder, what the actors load it from)."""
    if model is None:  # the default for the collection's language (its first part)
        model = default_for_file(data, text=text)
    folder = resolve(model)
    return folder, (folder if local else _pack(folder))


class _PredictBatch:
    """An actor's work for ``predict``: score a block with :func:`score_frame` and keep
    the built-in path's columns (probabilities to 4 decimals, as it writes them)."""

    def __init__(self, model: Any, roles: dict[str, str], band: Any) -> None:
        self.clf = _unpack(model)
        self.roles, self.band = roles, band

    def __call__(self, batch: Any) -> Any:
        frame = batch.rename(columns=self.roles)
        frame["text"] = as_text(frame["text"].tolist())
        frame = frame[frame["text"].str.strip() != ""]  # (the built-in path skips them too)
        out = score_frame(self.clf, frame, neutral_band=self.band)
        probs = [f"p_{c}" for c in self.clf.classes_]
        out[["confidence", *probs]] = out[["confidence", *probs]].round(4)
        keep = [c for c in KNOWN_COLUMNS if c in out.columns]
        keep += ["text", *(["true_label"] if "true_label" in out.columns else []), "label",
                 "confidence", *probs]
        return out[keep].reset_index(drop=True)


def predict(model: Any, data: str | Path, out: str | Path, *, address: str | None = None,
            text: str | None = None, neutral_band: Sequence[float] | None = None,
            force: bool = False, actors: int | None = None, batch_size: int = BATCH,
            progress: bool = True) -> dict[str, int]:
    """Label every tweet of ``data`` (a file, folder or glob of parts) on Ray and write a
    Parquet dataset to ``out`` (a folder of parts; an existing one only with ``force``).
    Returns how many tweets got each label. ``model``: a folder, a bundled or built name,
    ``None`` for the default by language. See the module docstring."""
    out = Path(out)
    if out.suffix.lower() in (".csv", ".tsv", ".jsonl", ".gz", ".json"):
        raise ConfigError(f"{out}: the ray engine writes a Parquet dataset (a folder of parts): "
                          "name the output OUT.parquet or a folder")
    if out.exists() and not force:
        raise DataError("already exists; pass force=True (CLI: --force) to overwrite it",
                        path=out)
    files, kind = input_files(data)
    layout = Layout(files, kind, text)
    band = check_neutral_band(neutral_band)
    local = address is None
    folder, ref = _model_ref(model, files[0], text, local)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    try:  # (cleaned up once Ray has stopped: no write task can bring the folder back)
        with session(address, progress=progress) as ray:
            ds = _read(ray, layout, list(layout.roles))
            ds = ds.map_batches(_PredictBatch, fn_constructor_args=(ref, layout.roles, band),
                                batch_format="pandas", batch_size=batch_size,
                                **_pool(ray, actors, local))
            ds.write_parquet(str(partial))
    except BaseException as exc:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(exc, Exception) and not isinstance(exc, DataError | ConfigError):
            raise DataError(f"scoring on Ray failed: {_first_line(exc)}",
                            path=layout.source()) from exc
        raise
    if not partial.exists():  # (no rows at all: Ray writes no part)
        raise DataError("no tweets to label", path=layout.source())
    if out.exists():  # force: the old output goes only once the new one is complete
        shutil.rmtree(out) if out.is_dir() else out.unlink()
    os.replace(partial, out)
    import pyarrow.dataset as pads  # lazy: pyarrow: slow to import

    labels = pads.dataset(str(out), format="parquet").to_table(columns=["label"])
    values, counts = np.unique(np.asarray(labels.column("label").to_pylist(), dtype=object)
                               .astype(str), return_counts=True)
    log.info("%s: scored on Ray with %s", layout.source(), folder.name)
    return {str(v): int(n) for v, n in zip(values.tolist(), counts.tolist(), strict=True)}


def _first_line(exc: BaseException) -> str:
    """The gist of an error raised in an actor (Ray wraps it in its traceback)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    errors = [ln for ln in lines if "Error" in ln or "Invalid" in ln]
    return (errors[-1] if errors else lines[-1] if lines else type(exc).__name__)[:500]


class _AnalyzeBatch:
    """An actor's work for ``analyze``: score a block and count it
    (:meth:`tweetlab.analysis.Tally.to_frame`), plus a row with how many tweets had no
    usable date and the first such date."""

    def __init__(self, model: Any, roles: dict[str, str], by: str, group: str | None,
                 top_n: int, band: Any, labels: list[str]) -> None:
        clf = _unpack(model)
        self.use_entity = bool(getattr(clf, "entity_input", False))
        self.scorer = _Scorer(clf, band)
        self.roles, self.by, self.group, self.top_n, self.labels = roles, by, group, top_n, labels

    def __call__(self, batch: Any) -> Any:
        import pandas as pd  # lazy: pandas: slow to import

        frame = batch.rename(columns=self.roles)
        frame["text"] = as_text(frame["text"].tolist())
        frame = frame[frame["text"].str.strip() != ""].reset_index(drop=True)
        skipped, first_bad = 0, None
        if self.by != "all":
            dates = parse_dates(frame["date"].tolist())
            ok = ~np.isnat(dates)
            if not ok.all():
                skipped = int((~ok).sum())
                first_bad = str(frame["date"].iloc[int(np.flatnonzero(~ok)[0])])
                frame, dates = frame[ok].reset_index(drop=True), dates[ok]
        else:
            dates = np.zeros(len(frame), dtype="datetime64[s]")
        tally = Tally(self.labels, self.group, self.top_n, self.use_entity)
        if len(frame):
            ents = frame["entity"].tolist() if self.use_entity and "entity" in frame.columns \
                else None
            labels, conf, terms = self.scorer(frame["text"].tolist(), ents)
            tally.add(frame, dates, labels, conf, terms, by=self.by)
        counted = tally.to_frame()
        extra = pd.DataFrame([("skipped", None, None, None, skipped, None, first_bad)],
                             columns=list(Tally.FRAME_COLUMNS))
        return pd.concat([counted, extra.astype(counted.dtypes.to_dict())], ignore_index=True)


def analyze(data: str | Path, model: Any = None, *, by: str = "auto", group: str | None = None,
            out: str | Path | None = None, neutral_band: Sequence[float] | None = None,
            text: str | None = None, top_n: int = 5, n_terms: int = 15, max_groups: int = 12,
            address: str | None = None, actors: int | None = None, batch_size: int = BATCH,
            progress: bool = True, force: bool = False) -> AnalysisResult:
    """:func:`tweetlab.analyze` on Ray: ``data`` may be a file, folder or glob of parts;
    each block is scored and counted by an actor, the counts added up here (see the
    module docstring). Options as :func:`tweetlab.analyze`, plus ``address`` and
    ``actors``; the typical tweets tied on confidence may differ from the built-in
    path's, which breaks ties by file order."""
    if by not in PERIODS:
        raise DataError(f"unknown period {by!r}; choose one of {', '.join(PERIODS)}")
    start = time.perf_counter()
    files, kind = input_files(data)
    layout = Layout(files, kind, text)
    local = address is None
    folder, ref = _model_ref(model, files[0], text, local)
    clf = load_model(folder)
    if getattr(clf, "task", "text-classification") != "text-classification":
        raise DataError(f"analyze needs a text classifier; this is a {clf.task} model")
    band, labels_out = band_and_labels(clf, neutral_band)
    out_path = Path(out) if out is not None else None
    if out_path is not None:
        check_writable(out_path, force)
    if by == "auto" and not layout.has("date"):
        log.info("%s has no date column: counting the whole collection as one period",
                 layout.source())
        by = "all"
    if by != "all" and not layout.has("date"):
        raise DataError(f"no date column to count {by} by (looked for date, created_at, "
                        "timestamp...); use by='all' (CLI: --by all) for no time axis",
                        path=layout.source())
    if group not in (None, "hashtag") and group not in layout.roles.values() \
            and group not in layout.columns:
        raise DataError(f"no column {group!r} to group by", path=layout.source(), field=group)
    use_entity = bool(getattr(clf, "entity_input", False))
    tally = Tally(labels_out, group, top_n, use_entity)
    n_skipped, first_bad = 0, None
    with session(address, progress=progress) as ray:
        ds = _read(ray, layout)
        ds = ds.map_batches(_AnalyzeBatch, batch_format="pandas", batch_size=batch_size,
                            fn_constructor_args=(ref, layout.roles, by, group, top_n, band,
                                                 labels_out),
                            **_pool(ray, actors, local))
        try:
            for part in ds.iter_batches(batch_format="pandas", batch_size=None):
                skipped = part[part["kind"] == "skipped"]
                for n, value in zip(skipped["count"].tolist(), skipped["text"].tolist(),
                                    strict=True):
                    n_skipped += int(n)
                    if n and first_bad is None:
                        first_bad = (None, str(value))
                tally.merge_frame(part[part["kind"] != "skipped"])
        except Exception as exc:
            if isinstance(exc, DataError):
                raise
            raise DataError(f"analyzing on Ray failed: {_first_line(exc)}",
                            path=layout.source()) from exc
    tally.draw_sample()
    return finish(tally, clf, data=layout.source(), by=by, group=group, n_skipped=n_skipped,
                  first_bad=first_bad, bad_rows=[], n_terms=n_terms,
                  seconds=time.perf_counter() - start, out=out_path, labels_out=labels_out,
                  model_name=_model_name(folder, clf), max_groups=max_groups)
