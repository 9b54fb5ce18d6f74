"""Read a tweet file in chunks, so files larger than memory can be scored and counted.

CSV/TSV (gzip ok, the headerless entity and Sentiment140 layouts too), JSONL and
Parquet. Each chunk is a pandas DataFrame with a ``text`` column, the roles tweetlab
knows (``date``, ``user``, ``entity``, ``keyword``, ``id``) where the file has them, every
other column under its own name, and ``_row`` (1-based data row number).

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = p.write_text("tweet,created_at\\na,2024-01-01\\nb,2024-01-02\\nc,2024-01-03\\n")
>>> [list(c["text"]) for c in iter_chunks(p, chunk_size=2)]
[['a', 'b'], ['c']]
"""

from __future__ import annotations

import csv
import json
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import DataError, list_columns
from .readers import (
    ROLE_NAMES,
    TEXT_NAMES,
    ReadPosition,
    _blocks,
    _decode_error,
    _layout,
    _sniff_delimiter,
    csv_encoding,
    open_text,
)

_BAD_ROW = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_SKIPPED = re.compile(r"Skipping line (\d+): expected (\d+) fields, saw (\d+)")
_OPEN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


def as_text(values: list[Any]) -> list[str]:
    """Cells as Python strings: missing (None, NaN, pandas' NA and NaT) -> "", others
    ``str()``-ed.

    >>> import pandas as pd
    >>> as_text(["a", None, float("nan"), pd.NA, 7])
    ['a', '', '', '', '7']
    """
    return [v if type(v) is str else "" if _missing(v) else str(v) for v in values]


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    return type(value).__name__ in ("NAType", "NaTType")


def _kind(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    return "csv"


def column_roles(columns: list[str], text: str | None) -> dict[str, str]:
    """Map the file's column names onto ``text`` and the known roles."""
    lowered = {c.lower(): c for c in columns}
    mapping: dict[str, str] = {}
    if text is not None:
        if text not in columns:
            raise DataError(f"no column {text!r} for the text; columns: {list_columns(columns)}",
                            field=text)
        mapping[text] = "text"
    else:
        found = next((lowered[c] for c in TEXT_NAMES if c in lowered), None)
        if found is None:
            raise DataError(f"cannot tell which column holds the tweet text; columns: "
                            f"{list_columns(columns)}", hint="name it with --text COLUMN")
        mapping[found] = "text"
    for role, cands in ROLE_NAMES.items():
        found = next((lowered[c] for c in cands if c in lowered and lowered[c] not in mapping),
                     None)
        if found is not None and role not in mapping.values():
            mapping[found] = role
    return mapping


def _record_line(path: Path, encoding: str, delimiter: str, record: int) -> int:
    """The file line on which CSV record ``record`` (0 = the header) starts: records
    may span lines (quoted newlines)."""
    with open_text(path, encoding) as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        for _ in range(record):
            if next(reader, None) is None:
                break
        return reader.line_num + 1


def iter_chunks(path: str | Path, *, chunk_size: int = 50_000, text: str | None = None,
                encoding: str | None = None, position: ReadPosition | None = None,
                on_bad_row: Callable[[int, str], None] | None = None) -> Iterator[Any]:
    """Yield DataFrames of at most ``chunk_size`` tweets (see the module docstring).
    ``encoding``: UTF-8 unless given (Sentiment140 files: latin-1, as ``load_dataset``).
    ``position`` follows how far into the file reading has got (for progress bars).
    A CSV row with the wrong number of fields is an error naming its line, unless
    ``on_bad_row`` is given: then it is skipped and ``on_bad_row(line, reason)`` called."""
    import pandas as pd  # lazy: pandas: slow to import

    p = Path(path)
    if not p.exists():
        raise DataError("file not found", path=p)
    kind = _kind(p)
    row = 0
    encoding = csv_encoding(p, encoding) if kind == "csv" else encoding or "utf-8-sig"

    def finish(frame: Any) -> Any:
        nonlocal row
        frame = frame.rename(columns=column_roles([str(c) for c in frame.columns], text))
        # Plain Python strings (object dtype): the chunk's texts go to Python code next,
        # and pandas' Arrow-backed strings cost a conversion each way.
        frame["text"] = pd.Series(as_text(frame["text"].tolist()), index=frame.index,
                                  dtype=object)
        frame["_row"] = range(row + 1, row + 1 + len(frame))
        row += len(frame)
        return frame

    frames = (_parquet_frames(p, chunk_size, position) if kind == "parquet" else
              _jsonl_frames(p, chunk_size, encoding, position) if kind == "jsonl" else
              _csv_frames(p, chunk_size, encoding, text, position, on_bad_row))
    try:
        for frame in frames:
            yield finish(frame)
    except UnicodeDecodeError:
        # where the first bad byte is, and which encoding decodes the whole file
        raise _decode_error(p, lambda: _blocks(p), encoding) from None
    except DataError as exc:
        if exc.path is None:
            exc.path = str(p)
        raise


def _parquet_frames(p: Path, chunk_size: int, position: ReadPosition | None
                    ) -> Iterator[Any]:
    import pyarrow.parquet as pq  # lazy: optional dependency

    pfile = pq.ParquetFile(p)
    done = 0
    for batch in pfile.iter_batches(batch_size=chunk_size):
        done += batch.num_rows
        if position is not None:
            position.done = done / max(pfile.metadata.num_rows, 1)
        yield batch.to_pandas()


def _jsonl_frames(p: Path, chunk_size: int, encoding: str, position: ReadPosition | None
                  ) -> Iterator[Any]:
    import pandas as pd  # lazy: pandas: slow to import

    with open_text(p, encoding, position) as fh:
        buf: list[dict[str, Any]] = []
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"invalid JSON ({exc.msg})", path=p, line=n) from None
            if isinstance(obj, dict) and isinstance(obj.get("user"), dict):
                obj["user"] = obj["user"].get("screen_name") or obj["user"].get("id")
            buf.append(obj if isinstance(obj, dict) else {"text": obj})
            if len(buf) >= chunk_size:
                yield pd.DataFrame(buf)
                buf = []
        if buf:
            yield pd.DataFrame(buf)


def _csv_frames(p: Path, chunk_size: int, encoding: str, text: str | None,
                position: ReadPosition | None,
                on_bad_row: Callable[[int, str], None] | None) -> Iterator[Any]:
    """The raw chunks of a CSV/TSV file (headerless known layouts named by role); pandas'
    parser errors become :class:`DataError` naming the line."""
    import pandas as pd  # lazy: pandas: slow to import

    with open_text(p, encoding) as fh:
        first_line = fh.readline()
    if not first_line.strip():
        raise DataError("file is empty", path=p)
    delimiter = _sniff_delimiter(first_line, p)
    first = next(csv.reader([first_line], delimiter=delimiter))
    layout = _layout(first, delimiter, p, text, None, None)
    names = list(layout.names)
    if not layout.header:
        # Headerless known layouts: name the columns by role.
        names[layout.text] = "text"
        for role, i in layout.roles.items():
            names[i] = role
        if layout.label is not None:
            names[layout.label] = "label"
    try:
        with open_text(p, encoding, position) as fh:
            reader = pd.read_csv(fh, sep=delimiter, header=0 if layout.header else None,
                                 names=None if layout.header else names, dtype=object,
                                 keep_default_na=False, chunksize=chunk_size, engine="c",
                                 on_bad_lines="error" if on_bad_row is None else "warn")
            while True:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", pd.errors.ParserWarning)
                    frame = next(reader, None)
                for w in caught:  # pandas: "Skipping line 7: expected 4 fields, saw 5"
                    for line, want, saw in _SKIPPED.findall(str(w.message)):
                        assert on_bad_row is not None
                        on_bad_row(int(line), f"malformed row: expected {want} fields, "
                                              f"found {saw}")
                if frame is None:
                    break
                yield frame
    except pd.errors.ParserError as exc:
        found = _BAD_ROW.search(str(exc))
        quote = _OPEN_QUOTE.search(str(exc))
        if quote is not None:  # pandas counts records from 0, the header included
            at = _record_line(p, encoding, delimiter, int(quote.group(1)))
            raise DataError('a quoted field never ends (a " without its closing ")', path=p,
                            line=at) from None
        if found is None:
            raise DataError(f"malformed CSV ({str(exc).strip()})", path=p) from None
        want, line, saw = found.groups()
        raise DataError(f"malformed row: expected {want} fields, found {saw}", path=p,
                        line=int(line), hint="pass --skip-bad-rows to skip such rows") from None
