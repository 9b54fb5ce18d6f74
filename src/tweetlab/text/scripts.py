"""Which writing systems tweets are in, to notice a model asked about a script it never
learned (an English model given Russian tweets labels them, but its labels are guesses).

A profile is each script's share of the letters (URLs and @mentions left out, since they
are Latin whatever the tweet's language). Training records the profile of its tweets
(``scripts_``, saved in config.json); predicting counts the tweets it is given that are
mostly in a script the training tweets (nearly) lacked.

>>> profile = script_profile(["Какой чудесный день", "what a day http://t.co/x"])
>>> sorted(profile)
['Cyrillic', 'Latin']
>>> unfamiliar_tweets({"Latin": 1.0}, ["Какой чудесный день", "what a day"])
('Cyrillic', 0.5)
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .normalize import MENTION_RE, URL_RE

SCRIPTS = {
    "Latin": "A-Za-z\u00c0-\u024f\u1e00-\u1eff",
    "Cyrillic": "\u0400-\u052f",
    "Greek": "\u0370-\u03ff",
    "Arabic": "\u0600-\u06ff\u0750-\u077f",
    "Hebrew": "\u0590-\u05ff",
    "Devanagari": "\u0900-\u097f",
    "Thai": "\u0e00-\u0e7f",
    "Hangul": "\uac00-\ud7af\u1100-\u11ff",
    "Kana": "\u3040-\u30ff",
    "Han": "\u4e00-\u9fff",
}
_PATTERNS = {name: re.compile(f"[{chars}]") for name, chars in SCRIPTS.items()}
SAMPLE = 20_000  # tweets whose letters are counted at most (drawn at random from more)
DOMINANT = 0.5  # a tweet is "in" a script holding at least this share of its letters
RARE = 0.01  # a script that made less than this share of the training letters is unfamiliar
NOTED = 0.05  # the share of tweets in an unfamiliar script worth a warning
MOSTLY = 0.5  # the share from which a model that reads them is taken where one can be
CHECKED = 2_000  # tweets checked one by one at most (drawn at random from a longer list)


def drawn(texts: Sequence[str], most: int = CHECKED) -> Sequence[str]:
    """``texts``, or ``most`` of them drawn at random (seeded: the same every time) when
    there are more - not every k-th, which a list that repeats itself would fool."""
    if len(texts) <= most:
        return texts

    return [texts[i] for i in sorted(random.Random(0).sample(range(len(texts)), most))]


def script_profile(texts: Sequence[str], most: int = SAMPLE) -> dict[str, float]:
    """Each script's share of the letters of ``texts`` (of ``most`` of them drawn at
    random when there are more), to 4 decimals; scripts with a smaller share left out, and
    an empty dict when there are no letters at all."""
    joined = "\n".join(drawn(texts, most))
    joined = MENTION_RE.sub(" ", URL_RE.sub(" ", joined))
    counts = {name: len(rx.findall(joined)) for name, rx in _PATTERNS.items()}
    total = sum(counts.values())
    shares = {name: round(n / total, 4) for name, n in counts.items()} if total else {}
    return {name: share for name, share in shares.items() if share > 0}


def unfamiliar_tweets(trained: Mapping[str, float], texts: Sequence[str]
                      ) -> tuple[str, float] | None:
    """For a collection that mixes languages: (script, share of ``texts``) for the script
    (with under 1% of the training letters) that most of these tweets are mostly written
    in, when any tweet is; else None.

    >>> unfamiliar_tweets({"Latin": 1.0}, ["hello there", "Привет всем", "Как дела?", "ok"])
    ('Cyrillic', 0.5)
    >>> unfamiliar_tweets({"Cyrillic": 1.0}, ["hello there", "Привет всем"])
    ('Latin', 0.5)
    """
    if not trained or not texts:
        return None
    found: dict[str, int] = {}
    latin_known = trained.get("Latin", 0.0) >= RARE
    for text in texts:
        if latin_known and text.isascii():  # (the common case, passed at once)
            continue
        profile = script_profile([text])
        script = max(profile, key=profile.__getitem__) if profile else None
        if script is not None and profile[script] >= DOMINANT and \
                trained.get(script, 0.0) < RARE:
            found[script] = found.get(script, 0) + 1
    if not found:
        return None
    script = max(found, key=found.__getitem__)
    return script, found[script] / len(texts)


def check_scripts(model: Any, texts: Sequence[str]) -> tuple[str, float] | None:
    """:func:`unfamiliar_tweets` of ``texts`` (up to 2,000 of them, drawn at random)
    against the scripts ``model`` learned from; None for a model that records no profile
    (saved before profiles were recorded) or reads many languages (a multilingual
    encoder)."""
    trained = getattr(model, "scripts_", None)
    if not trained or getattr(model, "multilingual", False):
        return None
    return unfamiliar_tweets(trained, drawn(texts))


def mostly(found: tuple[str, float] | None) -> bool:
    """Whether most of the tweets checked are in the unfamiliar script ``found``: then a
    model that reads it is taken, where one can be."""
    return found is not None and found[1] >= MOSTLY


def script_note(model: Any, found: tuple[str, float] | None, n_texts: int, *,
                of: str = "these tweets") -> str | None:
    """What to tell a user about :func:`check_scripts`' finding ``found`` over ``n_texts``
    tweets: a sentence when at least 5% are mostly in a script the model (nearly) never
    learned, else None. ``of`` names the tweets in the sentence."""
    if found is None or found[1] < NOTED:
        return None
    script, share = found
    seen = model.scripts_.get(script, 0.0)
    about = "about " if n_texts > CHECKED else ""
    return (f"{about}{share:.0%} of {of} are mostly in {script}, a script that made "
            f"{f'{seen:.2%}' if seen else 'none'} of the letters this model learned from: "
            f"its labels for them are guesses; {what_reads_them(model)}")


def unfamiliar_script_note(model: Any, texts: Sequence[str], *,
                           of: str = "these tweets") -> str | None:
    """:func:`script_note` of ``texts`` - Russian tweets given to an English model."""
    return script_note(model, check_scripts(model, texts), len(texts), of=of)


def what_reads_them(model: Any) -> str:
    """Where to turn for tweets in other scripts: a sentiment model is pointed to the
    bundled multilingual one, any other to training on a multilingual encoder."""
    if {"positive", "negative"} <= {str(c).lower() for c in model.classes_}:
        return ("the bundled multilingual-sentiment reads 16 languages (Russian, Arabic, "
                "Chinese, Japanese...)")
    return ("train on tweets in their language, or with a multilingual encoder "
            "(--model embed-lr --set encoder=use-multilingual)")
