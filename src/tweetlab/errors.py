"""Errors a user can act on.

Every error tweetlab raises on bad input is a :class:`TweetlabError`; the CLI prints
its message (never a traceback) and exits with status 2.

>>> str(DataError("empty text", path="tweets.csv", line=7, field="text"))
"tweets.csv, line 7, field 'text': empty text"
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class TweetlabError(Exception):
    """Base class of the errors meant for the user, not for a debugger."""


class DataError(TweetlabError):
    """Bad input data, located by file, line and field where they are known."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.path is not None:
            where.append(self.path)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        text = f"{', '.join(where)}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class ConfigError(TweetlabError):
    """An unknown or invalid configuration key or value."""


class ModelError(TweetlabError):
    """A model directory that cannot be read or written, or a model used wrongly."""


class NotFittedError(ModelError):
    """A model was asked to predict or save before ``fit``."""


def list_columns(names: Sequence[str], most: int = 15) -> str:
    """Column names for a message, shortened when a file has many.

    >>> list_columns(["label"] + [f"pixel{i}" for i in range(784)], most=3)
    'label, pixel0, pixel1, ... (785 columns)'
    """
    names = [str(n) for n in names]
    if len(names) <= most:
        return ", ".join(names)
    return f"{', '.join(names[:most])}, ... ({len(names)} columns)"
