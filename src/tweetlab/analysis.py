"""Sentiment over time and by group for any collection of tweets and any classifier.

:func:`analyze` streams a tweet file in chunks (so files larger than memory work),
scores every tweet, applies a neutral band to binary models, and keeps running
counts per period x group x label, the most confident tweets per label and group,
and term counts per label (for the most distinctive terms). It writes a CSV of counts
and shares, charts (PNG) and one self-contained HTML report.

>>> import tempfile, pathlib, tweetlab
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "t.csv").write_text("text,date\\ngood day,2024-01-01\\nbad day,2024-01-02\\n")
>>> m = tweetlab.create("tfidf").fit(["good", "great", "bad", "awful"], ["pos", "pos", "neg", "neg"])
>>> result = analyze(d / "t.csv", m, by="day", out=d / "report", progress=False)
>>> result.counts[["period", "label", "count"]].values.tolist()
[['2024-01-01', 'pos', 1], ['2024-01-02', 'neg', 1]]
"""

from __future__ import annotations

import functools
import heapq
import itertools
import logging
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._workers import auto_workers, scored
from .api import relied_on_texts
from .bundled import default_for_file, resolve
from .data.readers import ReadPosition
from .data.splits import parse_dates
from .data.stream import as_text, iter_chunks
from .errors import DataError
from .models import load_model
from .models.base import check_neutral_band, with_entity
from .periods import PERIODS, period_names
from .persistence import check_writable
from .reports import write_analysis_report
from .text import TokenIds
from .text.scripts import unfamiliar_script_note

log = logging.getLogger("tweetlab")

# "auto" (PERIODS) counts days, then weeks or months when the days span more than this.
# "auto" counts days, then weeks or months when the days span more than AUTO_MAX_PERIODS.
AUTO_MAX_PERIODS = 120
HASHTAG_RE = re.compile(r"(?<![\w#])#(\w+)")
NO_GROUP = "(all)"
STOP_TOKENS = {"<url>", "<user>", "rt", "amp"}
KEPT_PUNCTUATION = {"!", "?"}  # they do tell labels apart (thanks!, any update?)


@functools.lru_cache(maxsize=65536)
def _is_term(word: str) -> bool:
    """Worth listing as a distinctive term: not a placeholder, not bare punctuation
    (quotes, colons, brackets...) except ``!`` and ``?``, not a bare number ("00", "7",
    "10:30") and not a lone letter ("u", "m"). Emoji stay.

    >>> [w for w in ["love", "00", "10:30", "u", "!", "&", "\U0001F602"] if _is_term(w)]
    ['love', '!', '\U0001f602']
    """
    if word in STOP_TOKENS:
        return False
    if word in KEPT_PUNCTUATION:
        return True
    if len(word) == 1 and word.isalnum():
        return False
    return not all(ch.isdigit() or unicodedata.category(ch).startswith("P") for ch in word)


@dataclass
class AnalysisResult:
    """What :func:`analyze` found: counts per period/group/label and the report files."""

    counts: Any  # DataFrame: period, group, label, count, share
    typical: dict[tuple[str, str], list[tuple[float, str]]]  # (group, label) -> [(conf, text)]
    terms: dict[str, list[tuple[str, float, int]]]  # label -> [(term, score, count)]
    n_scored: int
    n_skipped_dates: int
    seconds: float
    files: list[Path] = field(default_factory=list)
    by: str = "day"  # the period counted by (what "auto" chose)
    # The words the model relied on per label over a random sample of the tweets
    # (:func:`tweetlab.explanation.words_relied_on`): {"tweets": n, "classes": {...}}.
    relies_on: dict[str, Any] = field(default_factory=dict)
    # What the counts alone do not say (e.g. a share of tweets in a script the model never
    # learned): one sentence each, in the log and the report.
    notes: list[str] = field(default_factory=list)

    @property
    def tweets_per_second(self) -> float:
        return self.n_scored / self.seconds if self.seconds else 0.0

    def __repr__(self) -> str:
        return (f"AnalysisResult({self.n_scored} tweets scored, {self.n_skipped_dates} without "
                f"a usable date, {len(self.counts)} period/group/label cells, "
                f"{self.tweets_per_second:,.0f} tweets/s)")


SAMPLE = 400  # tweets drawn at random from the file to explain the labels with


class _Reservoir:
    """A uniform random sample of ``size`` tweets from a stream of any length (reservoir
    sampling, seeded: the same file gives the same sample)."""

    def __init__(self, size: int, seed: int = 0) -> None:
        self.size, self.seen = size, 0
        self.texts: list[str] = []
        self.entities: list[Any] = []
        self.rng = np.random.default_rng(seed)

    def offer(self, texts: list[str], entities: list[Any] | None) -> None:
        ents = entities if entities is not None else [None] * len(texts)
        room = max(0, min(self.size - len(self.texts), len(texts)))
        self.texts += texts[:room]
        self.entities += ents[:room]
        rest = len(texts) - room
        if rest > 0:
            # item i of the rest is the (seen + room + i + 1)-th: it replaces a random slot
            # with probability size / that count
            slots = self.rng.integers(0, self.seen + room + np.arange(1, rest + 1))
            for i in np.flatnonzero(slots < self.size).tolist():
                self.texts[slots[i]] = texts[room + i]
                self.entities[slots[i]] = ents[room + i]
        self.seen += len(texts)


def _groups_for(chunk: Any, group: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(row index into the chunk, group value) pairs; hashtags give one pair per tag."""
    n = len(chunk)
    if group is None:
        return np.arange(n), np.full(n, NO_GROUP, dtype=object)
    if group == "hashtag":
        rows: list[int] = []
        values: list[str] = []
        for i, text in enumerate(chunk["text"].tolist()):
            tags = {t.lower() for t in HASHTAG_RE.findall(text)} or {"(no hashtag)"}
            for tag in tags:
                rows.append(i)
                values.append(tag if tag.startswith("(") else f"#{tag}")
        return np.array(rows, dtype=np.int64), np.array(values, dtype=object)
    if group not in chunk.columns:
        have = ", ".join(c for c in chunk.columns if not c.startswith("_"))
        raise DataError(f"no column {group!r} to group by; columns: {have}", field=group)
    return np.arange(n), np.array([v or "(none)" for v in as_text(chunk[group].tolist())],
                                  dtype=object)


def _run_starts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal values starts in a sorted (or grouped) array."""
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))


@dataclass
class TermCounts:
    """Document frequency of terms per label: ``counts[i, j]`` tweets labelled
    ``labels[i]`` contain ``words[j]``."""

    words: list[str]
    labels: list[str]
    counts: np.ndarray  # (len(labels), len(words)) int64

    def as_counters(self) -> dict[str, Counter[str]]:
        out: dict[str, Counter[str]] = {}
        for lab, row in zip(self.labels, self.counts, strict=True):
            hit = np.flatnonzero(row)
            out[lab] = Counter(dict(zip([self.words[i] for i in hit.tolist()],
                                        row[hit].tolist(), strict=True)))
        return out


def _terms_per_label(tokens: TokenIds | list[list[str]], labels: np.ndarray) -> TermCounts:
    """Document frequency of each term per label (a tweet counts a term once).

    Computed on integer codes with numpy (distinct (tweet, term) pairs, then one count
    per label and term) instead of a Python set per tweet. Placeholders and bare
    punctuation are left out (see :func:`_is_term`).
    """
    tokens = TokenIds.ensure(tokens)
    n = len(tokens.lengths)
    n_words = max(len(tokens.words), 1)
    label_list = labels.tolist()
    names = dict(zip(dict.fromkeys(label_list), itertools.count()))
    code = np.fromiter(map(names.__getitem__, label_list), dtype=np.int64, count=n)
    keys = np.repeat(np.arange(n), tokens.lengths) * n_words + tokens.ids
    # Distinct pairs by sorting (numpy's hash-based np.unique is ~15x slower here).
    pairs = np.sort(keys)
    pairs = pairs[_run_starts(pairs)]
    tweet, term = np.divmod(pairs, n_words)
    counts = np.bincount(code[tweet] * n_words + term, minlength=len(names) * n_words)
    counts = counts.reshape(len(names), n_words)[:, :len(tokens.words)]
    keep = [i for i, w in enumerate(tokens.words) if _is_term(w)]
    if len(keep) < len(tokens.words):
        counts = counts[:, keep]
    return TermCounts([tokens.words[i] for i in keep], list(names), counts)


class _TermTotals:
    """Term counts summed over chunks, in arrays (merging dicts per chunk is ~10x slower)."""

    def __init__(self, labels: list[str]) -> None:
        self.labels = dict(zip(labels, itertools.count()))
        self.index: dict[str, int] = {}
        self.counts = np.zeros((len(labels), 4096), dtype=np.int64)

    def add(self, part: TermCounts) -> None:
        for lab in part.labels:
            self.labels.setdefault(lab, len(self.labels))
        ids = np.fromiter(map(self.index.get, part.words, itertools.repeat(-1)),
                          dtype=np.int64, count=len(part.words))
        new = np.flatnonzero(ids < 0)
        if len(new):
            start = len(self.index)
            ids[new] = np.arange(start, start + len(new))
            self.index.update(zip([part.words[i] for i in new.tolist()], ids[new].tolist(), strict=True))
        rows, cols = len(self.labels), self.counts.shape[1]
        if len(self.index) > cols:
            cols = max(len(self.index), 2 * cols)  # room to grow: fewer copies
        if (rows, cols) != self.counts.shape:
            grown = np.zeros((rows, cols), dtype=np.int64)
            grown[:self.counts.shape[0], :self.counts.shape[1]] = self.counts
            self.counts = grown
        label_rows = np.array([self.labels[lab] for lab in part.labels], dtype=np.int64)
        self.counts[np.ix_(label_rows, ids)] += part.counts  # ids are distinct in a part

    def total(self) -> TermCounts:
        return TermCounts(list(self.index), list(self.labels),
                          self.counts[:, :len(self.index)])


class _Scorer:
    """Scores a chunk: probabilities, labels, confidence, and term counts per label.

    Runs in the analyzing process or in worker processes (``analyze(workers=N)``).
    """

    def __init__(self, clf: Any, band: tuple[float, float] | None) -> None:
        self.clf = clf
        self.band = band

    def __call__(self, raw: list[str], entities: list[str] | None
                 ) -> tuple[np.ndarray, np.ndarray, TermCounts]:
        clf, band = self.clf, self.band
        if entities is not None:
            raw = with_entity(raw, entities)
        cleaned = clf.clean(raw)
        tokens = TokenIds.of(cleaned)  # once: for the model and the term counts
        proba = clf._predict_proba(cleaned, tokens=tokens) if clf.takes_tokens else \
            clf._predict_proba(cleaned)
        labels = np.array(clf.labels_from_proba(proba, band), dtype=object)
        conf = proba.max(axis=1)
        if band is not None:
            # In a band, a neutral tweet is most typical when P(positive) is mid-band.
            mid = (band[0] + band[1]) / 2
            conf = np.where(labels == "neutral", 1 - np.abs(proba[:, 1] - mid) * 2, conf)
        return labels, conf, _terms_per_label(tokens, labels)


class Tally:
    """What ``analyze`` keeps of the scored chunks: counts per (period, group, label), the
    ``top_n`` most confident tweets per (group, label), term counts per label and a random
    sample of tweets to explain at the end."""

    def __init__(self, labels: list[str], group: str | None, top_n: int,
                 use_entity: bool) -> None:
        self.group, self.top_n, self.use_entity = group, top_n, use_entity
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self.heaps: dict[tuple[str, str], list[tuple[float, int, str]]] = {}
        self.terms = _TermTotals(labels)
        self.sample = _Reservoir(SAMPLE)
        self.n_scored = 0
        self._seq = 0  # file order, to break ties between equally confident tweets
        self._pool: list[tuple[str, Any, float]] = []  # merged parts' samples (merge_frame)

    def add(self, chunk: Any, dates: np.ndarray, labels: np.ndarray, conf: np.ndarray,
            terms: TermCounts, *, by: str) -> None:
        """Count one scored chunk (its rows' dates, labels, confidences and terms)."""
        import pandas as pd  # lazy: pandas: slow to import

        rows, gvals = _groups_for(chunk, self.group)
        p_code, p_names = _period_codes(dates, by)
        g_code, g_names = pd.factorize(gvals)
        l_code, l_names = pd.factorize(labels[rows])
        n_g, n_l = len(g_names), len(l_names)
        # Cells (period, group, label) as one integer per row, counted by sorting.
        cell = np.sort((p_code[rows] * n_g + g_code) * n_l + l_code)
        starts = _run_starts(cell)
        sizes = np.diff(np.append(starts, len(cell)))
        for key, n in zip(cell[starts].tolist(), sizes.tolist(), strict=True):
            pg, lab = divmod(key, n_l)
            p, g = divmod(pg, n_g)
            self.counts[(p_names[p], g_names[g], l_names[lab])] += n
        texts = chunk["text"].tolist()
        # Most confident tweets per (group, label): the chunk's best top_n per key (rows by
        # key, then confidence, ties in file order), then a bounded heap per key keeps the
        # best over all chunks.
        key_code = g_code * n_l + l_code
        order = np.lexsort((-conf[rows], key_code))
        first = _run_starts(key_code[order])
        rank = np.arange(len(order)) - np.repeat(first, np.diff(np.append(first, len(order))))
        for j in order[rank < self.top_n].tolist():
            self._seq += 1
            g, lab = g_names[g_code[j]], l_names[l_code[j]]
            heap = self.heaps.setdefault((str(g), str(lab)), [])
            item = (float(conf[rows[j]]), -self._seq, texts[int(rows[j])])
            if len(heap) < self.top_n:
                heapq.heappush(heap, item)
            elif item > heap[0]:
                heapq.heapreplace(heap, item)
        self.terms.add(terms)
        ents = chunk["entity"].tolist() if self.use_entity and "entity" in chunk.columns \
            else None
        self.sample.offer(texts, ents)
        self.n_scored += len(chunk)


    # A tally as one table, so that counting can be spread over processes or machines (Ray
    # Data: each block counted where it is scored, the tables merged by the driver).
    FRAME_COLUMNS = ("kind", "period", "group", "label", "count", "conf", "text")

    def to_frame(self) -> Any:
        """This tally as a DataFrame of :attr:`FRAME_COLUMNS` (``kind``: count, typical,
        term, sample or scored), which :meth:`merge_frame` adds to another tally."""
        import pandas as pd  # lazy: pandas: slow to import

        rows: list[tuple[Any, ...]] = [("scored", None, None, None, self.n_scored, None, None)]
        rows += [("count", str(p), str(g), str(lab), n, None, None)
                 for (p, g, lab), n in self.counts.items()]
        rows += [("typical", None, g, lab, 0, conf, text)
                 for (g, lab), heap in self.heaps.items() for conf, _, text in heap]
        sample = self.sample
        rows += [("sample", None, None if e is None else str(e), None, sample.seen, None, t)
                 for t, e in zip(sample.texts, sample.entities, strict=True)]
        frame = pd.DataFrame(rows, columns=list(self.FRAME_COLUMNS))
        tc = self.terms.total()  # (the most rows: built column by column)
        li, wi = np.nonzero(tc.counts)
        terms = pd.DataFrame({"kind": "term", "period": None, "group": None,
                              "label": np.asarray(tc.labels, dtype=object)[li],
                              "count": tc.counts[li, wi], "conf": np.nan,
                              "text": np.asarray(tc.words, dtype=object)[wi]})
        frame = pd.concat([frame, terms], ignore_index=True) if len(terms) else frame
        frame["count"] = frame["count"].astype("int64")
        frame["conf"] = frame["conf"].astype("float64")
        return frame

    def merge_frame(self, frame: Any) -> None:
        """Add a tally made by :meth:`to_frame` (of other tweets) to this one. Its random
        sample joins a pool from which :meth:`draw_sample` draws at the end."""
        import pandas as pd  # lazy: pandas: slow to import

        kinds = frame["kind"].to_numpy()
        rest = frame[kinds != "term"]
        kinds_rest = rest["kind"].to_numpy()
        cols = {c: rest[c].tolist() for c in self.FRAME_COLUMNS[1:]}
        for i in np.flatnonzero(kinds_rest == "count").tolist():
            self.counts[(cols["period"][i], cols["group"][i], cols["label"][i])] += \
                cols["count"][i]
        self.n_scored += int(sum(cols["count"][i]
                                 for i in np.flatnonzero(kinds_rest == "scored").tolist()))
        for i in np.flatnonzero(kinds_rest == "typical").tolist():
            self._seq += 1
            heap = self.heaps.setdefault((cols["group"][i], cols["label"][i]), [])
            item = (float(cols["conf"][i]), -self._seq, cols["text"][i])
            if len(heap) < self.top_n:
                heapq.heappush(heap, item)
            elif item > heap[0]:
                heapq.heapreplace(heap, item)
        terms = frame[kinds == "term"]
        if len(terms):
            w_code, words = pd.factorize(terms["text"])
            l_code, labels = pd.factorize(terms["label"])
            counts = np.zeros((len(labels), len(words)), dtype=np.int64)
            np.add.at(counts, (l_code, w_code), terms["count"].to_numpy(dtype=np.int64))
            self.terms.add(TermCounts(list(words), list(labels), counts))
        picks = np.flatnonzero(kinds_rest == "sample").tolist()
        if picks:  # each tweet stands for (tweets of its part) / (its part's sample size)
            weight = cols["count"][picks[0]] / len(picks)
            self._pool += [(cols["text"][i], cols["group"][i], weight) for i in picks]

    def draw_sample(self, seed: int = 0) -> None:
        """Make the random sample from the pool the merged parts brought: :data:`SAMPLE`
        tweets drawn without replacement, each with the weight of the part it came from
        (so that a part of many tweets counts as much as it should)."""
        pool = self._pool
        if not pool:
            return
        rng = np.random.default_rng(seed)
        weights = np.array([w for _, _, w in pool], dtype=np.float64)
        k = min(SAMPLE, len(pool))
        chosen = rng.choice(len(pool), size=k, replace=False, p=weights / weights.sum())
        self.sample = _Reservoir(SAMPLE)
        self.sample.texts = [pool[i][0] for i in chosen.tolist()]
        self.sample.entities = [pool[i][1] for i in chosen.tolist()]
        self.sample.seen = self.n_scored


class _Reading:
    """The chunks ``analyze`` counts: rows with text and (unless ``by="all"``) a usable
    date, and their dates; what it left out on the way (rows without a date, malformed
    rows when skipped) and how far into the file it is."""

    def __init__(self, data: str | Path, by: str, chunk_size: int, text: str | None,
                 encoding: str | None, skip_bad_rows: bool) -> None:
        self.data, self.by, self.chunk_size = data, by, chunk_size
        self.text, self.encoding, self.skip_bad_rows = text, encoding, skip_bad_rows
        self.position = ReadPosition(Path(data))
        self.n_read = 0  # rows read so far (scoring, in workers, follows a few chunks behind)
        self.n_skipped = 0  # rows without a usable date
        self.first_bad: tuple[int, str] | None = None  # (row, date) of the first of them
        self.bad_rows: list[tuple[int, str]] = []  # (line, reason) of malformed rows skipped

    def chunks(self) -> Iterator[tuple[Any, np.ndarray]]:
        """Chunks with text and a usable date, and their dates (rows without are counted).
        A file with no date column under ``by="auto"`` is counted as one period."""
        for chunk in iter_chunks(self.data, chunk_size=self.chunk_size, text=self.text,
                                 encoding=self.encoding, position=self.position,
                                 on_bad_row=(lambda line, why: self.bad_rows.append((line, why)))
                                 if self.skip_bad_rows else None):
            self.n_read += len(chunk)
            if self.by == "auto" and "date" not in chunk.columns:
                log.info("%s has no date column: counting the whole file as one period",
                         self.data)
                self.by = "all"
            if self.by != "all" and "date" not in chunk.columns:
                raise DataError(f"no date column to count {self.by} by (looked for date, "
                                "created_at, timestamp...); use by='all' (CLI: --by all) for "
                                "no time axis", path=str(self.data))
            texts = chunk["text"].tolist()
            has_text = np.fromiter(map(bool, map(str.strip, texts)), dtype=bool, count=len(texts))
            if not has_text.all():
                chunk = chunk[has_text]
                if chunk.empty:
                    continue
            dates = parse_dates(chunk["date"].tolist()) if self.by != "all" else \
                np.zeros(len(chunk), dtype="datetime64[s]")
            ok = ~np.isnat(dates)
            if not ok.all():
                bad = np.flatnonzero(~ok)
                self.n_skipped += len(bad)
                if self.first_bad is None:
                    self.first_bad = (int(chunk["_row"].iloc[bad[0]]),
                                      str(chunk["date"].iloc[bad[0]]))
                chunk, dates = chunk[ok], dates[ok]
                if chunk.empty:
                    continue
            yield chunk, dates


def _period_codes(dates: np.ndarray, by: str) -> tuple[np.ndarray, np.ndarray]:
    """(code of each row, name of each code): each distinct day (hour) named once."""
    if by == "all":
        return np.zeros(len(dates), dtype=np.int64), np.array(["all"], dtype=object)
    unit = "h" if by == "hour" else "D"
    uniq, code = np.unique(dates.astype(f"datetime64[{unit}]"), return_inverse=True)
    return code.reshape(-1), np.asarray(period_names(uniq, by), dtype=object)


def analyze(
    data: str | Path,
    model: Any = None,
    *,
    by: str = "auto",
    group: str | None = None,
    out: str | Path | None = None,
    neutral_band: Sequence[float] | None = None,
    text: str | None = None,
    top_n: int = 5,
    n_terms: int = 15,
    max_groups: int = 12,
    chunk_size: int = 20_000,
    progress: bool = True,
    force: bool = False,
    workers: int | None = None,
    encoding: str | None = None,
    skip_bad_rows: bool = False,
) -> AnalysisResult:
    """Score every tweet of ``data`` with ``model`` and count labels per period and group.

    Args:
        model: a classifier, a model directory or a bundled name (``None``: the
            bundled English sentiment model, or ``multilingual-sentiment`` when the
            file's first tweets are mostly in a script the English one never learned).
        by: ``hour``, ``day``, ``week``, ``month``, ``all`` (one period, no dates), or
            ``auto``: days, or weeks / months when the tweets span more than 120 days /
            120 weeks, so that a chart has at most ~120 bars.
        group: ``hashtag`` (one count per hashtag of a tweet), ``entity``, ``user`` or any
            column name; ``None`` for no grouping.
        out: folder for ``counts.csv``, ``typical.csv``, ``terms.csv``, PNG charts and
            ``report.html``; ``None`` writes nothing.
        neutral_band: (low, high) for binary models (e.g. 0.45 0.65); stored band if omitted.
        top_n: confident tweets kept per label and group; ``n_terms`` terms per label.
        workers: processes that clean and score chunks while this one reads and counts
            (``None``: one per core, up to 4, for files over ~150k tweets; 1: none).
        encoding: the file's text encoding (UTF-8 unless given; Sentiment140: latin-1).
        skip_bad_rows: skip CSV rows with the wrong number of fields (logged: how many, the
            first one's line) instead of stopping at the first.
    """
    from tqdm.auto import tqdm  # lazy: ~60 ms of start-up

    if by not in PERIODS:
        raise DataError(f"unknown period {by!r}; choose one of {', '.join(PERIODS)}")

    if model is None:  # the English model, or the multilingual one for other scripts
        model = default_for_file(data, text=text, encoding=encoding)
    model_ref = resolve(model) if model is None or isinstance(model, str | Path) else model
    clf = load_model(model_ref) if isinstance(model_ref, Path) else model_ref
    if getattr(clf, "task", "text-classification") != "text-classification":
        raise DataError(f"analyze needs a text classifier; this is a {clf.task} model")
    band, labels_out = band_and_labels(clf, neutral_band)
    out_path = Path(out) if out is not None else None
    if out_path is not None:
        check_writable(out_path, force)
    start = time.perf_counter()
    use_entity = bool(getattr(clf, "entity_input", False))
    tally = Tally(list(labels_out), group, top_n, use_entity)
    bar = tqdm(desc="analyze", unit=" tweets", disable=None if progress else True)
    n_workers = auto_workers(data, clf) if workers is None else workers
    if n_workers < 1:
        raise DataError(f"workers = {n_workers}: must be >= 1")
    reading = _Reading(data, by, chunk_size, text, encoding, skip_bad_rows)

    def inputs(chunk: Any) -> tuple[list[str], list[str] | None]:
        ents = chunk["entity"].tolist() if use_entity and "entity" in chunk.columns else None
        return chunk["text"].tolist(), ents

    # Workers (if any) clean and score; this process reads, parses dates and counts.
    for (chunk, dates), scores in scored(reading.chunks(), lambda p: inputs(p[0]), _Scorer,
                                         clf, model_ref, (band,), n_workers):
        tally.add(chunk, dates, *scores, by=reading.by)
        if (fraction := reading.position.fraction()) > 0:
            bar.total = max(reading.n_read, round(reading.n_read / fraction))  # estimated
        bar.update(len(chunk))
    bar.total = bar.n  # read to the end (rows without text or date are not counted)
    bar.refresh()
    bar.close()
    return finish(tally, clf, data=data, by=reading.by, group=group, n_skipped=reading.n_skipped,
                  first_bad=reading.first_bad, bad_rows=reading.bad_rows, n_terms=n_terms,
                  seconds=time.perf_counter() - start, out=out_path, labels_out=labels_out,
                  model_name=_model_name(model_ref, clf), max_groups=max_groups)


def band_and_labels(clf: Any, neutral_band: Sequence[float] | None
                    ) -> tuple[tuple[float, float] | None, list[str]]:
    """The neutral band an analysis applies (the one given, else the model's own) and the
    labels it counts (a binary model with a band given: negative, neutral, positive)."""
    band = check_neutral_band(neutral_band) or clf.neutral_band
    labels = clf.output_labels if band is None or clf.neutral_band is not None else \
        [clf.classes_[0], "neutral", clf.classes_[1]]
    return band, list(labels)


def finish(tally: Tally, clf: Any, *, data: Any, by: str, group: str | None, n_skipped: int,
           first_bad: tuple[int | None, str] | None, bad_rows: list[tuple[int, str]], n_terms: int,
           seconds: float, out: Path | None, labels_out: Sequence[str], model_name: str,
           max_groups: int) -> AnalysisResult:
    """The result of an analysis from what was counted (``tally``; the rows left out:
    ``n_skipped`` without a usable date, the first of them ``first_bad`` as (row, value),
    ``bad_rows`` malformed), its report written to ``out`` (unless ``None``)."""
    import pandas as pd  # lazy: pandas: slow to import

    use_entity = tally.use_entity
    n_scored, counts, sample = tally.n_scored, tally.counts, tally.sample
    if n_scored == 0:
        if first_bad is None:  # nothing was dropped for its date: there was nothing
            raise DataError("no tweets with text to analyze", path=str(data))
        row = f"row {first_bad[0]}" if first_bad[0] is not None else "one"
        raise DataError(f"no tweet with a usable date; e.g. {row} has date {first_bad[1]!r}",
                        path=str(data), field="date")
    if bad_rows:
        log.warning("%s: skipped %d malformed rows (first at line %d: %s)", data,
                    len(bad_rows), bad_rows[0][0], bad_rows[0][1])
    if n_skipped:
        assert first_bad is not None
        row = f"row {first_bad[0]}, " if first_bad[0] is not None else ""
        log.warning("%s: skipped %d tweets with a missing or unparsable date (first: %s%r)",
                    data, n_skipped, row, first_bad[1])
    if by == "auto":
        by, counts = _coarsen(counts)
    table = pd.DataFrame([(*k, v) for k, v in counts.items()],
                         columns=["period", "group", "label", "count"])
    table = table.sort_values(["period", "group", "label"]).reset_index(drop=True)
    totals = table.groupby(["period", "group"])["count"].transform("sum")
    table["share"] = (table["count"] / totals).round(4)
    if group is None:
        table = table.drop(columns="group")
    typical = {k: [(c, t) for c, _, t in sorted(h, reverse=True)]
               for k, h in tally.heaps.items()}
    terms = _distinctive(tally.terms.total(), n_terms)

    relies_on = relied_on_texts(clf, sample.texts, sample.entities if use_entity else None,
                                most=SAMPLE)
    result = AnalysisResult(table, typical, terms, n_scored, n_skipped, seconds, by=by,
                            relies_on=relies_on, notes=_script_notes(clf, sample.texts))
    for note in result.notes:
        log.warning("%s", note)
    if out is not None:
        result.files = write_analysis_report(result, out, by=by, group=group,
                                             labels=list(labels_out), source=str(data),
                                             model_name=model_name, max_groups=max_groups)
    return result


def _script_notes(clf: Any, sample: list[str]) -> list[str]:
    """A note when at least 5% of the sampled tweets are mostly in a script the model
    learned (nearly) none of - Russian tweets in a collection given to an English model."""

    note = unfamiliar_script_note(clf, sample, of=f"the tweets (a random sample of "
                                                   f"{len(sample)})")
    return [note] if note else []


def _model_name(model_ref: Any, clf: Any) -> str:
    """How reports name the model: its folder (or bundled name) and family."""
    family = getattr(clf, "family", "?")
    return f"{model_ref.name} ({family})" if isinstance(model_ref, Path) else family


def _coarsen(counts: Counter[tuple[str, str, str]]) -> tuple[str, Counter[tuple[str, str, str]]]:
    """For ``by="auto"``: day counts as they are when the days span at most
    ``AUTO_MAX_PERIODS``, else summed into weeks (or months, past that many weeks).

    >>> c = Counter({("2024-01-01", "(all)", "pos"): 2, ("2024-09-30", "(all)", "pos"): 1})
    >>> _coarsen(c)
    ('week', Counter({('2024-01-01', '(all)', 'pos'): 2, ('2024-09-30', '(all)', 'pos'): 1}))
    """
    days = np.array(sorted({k[0] for k in counts}), dtype="datetime64[D]")
    if not len(days):
        return "day", counts
    span = int((days[-1] - days[0]).astype(int)) + 1
    if span <= AUTO_MAX_PERIODS:
        return "day", counts
    by = "week" if span <= 7 * AUTO_MAX_PERIODS else "month"
    rename = dict(zip(days.astype(str).tolist(), period_names(days, by), strict=True))
    out: Counter[tuple[str, str, str]] = Counter()
    for (day, grp, lab), n in counts.items():
        out[(rename[day], grp, lab)] += n
    return by, out


def distinctive_terms(term_counts: dict[str, Counter[str]], n: int = 15,
                      min_count: int = 5) -> dict[str, list[tuple[str, float, int]]]:
    """Terms most typical of each label: smoothed log-odds of the label vs all others.

    >>> tc = {"pos": Counter({"love": 9, "day": 5}), "neg": Counter({"hate": 8, "day": 5})}
    >>> [t for t, _, _ in distinctive_terms(tc, 1, min_count=1)["pos"]]
    ['love']
    """
    index: dict[str, int] = {}
    for c in term_counts.values():
        index.update(zip((t for t in c if t not in index), itertools.count(len(index))))
    counts = np.zeros((len(term_counts), len(index)), dtype=np.int64)
    for row, c in zip(counts, term_counts.values(), strict=True):
        row[[index[t] for t in c]] = list(c.values())
    return _distinctive(TermCounts(list(index), list(term_counts), counts), n, min_count)


def _distinctive(tc: TermCounts, n: int = 15, min_count: int = 5
                 ) -> dict[str, list[tuple[str, float, int]]]:
    """:func:`distinctive_terms` on arrays (one vectorised score per label)."""
    total = tc.counts.sum(axis=0)
    keep = np.flatnonzero(total >= min_count)
    words = [tc.words[i] for i in keep.tolist()]
    counts, total = tc.counts[:, keep].astype(np.float64), total[keep].astype(np.float64)
    all_n = total.sum() or 1.0
    out: dict[str, list[tuple[str, float, int]]] = {}
    for lab, a in zip(tc.labels, counts, strict=True):
        n_lab = a.sum()
        n_rest = all_n - n_lab  # true sums: n_lab >= a and n_rest >= b, so no zero below
        b = total - a
        # log-odds ratio with add-one smoothing, weighted by evidence (z-like score)
        lo = np.log((a + 1) / (n_lab - a + 1)) - np.log((b + 1) / (n_rest - b + 1))
        z = lo / np.sqrt(1 / (a + 1) + 1 / (b + 1))
        cand = np.flatnonzero(a > 0)
        if len(cand) > n:  # every term scoring at least the n-th best (ties included)
            cut = np.partition(z[cand], len(cand) - n)[len(cand) - n]
            cand = cand[z[cand] >= cut]
        best = sorted(((words[i], float(z[i]), int(a[i])) for i in cand.tolist()),
                      key=lambda x: (-x[1], x[0]))  # ties by term: same however counted
        out[lab] = best[:n]
    return out
