"""The tweet bot: write a tweet with a generator every so often, and post it (or not).

Dry-run by default: each tweet is printed and appended to a JSONL log. With
``publish=True`` it goes out through the X API v2 (OAuth 1.0a credentials from the
environment, see :mod:`tweetlab.xapi`). A state file records every post (text hash,
time, tweet id), written atomically after each one, so a restarted bot never posts the
same text twice, waits out the interval since its last post, and keeps the daily cap.
SIGINT/SIGTERM stop it between posts. A model given as a folder is loaded again when the
folder is replaced (`tweetlab generator update MODEL NEW.csv --in-place`). A rate limit,
a server error or a lost connection is retried after 1, 2, 4... minutes (at most the
interval), a text X refuses as a duplicate is replaced by a new one; five failures in a
row, or rejected credentials, stop the bot.

>>> parse_interval("2h"), parse_interval("90s"), parse_interval("1h30m")
(7200.0, 90.0, 5400.0)
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from .errors import ConfigError, TweetlabError
from .generation import TweetGenerator, load_generator
from .persistence import write_json_atomic
from .xapi import XAPIError, explain, post_client

log = logging.getLogger("tweetlab")

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> float:
    """Seconds in ``"2h"``, ``"30m"``, ``"1h30m"``, ``"45s"`` or a bare number of seconds."""
    text = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        seconds = float(text)
    else:
        parts = re.findall(r"(\d+(?:\.\d+)?)([smhd])", text)
        if not parts or "".join(a + b for a, b in parts) != text:
            raise ConfigError(f"interval {text!r}: use forms like 2h, 30m, 1h30m or 90s")
        seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ConfigError(f"interval {text!r} must be more than zero")
    return seconds


def _digest(text: str) -> str:
    return hashlib.sha256(text.strip().lower().encode()).hexdigest()[:24]


class StopBot(Exception):
    """Raised by a ``confirm`` callback to end the bot's run."""


def ask_in_terminal(text: str) -> bool:
    """``confirm`` for the CLI: show the text, read y (post), n (write another), q (stop)."""
    print(f"\n{text}\n({len(text)} characters)")
    while True:
        try:
            answer = input("post it? [y]es / [n]o, write another / [q]uit: ").strip().lower()
        except EOFError:
            raise StopBot from None
        if answer in {"y", "yes"}:
            return True
        if answer in {"n", "no"}:
            return False
        if answer in {"q", "quit"}:
            raise StopBot


@dataclass
class BotState:
    """What the bot has posted: one record per post, oldest first."""

    path: Path
    posts: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def load(cls, path: str | Path) -> BotState:
        p = Path(path)
        if not p.exists():
            return cls(p)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
            return cls(p, list(data["posts"]))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise TweetlabError(f"{p}: bot state file is damaged ({exc}); move it away to "
                                "start a fresh state (the bot may then repeat old posts)") from None

    def save(self) -> None:
        write_json_atomic(self.path, {"posts": self.posts})

    def seen(self, text: str) -> bool:
        d = _digest(text)
        return any(p["digest"] == d for p in self.posts)

    def posts_on(self, day: str) -> int:
        return sum(1 for p in self.posts if p["time"][:10] == day)

    def last_time(self) -> datetime | None:
        return datetime.fromisoformat(self.posts[-1]["time"]) if self.posts else None

    def record(self, text: str, when: datetime, tweet_id: str | None, mode: str) -> None:
        self.posts.append({"time": when.isoformat(timespec="seconds"), "digest": _digest(text),
                           "text": text, "id": tweet_id, "mode": mode})
        self.save()


@dataclass
class BotSummary:
    posted: int
    skipped_cap: int
    state: Path
    log: Path
    declined: int = 0  # texts the reviewer turned down (``confirm``)

    def __str__(self) -> str:
        cap = f"; {self.skipped_cap} turns skipped at the daily cap" if self.skipped_cap else ""
        if self.declined:
            cap += f"; {self.declined} declined by the reviewer"
        return f"{self.posted} tweets this run{cap}; state {self.state}, log {self.log}"


class Bot:
    """Posts generated tweets on a schedule. ``run()`` loops until stopped or ``max_posts``."""

    def __init__(
        self,
        generator: TweetGenerator | str | Path,
        *,
        every: str | float = "2h",
        jitter: str | float = 0.0,
        prompts: Sequence[str] = ("",),
        publish: bool = False,
        state_file: str | Path = "bot-state.json",
        log_file: str | Path = "bot-log.jsonl",
        daily_cap: int = 12,
        max_posts: int | None = None,
        temperature: float = 0.8,
        seed: int | None = None,
        env: dict[str, str] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        echo: Callable[[str], None] = print,
        confirm: Callable[[str], bool] | None = None,
    ) -> None:
        self.generator = generator if isinstance(generator, TweetGenerator) \
            else load_generator(generator)
        # A folder given by path is reloaded when it changes (`generator update --in-place`).
        self.model_path = None if isinstance(generator, TweetGenerator) else Path(generator)
        self._model_stamp = self._stamp()
        self.every = parse_interval(every) if isinstance(every, str) else float(every)
        self.jitter = parse_interval(jitter) if isinstance(jitter, str) else float(jitter)
        if not 0 <= self.jitter <= self.every:
            raise ConfigError(f"jitter of {self.jitter:g} s: must be between 0 and the "
                              f"interval ({self.every:g} s)")
        if daily_cap < 1:
            raise ConfigError(f"daily cap {daily_cap}: must be at least 1")
        self.prompts = list(prompts) or [""]
        self.publish = publish
        self.state = BotState.load(state_file)
        self.log_file = Path(log_file)
        self.daily_cap = daily_cap
        self.max_posts = max_posts
        self.temperature = temperature
        self.seed = seed
        self.clock = clock
        self.echo = echo
        # A person approves each text before it goes out: True posts it, False writes
        # another; raising StopBot (or Ctrl-C) ends the run.
        self.confirm = confirm
        self.stop_event = threading.Event()
        # A rate limit, a server error or a lost connection is retried (after 1, 2, 4...
        # minutes, at most the interval); this many in a row stop the bot.
        self.retry_seconds = 60.0
        self.max_failures = 5
        self.client: Any = None
        if publish:
            self.client = post_client(env)  # raises a clear error for missing credentials

    def stop(self, *_: Any) -> None:
        """Ask the loop to end after the current step (also the SIGINT/SIGTERM handler)."""
        self.stop_event.set()

    def _stamp(self) -> tuple[int, int] | None:
        if self.model_path is None:
            return None
        try:
            st = (self.model_path / "config.json").stat()
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns

    def reload_if_changed(self) -> bool:
        """Load the model folder again when it was replaced since it was loaded (an
        ``--in-place`` update); a folder caught mid-replacement is retried next time."""
        stamp = self._stamp()
        if stamp is None or stamp == self._model_stamp:
            return False
        try:
            self.generator = load_generator(cast(Path, self.model_path))
        except TweetlabError as exc:
            log.warning("the model folder changed but could not be loaded (%s); keeping the "
                        "loaded model", exc)
            return False
        self._model_stamp = stamp
        log.info("the model folder changed; reloaded %s", self.model_path)
        return True

    def compose(self, turn: int) -> str | None:
        """A new tweet never posted before (None when the generator keeps repeating)."""
        prompt = self.prompts[turn % len(self.prompts)]
        for attempt in range(5):
            seed = None if self.seed is None else self.seed * 1000 + turn * 10 + attempt
            outs = self.generator.generate(prompt, n=1, temperature=self.temperature, seed=seed)
            if outs and not self.state.seen(outs[0]):
                return outs[0]
        return None

    def post(self, text: str) -> str | None:
        """Send one tweet (publish mode) and return its id; dry-run returns None."""
        if not self.publish:
            return None

        try:
            response = self.client.create_tweet(text=text)
        except Exception as exc:
            raise explain(exc) from None
        return str((response.get("data") or {}).get("id")) if isinstance(response, dict) else None

    def _append_log(self, record: dict[str, Any]) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            fh.flush()

    def seconds_until_next(self) -> float:
        """The interval since the last post, moved by up to ``jitter`` either way (so posts
        do not land on the same minutes each day); the move follows from the last post, so
        a restarted bot waits for the same moment."""
        last = self.state.last_time()
        if last is None:
            return 0.0
        gap = self.every
        if self.jitter:
            draw = int(self.state.posts[-1]["digest"][:8], 16) / 0xFFFFFFFF  # in [0, 1]
            gap += (2 * draw - 1) * self.jitter
        return max(0.0, gap - (self.clock() - last).total_seconds())

    def run(self, *, handle_signals: bool = True) -> BotSummary:
        """Post every ``every`` seconds until stopped (Ctrl-C) or ``max_posts`` are out."""
        previous: dict[int, Any] = {}
        if handle_signals and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                previous[sig] = signal.signal(sig, self.stop)
        posted = skipped = failures = declined = 0
        turn = len(self.state.posts)
        mode = "published" if self.publish else "dry-run"
        try:
            while not self.stop_event.is_set():
                wait = self.seconds_until_next()
                if wait > 0:
                    log.info("next tweet in %.0f s", wait)
                    if self.stop_event.wait(wait):
                        break
                now = self.clock()
                if self.state.posts_on(now.date().isoformat()) >= self.daily_cap:
                    skipped += 1
                    log.info("daily cap of %d reached; waiting", self.daily_cap)
                    if self.stop_event.wait(self.every):
                        break
                    continue
                self.reload_if_changed()
                text = self.compose(turn)
                turn += 1
                if text is None:
                    log.warning("the generator wrote only tweets already posted; retrying later")
                    if self.stop_event.wait(self.every):
                        break
                    continue
                if self.confirm is not None:
                    try:
                        approved = self.confirm(text)
                    except StopBot:
                        break
                    if not approved:
                        declined += 1
                        continue
                try:
                    tweet_id = self.post(text)
                except XAPIError as exc:
                    failures += 1
                    if not (exc.transient or exc.duplicate) or failures >= self.max_failures:
                        raise
                    if exc.duplicate:  # X has that text already: write another one now
                        log.warning("%s; writing another", exc)
                        continue
                    wait = min(self.every, self.retry_seconds * 2 ** (failures - 1))
                    log.warning("%s (failure %d of %d in a row); trying again in %.0f s", exc,
                                failures, self.max_failures, wait)
                    if self.stop_event.wait(wait):
                        break
                    continue
                failures = 0
                self.state.record(text, now, tweet_id, mode)
                self._append_log({"time": now.isoformat(timespec="seconds"), "mode": mode,
                                  "id": tweet_id, "text": text})
                self.echo(f"[{mode}] {text}" + (f"  (id {tweet_id})" if tweet_id else ""))
                posted += 1
                if self.max_posts is not None and posted >= self.max_posts:
                    break
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
        return BotSummary(posted, skipped, self.state.path, self.log_file, declined)


def run_bot(generator: TweetGenerator | str | Path, **options: Any) -> BotSummary:
    """Build a :class:`Bot` with ``options`` and run it; see :class:`Bot` for the options."""
    return Bot(generator, **options).run()
