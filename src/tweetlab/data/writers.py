"""Writing per-tweet result tables (predictions): CSV, TSV, JSON lines or Parquet.

The format follows the file name: ``.csv``, ``.tsv``, ``.jsonl`` (or ``.ndjson``), each
optionally gzipped (``.csv.gz``), or ``.parquet`` (needs ``pyarrow``). Files are written
atomically (a temporary file in the same folder, then renamed) and never replace an
existing file unless ``force`` is given.

>>> import tempfile, pathlib, json
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> write_table(d / "p.jsonl", ["text", "label", "confidence"], [["so good", "pos", 0.91]])
>>> json.loads((d / "p.jsonl").read_text())
{'text': 'so good', 'label': 'pos', 'confidence': 0.91}
>>> table_format("scores.csv.gz"), table_format("scores.tsv")
('csv', 'tsv')
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._fs import publish
from ..errors import ConfigError, TweetlabError

TABLE_FORMATS = ("csv", "tsv", "jsonl", "parquet")
_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
             ".parquet": "parquet"}


def table_format(path: str | Path) -> str:
    """The table format a file name asks for (see the module docstring)."""
    name = Path(path).name.lower()
    gz = name.endswith(".gz")
    stem = name.removesuffix(".gz")
    for suffix, fmt in _SUFFIXES.items():
        if stem.endswith(suffix) and not (gz and fmt == "parquet"):
            return fmt
    raise ConfigError(f"{path}: cannot tell the output format from the name; end it in "
                      ".csv, .tsv, .jsonl or .parquet (.gz allowed except for Parquet)")


def format_table(header: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str = "csv", *,
                 with_header: bool = True) -> str:
    """The table as text (``csv``, ``tsv`` or ``jsonl``); ``with_header=False``: the rows
    only (a later piece of a CSV written in pieces)."""
    buf = io.StringIO(newline="")
    if fmt == "jsonl":
        for row in rows:
            # default=str: dates read from Parquet are timestamps, written as ISO text
            buf.write(json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False,
                                 default=str))
            buf.write("\n")
    elif fmt in ("csv", "tsv"):
        w = csv.writer(buf, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
        if with_header:
            w.writerow(header)
        w.writerows([_cell(v) for v in row] for row in rows)
    else:
        raise ConfigError(f"format {fmt!r} cannot be written as text; use one of csv, tsv, jsonl")
    return buf.getvalue()


def _cell(value: Any) -> Any:
    """CSV cells: floats with 4 decimals (probabilities), None as empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return value


class TableWriter:
    """Write a table in pieces (``write(rows)`` as often as needed) to a temporary file
    beside ``path``, renamed to ``path`` when the ``with`` block ends without an error
    (removed if it does not): a file of any length, never half-written.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "p.csv"
    >>> with TableWriter(out, ["text", "label"]) as table:
    ...     table.write([["a", "pos"]])
    ...     table.write([["b", "neg"]])
    >>> out.read_text()
    'text,label\\na,pos\\nb,neg\\n'
    """

    def __init__(self, path: str | Path, header: Sequence[str], *, force: bool = False) -> None:
        self.path = Path(path)
        self.header = list(header)
        self.format = table_format(self.path)
        if self.path.exists() and not force:
            raise TweetlabError(f"{self.path} already exists; pass --force to overwrite it")
        if not self.path.parent.exists():
            raise TweetlabError(f"{self.path}: folder {self.path.parent} does not exist")
        self._parquet: Any = None
        self._schema: Any = None
        self._text: Any = None
        self._gz_base: Any = None
        self._started = False
        if self.format == "parquet":
            try:
                import pyarrow.parquet  # noqa: F401
            except ImportError:
                raise ConfigError(f"{self.path}: writing Parquet needs pyarrow "
                                  "(pip install 'tweetlab[parquet]')") from None

    def __enter__(self) -> TableWriter:
        fd, self._tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.",
                                         suffix=".tmp")
        if self.format == "parquet":
            os.close(fd)
            return self
        raw: Any = os.fdopen(fd, "wb")
        if self.path.name.lower().endswith(".gz"):
            # level 6 (gzip's own default): 1M predictions in 7.5 s instead of 11.4 s at
            # Python's default 9, for a file 0.4% larger
            raw = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0)
            self._gz_base = raw.fileobj
        self._text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        return self

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        """Append ``rows`` (each in the order of the header)."""
        if self.format == "parquet":
            self._write_parquet(rows)
        else:
            self._text.write(format_table(self.header, rows, self.format,
                                          with_header=not self._started))
        self._started = True

    def _write_parquet(self, rows: Sequence[Sequence[Any]]) -> None:
        import pyarrow as pa  # lazy: optional dependency
        import pyarrow.parquet as pq  # lazy: optional dependency

        columns = {name: [row[i] for row in rows] for i, name in enumerate(self.header)}
        if self._parquet is None:
            table = pa.table(columns)
            # a column with no values yet (all None) is text when values come
            self._schema = pa.schema([pa.field(f.name, pa.string()) if pa.types.is_null(f.type)
                                      else f for f in table.schema])
            self._parquet = pq.ParquetWriter(self._tmp, self._schema)
        self._parquet.write_table(pa.Table.from_pydict(columns, schema=self._schema))

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        try:
            if not self._started and kind is None:
                self.write([])  # no rows: the header (Parquet: the schema) alone
            if self._parquet is not None:
                self._parquet.close()
            if self._text is not None:
                self._text.close()  # closes the gzip stream (not the file under it)
                if self._gz_base is not None:
                    self._gz_base.close()
            if kind is None:
                publish(self._tmp, self.path)
        finally:
            if os.path.exists(self._tmp):
                os.unlink(self._tmp)


def write_table(path: str | Path, header: Sequence[str], rows: Sequence[Sequence[Any]], *,
                force: bool = False) -> None:
    """Write ``rows`` under ``header`` to ``path`` atomically, in the format of its name."""
    with TableWriter(path, header, force=force) as table:
        table.write(rows)
