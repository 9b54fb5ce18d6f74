"""The bot: dry-run log, publishing to a loopback fake X API, state across restarts, caps."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from tweetlab.bot import Bot, BotState, parse_interval
from tweetlab.cli import main
from tweetlab.errors import ConfigError, TweetlabError
from tweetlab.xapi import XAPIError

from .fake_x import FakeX
from .test_generation import account, tiny

CREDS = {"X_API_KEY": "key", "X_API_SECRET": "secret-value", "X_ACCESS_TOKEN": "tok",
         "X_ACCESS_TOKEN_SECRET": "tok-secret"}


@pytest.fixture(scope="module")
def generator():
    return tiny("char-lstm", epochs=2).fit(account(120))


@pytest.fixture
def saved(generator, tmp_path):
    return generator.save(tmp_path / "gen")


class Clock:
    """A clock the test moves; the bot's waits are skipped by a zero interval."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_dry_run_prints_and_logs_without_credentials(generator, tmp_path, capsys):
    bot = Bot(generator, every=0.001, state_file=tmp_path / "s.json", log_file=tmp_path / "l.jsonl",
              max_posts=3, seed=1, env={})
    summary = bot.run(handle_signals=False)
    assert summary.posted == 3
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 3 and all(p.startswith("[dry-run] ") for p in printed)
    logged = [json.loads(x) for x in (tmp_path / "l.jsonl").read_text().splitlines()]
    assert [x["mode"] for x in logged] == ["dry-run"] * 3


def test_publish_posts_through_the_api_and_never_logs_secrets(generator, tmp_path, monkeypatch,
                                                              caplog):
    with FakeX([]) as fake:
        env = {**CREDS, "TWEETLAB_X_API_BASE": fake.base}
        bot = Bot(generator, every=0.001, publish=True, state_file=tmp_path / "s.json",
                  log_file=tmp_path / "l.jsonl", max_posts=2, seed=2, env=env,
                  echo=lambda _: None)
        bot.run(handle_signals=False)
        assert len(fake.posted) == 2
        assert any('oauth_consumer_key="key"' in h for h in fake.auth_headers)
    state = json.loads((tmp_path / "s.json").read_text())
    assert [p["id"] for p in state["posts"]] == ["1001", "1002"]
    everything = caplog.text + (tmp_path / "l.jsonl").read_text() + (tmp_path / "s.json").read_text()
    assert "secret-value" not in everything and "tok-secret" not in everything


def test_a_restarted_bot_never_posts_the_same_text_twice(generator, tmp_path):
    with FakeX([]) as fake:
        env = {**CREDS, "TWEETLAB_X_API_BASE": fake.base}
        kw = dict(every=0.001, publish=True, state_file=tmp_path / "s.json",
                  log_file=tmp_path / "l.jsonl", max_posts=3, seed=5, env=env,
                  echo=lambda _: None)
        Bot(generator, **kw).run(handle_signals=False)
        Bot(generator, **kw).run(handle_signals=False)  # same seed: would repeat without state
        assert len(fake.posted) == 6
        assert len(set(fake.posted)) == 6


def test_a_restart_waits_out_the_interval_since_the_last_post(generator, tmp_path):
    clock = Clock()
    state = BotState.load(tmp_path / "s.json")
    state.record("an earlier tweet", clock.now - timedelta(minutes=30), None, "dry-run")
    bot = Bot(generator, every="1h", state_file=tmp_path / "s.json", log_file=tmp_path / "l",
              clock=clock, env={})
    assert bot.seconds_until_next() == pytest.approx(1800)


def test_jitter_moves_each_wait_within_its_range_and_a_restart_keeps_it(generator, tmp_path):
    clock = Clock()
    waits = []
    for i in range(12):
        state = BotState.load(tmp_path / f"s{i}.json")
        state.record(f"earlier tweet {i}", clock.now, None, "dry-run")
        kw = dict(every="1h", jitter="20m", state_file=tmp_path / f"s{i}.json",
                  log_file=tmp_path / "l", clock=clock, env={})
        wait = Bot(generator, **kw).seconds_until_next()
        assert Bot(generator, **kw).seconds_until_next() == wait  # a restart: same moment
        waits.append(wait)
    assert all(2400 <= w <= 4800 for w in waits) and len(set(waits)) > 6
    with pytest.raises(ConfigError, match="jitter"):
        Bot(generator, every="1h", jitter="2h", state_file=tmp_path / "x.json", env={})


def test_daily_cap_holds_posts_until_the_next_day(generator, tmp_path):
    clock = Clock()
    printed: list[str] = []

    def echo(line: str) -> None:  # once the cap is reached, let the loop spin a moment
        printed.append(line)
        if len(printed) == 2:
            threading.Timer(0.3, bot.stop).start()

    bot = Bot(generator, every=0.001, daily_cap=2, state_file=tmp_path / "s.json",
              log_file=tmp_path / "l", clock=clock, seed=3, env={}, echo=echo)
    summary = bot.run(handle_signals=False)
    assert summary.posted == 2 and summary.skipped_cap >= 1
    clock.now += timedelta(days=1)
    bot.max_posts, bot.stop_event = 1, threading.Event()
    assert bot.run(handle_signals=False).posted == 1


def test_stop_ends_the_loop_while_waiting(generator, tmp_path):
    bot = Bot(generator, every="1h", state_file=tmp_path / "s.json", log_file=tmp_path / "l",
              seed=1, env={}, echo=lambda _: None)
    threading.Timer(0.5, bot.stop).start()
    summary = bot.run(handle_signals=False)  # posts once, then waits an hour unless stopped
    assert summary.posted == 1


def test_missing_credentials_are_named(generator, tmp_path):
    with pytest.raises(XAPIError, match="X_API_KEY.*never logged"):
        Bot(generator, publish=True, state_file=tmp_path / "s.json", env={})


def test_rejected_credentials_are_a_clear_error(generator, tmp_path):
    with FakeX([]) as fake:
        env = {**CREDS, "X_API_KEY": "bad", "TWEETLAB_X_API_BASE": fake.base}
        bot = Bot(generator, every=0.001, publish=True, state_file=tmp_path / "s.json",
                  log_file=tmp_path / "l", max_posts=1, env=env)
        with pytest.raises(XAPIError, match="rejected the credentials"):
            bot.run(handle_signals=False)
    assert not (tmp_path / "s.json").exists()  # nothing recorded as posted


def test_damaged_state_file_is_a_clear_error(generator, tmp_path):
    (tmp_path / "s.json").write_text("{not json")
    with pytest.raises(TweetlabError, match="s.json: bot state file is damaged"):
        Bot(generator, state_file=tmp_path / "s.json", env={})


def test_intervals_parse_and_bad_ones_are_errors():
    assert parse_interval("2h") == 7200 and parse_interval("1h30m") == 5400
    with pytest.raises(ConfigError):
        parse_interval("soon")
    with pytest.raises(ConfigError):
        parse_interval("0s")


def test_cli_bot_dry_run(saved, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["-q", "bot", str(saved), "--every", "1s", "--max-posts", "2",
                 "--prompt", "hoy"])
    out = capsys.readouterr().out
    assert code == 0 and out.count("[dry-run] hoy") == 2
    # --seed, as in `tweetlab generate`, names the seed phrase too
    assert main(["-q", "bot", str(saved), "--every", "1s", "--max-posts", "1",
                 "--seed", "mañana", "--state", "s2.json"]) == 0
    assert "[dry-run] mañana" in capsys.readouterr().out
    assert (tmp_path / "bot-state.json").exists() and (tmp_path / "bot-log.jsonl").exists()


def test_cli_bot_publish_without_credentials_is_one_line(saved, tmp_path, capsys, monkeypatch):
    for k in CREDS:
        monkeypatch.delenv(k, raising=False)
    code = main(["bot", str(saved), "--publish", "--state", str(tmp_path / "s.json")])
    err = capsys.readouterr().err
    assert code == 2 and "X_API_KEY" in err and "Traceback" not in err


DUPLICATE = (403, {"title": "Forbidden", "status": 403,
                   "detail": "You are not allowed to create a Tweet with duplicate content."})


def test_a_busy_or_failing_api_is_retried_and_a_duplicate_replaced(generator, tmp_path, caplog):
    with FakeX([]) as fake:
        fake.post_errors = [(503, {"title": "Service Unavailable"}),
                            (429, {"title": "Too Many Requests"}), DUPLICATE]
        env = {**CREDS, "TWEETLAB_X_API_BASE": fake.base}
        bot = Bot(generator, every=0.001, publish=True, state_file=tmp_path / "s.json",
                  log_file=tmp_path / "l.jsonl", max_posts=2, seed=4, env=env,
                  echo=lambda _: None)
        bot.retry_seconds = 0.001
        assert bot.run(handle_signals=False).posted == 2
        assert len(fake.posted) == 2 and not fake.post_errors
    assert "trying again" in caplog.text and "writing another" in caplog.text
    state = json.loads((tmp_path / "s.json").read_text())
    assert [p["id"] for p in state["posts"]] == ["1001", "1002"]  # failures not recorded


def test_too_many_failures_in_a_row_stop_the_bot(generator, tmp_path):
    with FakeX([]) as fake:
        fake.post_errors = [(503, {"title": "Service Unavailable"})] * 3
        env = {**CREDS, "TWEETLAB_X_API_BASE": fake.base}
        bot = Bot(generator, every=0.001, publish=True, state_file=tmp_path / "s.json",
                  log_file=tmp_path / "l.jsonl", max_posts=1, seed=4, env=env)
        bot.retry_seconds, bot.max_failures = 0.001, 3
        with pytest.raises(XAPIError, match="server error"):
            bot.run(handle_signals=False)
        assert fake.posted == []


def test_a_reviewer_approves_each_tweet_declines_some_and_can_stop(generator, tmp_path):
    from tweetlab.bot import StopBot

    answers = iter([False, True, False, True])
    seen: list[str] = []

    def review(text: str) -> bool:
        seen.append(text)
        return next(answers)

    bot = Bot(generator, every=0.001, state_file=tmp_path / "s.json", log_file=tmp_path / "l",
              max_posts=2, seed=6, env={}, echo=lambda _: None, confirm=review)
    summary = bot.run(handle_signals=False)
    assert (summary.posted, summary.declined) == (2, 2) and "2 declined" in str(summary)
    posted = [p["text"] for p in json.loads((tmp_path / "s.json").read_text())["posts"]]
    assert posted == [seen[1], seen[3]]  # only the approved texts

    def stop(text: str) -> bool:
        raise StopBot

    bot = Bot(generator, every=0.001, state_file=tmp_path / "t.json", log_file=tmp_path / "l",
              max_posts=2, seed=6, env={}, echo=lambda _: None, confirm=stop)
    assert bot.run(handle_signals=False).posted == 0


def test_the_terminal_reviewer_reads_y_n_q(monkeypatch, capsys):
    from tweetlab.bot import StopBot, ask_in_terminal

    replies = iter(["maybe", "y", "n", "q"])
    monkeypatch.setattr("builtins.input", lambda _: next(replies))
    assert ask_in_terminal("hola") is True  # "maybe" asked again
    assert ask_in_terminal("hola") is False
    with pytest.raises(StopBot):
        ask_in_terminal("hola")
    assert "hola" in capsys.readouterr().out

    def eof(_: str) -> str:
        raise EOFError

    monkeypatch.setattr("builtins.input", eof)
    with pytest.raises(StopBot):
        ask_in_terminal("hola")


def test_bad_bot_settings_are_refused_before_it_starts(generator, tmp_path):
    common = {"state_file": tmp_path / "s.json", "log_file": tmp_path / "l.jsonl", "env": {}}
    with pytest.raises(ConfigError, match="jitter of 7200 s: must be between 0 and the interval"):
        Bot(generator, every="1h", jitter="2h", **common)
    with pytest.raises(ConfigError, match="daily cap 0"):
        Bot(generator, every="1h", daily_cap=0, **common)
    assert parse_interval("90") == 90.0  # a bare number is seconds


def test_a_generator_that_only_repeats_itself_is_retried_not_posted_twice(
        generator, tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(generator, "generate", lambda prompt, n=1, **kw: ["the same tweet"])

    def run_once() -> object:
        bot = Bot(generator, every=0.001, state_file=tmp_path / "s.json",
                  log_file=tmp_path / "l.jsonl", max_posts=1, env={}, echo=lambda _: None)
        timer = threading.Timer(0.3, bot.stop)  # the second run would wait for a new tweet
        timer.start()
        try:
            return bot.run(handle_signals=False)
        finally:
            timer.cancel()

    assert run_once().posted == 1
    with caplog.at_level("WARNING", logger="tweetlab"):
        assert run_once().posted == 0
    assert "only tweets already posted" in caplog.text
    posted = [json.loads(x)["text"] for x in (tmp_path / "l.jsonl").read_text().splitlines()]
    assert posted == ["the same tweet"]
