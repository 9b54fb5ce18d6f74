"""Tweet normalisation: a pure function of the text and a :class:`CleaningConfig`.

>>> normalize("Soooo happy @bob!! &amp; see https://t.co/x #BestDay")
'soo happy <user> !! & see <url> #bestday'
>>> normalize("#BestDay", CleaningConfig(hashtags="split"))
'best day'
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence

import emoji as _emoji
import numpy as np

from ..config import CleaningConfig

URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# A mention is @ + 1-15 word characters not preceded by a word character (e-mail addresses).
MENTION_RE = re.compile(r"(?<![\w@])@\w{1,30}")
HASHTAG_RE = re.compile(r"(?<![\w#])#(\w+)")
# Three or more of the same character become two: "soooo" -> "soo", "!!!!" -> "!!".
ELONGATION_RE = re.compile(r"(.)\1{2,}", re.DOTALL)
CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")
NUMBER_RE = re.compile(r"(?<![\w<])\d+(?:[.,]\d+)*(?![\w>])")
SPACE_RE = re.compile(r"\s+")

DEFAULT_CLEANING = CleaningConfig()


def _unescape(text: str) -> str:
    # Loop to a fixed point so "&amp;lt;" and "&lt;" both end as "<": normalisation
    # must be idempotent (normalize(normalize(x)) == normalize(x)).
    for _ in range(5):
        new = html.unescape(text)
        if new == text:
            break
        text = new
    return text


def _split_hashtag(match: re.Match[str]) -> str:
    word = match.group(1)
    return " " + CAMEL_RE.sub(" ", word).replace("_", " ") + " "


@functools.cache
def _emoji_start_re() -> re.Pattern[str]:
    """A character class of every character an emoji can start with (built on first use)."""
    # ASCII starts ("1", "#", "*") only begin keycap emoji, which always carry U+20E3 or
    # U+FE0F; searching for those instead keeps digits from triggering the slow path.
    points = sorted({ord(e[0]) for e in _emoji.EMOJI_DATA if not e[0].isascii()}
                    | {0x20E3, 0xFE0F})
    # Runs of neighbouring code points as ranges: a class of ~40 ranges is searched
    # ~20x faster than one listing ~1,400 single characters.
    ranges: list[list[int]] = []
    for cp in points:
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
                   for a, b in ranges)
    return re.compile(f"[{body}]")


@functools.cache
def _emoji_names() -> tuple[dict[str, str], int]:
    """Every emoji sequence -> its English name without colons, and the longest length."""
    names = {e: d["en"][1:-1] for e, d in _emoji.EMOJI_DATA.items()}
    return names, max(map(len, names))


def _demojize(text: str) -> str:
    """``emoji.demojize(text, delimiters=(" :", ": "))``, ~5x faster.

    At each character an emoji can start with (or the one before it, for keycaps such as
    "1" + U+FE0F + U+20E3), the longest known sequence wins; a variation selector no emoji
    took is dropped, as ``emoji`` does. Checked equal to ``emoji.demojize`` on every emoji,
    every real tweet with emoji in the benchmark files and 50,000 random sequences; the
    one difference found: a ZWJ sequence whose longer continuation is unknown keeps its
    longest known prefix here (":woman_walking:") where ``emoji`` falls back to single
    characters.
    """
    names, longest = _emoji_names()
    out: list[str] = []
    last = 0
    n = len(text)
    for m in _emoji_start_re().finditer(text):
        s = m.start()
        if s < last:
            continue
        for start in ((s - 1, s) if s > last else (s,)):
            for size in range(min(longest, n - start), 0, -1):
                name = names.get(text[start:start + size])
                if name is not None:
                    out.append(text[last:start])
                    out.append(f" :{name}: ")
                    last = start + size
                    break
            else:
                continue
            break
        else:
            if text[s] == "\ufe0f":
                out.append(text[last:s])
                last = s + 1
    out.append(text[last:])
    return "".join(out)


def _replace_emoji(text: str, mode: str) -> str:
    # Fast paths: most tweets carry no emoji, and non-ASCII text is often just accents,
    # Cyrillic or an ellipsis; naming emoji costs ~10x more than this search.
    if text.isascii() or not _emoji_start_re().search(text):
        return text
    if mode == "name":
        return _demojize(text)
    return _emoji.replace_emoji(text, replace=" ")


def _may_hold_url(text: str) -> bool:
    # Every URL_RE match holds "://" or "www." in some case; substring tests are ~20x
    # cheaper than the case-insensitive search they save on most tweets.
    if "://" in text:
        return True
    return ("w." in text or "W." in text) and "www." in text.lower()


def _replace_tokens(text: str, config: CleaningConfig) -> str:
    if config.urls is not None and _may_hold_url(text):
        text = URL_RE.sub(f" {config.urls} " if config.urls else " ", text)
    if config.mentions is not None and "@" in text:
        # Repeated: in "@a@b" the second mention only stands alone once the first is gone.
        for _ in range(text.count("@")):
            text, n = MENTION_RE.subn(f" {config.mentions} " if config.mentions else " ", text)
            if not n or "@" not in text:
                break
    if "#" in text:
        if config.hashtags == "split":
            text = HASHTAG_RE.sub(_split_hashtag, text)
        elif config.hashtags == "strip":
            text = HASHTAG_RE.sub(r"\1", text)
        elif config.hashtags == "remove":
            text = HASHTAG_RE.sub(" ", text)
    return text


def normalize(text: str, config: CleaningConfig = DEFAULT_CLEANING) -> str:
    """Return ``text`` normalised for a classifier.

    Steps, each controlled by ``config``: HTML entities unescaped, URLs and @mentions
    replaced by placeholder tokens (``""`` removes them, ``None`` keeps them), hashtags
    kept / split into words / stripped of ``#`` / removed, emoji kept / named
    (``:red_heart:``) / removed, lower-casing, runs of 3+ equal characters cut to 2,
    optional number placeholder, whitespace collapsed. Idempotent.

    >>> normalize("I ❤️ it", CleaningConfig(emoji="name"))
    'i :red_heart: it'
    """
    # Each step can expose work for another (dropping an emoji's variation selector can
    # join "&l" + "t;" into an entity, or "@" to a word), so the steps run to a fixed
    # point; that is what makes normalize() idempotent.
    return _normalize(text, config, True)


def _normalize(text: str, config: CleaningConfig, runs: bool) -> str:
    """``normalize``; ``runs=False``: the caller knows the first pass has no run to cut."""
    for _ in range(5):
        new = _normalize_once(text, config, runs)
        if new == text or not _may_change_again(new, config):
            return new
        text = new
        runs = True
    return text


def _may_change_again(text: str, config: CleaningConfig) -> bool:
    """Whether another pass could change ``text`` (checked instead of running one).

    A pass's output can only change again through what a later step of the pass made:
    a URL, entity, mention or hashtag the next pass would match (dropping an emoji's
    variation selector can join "www" + ".", "&l" + "t;"; the space after "<user>" in
    "@a@a" exposes a second mention), an emoji left to name or remove, or lower-casing
    that is not idempotent (rare non-ASCII letters). Runs of equal characters cannot
    come back: lower-casing runs before they are cut. Kept hashtags and kept mentions
    never change. Numbers: always re-checked.
    """
    if config.numbers is not None:
        return True
    if config.urls is not None and _may_hold_url(text) and URL_RE.search(text):
        return True
    # An entity left after a pass (a later step made it: "&aaacute;" -> "&aacute;").
    if config.html and "&" in text and html.unescape(text) != text:
        return True
    if config.mentions is not None and "@" in text and MENTION_RE.search(text):
        return True
    if config.hashtags != "keep" and "#" in text and HASHTAG_RE.search(text):
        return True
    if text.isascii():
        return False
    if config.emoji != "keep" and _emoji_start_re().search(text):
        return True
    return config.lowercase and text.lower() != text


def _normalize_once(text: str, config: CleaningConfig, runs: bool = True) -> str:
    if config.html:
        text = _unescape(text)
    if config.emoji != "keep":
        text = _replace_emoji(text, config.emoji)
    text = _replace_tokens(text, config)
    if config.lowercase:  # before cutting runs, so that "aAAa" is one run
        text = text.lower()
    if config.elongations and runs:
        text = ELONGATION_RE.sub(r"\1\1", text)
    if config.numbers is not None:
        text = NUMBER_RE.sub(f" {config.numbers} ", text)
    return " ".join(text.split())  # = SPACE_RE.sub(" ", text).strip(), ~4x faster



def _may_have_runs(texts: list[str]) -> np.ndarray:
    """Per text: whether cutting runs could change its first pass (False = surely not).

    A run of three equal non-space characters after a pass needs one in the lower-cased
    text already, for ASCII text without "&": URLs, mentions and hashtags are replaced
    by space-padded placeholders or removed where a non-word character stands, so no
    step before the cut joins equal characters. Entities, non-ASCII text (emoji names)
    and every text of a chunk that has a NUL are left to the regex. One numpy scan over
    the chunk's bytes instead of a regex search per tweet (~5 us).
    """
    n = len(texts)
    joined = "\0".join(texts)
    if joined.count("\0") != n - 1:  # a text holds a NUL: no reliable offsets
        return np.ones(n, dtype=bool)
    maybe = np.zeros(n, dtype=bool)
    ascii_only = joined.isascii()
    if not ascii_only or "&" in joined:
        maybe |= np.fromiter((not t.isascii() or "&" in t for t in texts), dtype=bool, count=n)
    data = joined.encode("utf-8", "surrogatepass").lower()  # ASCII letters only: same length
    buf = np.frombuffer(data, dtype=np.uint8)
    run = (buf[:-2] == buf[1:-1]) & (buf[1:-1] == buf[2:]) & (buf[:-2] != 32)
    hits = np.flatnonzero(run)
    if len(hits):
        sizes = np.fromiter((len(t) if ascii_only else len(t.encode("utf-8", "surrogatepass"))
                             for t in texts), dtype=np.int64, count=n) + 1
        starts = np.cumsum(sizes) - sizes
        maybe[np.searchsorted(starts, hits, side="right") - 1] = True
    return maybe


def normalize_many(texts: Sequence[str], config: CleaningConfig = DEFAULT_CLEANING) -> list[str]:
    """:func:`normalize` over a list (list in, list out); the same result, faster on
    chunks: one byte scan finds the tweets that can hold a run of repeated characters."""
    texts = list(texts)
    if not config.elongations or len(texts) < 64:
        return [normalize(t, config) for t in texts]
    out: list[str] = []
    block = 1 << 15  # the byte scan's arrays stay small (a million tweets at once: ~1 GB)
    for s in range(0, len(texts), block):
        part = texts[s:s + block]
        maybe = _may_have_runs(part)
        out += [_normalize(t, config, m) for t, m in zip(part, maybe.tolist(), strict=True)]
    return out
