"""A tweet store: one DuckDB file holding a collection and the scores models gave it.

``tweetlab collect import FILES --store tweets.duckdb`` (and ``collect search|user
--store``) add tweets; ``tweetlab analyze tweets.duckdb --model M`` scores only the
tweets model ``M`` has not scored yet, keeps the scores beside the tweets and counts
with SQL, so that a daily run costs only the day's new tweets; ``tweetlab store export
tweets.duckdb out/`` writes date-partitioned Parquet (what ``--engine ray`` and a data
lake read).

Tables:

* ``tweets``: ``id`` (the key: a tweet is stored once), ``date`` (UTC ISO-8601 text),
  ``user``, ``text``, ``lang``, ``is_retweet``, ``in_reply_to``, ``source``, ``arrived``
  (when the row was added).
* ``scores``: ``id``, ``model`` (the model's name), ``version`` (a hash of its files and
  the neutral band used), ``label``, ``confidence``, ``scored`` - keyed by (id, model,
  version).

Every batch of tweets added and every batch of scores is one transaction: a run killed
midway leaves the store consistent, and the same command continues where it stopped.

>>> import tempfile, pathlib
>>> db = pathlib.Path(tempfile.mkdtemp()) / "t.duckdb"
>>> add_tweets(db, [{"id": "1", "text": "hi"}, {"id": "1", "text": "hi"}], source="x").written
1
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._workers import scored as _scored
from .analysis import (
    SAMPLE,
    AnalysisResult,
    Tally,
    _coarsen,
    _model_name,
    _terms_per_label,
    band_and_labels,
    finish,
)
from .api import score_frame
from .bundled import resolve
from .errors import ConfigError, DataError
from .models import load_model
from .models.base import check_neutral_band
from .periods import PERIODS, period_names
from .persistence import check_writable
from .text import TokenIds

log = logging.getLogger("tweetlab")

COLUMNS = ("id", "date", "user", "text", "lang", "is_retweet", "in_reply_to", "source")
SCHEMA = """
CREATE TABLE IF NOT EXISTS tweets (
    id VARCHAR PRIMARY KEY, date VARCHAR, "user" VARCHAR, text VARCHAR, lang VARCHAR,
    is_retweet BOOLEAN, in_reply_to VARCHAR, source VARCHAR, arrived TIMESTAMP);
CREATE TABLE IF NOT EXISTS scores (
    id VARCHAR, model VARCHAR, version VARCHAR, label VARCHAR, confidence DOUBLE,
    scored TIMESTAMP, PRIMARY KEY (id, model, version));
"""
BATCH = 20_000  # tweets scored (and committed) at a time
TERM_SAMPLE = 50_000  # tweets the distinctive terms are counted on


def _dated(column: str) -> str:
    """SQL for a ``date`` column's text as a timestamp (NULL when it is not a date)."""
    return f"TRY_CAST(replace({column}, 'Z', '+00:00') AS TIMESTAMPTZ)"


def is_store(path: str | Path) -> bool:
    """Whether ``path`` names a DuckDB store (by its suffix)."""
    return str(path).lower().endswith((".duckdb", ".ddb", ".db"))


def connect(path: str | Path, *, create: bool = True) -> Any:
    """A DuckDB connection to the store at ``path`` (made, with its tables, when missing
    and ``create``)."""
    try:
        import duckdb  # lazy: optional dependency
    except ImportError:
        raise ConfigError("a tweet store needs DuckDB: pip install 'tweetlab[store]'") from None
    p = Path(path)
    if not p.exists() and not create:
        raise DataError("no such store", path=p)
    if p.parent != Path(""):
        p.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(p))
    except duckdb.Error as exc:
        raise DataError(f"cannot open as a DuckDB store ({str(exc).splitlines()[0]})",
                        path=p) from None
    con.execute(SCHEMA)
    return con


@dataclass
class Added:
    """What :func:`add_tweets` did."""

    read: int
    written: int
    duplicates: int


class StoreSink:
    """Adds tweet records to a store a batch at a time, one transaction each; tweets
    already there (by id) are counted as duplicates. The sink ``collect`` writes to."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.con = connect(path)
        self.read = self.written = self.dupes = 0

    def add(self, records: Iterable[dict[str, Any] | None]) -> None:
        import pandas as pd  # lazy: pandas: slow to import

        rows = [r for r in records if r is not None]
        if not rows:
            return
        frame = pd.DataFrame([[r.get(c) for c in COLUMNS] for r in rows], columns=list(COLUMNS))
        frame["id"] = frame["id"].astype(str)
        frame = frame.drop_duplicates("id")
        frame["is_retweet"] = frame["is_retweet"].astype("boolean")
        before = self.count()
        self.con.execute("BEGIN TRANSACTION")
        self.con.register("incoming", frame)
        self.con.execute('INSERT OR IGNORE INTO tweets SELECT id, date, "user", text, lang, '
                         "is_retweet, in_reply_to, source, now() FROM incoming")
        self.con.unregister("incoming")
        self.con.execute("COMMIT")
        new = self.count() - before
        self.read += len(rows)
        self.written += new
        self.dupes += len(rows) - new

    def count(self) -> int:
        return int(self.con.execute("SELECT count(*) FROM tweets").fetchone()[0])

    def close(self) -> None:
        self.con.close()


def add_tweets(path: str | Path, records: Iterable[dict[str, Any] | None], *,
               source: str | None = None, batch: int = 10_000) -> Added:
    """Add tweet records (``id``, ``text`` and any of ``date``, ``user``, ``lang``...) to
    the store at ``path``, ``batch`` at a time; ``source`` fills a missing ``source``."""
    sink = StoreSink(path)
    try:
        chunk: list[dict[str, Any]] = []
        for rec in records:
            if rec is None:
                continue
            if source is not None and not rec.get("source"):
                rec = {**rec, "source": source}
            chunk.append(rec)
            if len(chunk) >= batch:
                sink.add(chunk)
                chunk = []
        sink.add(chunk)
    finally:
        sink.close()
    return Added(sink.read, sink.written, sink.dupes)


def model_version(folder: Path, band: Sequence[float] | None = None) -> str:
    """A short hash of a model folder's files (and the neutral band the labels used):
    scores made by other weights or another band are kept apart."""
    digest = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        if f.name in ("config.json", "model.safetensors") or f.suffix == ".json":
            digest.update(f.name.encode())
            digest.update(f.read_bytes())
    if band is not None:
        digest.update(repr(tuple(float(b) for b in band)).encode())
    return digest.hexdigest()[:12]


def _where(where: str | None) -> str:
    return f"({where})" if where else "TRUE"


class _Labels:
    """A batch's labels and confidences (here or in a worker process)."""

    def __init__(self, clf: Any, band: Sequence[float] | None) -> None:
        self.clf, self.band = clf, band

    def __call__(self, frame: Any) -> Any:
        return score_frame(self.clf, frame, neutral_band=self.band)[["id", "label",
                                                                      "confidence"]]


def score_new(path: str | Path, model: Any = None, *, where: str | None = None,
              neutral_band: Sequence[float] | None = None, batch: int = BATCH,
              workers: int | None = None, progress: bool = True) -> tuple[int, str, str]:
    """Score the tweets of the store (those ``where`` selects, an SQL condition on the
    ``tweets`` columns) that ``model`` has not scored yet, ``batch`` at a time, each batch
    committed with its scores. ``workers``: scoring processes (``None``: one per core, up
    to 4, for more than 150,000 tweets to score; 1: none). Returns (tweets scored now,
    model name, version)."""
    folder = resolve(model)
    return _score_new(path, load_model(folder), folder, where=where,
                      band=check_neutral_band(neutral_band), batch=batch, workers=workers,
                      progress=progress)


def _score_new(path: str | Path, clf: Any, folder: Path, *, where: str | None,
               band: Sequence[float] | None, batch: int = BATCH, workers: int | None = None,
               progress: bool = True) -> tuple[int, str, str]:
    """:func:`score_new` with the model loaded (from ``folder``)."""
    name, version = folder.name, model_version(folder, band)
    con = connect(path, create=False)
    try:
        todo_sql = (f"FROM tweets t WHERE {_where(where)} AND NOT EXISTS (SELECT 1 FROM scores s "
                    "WHERE s.id = t.id AND s.model = ? AND s.version = ?)")
        try:
            total = int(con.execute(f"SELECT count(*) {todo_sql}", [name, version]).fetchone()[0])
        except Exception as exc:  # duckdb's errors for a bad --where
            raise DataError(f"--where {where!r}: {str(exc).splitlines()[0]}", path=path) from None
        if workers is None:
            workers = min(os.cpu_count() or 1, 4) if total > 150_000 else 1
        from tqdm.auto import tqdm  # lazy: ~60 ms of start-up

        bar = tqdm(total=total, desc=f"score with {name}", unit=" tweets",
                   disable=None if progress and total else True)
        # A second connection streams the tweets to score (a snapshot: the scores this one
        # commits meanwhile do not change it), ``batch`` at a time.
        reader = con.cursor()
        result = reader.execute(f"SELECT t.id, t.text {todo_sql}", [name, version])

        def pieces() -> Iterator[Any]:
            import pandas as pd  # lazy: pandas: slow to import

            while rows := result.fetchmany(batch):
                yield pd.DataFrame(rows, columns=["id", "text"])

        done = 0
        for _, scored in _scored(pieces(), lambda f: (f,), _Labels, clf, folder, (band,),
                                 workers):
            con.execute("BEGIN TRANSACTION")
            con.register("scored", scored)
            con.execute("INSERT OR IGNORE INTO scores SELECT id, ?, ?, label, confidence, now() "
                        "FROM scored", [name, version])
            con.unregister("scored")
            con.execute("COMMIT")
            done += len(scored)
            bar.update(len(scored))
        bar.close()
        reader.close()
    finally:
        con.close()
    return done, name, version


def analyze_store(path: str | Path, model: Any = None, *, where: str | None = None,
                  by: str = "auto", group: str | None = None, out: str | Path | None = None,
                  neutral_band: Sequence[float] | None = None, top_n: int = 5,
                  n_terms: int = 15, max_groups: int = 12, progress: bool = True,
                  force: bool = False) -> AnalysisResult:
    """:func:`tweetlab.analyze` over a store: the tweets ``where`` selects are scored by
    ``model`` where they have no score yet (:func:`score_new`), then counted per period,
    group and label in SQL. The most confident tweets come from SQL too; the distinctive
    terms from a random sample of up to 50,000 of the selected tweets. ``group``:
    ``hashtag``, ``user``, ``lang``, ``source`` or another column of ``tweets``."""
    if by not in PERIODS:
        raise DataError(f"unknown period {by!r}; choose one of {', '.join(PERIODS)}")
    out_path = Path(out) if out is not None else None
    if out_path is not None:
        check_writable(out_path, force)
    start = time.perf_counter()
    folder = resolve(model)
    clf = load_model(folder)
    n_new, name, version = _score_new(path, clf, folder, where=where,
                                      band=check_neutral_band(neutral_band), progress=progress)
    band, labels_out = band_and_labels(clf, neutral_band)
    con = connect(path, create=False)
    try:
        tally, n_skipped, first_bad, by = _count(con, clf, name, version, where, by, group,
                                                 top_n, labels_out)
    finally:
        con.close()
    log.info("%s: %d tweets scored now, %d counted", path, n_new, tally.n_scored)
    result = finish(tally, clf, data=path, by=by, group=group, n_skipped=n_skipped,
                    first_bad=first_bad, bad_rows=[], n_terms=n_terms,
                    seconds=time.perf_counter() - start, out=out_path, labels_out=labels_out,
                    model_name=_model_name(folder, clf), max_groups=max_groups)
    result.n_new = n_new  # type: ignore[attr-defined]
    return result


def _group_sql(group: str | None, columns: list[str]) -> tuple[str, str]:
    """(the FROM clause's extra part, the group expression) for ``group``."""
    if group is None:
        return "", "'(all)'"
    if group == "hashtag":  # one row per distinct hashtag of a tweet, as analyze counts them
        tags = (r"list_distinct(regexp_extract_all(lower(t.text), "
                r"'(?:^|[^\p{L}\p{N}_#])#([\p{L}\p{N}_]+)', 1))")
        return (f", unnest(CASE WHEN len({tags}) = 0 THEN ['(no hashtag)'] ELSE "
                f"list_transform({tags}, lambda x: '#' || x) END) AS h(tag)", "h.tag")
    if group not in columns:
        raise DataError(f"no column {group!r} to group by; the store has "
                        f"{', '.join(columns)}", field=group)
    return "", f"coalesce(nullif(CAST(t.\"{group}\" AS VARCHAR), ''), '(none)')"


def _count(con: Any, clf: Any, name: str, version: str, where: str | None, by: str,
           group: str | None, top_n: int, labels: list[str]
           ) -> tuple[Tally, int, tuple[int | None, str] | None, str]:
    """The tally of the selected, scored tweets (see :func:`analyze_store`)."""
    columns = [r[0] for r in con.execute("DESCRIBE tweets").fetchall()]
    quoted = name.replace("'", "''")  # (a folder name, in SQL text)
    scored = (f"FROM tweets t JOIN scores s ON s.id = t.id AND s.model = '{quoted}' "
              f"AND s.version = '{version}'")
    joined = f"{scored} WHERE {_where(where)}"
    dated = _dated("t.date")
    n_dated = int(con.execute(f"SELECT count({dated}) {joined}").fetchone()[0])
    n_all = int(con.execute(f"SELECT count(*) {joined}").fetchone()[0])
    if by == "auto" and n_dated == 0:
        by = "all"
    n_skipped, first_bad = (0, None) if by == "all" else (n_all - n_dated, None)
    if n_skipped:
        bad = con.execute(f"SELECT t.date {joined} AND {dated} IS NULL LIMIT 1").fetchone()
        first_bad = (None, str(bad[0]) if bad else "")
    unit = "hour" if by == "hour" else "day"
    period = "'all'" if by == "all" else \
        f"strftime(date_trunc('{unit}', timezone('UTC', {dated})), '%Y-%m-%dT%H:%M:%S')"
    extra, grp = _group_sql(group, columns)
    keep = "" if by == "all" else f" AND {dated} IS NOT NULL"
    grouped = f"{scored}{extra} WHERE {_where(where)}{keep}"
    tally = Tally(labels, group, top_n, False)
    cells = con.execute(f"SELECT {period} AS p, {grp} AS g, s.label, count(*) {grouped} "
                        "GROUP BY ALL").fetchall()
    if by != "all" and cells:
        stamps = np.array([c[0] for c in cells], dtype="datetime64[s]")
        names = period_names(stamps, "day" if by == "auto" else by)
    else:
        names = ["all"] * len(cells)
    counts: Counter[tuple[str, str, str]] = Counter()
    for pname, (_, g, lab, n) in zip(names, cells, strict=True):
        counts[(pname, g, lab)] += int(n)
    tally.counts = counts
    tally.n_scored = n_all - n_skipped
    typical = con.execute(
        f"SELECT g, label, confidence, text FROM (SELECT {grp} AS g, s.label, s.confidence, "
        f"t.text, row_number() OVER (PARTITION BY {grp}, s.label ORDER BY s.confidence DESC, "
        f"t.id) AS r {grouped}) WHERE r <= {top_n}").fetchall()
    for seq, (g, lab, conf, text) in enumerate(typical):
        tally.heaps.setdefault((str(g), str(lab)), []).append((float(conf), -seq, str(text)))
    sample = con.execute(f"SELECT t.text, s.label {joined}{keep} USING SAMPLE "
                         f"{TERM_SAMPLE} ROWS").fetchall()
    if sample:
        texts = [str(t) for t, _ in sample]
        tokens = TokenIds.of(clf.clean(texts))
        tally.terms.add(_terms_per_label(tokens, np.array([lab for _, lab in sample],
                                                          dtype=object)))
        pick = np.random.default_rng(0).permutation(len(texts))[:SAMPLE]
        tally.sample.texts = [texts[i] for i in pick.tolist()]
        tally.sample.entities = [None] * len(tally.sample.texts)
        tally.sample.seen = tally.n_scored
    if by == "auto":
        by, tally.counts = _coarsen(tally.counts)
    return tally, n_skipped, first_bad, by


def export(path: str | Path, out: str | Path, *, where: str | None = None,
           force: bool = False) -> int:
    """Write the store's tweets (those ``where`` selects) as Parquet parts partitioned by
    day (``out/day=2024-01-31/...parquet``; tweets without a date under ``day=unknown``).
    Returns how many tweets were written."""
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not force:
        raise DataError("already exists and is not empty; pass force=True (CLI: --force) "
                        "to replace it", path=out)
    con = connect(path, create=False)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    try:
        dated = _dated("date")
        n = int(con.execute(f"SELECT count(*) FROM tweets WHERE {_where(where)}").fetchone()[0])
        con.execute(
            f"COPY (SELECT *, coalesce(strftime(timezone('UTC', {dated}), '%Y-%m-%d'), "
            f"'unknown') AS day FROM tweets WHERE {_where(where)}) TO '{tmp}' "
            "(FORMAT PARQUET, PARTITION_BY (day))")
    except Exception as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, DataError):
            raise
        raise DataError(f"cannot export ({str(exc).splitlines()[0]})", path=path) from None
    finally:
        con.close()
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return n


def rows(path: str | Path, sql: str) -> Iterator[tuple[Any, ...]]:
    """The rows of a query on the store (for scripts and tests)."""
    con = connect(path, create=False)
    try:
        yield from con.execute(sql).fetchall()
    finally:
        con.close()
