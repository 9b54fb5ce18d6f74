"""collect: X API v2 search and timelines against a loopback fake, and file imports."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

import tweetlab
from tweetlab.cli import main
from tweetlab.collect import collect_search, collect_user, import_tweets
from tweetlab.xapi import XAPIError

from .fake_x import FakeX, make_tweets


@pytest.fixture
def api(monkeypatch):
    def start(tweets, **kw):
        fake = FakeX(tweets, **kw).__enter__()
        monkeypatch.setenv("TWEETLAB_X_API_BASE", fake.base)
        monkeypatch.setenv("X_BEARER_TOKEN", "secret-token")
        started.append(fake)
        return fake

    started: list[FakeX] = []
    yield start
    for fake in started:
        fake.__exit__()


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_search_writes_every_page_as_jsonl(api, tmp_path):
    fake = api(make_tweets(8))
    summary = collect_search("#x", tmp_path / "t.jsonl", progress=False)
    rows = lines(tmp_path / "t.jsonl")
    assert summary.unique == 8 and summary.pages == 3 and len(rows) == 8
    assert rows[0] == {"id": "107", "date": "2024-05-08T10:00:00Z", "user": "ana",
                       "text": "tweet number 7 #x", "lang": "en", "is_retweet": False,
                       "in_reply_to": None, "source": "x-api"}
    assert all(h == "Bearer secret-token" for h in fake.auth_headers)
    # The output is a file the rest of tweetlab reads.
    assert len(tweetlab.load_dataset(tmp_path / "t.jsonl", require_labels=False)) == 8


def test_rate_limit_is_waited_out(api, tmp_path):
    api(make_tweets(4), rate_limit_once=True)
    waits: list[float] = []
    summary = collect_search("#x", tmp_path / "t.jsonl", sleep=waits.append, progress=False)
    assert summary.unique == 4 and len(waits) == 1 and waits[0] >= 1


def test_interrupted_run_resumes_without_duplicates(api, tmp_path):
    fake = api(make_tweets(10))
    fake.fail_after = 2
    with pytest.raises(XAPIError, match="server error"):
        collect_search("#x", tmp_path / "t.jsonl", progress=False)
    assert len(lines(tmp_path / "t.jsonl")) == 6  # two pages arrived before the failure
    fake.fail_after = None
    summary = collect_search("#x", tmp_path / "t.jsonl", progress=False)
    ids = [r["id"] for r in lines(tmp_path / "t.jsonl")]
    assert summary.unique == 4 and len(ids) == 10 == len(set(ids))
    assert "pagination_token=6" in fake.requests[-2] or "next_token=6" in fake.requests[-2]


def test_next_run_fetches_only_newer_tweets(api, tmp_path):
    fake = api(make_tweets(5))
    collect_search("#x", tmp_path / "t.jsonl", progress=False)
    fake.tweets = make_tweets(7)  # two new tweets (ids 105, 106)
    summary = collect_search("#x", tmp_path / "t.jsonl", progress=False)
    assert summary.unique == 2 and "since_id=104" in fake.requests[-1]


def test_max_tweets_stops_and_the_next_run_continues(api, tmp_path):
    api(make_tweets(9))
    first = collect_search("#x", tmp_path / "t.jsonl", max_tweets=3, progress=False)
    assert first.unique == 3 and not first.finished and "run again" in str(first)
    second = collect_search("#x", tmp_path / "t.jsonl", progress=False)
    assert second.unique == 6 and second.finished


def test_user_timeline(api, tmp_path):
    fake = api(make_tweets(4))
    summary = collect_user("@ana", tmp_path / "u.jsonl", progress=False)
    assert summary.unique == 4
    assert any(r.startswith("/2/users/by/username/ana") for r in fake.requests)


def test_credentials_missing_or_rejected_are_clear(api, tmp_path, monkeypatch):
    api(make_tweets(2))
    monkeypatch.setenv("X_BEARER_TOKEN", "bad")
    with pytest.raises(XAPIError, match="rejected the credentials"):
        collect_search("#x", tmp_path / "t.jsonl", progress=False)
    monkeypatch.delenv("X_BEARER_TOKEN")
    with pytest.raises(XAPIError, match="X_BEARER_TOKEN"):
        collect_search("#x", tmp_path / "t.jsonl", progress=False)


def test_a_file_collected_for_another_query_is_refused(api, tmp_path):
    api(make_tweets(2))
    collect_search("#x", tmp_path / "t.jsonl", progress=False)
    with pytest.raises(tweetlab.TweetlabError, match="collected for"):
        collect_search("#y", tmp_path / "t.jsonl", progress=False)


def test_import_dedupes_archive_dumps_and_csv(tmp_path):
    v1 = [{"id_str": "1", "created_at": "Wed Oct 10 20:19:24 +0000 2018", "full_text": "uno",
           "user": {"screen_name": "petro"}},
          {"id_str": "2", "created_at": "Thu Oct 11 08:00:00 +0000 2018",
           "text": "RT @x: dos", "retweeted_status": {"id": 9}, "user": {"screen_name": "petro"}}]
    (tmp_path / "snap1.json").write_text(json.dumps(v1))
    with gzip.open(tmp_path / "snap2.json.gz", "wt") as fh:
        json.dump(v1 + [{"id_str": "3", "created_at": "Fri Oct 12 08:00:00 +0000 2018",
                         "text": "tres", "user": {"screen_name": "petro"}}], fh)
    archive = [{"tweet": {"id_str": "4", "created_at": "Sat Oct 13 08:00:00 +0000 2018",
                          "full_text": "cuatro &amp; cinco"}}]
    (tmp_path / "tweets.js").write_text("window.YTD.tweets.part0 = " + json.dumps(archive))
    (tmp_path / "more.csv").write_text("id,text,date\n3,tres,2018-10-12\n5,cinco,2018-10-14\n")
    out = tmp_path / "all.jsonl"
    summary = import_tweets([tmp_path / "snap1.json", tmp_path / "snap2.json.gz",
                             tmp_path / "tweets.js", tmp_path / "more.csv"], out)
    rows = {r["id"]: r for r in lines(out)}
    assert summary.unique == 5 and summary.duplicates == 3 and sorted(rows) == list("12345")
    assert rows["1"]["date"] == "2018-10-10T20:19:24Z" and rows["1"]["user"] == "petro"
    assert rows["2"]["is_retweet"] and not rows["1"]["is_retweet"]
    with pytest.raises(tweetlab.TweetlabError, match="already exists"):
        import_tweets([tmp_path / "snap1.json"], out)


def test_cli_collect_search_and_import(api, tmp_path, capsys):
    api(make_tweets(5))
    assert main(["-q", "collect", "search", "#x", "--out", str(tmp_path / "t.jsonl")]) == 0
    assert "5 new tweets" in capsys.readouterr().out
    assert main(["collect", "import", str(tmp_path / "t.jsonl"), "--out",
                 str(tmp_path / "copy.jsonl")]) == 0
    assert len(lines(tmp_path / "copy.jsonl")) == 5
    assert main(["collect", "import", str(tmp_path / "nope.json"), "--out",
                 str(tmp_path / "x.jsonl")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_import_says_why_nothing_was_found(tmp_path):
    from tweetlab.errors import DataError

    no_ids = tmp_path / "tweets.js"
    no_ids.write_text('window.YTD.tweets.part0 = [{"tweet": {"full_text": "hi"}}]',
                      encoding="utf-8")
    with pytest.raises(DataError, match="1 objects read, none with a tweet id"):
        import_tweets([no_ids], tmp_path / "out.jsonl")
    empty = tmp_path / "empty.js"
    empty.write_text("window.YTD.tweets.part0 = []", encoding="utf-8")
    with pytest.raises(DataError, match="no tweet objects"):
        import_tweets([empty], tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()


def test_damaged_inputs_and_state_are_named_not_tracebacks(api, tmp_path):
    from tweetlab.errors import DataError

    lines_file = tmp_path / "dump.jsonl"
    lines_file.write_text('{"id": "1", "text": "uno"}\n{"id": "2", "text": \n',
                          encoding="utf-8")
    with pytest.raises(DataError, match="invalid JSON") as err:
        import_tweets([lines_file], tmp_path / "a.jsonl")
    assert err.value.line == 2
    latin = tmp_path / "latin.json"
    latin.write_bytes('[{"id": "1", "text": "canción"}]'.encode("latin-1"))
    with pytest.raises(DataError, match="cannot decode as UTF-8"):
        import_tweets([latin], tmp_path / "b.jsonl")
    api(make_tweets(3))
    out = tmp_path / "t.jsonl"
    collect_search("#x", out, progress=False)
    state = tmp_path / "t.jsonl.state.json"
    assert state.exists()
    state.write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match="damaged state file"):
        collect_search("#x", out, progress=False)
    state.unlink()
    out.write_text("not json at all\n", encoding="utf-8")
    with pytest.raises(DataError, match="not a tweetlab JSONL file") as err:
        collect_search("#x", out, progress=False)
    assert err.value.line == 1


def test_a_torn_last_line_is_dropped_on_resume_and_said(api, tmp_path, caplog):
    fake = api(make_tweets(10))
    fake.fail_after = 2
    with pytest.raises(XAPIError):
        collect_search("#x", tmp_path / "t.jsonl", progress=False)
    path = tmp_path / "t.jsonl"
    whole = path.read_bytes()
    path.write_bytes(whole + whole.splitlines(keepends=True)[0][:25])  # killed mid-write
    fake.fail_after = None
    collect_search("#x", path, progress=False)
    ids = [r["id"] for r in lines(path)]
    assert len(ids) == 10 == len(set(ids))
    assert "cut off by an interrupted run" in caplog.text


def test_a_bad_line_inside_the_file_is_still_an_error(api, tmp_path):
    api(make_tweets(3))
    path = tmp_path / "t.jsonl"
    path.write_text('{"id": "1"}\nnot json\n{"id": "2"}\n', encoding="utf-8")
    with pytest.raises(tweetlab.DataError, match="line 2"):
        collect_search("#x", path, progress=False)
