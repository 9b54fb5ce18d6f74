"""The in-memory :class:`Dataset`: texts, optional labels, and the columns that travel along.

>>> ds = Dataset(texts=["good", "bad"], labels=["pos", "neg"])
>>> ds.classes
['neg', 'pos']
>>> len(ds.subset([1]))
1
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import DataError

# Optional columns that travel with each row through splits and subsets.
KNOWN_COLUMNS = ("id", "date", "user", "entity", "keyword")


@dataclass(frozen=True)
class SkippedRow:
    """A row left out by ``skip_bad_rows=True``, with where and why."""

    line: int
    field: str | None
    reason: str


@dataclass
class Dataset:
    """Tweets with optional labels and extra columns (``id``, ``date``, ``user``, ...)."""

    texts: list[str]
    labels: list[str] | None = None
    columns: dict[str, list[Any]] = field(default_factory=dict)
    source: str | None = None
    lines: list[int] | None = None
    skipped: list[SkippedRow] = field(default_factory=list)
    format: str = "memory"

    def __post_init__(self) -> None:
        n = len(self.texts)
        if self.labels is not None and len(self.labels) != n:
            raise ValueError(f"{len(self.labels)} labels for {n} texts")
        for name, values in self.columns.items():
            if len(values) != n:
                raise ValueError(f"column {name!r} has {len(values)} values for {n} texts")

    def __len__(self) -> int:
        return len(self.texts)

    def __repr__(self) -> str:
        parts = [f"{len(self)} rows"]
        if self.labels is not None:
            counts = ", ".join(f"{k}: {v}" for k, v in sorted(self.label_counts().items()))
            parts.append(f"labels {{{counts}}}")
        if self.columns:
            parts.append(f"columns {sorted(self.columns)}")
        if self.source:
            parts.append(f"from {self.source!r} ({self.format})")
        if self.skipped:
            parts.append(f"{len(self.skipped)} rows skipped")
        return f"Dataset({'; '.join(parts)})"

    @property
    def classes(self) -> list[str]:
        """Sorted distinct labels (empty when unlabelled)."""
        return sorted(set(self.labels)) if self.labels is not None else []

    def label_counts(self) -> dict[str, int]:
        return dict(Counter(self.labels or []))

    def column(self, name: str) -> list[Any]:
        if name not in self.columns:
            have = ", ".join(sorted(self.columns)) or "none"
            raise DataError(f"no column {name!r} (columns kept: {have})", path=self.source)
        return self.columns[name]

    def subset(self, indices: Sequence[int]) -> Dataset:
        """Rows at ``indices``, in that order, with every column."""
        idx = list(indices)
        return Dataset(
            texts=[self.texts[i] for i in idx],
            labels=[self.labels[i] for i in idx] if self.labels is not None else None,
            columns={k: [v[i] for i in idx] for k, v in self.columns.items()},
            source=self.source,
            lines=[self.lines[i] for i in idx] if self.lines is not None else None,
            format=self.format,
        )

    def line_of(self, row: int) -> int | None:
        """The source line of row ``row`` (for error messages), if known."""
        return self.lines[row] if self.lines is not None else None
