"""Tokenisation of normalised tweets into words, placeholders, emoji names and symbols.

>>> tokenize("soo happy <user>!! :red_heart: #bestday don't")
['soo', 'happy', '<user>', '!', '!', ':red_heart:', '#bestday', "don't"]
"""

from __future__ import annotations

import re

# Order matters: placeholders and emoji names first, then hashtags, words (any script,
# with inner apostrophes), then any other single non-space character.
TOKEN_RE = re.compile(r"<[a-z]+>|:[a-z0-9_&'-]+:|#\w+|\w+(?:['’]\w+)*|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Split a (normalised) tweet into tokens; see the module example."""
    return TOKEN_RE.findall(text)
