"""The tweet store (DuckDB): collect into it, analyze only what is new, export to Parquet."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tweetlab import store
from tweetlab.analysis import analyze
from tweetlab.cli import main
from tweetlab.errors import DataError

from .conftest import make_corpus  # (model_dir: a small tfidf model folder)

pytest.importorskip("duckdb")


def records(n: int, start: int = 0) -> list[dict[str, object]]:
    texts, _ = make_corpus(n + start, seed=9)
    return [{"id": str(1000 + i), "date": f"2024-03-{1 + i % 20:02d}T{i % 24:02d}:15:00Z",
             "user": f"user{i % 3}", "text": f"{texts[i]} #Tag{i % 4}" + (" #Ünï" if i % 7 == 0 else ""),
             "lang": "es" if i % 5 == 0 else "en", "is_retweet": False, "in_reply_to": None}
            for i in range(start, start + n)]


def as_csv(recs: list[dict[str, object]], path: Path) -> Path:
    pd.DataFrame(recs).to_csv(path, index=False)
    return path


def test_tweets_are_stored_once_by_id(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    first = store.add_tweets(db, records(50), source="a")
    again = store.add_tweets(db, records(60), source="b")  # 50 known + 10 new
    assert (first.written, again.written, again.duplicates) == (50, 10, 50)
    assert list(store.rows(db, "SELECT count(*), count(DISTINCT id) FROM tweets")) == [(60, 60)]
    sources = dict(store.rows(db, "SELECT source, count(*) FROM tweets GROUP BY ALL"))
    assert sources == {"a": 50, "b": 10}
    assert list(store.rows(db, "SELECT count(*) FROM tweets WHERE arrived IS NULL")) == [(0,)]


def test_collect_import_into_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dump = tmp_path / "dump.json"
    dump.write_text(json.dumps([{"id_str": str(i), "text": f"tweet {i}",
                                 "created_at": "Wed Oct 10 20:19:24 +0000 2018",
                                 "user": {"screen_name": "ana"}} for i in range(5)]))
    db = tmp_path / "t.duckdb"
    assert main(["collect", "import", str(dump), "--store", str(db)]) == 0
    assert main(["collect", "import", str(dump), "--store", str(db)]) == 0  # nothing new
    out = capsys.readouterr().out
    assert "5 new tweets" in out and "0 new tweets" in out and "5 duplicates" in out
    assert list(store.rows(db, "SELECT date, \"user\" FROM tweets LIMIT 1")) == \
        [("2018-10-10T20:19:24Z", "ana")]


@pytest.mark.parametrize("group", [None, "hashtag", "user"])
def test_analyze_a_store_counts_what_analyze_counts_on_the_file(tmp_path: Path, model_dir: Path,
                                                                group: str | None) -> None:
    recs = records(400)
    db = tmp_path / "t.duckdb"
    store.add_tweets(db, recs)
    got = store.analyze_store(db, model_dir, by="day", group=group, progress=False,
                              out=tmp_path / "report")
    want = analyze(as_csv(recs, tmp_path / "t.csv"), model_dir, by="day", group=group,
                   progress=False, workers=1)
    pd.testing.assert_frame_equal(got.counts, want.counts)
    assert got.n_scored == want.n_scored == 400
    assert got.terms == want.terms  # (all 400 in the term sample)
    for key, items in want.typical.items():
        assert [round(c, 6) for c, _ in got.typical[key]] == [round(c, 6) for c, _ in items]
    assert (tmp_path / "report" / "report.html").exists()


def test_a_second_run_scores_only_the_new_tweets(tmp_path: Path, model_dir: Path) -> None:
    db = tmp_path / "t.duckdb"
    store.add_tweets(db, records(300))
    first = store.analyze_store(db, model_dir, by="all", progress=False)
    again = store.analyze_store(db, model_dir, by="all", progress=False)
    store.add_tweets(db, records(25, start=300))
    third = store.analyze_store(db, model_dir, by="all", progress=False)
    assert (first.n_new, again.n_new, third.n_new) == (300, 0, 25)
    assert third.n_scored == 325
    assert list(store.rows(db, "SELECT count(*) FROM scores")) == [(325,)]


def test_where_selects_tweets_in_sql(tmp_path: Path, model_dir: Path) -> None:
    db = tmp_path / "t.duckdb"
    store.add_tweets(db, records(200))
    got = store.analyze_store(db, model_dir, by="all", where="lang = 'es' AND date >= "
                              "'2024-03-10'", progress=False)
    expected = sum(1 for r in records(200) if r["lang"] == "es" and str(r["date"]) >= "2024-03-10")
    assert got.n_scored == got.n_new == expected
    with pytest.raises(DataError, match="--where 'langue = 1'"):
        store.analyze_store(db, model_dir, where="langue = 1", progress=False)


def test_a_run_killed_midway_leaves_the_store_consistent(tmp_path: Path, model_dir: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "t.duckdb"
    store.add_tweets(db, records(250))
    calls = {"n": 0}
    real = store.score_frame

    def dies_on_the_third_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "score_frame", dies_on_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        store.score_new(db, model_dir, batch=100, progress=False)
    assert list(store.rows(db, "SELECT count(*) FROM scores")) == [(200,)]  # two whole batches
    monkeypatch.setattr(store, "score_frame", real)
    assert store.score_new(db, model_dir, batch=100, progress=False)[0] == 50  # the rest


def test_export_writes_parquet_partitioned_by_day(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    store.add_tweets(db, records(100) + [{"id": "x", "text": "no date"}])
    assert main(["store", "export", str(db), str(tmp_path / "lake")]) == 0
    days = sorted(p.name for p in (tmp_path / "lake").iterdir())
    assert days[0] == "day=2024-03-01" and "day=unknown" in days and len(days) == 21
    back = pd.read_parquet(tmp_path / "lake")
    assert len(back) == 101 and set(back["id"]) == {r["id"] for r in records(100)} | {"x"}
    with pytest.raises(DataError, match="not empty"):
        store.export(db, tmp_path / "lake")
    assert store.export(db, tmp_path / "lake", where="lang = 'es'", force=True) == 20


def test_analyze_cli_on_a_store(tmp_path: Path, model_dir: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "t.duckdb"
    store.add_tweets(db, records(120))
    assert main(["analyze", str(db), "--model", str(model_dir), "--by", "day",
                 "--out", str(tmp_path / "r"), "--quiet"]) == 0
    assert "scored 120 new tweets" in capsys.readouterr().out
    assert main(["store", "info", str(db)]) == 0
    assert f"scored by {model_dir.name}" in capsys.readouterr().out


def test_scoring_in_worker_processes_gives_the_same_scores(tmp_path: Path, model_dir: Path) -> None:
    one, two = tmp_path / "one.duckdb", tmp_path / "two.duckdb"
    for db in (one, two):
        store.add_tweets(db, records(300))
    assert store.score_new(one, model_dir, workers=1, batch=64, progress=False)[0] == 300
    assert store.score_new(two, model_dir, workers=2, batch=64, progress=False)[0] == 300
    query = "SELECT id, label, round(confidence, 6) FROM scores ORDER BY id"
    assert list(store.rows(one, query)) == list(store.rows(two, query))
