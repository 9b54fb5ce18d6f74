"""Train/test splits (stratified, grouped, by time) and a leakage check.

>>> ds = Dataset(texts=[f"t{i}" for i in range(10)], labels=["a", "b"] * 5)
>>> train, test = split_dataset(ds, test_size=0.2, by="stratified", seed=0)
>>> len(train), len(test), sorted(test.labels)
(8, 2, ['a', 'b'])
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar, cast

import numpy as np

from ..errors import DataError
from .dataset import Dataset
from .images import ImageDataset

#: Either kind of data: images carry no columns, so they split stratified or at random.
D = TypeVar("D", bound=Dataset | ImageDataset)

SPLITS = ("auto", "stratified", "group", "time", "random")


def _n_test(n: int, test_size: float) -> int:
    k = int(round(n * test_size)) if test_size < 1 else int(test_size)
    return min(max(k, 1), n - 1) if n >= 2 else 0


def choose_split(ds: Dataset | ImageDataset, group: str = "id") -> str:
    """``auto``: grouped when the group column repeats (the entity data repeats each id
    six times - a row split would leak), stratified when labelled, else random."""
    values = ds.columns.get(group)
    if values is not None and len(set(values)) < len(values):
        return "group"
    return "stratified" if ds.labels is not None else "random"


def split_dataset(
    ds: D,
    *,
    test_size: float = 0.2,
    by: str = "auto",
    group: str = "id",
    seed: int = 0,
) -> tuple[D, D]:
    """Split into (train, test).

    Args:
        test_size: fraction (or, if >= 1, number of rows) for the test part.
        by: ``stratified`` keeps each label's share; ``group`` keeps all rows of one
            ``group`` value on one side; ``time`` puts the newest rows in test;
            ``random``; ``auto`` picks with :func:`choose_split`.
    """
    if by not in SPLITS:
        raise DataError(f"unknown split {by!r}; choose one of {', '.join(SPLITS)}")
    if not 0 < test_size < len(ds) or (test_size >= 1 and not float(test_size).is_integer()):
        raise DataError(f"test_size={test_size} must be a fraction in (0, 1) or a whole "
                        f"number of rows (below the {len(ds)} rows there are)")
    if len(ds) < 2:
        raise DataError("need at least 2 rows to split", path=ds.source)
    if by == "auto":
        by = choose_split(ds, group)
    rng = np.random.default_rng(seed)
    n = len(ds)
    if by == "random" or (by == "stratified" and ds.labels is None):
        order = rng.permutation(n)
        k = _n_test(n, test_size)
        test_idx = order[:k]
    elif by == "stratified":
        assert ds.labels is not None
        test_idx = stratified_test_indices(ds.labels, test_size, rng)
    elif by == "group":
        test_idx = _group_split(ds, group, test_size, rng)
    else:
        test_idx = _time_split(ds, test_size)
    mask = np.zeros(n, dtype=bool)
    mask[test_idx] = True
    train = ds.subset(np.flatnonzero(~mask).tolist())
    test = ds.subset(np.flatnonzero(mask).tolist())
    return cast(D, train), cast(D, test)  # subset keeps the kind


def stratified_test_indices(labels: list[str], test_size: float,
                            rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of a test part that keeps each label's share (>= 1 row per label)."""
    n = len(labels)
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, lab in enumerate(labels):
        by_label[lab].append(i)
    picked: list[int] = []
    for lab in sorted(by_label):
        idx = np.array(by_label[lab])
        rng.shuffle(idx)
        k = int(round(len(idx) * test_size)) if test_size < 1 else \
            int(round(test_size * len(idx) / n))
        if len(idx) >= 2:
            k = min(max(k, 1), len(idx) - 1)
        picked.extend(idx[:k].tolist())
    return np.array(sorted(picked), dtype=np.int64)


def _group_split(ds: Dataset | ImageDataset, group: str, test_size: float, rng: np.random.Generator) -> np.ndarray:
    values = ds.column(group)
    members: dict[object, list[int]] = defaultdict(list)
    for i, v in enumerate(values):
        members[v].append(i)
    # Shuffle groups within each (first) label so the test part keeps label shares roughly.
    buckets: dict[str, list[object]] = defaultdict(list)
    for g, idx in members.items():
        buckets[ds.labels[idx[0]] if ds.labels is not None else ""].append(g)
    target = test_size * len(ds) if test_size < 1 else test_size
    chosen: list[int] = []
    for lab in sorted(buckets):
        groups = buckets[lab]
        order = rng.permutation(len(groups))
        rows_in_bucket = sum(len(members[g]) for g in groups)
        want = target * rows_in_bucket / len(ds)
        taken = 0
        for j in order:
            if taken >= want:
                break
            idx = members[groups[j]]
            chosen.extend(idx)
            taken += len(idx)
    if not chosen or len(chosen) == len(ds):
        raise DataError(f"cannot split {len(members)} groups of {group!r} into two parts",
                        path=ds.source, field=group)
    return np.array(sorted(chosen))


def parse_dates(values: list[object]) -> np.ndarray:
    """Datetimes (UTC, numpy datetime64[ns]); unparsable values become NaT.

    Handles ISO-8601, RFC-2822-like API dates ("Wed Oct 10 20:19:24 +0000 2018") and
    Sentiment140's "Mon Apr 06 22:19:45 PDT 2009" (time zone abbreviations are dropped).
    """
    import pandas as pd  # lazy: pandas: slow to import

    strings = ["" if v is None else str(v) for v in values]
    if strings and all(re.fullmatch(r"\d{9,11}", s) for s in strings[:50] if s):
        out = pd.to_datetime(pd.Series(strings).replace("", None), unit="s", utc=True,
                             errors="coerce")
        return out.dt.tz_localize(None).to_numpy()
    # ISO-8601 (the common case) parses vectorised; the rest goes through the slower
    # per-value "mixed" parser with time zone abbreviations dropped.
    series = pd.Series(strings, dtype=object)
    out = pd.to_datetime(series, utc=True, errors="coerce", format="ISO8601")
    result = out.dt.tz_localize(None).to_numpy().copy()
    missing = np.flatnonzero(out.isna().to_numpy() & (series != "").to_numpy())
    if len(missing):
        cleaned = [_TZ_ABBREV_RE.sub("", strings[i]).strip() for i in missing.tolist()]
        rest = pd.to_datetime(pd.Series(cleaned, dtype=object), utc=True, errors="coerce",
                              format="mixed")
        result[missing] = rest.dt.tz_localize(None).to_numpy()
    return result


_TZ_ABBREV_RE = re.compile(r"\b(PDT|PST|EDT|EST|UTC|GMT)\b")


def _time_split(ds: Dataset | ImageDataset, test_size: float) -> np.ndarray:
    dates = parse_dates(ds.column("date"))
    bad = np.flatnonzero(np.isnat(dates))
    if len(bad):
        row = int(bad[0])
        raise DataError(f"unparsable date {ds.columns['date'][row]!r} ({len(bad)} rows like this)",
                        path=ds.source, line=ds.line_of(row), field="date")
    order = np.argsort(dates, kind="stable")
    k = _n_test(len(ds), test_size)
    return np.sort(order[len(ds) - k:])


_KEY_RE = re.compile(r"https?://\S+|@\w+|[^\w]+")


def leak_key(text: str) -> str:
    """A tweet as :func:`check_leakage` compares it: lower case, without URLs and
    punctuation (the same tweet with or without its link has one key).

    >>> leak_key("Great game! https://t.co/x") == leak_key("great game")
    True
    """
    return _KEY_RE.sub(" ", text.lower()).strip()


def text_keys(texts: Sequence[str]) -> np.ndarray:
    """64-bit keys of the texts as :func:`check_leakage` compares them (lower case, no
    URLs or punctuation), distinct and sorted; texts that normalise to nothing
    are left out. A model folder keeps its training texts' keys so that an evaluation can
    tell how much of a test file it was trained on.

    >>> len(text_keys(["Hello!", "hello", "http://t.co/x", "other"]))
    2
    """
    keys = [int.from_bytes(hashlib.blake2b(k.encode(), digest_size=8).digest(), "little")
            for k in map(leak_key, texts) if k]
    return np.unique(np.asarray(keys, dtype=np.uint64))


@dataclass
class LeakageReport:
    """How many rows of ``b`` already appear in ``a``: exactly, and after normalisation
    (lower case, no URLs, @mentions or punctuation)."""

    n_a: int
    n_b: int
    exact: int
    normalized: int
    examples: list[str] = field(default_factory=list)

    @property
    def exact_share(self) -> float:
        return self.exact / self.n_b if self.n_b else 0.0

    @property
    def normalized_share(self) -> float:
        return self.normalized / self.n_b if self.n_b else 0.0

    def __str__(self) -> str:
        return (f"{self.exact} of {self.n_b} rows ({self.exact_share:.1%}) occur exactly in the "
                f"other set; {self.normalized} ({self.normalized_share:.1%}) after normalisation")


def check_leakage(a: Dataset, b: Dataset, max_examples: int = 5) -> LeakageReport:
    """Count rows of ``b`` whose text occurs in ``a`` (e.g. train vs test)."""
    exact_set = set(a.texts)
    norm_set = {leak_key(t) for t in a.texts}
    exact = norm = 0
    examples: list[str] = []
    for t in b.texts:
        if t in exact_set:
            exact += 1
        if leak_key(t) in norm_set:
            norm += 1
            if len(examples) < max_examples:
                examples.append(t)
    return LeakageReport(len(a), len(b), exact, norm, examples)
