"""An account's tweets for style learning: cleaning (:func:`clean_tweet`), reading any
tweet file into a time-ordered :class:`TweetCorpus` (:func:`read_tweets`), and recency
weights."""

from __future__ import annotations

import bisect
import html
import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..collect import _objects, normalize_tweet, parse_iso
from ..data import load_dataset
from ..errors import DataError
from .config import MAX_TWEET, TweetCleaning

log = logging.getLogger("tweetlab")

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"(?<![\w@])@\w+")
_LEADING_MENTION = re.compile(r"^[.\s]*\0")  # ".@name ..." (a reply shown to all followers)
_MENTION_GAP = re.compile(r"[ \t]*\0(?=[,.!?;:…])")  # "President @Macron, ..." -> "President, ..."
_TRUNCATED = re.compile(r"\s*(…|\.\.\.)\s*(https?://\S+)?\s*$")
# what a cut left of a link: "h", "htt", "https:/", "https://t.c" (the text was cut inside it)
_CUT_URL = re.compile(r"\s*(?<![\w/])h(?:t(?:t(?:ps?)?)?)?(?::/{0,2}\S*)?$")
_SPACES = re.compile(r"[ \t]+")
_RETWEET = re.compile(r"^\s*RT @\w+:?\s*")


def _drop_mentions(text: str) -> str:
    """Remove @mentions without leaving a gap before the punctuation that followed one, or
    the dot of a leading ``.@name``.

    >>> _drop_mentions(".@nbc just said it. Thank you President @Macron, and @WhiteHouse!")
    ' just said it. Thank you President, and!'
    """
    text = _MENTION.sub("\0", text.replace("\0", ""))
    text = _LEADING_MENTION.sub("", text)
    return _MENTION_GAP.sub("", text).replace("\0", "")


def clean_tweet(text: str, cleaning: TweetCleaning) -> tuple[str, bool] | None:
    """(cleaned text, whether it ends naturally), or ``None`` when the tweet is dropped.

    >>> clean_tweet("RT @x: hi there friends", TweetCleaning())
    >>> clean_tweet("Las mafias son el poder &amp; la ley … https://t.co/abc", TweetCleaning())
    ('Las mafias son el poder & la ley', False)
    >>> clean_tweet("@bob Thank you, great rally! https://t.co/x", TweetCleaning())
    ('Thank you, great rally!', True)
    >>> clean_tweet("Join us at the rally in Tampa tonight! https:/…", TweetCleaning())
    ('Join us at the rally in Tampa tonight!', False)
    """
    if cleaning.drop_retweets and text.lstrip().startswith("RT @"):
        return None
    ends = True
    if _TRUNCATED.search(text) and cleaning.truncated != "keep":
        if cleaning.truncated == "drop":
            return None
        text = _CUT_URL.sub("", _TRUNCATED.sub("", text))
        ends = False
    if cleaning.html:
        text = html.unescape(text)
    if not cleaning.urls:
        text = _URL.sub("", text)
    if not cleaning.mentions:
        text = _drop_mentions(text)
    if cleaning.lowercase:
        text = text.lower()
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.strip().splitlines())
    text = text.strip(" :")
    if len(text) < cleaning.min_chars:
        return None
    return text[:MAX_TWEET], ends


@dataclass
class TweetCorpus:
    """Tweets prepared for a language model, oldest first, with what was left out."""

    texts: list[str]
    ends: list[bool]
    dates: list[str | None]
    source: str | None = None
    dropped: Counter[str] = field(default_factory=Counter)
    # The account's retweets (cleaned, prefix removed), oldest first, and for each the
    # number of own tweets older than it (what a time split compares).
    retweets: TweetCorpus | None = None
    retweet_rank: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def split_by_time(self, fraction: float) -> tuple[TweetCorpus, TweetCorpus]:
        """(older part, newest ``fraction``): the held-out set is the most recent tweets.

        Retweets go with the older part when they are older than every held-out tweet.
        """
        n_valid = int(round(len(self) * fraction))
        cut = len(self) - n_valid

        def part(sl: slice) -> TweetCorpus:
            return TweetCorpus(self.texts[sl], self.ends[sl], self.dates[sl], self.source)

        older = part(slice(0, cut))
        if self.retweets is not None:
            keep = [i for i, r in enumerate(self.retweet_rank) if r <= cut]
            rt = self.retweets
            older.retweets = TweetCorpus([rt.texts[i] for i in keep], [rt.ends[i] for i in keep],
                                         [rt.dates[i] for i in keep], self.source)
            older.retweet_rank = [self.retweet_rank[i] for i in keep]
        return older, part(slice(cut, None))


def read_tweets(data: str | Path | Sequence[str], cleaning: TweetCleaning | None = None,
                *, text: str | None = None, encoding: str | None = None) -> TweetCorpus:
    """Read and clean tweets for style learning, sorted oldest first when dated.

    ``data``: a list of texts, or a file tweetlab reads (CSV/TSV/JSONL/Parquet, gzip
    ok) or an X archive ``tweets.js`` / JSON dump of tweet objects. ``text``: the text
    column; ``encoding``: a table's text encoding (UTF-8 unless given).
    """
    cleaning = cleaning or TweetCleaning()
    source: str | None = None
    if isinstance(data, str | Path) and not (isinstance(data, str) and "\n" in data
                                             and not Path(data).suffix):
        path = Path(data)
        source = str(path)
        name = path.name.lower().removesuffix(".gz")
        if name.endswith((".js", ".json")):
            records = [r for r in (normalize_tweet(o) for o in _objects(path)
                                   if isinstance(o, dict)) if r]
            raw = [str(r["text"]) for r in records]
            raw_dates = [r.get("date") for r in records]
        else:
            ds = load_dataset(path, text=text, encoding=encoding, require_labels=False,
                              skip_bad_rows=True)
            raw = ds.texts
            raw_dates = ds.columns.get("date", [None] * len(raw))
    else:
        raw = [str(t) for t in data]
        raw_dates = [None] * len(raw)
    rows: list[tuple[str, str, bool]] = []
    shared: list[tuple[str, str, bool]] = []  # retweets, cleaned without their prefix
    dropped: Counter[str] = Counter()
    as_own = replace(cleaning, drop_retweets=False)
    for i, (t, d) in enumerate(zip(raw, raw_dates, strict=True)):
        key = str(d) if d not in (None, "") else f"~{i:012d}"
        if cleaning.drop_retweets and t.lstrip().startswith("RT @"):
            dropped["retweet"] += 1
            got = clean_tweet(_RETWEET.sub("", t, count=1), as_own)
            if got is not None:
                shared.append((key, *got))
            continue
        got = clean_tweet(t, cleaning)
        if got is None:
            dropped["truncated" if _TRUNCATED.search(t) else "too short after cleaning"] += 1
            continue
        rows.append((key, *got))
    def when(row: tuple[str, str, bool]) -> tuple[bool, str]:
        # Dated rows by date (ISO dates sort as text); undated ones after, in file order.
        return row[0].startswith("~"), row[0]

    if any(not r[0].startswith("~") for r in rows):
        rows.sort(key=when)
        shared.sort(key=when)
    if not rows:
        raise DataError("no usable tweets after cleaning "
                        f"({', '.join(f'{n} {k}' for k, n in dropped.items()) or 'empty input'})",
                        path=source)

    def dates(part: list[tuple[str, str, bool]]) -> list[str | None]:
        return [None if r[0].startswith("~") else r[0] for r in part]

    order = [when(r) for r in rows]
    return TweetCorpus([r[1] for r in rows], [r[2] for r in rows], dates(rows), source, dropped,
                       retweets=TweetCorpus([r[1] for r in shared], [r[2] for r in shared],
                                            dates(shared), source),
                       retweet_rank=[bisect.bisect_left(order, when(r)) for r in shared])


def recency_weights(dates: Sequence[str | None], half_life: float | None) -> np.ndarray | None:
    """Sampling probabilities ``0.5 ** (age_days / half_life)``, normalised; age is counted
    back from the newest dated tweet and undated tweets count as new. ``None`` when no
    weighting applies (no half-life, or no dates).

    >>> recency_weights(["2020-01-01T00:00:00Z", "2020-01-11T00:00:00Z"], 10.0).round(3)
    array([0.333, 0.667])
    >>> recency_weights([None, None], 10.0) is None
    True
    """
    if half_life is None:
        return None
    stamps = [_timestamp(d) for d in dates]
    known = [t for t in stamps if t is not None]
    if not known:
        log.info("recency_half_life: the tweets carry no dates, so every tweet weighs the same")
        return None
    newest = max(known)
    age_days = np.array([(newest - t) / 86400.0 if t is not None else 0.0 for t in stamps])
    w = np.power(0.5, age_days / half_life)
    return w / w.sum()


def _timestamp(date: str | None) -> float | None:
    if not date:
        return None

    d = parse_iso(date)
    return d.timestamp() if d is not None else None

