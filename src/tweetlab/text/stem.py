"""Snowball stemming for English, Spanish and Russian (and any other Snowball language).

>>> stem(["running", "runs"], "english")
['run', 'run']
>>> stem(["corriendo"], "es")
['corr']
"""

from __future__ import annotations

from functools import lru_cache

import snowballstemmer

from ..errors import ConfigError

ALIASES = {"en": "english", "es": "spanish", "ru": "russian"}


@lru_cache(maxsize=8)
def _stemmer(language: str):  # type: ignore[no-untyped-def]
    name = ALIASES.get(language, language)
    if name not in snowballstemmer.algorithms():
        raise ConfigError(
            f"no Snowball stemmer for language {language!r}; "
            f"try one of en, es, ru or {', '.join(snowballstemmer.algorithms())}"
        )
    return snowballstemmer.stemmer(name)


def stem(tokens: list[str], language: str) -> list[str]:
    """Stem each token; placeholders (``<url>``) and emoji names pass unchanged."""
    stemmer = _stemmer(language)
    return [t if t[:1] in "<:#" else stemmer.stemWord(t) for t in tokens]
