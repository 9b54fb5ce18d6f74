"""Collect tweets: from the X API v2 (recent search, user timelines) or from files.

Everything ends as JSONL, one tweet a line: ``id``, ``date`` (UTC ISO-8601), ``user``,
``text``, ``lang``, ``is_retweet``, ``in_reply_to`` and the source it came from - a file
that :func:`tweetlab.load_dataset`, ``analyze`` and ``generator train`` read directly.

* :func:`collect_search` / :func:`collect_user` page through the API, append each page
  to the output as it arrives and keep a state file beside it (pagination token and
  newest id), so an interrupted run continues where it stopped and a later run fetches
  only newer tweets. Rate limits (429) are waited out.
* :func:`import_tweets` reads X account archives (``tweets.js``), JSON dumps of API
  tweet objects (v1.1 or v2; arrays, ``{"data": [...]}`` pages, JSON lines; ``.gz`` ok;
  several snapshots with duplicates) and CSV files, and deduplicates by tweet id.

>>> import tempfile, pathlib, json
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> snap = [{"id_str": "2", "created_at": "Wed Oct 10 20:19:24 +0000 2018", "text": "hi",
...          "user": {"screen_name": "ana"}}]
>>> _ = (d / "a.json").write_text(json.dumps(snap)); _ = (d / "b.json").write_text(json.dumps(snap))
>>> import_tweets([d / "a.json", d / "b.json"], d / "out.jsonl").unique
1
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ._fs import check_can_write
from .errors import DataError, TweetlabError
from .store import StoreSink, is_store
from .xapi import XAPIError, explain, read_client

log = logging.getLogger("tweetlab")

TWEET_FIELDS = ["created_at", "author_id", "lang", "referenced_tweets", "in_reply_to_user_id",
                "public_metrics"]


@dataclass
class CollectSummary:
    """What a collection or import did."""

    out: Path
    read: int  # tweet objects seen
    unique: int  # new tweets written
    duplicates: int
    pages: int = 0
    finished: bool = True  # False: stopped at max_tweets with more pages left

    def __str__(self) -> str:
        more = "" if self.finished else " (more available: run again to continue)"
        return (f"{self.unique} new tweets written to {self.out} ({self.read} read, "
                f"{self.duplicates} duplicates skipped){more}")


# ------------------------------------------------------------------ normalising
def _iso(value: Any) -> str | None:
    if value in (None, ""):
        return None
    text = str(value)
    for fmt in ("%a %b %d %H:%M:%S %z %Y",):  # v1.1 and archives
        try:
            return datetime.strptime(text, fmt).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            pass
    dt = parse_iso(text)
    if dt is None:
        return text
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime | None:
    """An ISO-8601 date (``Z`` allowed; no zone means UTC), or ``None`` when it is not one."""
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def normalize_tweet(obj: dict[str, Any], users: dict[str, str] | None = None,
                    source: str = "") -> dict[str, Any] | None:
    """One record from a v1.1, v2 or archive tweet object (``None`` if it has no id/text)."""
    if "tweet" in obj and isinstance(obj["tweet"], dict):  # X archive entries
        obj = obj["tweet"]
    tid = obj.get("id_str") or obj.get("id")
    text = obj.get("full_text") or obj.get("text")
    ext = obj.get("extended_tweet")
    if isinstance(ext, dict) and ext.get("full_text"):
        text = ext["full_text"]
    if tid is None or text is None:
        return None
    user = obj.get("user")
    if isinstance(user, dict):
        user = user.get("screen_name") or user.get("id_str")
    elif user is None and obj.get("author_id") is not None:
        user = (users or {}).get(str(obj["author_id"]), str(obj["author_id"]))
    refs = obj.get("referenced_tweets") or []
    retweet = bool(obj.get("retweeted_status")) or any(
        r.get("type") == "retweeted" for r in refs if isinstance(r, dict)) or \
        str(text).startswith("RT @")
    reply = obj.get("in_reply_to_screen_name") or obj.get("in_reply_to_user_id") or \
        obj.get("in_reply_to_user_id_str")
    return {"id": str(tid), "date": _iso(obj.get("created_at")), "user": user, "text": text,
            "lang": obj.get("lang"), "is_retweet": retweet,
            "in_reply_to": str(reply) if reply else None, "source": source}


def _users(includes: dict[str, Any] | None) -> dict[str, str]:
    return {str(u["id"]): u.get("username", str(u["id"]))
            for u in (includes or {}).get("users", []) if "id" in u}


def _import_into_store(paths: list[str | Path], out: Path) -> CollectSummary:
    sink = StoreSink(out)
    objects = 0
    try:
        for p in paths:
            batch: list[dict[str, Any] | None] = []
            for obj in _objects(Path(p)):
                if isinstance(obj, dict):
                    objects += 1
                    batch.append(normalize_tweet(obj, source=Path(p).name))
                    if len(batch) >= 10_000:
                        sink.add(batch)
                        batch = []
            sink.add(batch)
    finally:
        sink.close()
    if sink.read == 0:
        raise DataError(f"no tweets found in {', '.join(str(p) for p in paths)} ({objects} "
                        "objects read)")
    return CollectSummary(out, sink.read, sink.written, sink.dupes)


# ---------------------------------------------------------------------- writing
class _JsonlOut:
    """Appends records to a JSONL file, skipping ids already in it; flushed per batch."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: set[str] = set()
        if path.exists():
            self._read_ids()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.read = self.written = self.dupes = 0

    def _read_ids(self) -> None:
        """The ids already collected. A last line without its newline that does not parse
        is what a run killed mid-write leaves: it is cut off (and said), so the resumed
        run writes that tweet again; any other bad line is an error."""
        offset = 0
        with self.path.open("rb") as fh:
            for n, raw in enumerate(fh, 1):
                if raw.strip():
                    try:
                        self.seen.add(str(json.loads(raw)["id"]))
                    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
                        if raw.endswith(b"\n"):
                            raise DataError("not a tweetlab JSONL file (each line needs an "
                                            "'id')", path=self.path, line=n) from None
                        log.warning("%s: line %d was cut off by an interrupted run (%d "
                                    "bytes): dropped; its tweet is collected again",
                                    self.path, n, len(raw))
                        break
                offset += len(raw)
            else:
                return
        with self.path.open("r+b") as fh:
            fh.truncate(offset)

    def add(self, records: Iterable[dict[str, Any] | None]) -> None:
        lines = []
        for rec in records:
            if rec is None:
                continue
            self.read += 1
            if rec["id"] in self.seen:
                self.dupes += 1
                continue
            self.seen.add(rec["id"])
            lines.append(json.dumps(rec, ensure_ascii=False) + "\n")
        if lines:
            with self.path.open("a", encoding="utf-8") as fh:
                fh.writelines(lines)
                fh.flush()
                os.fsync(fh.fileno())
            self.written += len(lines)


def _state_path(out: Path, key: str | None = None) -> Path:
    if key is None:
        return out.with_name(out.name + ".state.json")
    slug = "".join(c if c.isalnum() else "-" for c in key)[:40]
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    return out.with_name(f"{out.name}.{slug}-{digest}.state.json")


def _read_state(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        raise DataError("damaged state file; delete it to start over", path=path) from None
    return data if isinstance(data, dict) else {}


def _write_state(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
    os.replace(tmp, path)


# ------------------------------------------------------------------------ API
def _paginate(fetch: Callable[..., dict[str, Any]], out: Path, key: str, *,
              max_tweets: int | None, sleep: Callable[[float], None],
              progress: bool) -> CollectSummary:
    """Shared loop of search and timelines: resume, rate limits, incremental writes."""
    import tweepy  # lazy: optional dependency
    from tqdm.auto import tqdm  # lazy: ~60 ms of start-up

    check_can_write(out.parent, out.name)
    in_store = is_store(out)  # a store holds several queries: a state file for each
    state_file = _state_path(out, key if in_store else None)
    state = _read_state(state_file)
    if state.get("key") not in (None, key):
        raise TweetlabError(f"{out} was collected for {state['key']!r}, not {key!r}; choose "
                            "another output file")
    sink: Any = StoreSink(out) if in_store else _JsonlOut(out)
    token = state.get("next_token")  # an interrupted run left pages to fetch
    since_id = state.get("since_id") if token is None else state.get("run_since_id")
    newest = state.get("run_newest_id")
    pages = 0
    finished = True
    bar = tqdm(desc=f"collect {key}", unit=" tweets", disable=None if progress else True)
    while True:
        if max_tweets is not None and sink.written >= max_tweets:
            finished = token is None
            break
        try:
            page = fetch(pagination_token=token, since_id=since_id)
        except tweepy.TooManyRequests as exc:
            reset = int(exc.response.headers.get("x-rate-limit-reset", time.time() + 60))
            wait = max(1.0, reset - time.time() + 1)
            log.warning("rate limit reached; waiting %.0f s (the run continues by itself)", wait)
            sleep(wait)
            continue
        except tweepy.TweepyException as exc:
            raise explain(exc) from None
        except OSError as exc:
            raise XAPIError(f"cannot reach the X API ({exc})") from None
        pages += 1
        users = _users(page.get("includes"))
        before = sink.written
        sink.add(normalize_tweet(t, users, source="x-api") for t in page.get("data") or [])
        bar.update(sink.written - before)
        meta = page.get("meta") or {}
        if pages == 1 and token is None and meta.get("newest_id"):
            newest = meta["newest_id"]
        token = meta.get("next_token")
        state.update({"key": key, "next_token": token, "run_since_id": since_id,
                      "run_newest_id": newest})
        if token is None:
            # A complete pass: next run asks only for tweets newer than this one's newest.
            state.update({"since_id": newest or since_id, "run_newest_id": None,
                          "run_since_id": None})
            _write_state(state_file, state)
            break
        _write_state(state_file, state)
    bar.close()
    if in_store:
        sink.close()
    return CollectSummary(out, sink.read, sink.written, sink.dupes, pages, finished)


def collect_search(query: str, out: str | Path, *, max_tweets: int | None = 1000,
                   client: Any = None, sleep: Callable[[float], None] = time.sleep,
                   progress: bool = True) -> CollectSummary:
    """Recent search (last 7 days) for ``query`` (e.g. ``"#python -is:retweet lang:en"``)."""
    client = client or read_client()

    def fetch(pagination_token: str | None, since_id: str | None) -> dict[str, Any]:
        return client.search_recent_tweets(
            query, max_results=100, next_token=pagination_token, since_id=since_id,
            tweet_fields=TWEET_FIELDS, expansions=["author_id"], user_fields=["username"])

    return _paginate(fetch, Path(out), f"search:{query}", max_tweets=max_tweets, sleep=sleep,
                     progress=progress)


def collect_user(username: str, out: str | Path, *, max_tweets: int | None = 3200,
                 client: Any = None, sleep: Callable[[float], None] = time.sleep,
                 progress: bool = True) -> CollectSummary:
    """A user's timeline (the API returns at most their 3,200 newest tweets)."""
    import tweepy  # lazy: optional dependency

    client = client or read_client()
    name = username.lstrip("@")
    try:
        found = client.get_user(username=name)
    except tweepy.TweepyException as exc:
        raise explain(exc) from None
    if not found.get("data"):
        raise XAPIError(f"no X user named @{name}")
    uid = found["data"]["id"]

    def fetch(pagination_token: str | None, since_id: str | None) -> dict[str, Any]:
        page = client.get_users_tweets(
            uid, max_results=100, pagination_token=pagination_token, since_id=since_id,
            tweet_fields=TWEET_FIELDS)
        page.setdefault("includes", {}).setdefault("users", []).append(
            {"id": uid, "username": name})
        return page

    return _paginate(fetch, Path(out), f"user:{name}", max_tweets=max_tweets, sleep=sleep,
                     progress=progress)


# ---------------------------------------------------------------------- files
def _read_text(path: Path) -> str:
    if not path.exists():
        raise DataError("file not found", path=path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"cannot decode as UTF-8 ({exc.reason})", path=path) from None


def _objects(path: Path) -> Iterator[dict[str, Any]]:
    text = _read_text(path)
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".csv") or name.endswith(".tsv"):
        delim = "\t" if name.endswith(".tsv") else ","
        for row in csv.DictReader(io.StringIO(text, newline=""), delimiter=delim):
            low = {k.lower().strip(): v for k, v in row.items() if k}
            yield {"id": low.get("id") or low.get("tweet_id") or low.get("id_str"),
                   "text": low.get("text") or low.get("full_text") or low.get("tweet"),
                   "created_at": low.get("date") or low.get("created_at"),
                   "user": low.get("user") or low.get("username") or low.get("screen_name"),
                   "lang": low.get("lang")}
        return
    stripped = text.lstrip()
    if stripped.startswith("window."):  # X archive: window.YTD.tweets.part0 = [...]
        stripped = stripped[stripped.index("=") + 1:]
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError:
        data = None
    if data is None:  # JSON lines
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    yield from _unpack(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise DataError(f"invalid JSON ({exc.msg})", path=path, line=n) from None
        return
    yield from _unpack(data)


def _unpack(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _unpack(item)
    elif isinstance(data, dict):
        if isinstance(data.get("data"), list):  # a v2 page
            users = _users(data.get("includes"))
            for t in data["data"]:
                if isinstance(t, dict) and "author_id" in t and "user" not in t:
                    t = {**t, "user": users.get(str(t["author_id"]), str(t["author_id"]))}
                yield t
        else:
            yield data


def import_tweets(paths: Iterable[str | Path], out: str | Path,
                  *, force: bool = False) -> CollectSummary:
    """Read archives, JSON dumps and CSVs into one deduplicated JSONL file, or add them to
    a tweet store (``out`` ending ``.duckdb``: tweets already there are skipped)."""
    out_path = Path(out)
    paths = list(paths)
    if is_store(out_path):
        return _import_into_store(paths, out_path)
    if out_path.exists() and not force:
        raise TweetlabError(f"{out_path} already exists; pass --force to replace it "
                            "(or use another name)")
    check_can_write(out_path.parent, out_path.name)
    tmp = out_path.with_name(f".{out_path.name}.partial")
    tmp.unlink(missing_ok=True)
    sink = _JsonlOut(tmp)
    objects = 0

    def records(path: Path) -> Iterator[dict[str, Any] | None]:
        nonlocal objects
        for obj in _objects(path):
            if isinstance(obj, dict):
                objects += 1
                yield normalize_tweet(obj, source=path.name)

    try:
        for p in paths:
            sink.add(records(Path(p)))
        if sink.written == 0:
            detail = (f"{objects} objects read, none with a tweet id and text (id_str/id and "
                      "full_text/text)") if objects else "no tweet objects in them"
            raise DataError(f"no tweets found in {', '.join(str(p) for p in paths)}: {detail}")
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
    return CollectSummary(out_path, sink.read, sink.written, sink.dupes)

