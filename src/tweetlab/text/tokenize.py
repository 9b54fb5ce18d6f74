"""Tokenisation of normalised tweets into words, placeholders, emoji names and symbols.

>>> tokenize("soo happy <user>!! :red_heart: #bestday don't")
['soo', 'happy', '<user>', '!', '!', ':red_heart:', '#bestday', "don't"]
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np

# Order matters: placeholders and emoji names first, then hashtags, words (any script,
# with inner apostrophes), then any other single non-space character.
TOKEN_RE = re.compile(r"<[a-z]+>|:[a-z0-9_&'-]+:|#\w+|\w+(?:['’]\w+)*|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Split a (normalised) tweet into tokens; see the module example."""
    return TOKEN_RE.findall(text)


@dataclass
class TokenIds:
    """The tokens of many texts as ids into their distinct words (one pass, shared by
    the scorers and counters of a chunk).

    >>> t = TokenIds.of(["a b a", "", "b c"])
    >>> t.words, t.ids.tolist(), t.lengths.tolist()
    (['a', 'b', 'c'], [0, 1, 0, 1, 2], [3, 0, 2])
    >>> t.flat_tokens()
    ['a', 'b', 'a', 'b', 'c']
    """

    words: list[str]  # distinct tokens, in first-seen order
    ids: np.ndarray  # (T,) int64: each token's index into ``words``
    lengths: np.ndarray  # (n,) int64: tokens per text

    @classmethod
    def of(cls, texts: list[str]) -> TokenIds:
        """Tokenize ``texts`` (normalised) with one regex scan over the joined texts.

        The texts are joined with NUL, which the token pattern takes as one symbol token
        of its own and never as part of another, so the tokens are those of
        :func:`tokenize` on each text; the NUL tokens mark the boundaries.
        """
        n = len(texts)
        joined = "\0".join(texts)
        if n == 0 or joined.count("\0") != n - 1:  # a text holds NUL: one at a time
            return cls.from_tokens([tokenize(t) for t in texts])
        flat = TOKEN_RE.findall(joined)
        index = dict(zip(dict.fromkeys(flat), itertools.count()))
        ids = np.fromiter(map(index.__getitem__, flat), dtype=np.int64, count=len(flat))
        words = list(index)
        sep_id = index.get("\0", -1)
        cuts = np.flatnonzero(ids == sep_id)
        bounds = np.concatenate(([-1], cuts, [len(ids)]))
        lengths = np.diff(bounds) - 1
        if sep_id >= 0:  # drop the separator, keeping first-seen order and dense ids
            ids = ids[ids != sep_id]
            ids[ids > sep_id] -= 1
            words.pop(sep_id)
        return cls(words, ids, lengths)

    @classmethod
    def ensure(cls, tokens: TokenIds | list[list[str]] | None,
               texts: list[str] | None = None) -> TokenIds:
        """``tokens`` as :class:`TokenIds` (as given, or from per-text token lists), or
        ``texts`` tokenized when ``tokens`` is None."""
        if isinstance(tokens, TokenIds):
            return tokens
        if tokens is not None:
            return cls.from_tokens(tokens)
        return cls.of(texts or [])

    @classmethod
    def from_tokens(cls, tokens: list[list[str]]) -> TokenIds:
        flat = list(itertools.chain.from_iterable(tokens))
        index = dict(zip(dict.fromkeys(flat), itertools.count()))
        ids = np.fromiter(map(index.__getitem__, flat), dtype=np.int64, count=len(flat))
        lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
        return cls(list(index), ids, lengths)

    def flat_tokens(self) -> list[str]:
        return [self.words[i] for i in self.ids.tolist()]

    def per_text(self) -> list[list[str]]:
        flat = self.flat_tokens()
        ends = np.cumsum(self.lengths).tolist()
        return [flat[e - k:e] for e, k in zip(ends, self.lengths.tolist(), strict=True)]
