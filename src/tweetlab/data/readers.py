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

import codecs
import csv
import gzip
import io
import itertools
import json
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, cast

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


_BLOCK = 1 << 20
_DAMAGED = (gzip.BadGzipFile, EOFError, zlib.error)


def _open_binary(path: Path) -> BinaryIO:
    """The file as a byte stream, gunzipped on the fly when it starts with gzip's magic
    number."""
    if not path.exists():
        raise DataError("file not found", path=path)
    if path.is_dir():
        raise DataError("is a folder, expected a data file", path=path)
    with path.open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    return cast(BinaryIO, gzip.open(path, "rb") if gz else path.open("rb"))


def _read(fh: BinaryIO, size: int, path: Path) -> bytes:
    try:
        return fh.read(size)
    except _DAMAGED as exc:
        raise DataError(f"damaged gzip data ({exc})", path=path) from None


def _blocks(path: Path) -> Iterator[bytes]:
    """The file's (gunzipped) bytes, 1 MiB at a time."""
    with _open_binary(path) as fh:
        while block := _read(fh, _BLOCK, path):
            yield block


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it starts with the gzip magic number."""
    return b"".join(_blocks(path))


class ReadPosition:
    """How far the reading of a file has got, as a fraction of the file as stored (its
    compressed bytes for gzip; rows for Parquet): for progress bars."""

    def __init__(self, path: Path) -> None:
        self.total = max(path.stat().st_size, 1) if path.exists() else 1
        self.done: float | None = None  # set by readers that do not watch a file
        self._fh: Any = None

    def watch(self, fh: Any) -> None:
        self._fh = getattr(fh, "fileobj", None) or fh  # gzip: the compressed file under it

    def fraction(self) -> float:
        if self.done is not None:
            return self.done
        try:
            return min(1.0, self._fh.tell() / self.total) if self._fh is not None else 0.0
        except (OSError, ValueError):  # closed: read to the end
            return 1.0


def open_text(path: Path, encoding: str, position: ReadPosition | None = None
              ) -> io.TextIOWrapper:
    """The file as text decoded as it is read (gunzipped on the fly; line ends kept, as the
    csv module expects); ``position`` follows how far reading has got."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise DataError(f"unknown encoding {encoding!r}", path=path) from None
    raw = _open_binary(path)
    if position is not None:
        position.watch(raw)
    return io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")


def _lines(path: Path, encoding: str, position: ReadPosition | None = None) -> Iterator[str]:
    """The file's lines (``\\r\\n``, ``\\n`` and ``\\r`` end lines), decoded as they are read:
    memory stays flat however long the file."""
    with open_text(path, encoding, position) as fh:
        try:
            yield from fh
        except UnicodeDecodeError:
            raise _decode_error(path, lambda: _blocks(path), encoding) from None
        except _DAMAGED as exc:
            raise DataError(f"damaged gzip data ({exc})", path=path) from None


def _decodes(blocks: Iterable[bytes], encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for block in blocks:
            decoder.decode(block)
        decoder.decode(b"", True)
    except UnicodeDecodeError:
        return False
    return True


_MAGIC = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
          (b"\x7fELF", "a program (ELF)"), (b"%PDF", "a PDF document"),
          (b"PK\x03\x04", "a zip archive (unzip it first)"), (b"MZ", "a Windows program"),
          (b"\xff\xfe", "UTF-16 text"), (b"\xfe\xff", "UTF-16 text"))


def binary_kind(head: bytes) -> str | None:
    r"""What a file whose first bytes are ``head`` is, when it is not a text file to read
    tweets from (None when it looks like text).

    >>> binary_kind(b"\x89PNG\r\n\x1a\n..."), binary_kind(b"id,text\n1,hi\n")
    ('a PNG image', None)
    """
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return "binary data" if b"\x00" in head[:8192] else None


def _decode_error(path: Path, blocks: Callable[[], Iterable[bytes]], enc: str) -> DataError:
    """The error for bytes that do not decode as ``enc``: the line and column of the first
    bad byte, and the encoding that decodes the whole file (``blocks()`` streams the bytes,
    so a file larger than memory is fine); for a file that is no text at all (an image, a
    program), says so."""
    head = next(iter(blocks()), b"")
    kind = binary_kind(head)
    if kind is not None:
        return DataError(f"not a text file of tweets: it looks like {kind}", path=path,
                         hint="give a CSV, TSV, JSONL or Parquet file (gzip ok)")
    decoder = codecs.getincrementaldecoder(enc)()
    done, line, line_start = 0, 1, 0  # bytes before this block, its line, where that began
    for block in itertools.chain(blocks(), [b""]):
        try:
            decoder.decode(block, not block)
        except UnicodeDecodeError as exc:
            # exc.object: the bytes held back from earlier blocks (the start of a character,
            # never a newline) + this block, less a byte-order mark at the very start
            data = exc.object
            base = done + len(block) - len(data)
            line += data.count(b"\n", 0, exc.start)
            if (nl := data.rfind(b"\n", 0, exc.start)) >= 0:
                line_start = base + nl + 1
            bad, col = data[exc.start:exc.start + 1], base + exc.start - line_start + 1
            break
        line += block.count(b"\n")
        if (nl := block.rfind(b"\n")) >= 0:
            line_start = done + nl + 1
        done += len(block)
    else:
        return DataError(f"cannot decode the file as {enc}", path=path)
    # Windows programs (Excel) write cp1252, which decodes curly quotes and dashes that
    # latin-1 would turn into control characters; latin-1 decodes any byte.
    alt = "cp1252" if _decodes(blocks(), "cp1252") else "latin-1"
    return DataError(
        f"cannot decode byte 0x{bad[0]:02x} at column {col} as {enc}", path=path, line=line,
        hint=f"the byte is {bad.decode(alt)!r} in {alt}, which decodes the whole file: pass "
             f"encoding='{alt}' (CLI: --encoding {alt}) if the file is not UTF-8")


def decode(raw: bytes, path: Path, encoding: str | None) -> str:
    """Decode ``raw``; on failure name the line and column of the first bad byte."""
    enc = encoding or "utf-8-sig"
    try:
        return raw.decode(enc)
    except UnicodeDecodeError:
        raise _decode_error(path, lambda: [raw], enc) from None
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
        self.reported = 0  # rows[:reported] went into a Dataset's ``skipped`` already

    def unreported(self) -> list[SkippedRow]:
        """The rows skipped since the last call (a piece's ``skipped``; the first piece
        also gets those skipped while the reader looked ahead to name the fields)."""
        new = self.rows[self.reported:]
        self.reported = len(self.rows)
        return new

    def bad(self, line: int, field: str | None, reason: str) -> None:
        if not self.skip:
            raise DataError(reason, path=self.path, line=line, field=field,
                            hint="pass skip_bad_rows=True (CLI: --skip-bad-rows) to skip such rows")
        self.rows.append(SkippedRow(line, field, reason))


def _records(lines: Iterable[str], delimiter: str
             ) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """(first line number, fields or the csv.Error) per record; quoted newlines are kept."""
    reader = csv.reader(lines, delimiter=delimiter)
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


class _Rows(NamedTuple):
    """A file's records as ``(line, {"text", "label", roles...})``, read as they are
    consumed, with what :func:`_build` needs to know about them."""
    rows: Iterator[tuple[int, dict[str, Any]]]
    format: str
    label_field: str
    label_map: dict[str, str] | None
    position: ReadPosition | None = None


def _build(src: _Rows, path: Path, need_label: bool, errors: _RowErrors,
           size: int | None = None) -> Dataset | None:
    """The next ``size`` usable rows of ``src`` (all of them: ``None``) as a Dataset;
    ``None`` once the rows are used up."""
    texts: list[str] = []
    labels: list[str] = []
    lines: list[int] = []
    columns: dict[str, list[Any]] = {}
    all_labelled = True
    label_map = src.label_map
    for line, rec in src.rows:
        txt = rec.get("text")
        if txt is None or not str(txt).strip():
            errors.bad(line, rec.get("_text_field", "text"), "empty text")
            continue
        lab = rec.get("label")
        missing = lab is None or str(lab).strip() == ""
        if need_label and missing:
            errors.bad(line, src.label_field, "missing label")
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
        if size is not None and len(texts) >= size:
            break
    if not texts:
        return None
    columns = {k: v for k, v in columns.items() if len(v) == len(texts)}
    # Labels not required (prediction) are still kept when every row has one.
    keep = need_label or all_labelled
    return Dataset(texts=texts, labels=labels if keep else None, columns=columns,
                   source=str(path), lines=lines, skipped=errors.unreported(),
                   format=src.format)


def _no_rows(path: Path, errors: _RowErrors) -> DataError:
    return DataError("no usable rows" + (f" ({len(errors.rows)} bad rows skipped)"
                                         if errors.rows else ""), path=path)


def csv_encoding(path: Path, encoding: str | None) -> str:
    """The encoding to read a delimited file with: ``encoding`` if given, else UTF-8 -
    except Sentiment140, which is latin-1: recognised from its first line, it is read as
    latin-1 unless the whole file is UTF-8."""
    if encoding is not None:
        return encoding
    with _open_binary(path) as fh:
        probe = _read(fh, 200, path).decode("latin-1")
    if re.match(r'^"?[024]"?,"?\d+"?,', probe) and not _decodes(_blocks(path), "utf-8-sig"):
        return "latin-1"
    return "utf-8-sig"


def _delimited_rows(path: Path, encoding: str | None, text: str | None, label: str | None,
                    fmt: str | None, need_label: bool, errors: _RowErrors) -> _Rows:
    position = ReadPosition(path)
    lines = _lines(path, csv_encoding(path, encoding), position)
    head = []  # up to the first line that is not blank
    for ln in lines:
        head.append(ln)
        if ln.strip():
            break
    else:
        raise DataError("file is empty", path=path)
    delimiter = "\t" if fmt == "tsv" else ";" if fmt == "rutweetcorp" else \
        _sniff_delimiter(head[-1], path)
    records = _records(itertools.chain(head, lines), delimiter)
    first_line_no, first = next((r for r in records if r[1] != []), (1, []))
    if isinstance(first, csv.Error):
        raise DataError(f"malformed CSV ({first})", path=path, line=first_line_no)
    layout = _layout(first, delimiter, path, text, label, fmt)
    if need_label and layout.label is None:
        raise DataError(
            f"cannot tell which column holds the label; columns: {list_columns(layout.names)}",
            path=path, line=first_line_no, hint="name it with label=... (CLI: --label COLUMN)",
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

    return _Rows(rows(), layout.format, label_name, layout.label_map, position)


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


def _jsonl_rows(path: Path, encoding: str | None, text: str | None, label: str | None,
                need_label: bool, errors: _RowErrors) -> _Rows:
    position = ReadPosition(path)

    def objects() -> Iterator[tuple[int, dict[str, Any]]]:
        for n, line in enumerate(_lines(path, encoding or "utf-8-sig", position), start=1):
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
            yield n, obj

    stream = objects()
    first = list(itertools.islice(stream, 100))  # the fields are named by the first 100
    if not first:
        raise DataError("no JSON objects found", path=path)
    keys = list(dict.fromkeys(k for _, o in first for k in o))
    tkey, lkey, roles = _pick_keys(keys, text, label, path)
    if need_label and lkey is None:
        raise DataError(f"cannot tell which field holds the label; fields: {', '.join(keys)}",
                        path=path, line=first[0][0], hint="name it with label=... (CLI: --label FIELD)")

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for n, obj in itertools.chain(first, stream):
            rec: dict[str, Any] = {"text": obj.get(tkey), "_text_field": tkey}
            if lkey is not None:
                rec["label"] = obj.get(lkey)
            for role, key in roles.items():
                rec[role] = obj.get(key)
            if rec["text"] is not None and not isinstance(rec["text"], str):
                errors.bad(n, tkey, f"expected text, found {type(rec['text']).__name__}")
                continue
            yield n, rec

    return _Rows(rows(), "jsonl", lkey or "label", None, position)


def _parquet_rows(path: Path, text: str | None, label: str | None, need_label: bool) -> _Rows:
    try:
        import pyarrow.parquet as pq  # lazy: optional dependency
    except ImportError:
        raise DataError("reading Parquet needs pyarrow: pip install 'tweetlab[parquet]'",
                        path=path) from None
    try:
        pfile = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types for bad files
        raise DataError(f"cannot read Parquet ({exc})", path=path) from None
    keys = [str(c) for c in pfile.schema_arrow.names]
    tkey, lkey, roles = _pick_keys(keys, text, label, path)
    if need_label and lkey is None:
        raise DataError(f"cannot tell which column holds the label; columns: {list_columns(keys)}",
                        path=path, hint="name it with label=... (CLI: --label COLUMN)")
    wanted = {"text": tkey, **({"label": lkey} if lkey is not None else {}), **roles}
    position = ReadPosition(path)
    position.done = 0.0
    n_rows = max(pfile.metadata.num_rows, 1)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        n = 0
        try:
            batches = pfile.iter_batches(batch_size=50_000, columns=list(dict.fromkeys(
                wanted.values())))
            for batch in batches:
                frame = batch.to_pandas()
                cols = {k: frame[v].tolist() for k, v in wanted.items()}
                for i in range(len(frame)):
                    rec = {k: v[i] for k, v in cols.items()}
                    rec["_text_field"] = tkey
                    # Parquet has no lines: row i is reported as "line" i + 1.
                    n += 1
                    position.done = n / n_rows
                    yield n, rec
        except DataError:
            raise
        except Exception as exc:
            raise DataError(f"cannot read Parquet ({exc})", path=path, line=n + 1) from None

    return _Rows(rows(), "parquet", lkey or "label", None, position)


def _tweeteval_rows(path: Path, encoding: str | None, need_label: bool) -> _Rows:
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

    return _Rows(rows(), "tweeteval", "label", label_map)


def _open_rows(path: str | Path, text: str | None, label: str | None, format: str | None,
               encoding: str | None, require_labels: bool, errors: _RowErrors) -> _Rows:
    p = Path(path)
    if format is not None and format not in FORMATS:
        raise DataError(f"unknown format {format!r}; known: {', '.join(FORMATS)}", path=p)
    if not p.exists():
        raise DataError("file not found", path=p)
    name = p.name.lower().removesuffix(".gz")
    if format == "tweeteval" or (format is None and name.endswith("_text.txt")):
        return _tweeteval_rows(p, encoding, require_labels)
    if format == "parquet" or (format is None and name.endswith((".parquet", ".pq"))):
        return _parquet_rows(p, text, label, require_labels)
    if format == "jsonl" or (format is None and name.endswith((".jsonl", ".ndjson", ".json"))):
        return _jsonl_rows(p, encoding, text, label, require_labels, errors)
    return _delimited_rows(p, encoding, text, label, format, require_labels, errors)


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
    return next(iter_dataset(path, chunk_size=None, text=text, label=label, format=format,
                             encoding=encoding, skip_bad_rows=skip_bad_rows,
                             require_labels=require_labels, label_map=label_map))


def iter_dataset(
    path: str | Path,
    *,
    chunk_size: int | None = 50_000,
    text: str | None = None,
    label: str | None = None,
    format: str | None = None,
    encoding: str | None = None,
    skip_bad_rows: bool = False,
    require_labels: bool = True,
    label_map: dict[str, str] | None = None,
) -> DatasetPieces:
    """:func:`load_dataset` a piece at a time: Datasets of ``chunk_size`` usable rows (the
    last one shorter), read as they are asked for, so a file larger than memory can be
    labelled. Same options and errors; each piece's ``skipped`` holds the rows skipped
    since the one before; labels are kept in a piece when each of its rows has one.
    ``fraction_read`` of the result says how far into the file reading has got.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("tweet\\na\\nb\\nc\\n")
    >>> [(d.texts, d.lines) for d in iter_dataset(p, chunk_size=2, require_labels=False)]
    [(['a', 'b'], [2, 3]), (['c'], [4])]
    """
    p = Path(path)
    pieces = DatasetPieces()

    def read() -> Iterator[Dataset]:
        errors = _RowErrors(p, skip_bad_rows)
        rows = pieces.rows = _open_rows(p, text, label, format, encoding, require_labels,
                                        errors)
        first = True
        while (ds := _build(rows, p, require_labels, errors, chunk_size)) is not None:
            if label_map and ds.labels is not None:
                ds.labels = [label_map.get(x, x) for x in ds.labels]
            first = False
            yield ds
        if first:
            raise _no_rows(p, errors)

    pieces.pieces = read()
    return pieces


class DatasetPieces(Iterator[Dataset]):
    """What :func:`iter_dataset` returns: the pieces, read as they are asked for, and
    ``fraction_read``: how far into the file reading has got (0-1, by its bytes as stored;
    ``None`` for a format read whole), for progress bars and time estimates."""

    def __init__(self) -> None:
        self.rows: _Rows | None = None  # set when reading starts
        self.pieces: Iterator[Dataset] = iter(())

    def __next__(self) -> Dataset:
        return next(self.pieces)

    @property
    def fraction_read(self) -> float | None:
        position = self.rows.position if self.rows is not None else None
        return position.fraction() if position is not None else None
