"""Vocabularies that map tokens to ids and round-trip through JSON.

>>> v = Vocabulary.build([["a", "b"], ["a"]], specials=("<pad>", "<unk>"))
>>> v.encode(["a", "zzz"])
[2, 1]
>>> Vocabulary.from_json(v.to_json()) == v
True
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Vocabulary:
    """An ordered token list; ids are positions. ``unk`` names the fallback token, if any."""

    tokens: list[str]
    unk: str | None = None
    _index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index = {t: i for i, t in enumerate(self.tokens)}
        if len(self._index) != len(self.tokens):
            raise ValueError("vocabulary tokens must be unique")
        if self.unk is not None and self.unk not in self._index:
            raise ValueError(f"unknown-token {self.unk!r} is not in the vocabulary")

    @classmethod
    def build(
        cls,
        documents: Iterable[list[str]],
        *,
        max_size: int | None = None,
        min_count: int = 1,
        specials: tuple[str, ...] = (),
        unk: str | None = "<unk>",
        document_frequency: bool = False,
    ) -> Vocabulary:
        """Most frequent tokens first (ties by first appearance), after ``specials``."""
        counts: Counter[str] = Counter()
        for doc in documents:
            counts.update(set(doc) if document_frequency else doc)
        specials = tuple(specials) + ((unk,) if unk is not None and unk not in specials else ())
        ranked = [t for t, c in counts.most_common() if c >= min_count and t not in specials]
        if max_size is not None:
            ranked = ranked[: max(0, max_size - len(specials))]
        return cls(list(specials) + ranked, unk=unk)

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._index

    def get(self, token: str) -> int | None:
        return self._index.get(token)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Ids of ``tokens``; unknown tokens map to ``unk`` or are dropped if there is none."""
        index = self._index
        if self.unk is None:
            return [index[t] for t in tokens if t in index]
        unk = index[self.unk]
        return [index.get(t, unk) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.tokens[i] for i in ids]

    def to_dict(self) -> dict[str, Any]:
        return {"format": "tweetlab.vocabulary/1", "unk": self.unk, "tokens": self.tokens}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vocabulary:
        return cls(list(data["tokens"]), unk=data.get("unk"))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Vocabulary:
        return cls.from_dict(json.loads(text))
