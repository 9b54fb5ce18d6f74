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


# Words that negate what follows them (English, Spanish, Russian), and words that end
# their scope besides punctuation.
NEGATORS = frozenset({
    "not", "no", "never", "cannot", "nothing", "nobody", "none", "nowhere", "neither", "nor",
    "without", "hardly", "barely", "dont", "cant", "wont", "isnt", "wasnt", "didnt", "doesnt",
    "arent", "aint", "couldnt", "shouldnt", "wouldnt", "havent", "hasnt", "werent",
    "nunca", "ni", "sin", "jamás", "tampoco", "не", "нет", "ни", "никогда", "ничего", "без"})
_SCOPE_ENDS = frozenset({"but", "however", "although", "though", "pero", "aunque", "но", "а",
                         "однако"})
NEGATION_WINDOW = 4  # words marked after a negator at most (tweets often lack punctuation)


def is_negator(token: str) -> bool:
    """Whether ``token`` negates what follows it ("not", "never", "don't", "не"...)."""
    low = token.lower()
    return low in NEGATORS or low.endswith(("n't", "n’t"))


def mark_negation(tokens: list[str], window: int = NEGATION_WINDOW, *,
                  keep_cues: bool = True) -> list[str]:
    """Mark the words in a negation's scope with ``_NEG`` (Das and Chen 2001; Pang et al.
    2002): after a negator ("not", "never", any "...n't", Spanish "no", Russian "не"), up to
    ``window`` words, ending early at punctuation or a contrast word ("but"). A linear model
    then learns "good" and "good_NEG" apart.

    >>> mark_negation(tokenize("the food was not good at all , but fine"))
    ['the', 'food', 'was', 'not', 'good_NEG', 'at_NEG', 'all_NEG', ',', 'but', 'fine']
    >>> mark_negation(tokenize("i don't love it"))
    ['i', "don't", 'love_NEG', 'it_NEG']
    >>> mark_negation(tokenize("i don't love it"), keep_cues=False)
    ['i', 'love_NEG', 'it_NEG']
    """
    out: list[str] = []
    left = 0
    for tok in tokens:
        low = tok.lower()
        word = tok[:1].isalnum() or tok[:1] == "_"
        if left and (not word or low in _SCOPE_ENDS):
            left = 0
        if left:
            out.append(tok + "_NEG")
            left -= 1
            continue
        if word and is_negator(tok):
            left = window
            if not keep_cues:
                continue
        out.append(tok)
    return out


def tokenize_negated(text: str) -> list[str]:
    """:func:`tokenize`, then :func:`mark_negation` (the negators themselves left out:
    what they do is in the marks)."""
    return mark_negation(TOKEN_RE.findall(text), keep_cues=False)


def without_negators(text: str) -> str:
    """``text``'s tokens without the negators, joined by spaces.

    >>> without_negators("the food wasn't bad!")
    'the food bad !'
    """
    return " ".join(t for t in TOKEN_RE.findall(text) if not is_negator(t))


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
    def of(cls, texts: list[str], block: int = 1 << 15) -> TokenIds:
        """Tokenize ``texts`` (normalised) with one regex scan per ``block`` texts joined.

        The texts are joined with NUL, which the token pattern takes as one symbol token
        of its own and never as part of another, so the tokens are those of
        :func:`tokenize` on each text; the NUL tokens mark the boundaries. Blocks, not all
        texts at once: the token strings of a million tweets (~40M Python strings) took
        ~2.7 GB; a block's take ~70 MB.
        """
        index: dict[str, int] = {"": 0}  # id 0: a boundary ("" is never a token)
        ids_parts: list[np.ndarray] = []
        len_parts: list[np.ndarray] = []
        for s in range(0, len(texts), block):
            part = texts[s:s + block]
            joined = "\0".join(part)
            joins = joined.count("\0") == len(part) - 1  # else a text holds NUL itself
            if joins:
                flat = TOKEN_RE.findall(joined)
            else:
                tokens = [tokenize(t) for t in part]
                flat = list(itertools.chain.from_iterable(tokens))
            for word in dict.fromkeys(flat):
                if word not in index and not (joins and word == "\0"):
                    index[word] = len(index)
            if not joins:
                ids_parts.append(np.fromiter(map(index.__getitem__, flat), dtype=np.int64,
                                             count=len(flat)))
                len_parts.append(np.fromiter(map(len, tokens), dtype=np.int64,
                                             count=len(tokens)))
                continue
            # While mapping this block, NUL means a boundary (id 0); a NUL token of an
            # earlier block keeps its id (and its place among the words) afterwards.
            real = index.get("\0")
            index["\0"] = 0
            ids = np.fromiter(map(index.__getitem__, flat), dtype=np.int64, count=len(flat))
            if real is None:
                del index["\0"]
            else:
                index["\0"] = real
            bounds = np.concatenate(([-1], np.flatnonzero(ids == 0), [len(ids)]))
            len_parts.append(np.diff(bounds) - 1)
            ids_parts.append(ids[ids != 0])
        words = list(index)[1:]
        if not ids_parts:
            return cls(words, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        return cls(words, np.concatenate(ids_parts) - 1, np.concatenate(len_parts))

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
