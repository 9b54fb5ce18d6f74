"""Readers: CSV/TSV/JSONL/Parquet (gzip ok) and the common public tweet formats.

Known formats are recognised without options:

* Sentiment140 - no header, 6 columns (polarity, id, date, query, user, text), latin-1;
  polarity 0/2/4 becomes negative/neutral/positive.
* Kaggle entity-level sentiment - no header: id, entity, label, text.
* Kaggle disaster tweets - header with ``text`` and ``target`` (+ ``keyword``, ``location``).
* TweetEval - a ``*_text.txt`` file with its ``*_labels.txt`` (and ``mapping.txt``) beside it.
* RuTweetCorp - semicolon-separated, no header; column 4 is the polarity (1 / -1 / 0).
* Anything with named columns: the text and label columns are found by common names
  (``text``, ``tweet``, ``content``... / ``label``, ``sentiment``, ``target``...).

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = p.write_text("tweet,sentiment\\ngood day,pos\\nbad day,neg\\n")
>>> load_dataset(p).labels
['pos', 'neg']
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DataError, list_columns
from .dataset import KNOWN_COLUMNS, Dataset, SkippedRow

csv.field_size_limit(1 << 24)

TEXT_NAMES = ("text", "tweet", "tweet_text", "content", "full_text", "ttext", "sentence",
              "message", "body")
LABEL_NAMES = ("label", "labels", "sentiment", "target", "polarity", "class", "category",
               "airline_sentiment", "ttype")
ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "id": ("id", "tweet_id", "id_str", "tweetid"),
    "date": ("date", "created_at", "datetime", "timestamp", "time", "tdate"),
    "user": ("user", "username", "screen_name", "user_name", "author", "tname"),
    "entity": ("entity", "topic", "brand"),
    "keyword": ("keyword", "hashtag", "query"),
}
ENTITY_LABELS = {"Positive", "Negative", "Neutral", "Irrelevant"}
SENTIMENT140_LABELS = {"0": "negative", "2": "neutral", "4": "positive"}
RUTWEETCORP_LABELS = {"1": "positive", "-1": "negative", "0": "neutral"}
FORMATS = ("csv", "tsv", "jsonl", "parquet", "sentiment140", "entity", "disaster", "tweeteval",
           "rutweetcorp")


@dataclass(frozen=True)
class _Layout:
    """Where each role sits in a row; ``header`` tells whether row 1 holds names."""

    format: str
    header: bool
    names: list[str]
    text: int
    label: int | None
    roles: dict[str, int]
    label_map: dict[str, str] | None = None


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it starts with the gzip magic number."""
    if not path.exists():
        raise DataError("file not found", path=path)
    if path.is_dir():
        raise DataError("is a folder, expected a data file", path=path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(f"damaged gzip data ({exc})", path=path) from None
    return raw


def decode(raw: bytes, path: Path, encoding: str | None) -> str:
    """Decode ``raw``; on failure name the line and column of the first bad byte."""
    enc = encoding or "utf-8-sig"
    try:
        return raw.decode(enc)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        # Windows programs (Excel) write cp1252, which decodes curly quotes and dashes that
        # latin-1 would turn into control characters; latin-1 decodes any byte.
        alt = "cp1252"
        try:
            raw.decode(alt)
        except UnicodeDecodeError:
            alt = "latin-1"
        seen = raw[exc.start:exc.start + 1].decode(alt)
        raise DataError(
            f"cannot decode byte 0x{raw[exc.start]:02x} at column {col} as {enc}",
            path=path, line=line,
            hint=f"the byte is {seen!r} in {alt}, which decodes the whole file: pass "
                 f"encoding='{alt}' (CLI: --encoding {alt}) if the file is not UTF-8",
        ) from None
    except LookupError:
        raise DataError(f"unknown encoding {enc!r}", path=path) from None


def _sniff_delimiter(first_line: str, path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".tsv", ".tab")):
        return "\t"
    # Count outside double quotes so commas inside tweets do not vote.
    outside = re.sub(r'"[^"]*"', "", first_line)
    counts = {d: outside.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def looks_like_pixels(names: Sequence[str]) -> bool:
    """A header of pixel columns (``pixel0``, ``pixel1``, ...: Kaggle's digit files)."""
    return sum(str(n).strip().strip('"').lower().startswith("pixel") for n in names) >= 4


def _find(names: list[str], wanted: str | None, candidates: tuple[str, ...], role: str,
          path: Path) -> int | None:
    lowered = [n.strip().lower() for n in names]
    if wanted is not None:
        if wanted in names:
            return names.index(wanted)
        if wanted.lower() in lowered:
            return lowered.index(wanted.lower())
        raise DataError(
            f"no column {wanted!r} for the {role}; the file has columns: {list_columns(names)}",
            path=path, line=1, field=wanted,
        )
    for cand in candidates:
        if cand in lowered:
            return lowered.index(cand)
    return None


def _layout(first: list[str], delimiter: str, path: Path, text: str | None, label: str | None,
            fmt: str | None) -> _Layout:
    """Recognise the format from the first row (and options)."""
    n = len(first)
    is_int = [bool(re.fullmatch(r"-?\d+", f.strip())) for f in first]
    if fmt == "sentiment140" or (fmt is None and n == 6 and first[0] in SENTIMENT140_LABELS
                                 and is_int[1]):
        names = ["polarity", "id", "date", "query", "user", "text"]
        return _Layout("sentiment140", False, names, 5, 0, {"id": 1, "date": 2, "user": 4},
                       SENTIMENT140_LABELS)
    if fmt == "entity" or (fmt is None and n == 4 and is_int[0] and first[2] in ENTITY_LABELS):
        return _Layout("entity", False, ["id", "entity", "label", "text"], 3, 2,
                       {"id": 0, "entity": 1})
    if fmt == "rutweetcorp" or (fmt is None and delimiter == ";" and n >= 5 and is_int[0]
                                and is_int[1] and first[4].strip() in RUTWEETCORP_LABELS):
        names = ["id", "tdate", "tname", "ttext", "ttype"] + [f"c{i}" for i in range(5, n)]
        return _Layout("rutweetcorp", False, names, 3, 4, {"id": 0, "date": 1, "user": 2},
                       RUTWEETCORP_LABELS)
    names = [f.strip() for f in first]
    text_i = _find(names, text, TEXT_NAMES, "text", path)
    if text_i is None:
        raise DataError(
            f"cannot tell which column holds the tweet text; columns: {list_columns(names)}",
            path=path, line=1,
            hint="this is a pixel file: train an image model on it (--model image-cnn)"
            if looks_like_pixels(names) else "name it with text=... (CLI: --text COLUMN)",
        )
    label_i = _find(names, label, LABEL_NAMES, "label", path)
    roles = {}
    for role, cands in ROLE_NAMES.items():
        i = _find(names, None, cands, role, path)
        if i is not None and i not in (text_i, label_i):
            roles[role] = i
    lowered = {x.lower() for x in names}
    kind = "disaster" if {"text", "target", "keyword"} <= lowered else "csv"
    if delimiter == "\t":
        kind = "tsv"
    return _Layout(kind, True, names, text_i, label_i, roles)


class _RowErrors:
    """Collects bad rows when skipping, raises the first one otherwise."""

    def __init__(self, path: Path, skip: bool) -> None:
        self.path, self.skip = path, skip
        self.rows: list[SkippedRow] = []

    def bad(self, line: int, field: str | None, reason: str) -> None:
        if not self.skip:
            raise DataError(reason, path=self.path, line=line, field=field,
                            hint="pass skip_bad_rows=True (CLI: --skip-bad-rows) to skip such rows")
        self.rows.append(SkippedRow(line, field, reason))


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """(first line number, fields or the csv.Error) per record; quoted newlines are kept."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    while True:
        try:
            row: list[str] | csv.Error = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row = exc
        yield start, row
        start = reader.line_num + 1


def _build(rows: Iterator[tuple[int, dict[str, Any]]], path: Path, fmt: str, need_label: bool,
           label_field: str, errors: _RowErrors, label_map: dict[str, str] | None) -> Dataset:
    texts: list[str] = []
    labels: list[str] = []
    lines: list[int] = []
    columns: dict[str, list[Any]] = {}
    all_labelled = True
    for line, rec in rows:
        txt = rec.get("text")
        if txt is None or not str(txt).strip():
            errors.bad(line, rec.get("_text_field", "text"), "empty text")
            continue
        lab = rec.get("label")
        missing = lab is None or str(lab).strip() == ""
        if need_label and missing:
            errors.bad(line, label_field, "missing label")
            continue
        if missing:
            all_labelled = False
        else:
            lab = str(lab).strip()
            labels.append(label_map.get(lab, lab) if label_map else lab)
        texts.append(str(txt))
        lines.append(line)
        for role in KNOWN_COLUMNS:
            if role in rec:
                columns.setdefault(role, []).append(rec[role])
    if not texts:
        reason = "no usable rows" + (f" ({len(errors.rows)} bad rows skipped)" if errors.rows else "")
        raise DataError(reason, path=path)
    columns = {k: v for k, v in columns.items() if len(v) == len(texts)}
    # Labels not required (prediction) are still kept when every row has one.
    keep = need_label or all_labelled
    return Dataset(texts=texts, labels=labels if keep else None, columns=columns,
                   source=str(path), lines=lines, skipped=errors.rows, format=fmt)


def _read_delimited(path: Path, raw: bytes, encoding: str | None, text: str | None,
                    label: str | None, fmt: str | None, need_label: bool,
                    errors: _RowErrors) -> Dataset:
    try:
        content = raw.decode(encoding or "utf-8-sig")
    except UnicodeDecodeError:
        # Sentiment140 is latin-1: recognise it from its first line before giving up.
        probe = raw[:200].decode("latin-1")
        if encoding is None and re.match(r'^"?[024]"?,"?\d+"?,', probe):
            content = raw.decode("latin-1")
        else:
            content = decode(raw, path, encoding)
    except LookupError:
        raise DataError(f"unknown encoding {encoding!r}", path=path) from None
    if not content.strip():
        raise DataError("file is empty", path=path)
    delimiter = "\t" if fmt == "tsv" else ";" if fmt == "rutweetcorp" else \
        _sniff_delimiter(content.split("\n", 1)[0], path)
    records = _records(content, delimiter)
    first_line_no, first = next(records, (1, []))
    if isinstance(first, csv.Error):
        raise DataError(f"malformed CSV ({first})", path=path, line=1)
    layout = _layout(first, delimiter, path, text, label, fmt)
    if need_label and layout.label is None:
        raise DataError(
            f"cannot tell which column holds the label; columns: {list_columns(layout.names)}",
            path=path, line=1, hint="name it with label=... (CLI: --label COLUMN)",
        )
    width = len(layout.names)
    text_name = layout.names[layout.text]
    label_name = layout.names[layout.label] if layout.label is not None else "label"

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        stream = records if layout.header else _chain(first_line_no, first, records)
        for line, fields in stream:
            if isinstance(fields, csv.Error):
                errors.bad(line, None, f"malformed CSV ({fields})")
                continue
            if not fields or fields == [""]:
                continue  # blank line
            if len(fields) != width:
                errors.bad(line, None, f"malformed row: expected {width} fields, found {len(fields)}")
                continue
            rec: dict[str, Any] = {"text": fields[layout.text], "_text_field": text_name}
            if layout.label is not None:
                rec["label"] = fields[layout.label]
            for role, i in layout.roles.items():
                rec[role] = fields[i]
            yield line, rec

    return _build(rows(), path, layout.format, need_label, label_name, errors, layout.label_map)


def _chain(line: int, first: list[str], rest: Iterator[tuple[int, list[str] | csv.Error]]
           ) -> Iterator[tuple[int, list[str] | csv.Error]]:
    yield line, first
    yield from rest


def _pick_keys(keys: list[str], text: str | None, label: str | None, path: Path
               ) -> tuple[str, str | None, dict[str, str]]:
    t = _find(keys, text, TEXT_NAMES, "text", path)
    if t is None:
        raise DataError(f"cannot tell which field holds the tweet text; fields: {', '.join(keys)}",
                        path=path, line=1, hint="name it with text=... (CLI: --text FIELD)")
    lab = _find(keys, label, LABEL_NAMES, "label", path)
    roles = {}
    for role, cands in ROLE_NAMES.items():
        i = _find(keys, None, cands, role, path)
        if i is not None and i not in (t, lab):
            roles[role] = keys[i]
    return keys[t], keys[lab] if lab is not None else None, roles


def _read_jsonl(path: Path, raw: bytes, encoding: str | None, text: str | None,
                label: str | None, need_label: bool, errors: _RowErrors) -> Dataset:
    content = decode(raw, path, encoding)
    objects: list[tuple[int, dict[str, Any]]] = []
    for n, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.bad(n, None, f"invalid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(obj, dict):
            errors.bad(n, None, "expected a JSON object per line")
            continue
        objects.append((n, obj))
    if not objects:
        raise DataError("no JSON objects found", path=path)
    keys = list(dict.fromkeys(k for _, o in objects[:100] for k in o))
    tkey, lkey, roles = _pick_keys(keys, text, label, path)
    if need_label and lkey is None:
        raise DataError(f"cannot tell which field holds the label; fields: {', '.join(keys)}",
                        path=path, line=objects[0][0], hint="name it with label=... (CLI: --label FIELD)")

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for n, obj in objects:
            rec: dict[str, Any] = {"text": obj.get(tkey), "_text_field": tkey}
            if lkey is not None:
                rec["label"] = obj.get(lkey)
            for role, key in roles.items():
                rec[role] = obj.get(key)
            if rec["text"] is not None and not isinstance(rec["text"], str):
                errors.bad(n, tkey, f"expected text, found {type(rec['text']).__name__}")
                continue
            yield n, rec

    return _build(rows(), path, "jsonl", need_label, lkey or "label", errors, None)


def _read_parquet(path: Path, text: str | None, label: str | None, need_label: bool,
                  errors: _RowErrors) -> Dataset:
    import pandas as pd

    try:
        frame = pd.read_parquet(path)
    except ImportError:
        raise DataError("reading Parquet needs pyarrow: pip install 'tweetlab[parquet]'",
                        path=path) from None
    except Exception as exc:  # pyarrow raises several unrelated types for bad files
        raise DataError(f"cannot read Parquet ({exc})", path=path) from None
    keys = [str(c) for c in frame.columns]
    tkey, lkey, roles = _pick_keys(keys, text, label, path)
    if need_label and lkey is None:
        raise DataError(f"cannot tell which column holds the label; columns: {list_columns(keys)}",
                        path=path, hint="name it with label=... (CLI: --label COLUMN)")
    cols = {"text": frame[tkey].tolist()}
    if lkey is not None:
        cols["label"] = frame[lkey].tolist()
    for role, key in roles.items():
        cols[role] = frame[key].tolist()

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for i in range(len(frame)):
            rec = {k: v[i] for k, v in cols.items()}
            rec["_text_field"] = tkey
            # Parquet has no lines: row i is reported as "line" i + 1 (1-based row number).
            yield i + 1, rec

    return _build(rows(), path, "parquet", need_label, lkey or "label", errors, None)


def _read_tweeteval(path: Path, encoding: str | None, need_label: bool,
                    errors: _RowErrors) -> Dataset:
    labels_path = path.with_name(path.name.replace("_text", "_labels"))
    texts = decode(read_bytes(path), path, encoding).split("\n")
    if texts and texts[-1] == "":
        texts.pop()
    labels: list[str] | None = None
    if labels_path.exists():
        labels = decode(read_bytes(labels_path), labels_path, encoding).split("\n")
        if labels and labels[-1] == "":
            labels.pop()
        if len(labels) != len(texts):
            raise DataError(f"{len(texts)} texts but {len(labels)} labels in {labels_path.name}",
                            path=labels_path)
    elif need_label:
        raise DataError(f"labels file {labels_path.name} not found beside the text file", path=path)
    mapping_path = path.with_name("mapping.txt")
    label_map = None
    if mapping_path.exists():
        pairs = [ln.split("\t") for ln in mapping_path.read_text().splitlines() if "\t" in ln]
        label_map = {a.strip(): b.strip() for a, b in pairs}

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for i, t in enumerate(texts):
            rec: dict[str, Any] = {"text": t}
            if labels is not None:
                rec["label"] = labels[i]
            yield i + 1, rec

    return _build(rows(), path, "tweeteval", need_label and labels is not None, "label", errors,
                  label_map)


def load_dataset(
    path: str | Path,
    *,
    text: str | None = None,
    label: str | None = None,
    format: str | None = None,
    encoding: str | None = None,
    skip_bad_rows: bool = False,
    require_labels: bool = True,
    label_map: dict[str, str] | None = None,
) -> Dataset:
    """Read tweets (and labels) from a file into a :class:`Dataset`.

    Args:
        path: CSV, TSV, JSONL, Parquet or a TweetEval ``*_text.txt``; ``.gz`` is fine.
        text, label: column names, when they cannot be guessed.
        format: force a format (one of ``FORMATS``) instead of recognising it.
        encoding: text encoding (UTF-8 by default; Sentiment140 is read as latin-1).
        skip_bad_rows: skip malformed rows, empty texts and missing labels instead of
            raising; the skipped rows are in ``dataset.skipped``.
        require_labels: set False to read unlabelled tweets (for prediction); labels
            are then still read when every row has one.
        label_map: rename labels, e.g. ``{"0": "negative", "1": "positive"}``.

    Raises:
        DataError: naming file, line and field of the first bad row.
    """
    p = Path(path)
    if format is not None and format not in FORMATS:
        raise DataError(f"unknown format {format!r}; known: {', '.join(FORMATS)}", path=p)
    name = p.name.lower().removesuffix(".gz")
    errors = _RowErrors(p, skip_bad_rows)
    if format == "tweeteval" or (format is None and name.endswith("_text.txt")):
        if not p.exists():
            raise DataError("file not found", path=p)
        ds = _read_tweeteval(p, encoding, require_labels, errors)
    elif format == "parquet" or (format is None and name.endswith((".parquet", ".pq"))):
        if not p.exists():
            raise DataError("file not found", path=p)
        ds = _read_parquet(p, text, label, require_labels, errors)
    else:
        raw = read_bytes(p)
        if format == "jsonl" or (format is None and name.endswith((".jsonl", ".ndjson", ".json"))):
            ds = _read_jsonl(p, raw, encoding, text, label, require_labels, errors)
        else:
            ds = _read_delimited(p, raw, encoding, text, label, format, require_labels, errors)
    if label_map and ds.labels is not None:
        ds.labels = [label_map.get(x, x) for x in ds.labels]
    return ds
