"""analyze(): counts per period and group, neutral band, typical tweets, terms, report."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import tweetlab
from tweetlab.analysis import analyze
from tweetlab.cli import main
from tweetlab.errors import DataError

from .conftest import make_corpus


@pytest.fixture(scope="module")
def binary_model():
    texts, labels = make_corpus(200)
    return tweetlab.create("tfidf").fit(texts, labels)


def write_tweets(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "created_at", "entity"])
        w.writerows(rows)
    return path


def sample_rows(n: int = 60) -> list[tuple[str, str, str]]:
    texts, _ = make_corpus(n, seed=3)
    return [(f"{t} #tag{i % 2}" + (" #both" if i % 5 == 0 else ""),
             f"2024-03-{1 + i % 3:02d}T12:00:00Z", ["Apple", "Nvidia"][i % 2])
            for i, t in enumerate(texts)]


def test_counts_per_day_add_up_and_shares_sum_to_one(tmp_path, binary_model):
    path = write_tweets(tmp_path / "t.csv", sample_rows())
    res = analyze(path, binary_model, by="day", progress=False)
    assert res.n_scored == 60 and int(res.counts["count"].sum()) == 60
    assert sorted(res.counts["period"].unique()) == ["2024-03-01", "2024-03-02", "2024-03-03"]
    shares = res.counts.groupby("period")["share"].sum()
    assert np.allclose(shares, 1.0, atol=1e-3)


def test_week_periods_are_named_by_their_monday(tmp_path, binary_model):
    path = write_tweets(tmp_path / "t.csv", sample_rows())
    res = analyze(path, binary_model, by="week", progress=False)
    assert list(res.counts["period"].unique()) == ["2024-02-26"]


@pytest.mark.parametrize(("days_apart", "expected"), [(30, "day"), (300, "week"),
                                                      (3000, "month")])
def test_auto_period_keeps_charts_to_about_120_bars(tmp_path, binary_model, days_apart,
                                                    expected):
    start = np.datetime64("2020-01-01")
    rows = [(t, str(start + np.timedelta64(i * days_apart // 59, "D")), "x")
            for i, (t, _, _) in enumerate(sample_rows())]
    path = write_tweets(tmp_path / "t.csv", rows)
    auto = analyze(path, binary_model, progress=False)
    explicit = analyze(path, binary_model, by=expected, progress=False)
    assert auto.by == expected
    assert auto.counts.equals(explicit.counts)
    assert auto.counts["period"].nunique() <= 121


def test_auto_period_without_dates_counts_the_whole_file(tmp_path, binary_model):
    path = tmp_path / "t.csv"
    path.write_text("text\ngood great day\nawful bad day\n")
    res = analyze(path, binary_model, progress=False)
    assert res.by == "all" and list(res.counts["period"].unique()) == ["all"]
    with pytest.raises(tweetlab.DataError, match="no date column"):
        analyze(path, binary_model, by="day", progress=False)


def test_neutral_band_turns_middle_probabilities_neutral(tmp_path, binary_model):
    path = write_tweets(tmp_path / "t.csv", sample_rows())
    wide = analyze(path, binary_model, neutral_band=(0.0, 1.0), progress=False)
    assert set(wide.counts["label"]) == {"neutral"}
    res = analyze(path, binary_model, neutral_band=(0.45, 0.65), progress=False)
    assert set(res.counts["label"]) <= {"negative", "neutral", "positive"}


def test_hashtag_groups_count_a_tweet_once_per_tag(tmp_path, binary_model):
    rows = sample_rows()
    path = write_tweets(tmp_path / "t.csv", rows)
    res = analyze(path, binary_model, group="hashtag", progress=False)
    per_group = res.counts.groupby("group")["count"].sum().to_dict()
    mondays = sum("#monday" in t for t, _, _ in rows)  # a hashtag of the corpus filler
    assert per_group == {"#tag0": 30, "#tag1": 30, "#both": 12, "#monday": mondays}


def test_group_by_column(tmp_path, binary_model):
    path = write_tweets(tmp_path / "t.csv", sample_rows())
    res = analyze(path, binary_model, group="entity", progress=False)
    assert res.counts.groupby("group")["count"].sum().to_dict() == {"Apple": 30, "Nvidia": 30}
    with pytest.raises(DataError, match="no column 'brand'"):
        analyze(path, binary_model, group="brand", progress=False)


def test_small_chunks_give_the_same_result(tmp_path, binary_model):
    path = write_tweets(tmp_path / "t.csv", sample_rows())
    a = analyze(path, binary_model, group="entity", chunk_size=7, progress=False)
    b = analyze(path, binary_model, group="entity", chunk_size=1000, progress=False)
    assert a.counts.equals(b.counts)
    assert a.typical == b.typical
    assert a.terms == b.terms


def test_the_words_the_model_relied_on_come_from_a_sample_of_the_file(tmp_path, binary_model):
    from .conftest import NEGATIVE, POSITIVE

    path = write_tweets(tmp_path / "t.csv", sample_rows(600))
    res = analyze(path, binary_model, out=tmp_path / "rep", progress=False)
    assert res.relies_on["tweets"] == 400  # the sample, out of 600
    words = res.relies_on["classes"]
    assert {w for w, _, _ in words["positive"][:3]} <= {w.lower() for w in POSITIVE}
    assert {w for w, _, _ in words["negative"][:3]} <= {w.lower() for w in NEGATIVE}
    rows = (tmp_path / "rep" / "words.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "label,word,bits,tweets" and len(rows) > 3
    assert "Words the model relied on" in (tmp_path / "rep" / "report.html").read_text()
    again = analyze(path, binary_model, chunk_size=50, progress=False)
    assert again.relies_on == res.relies_on  # the same sample, however the file is read


def test_a_reservoir_is_a_uniform_sample_of_a_stream_of_any_length():
    from tweetlab.analysis import _Reservoir

    hits = np.zeros(1000)
    for seed in range(200):
        r = _Reservoir(50, seed=seed)
        for start in range(0, 1000, 70):  # pieces of uneven size
            r.offer([str(i) for i in range(start, min(start + 70, 1000))], None)
        assert len(r.texts) == 50 == len(set(r.texts)) and r.seen == 1000
        hits[[int(t) for t in r.texts]] += 1
    # each item drawn 200 * 50 / 1000 = 10 times on average, early or late in the stream
    assert abs(hits[:500].mean() - 10) < 1 and abs(hits[500:].mean() - 10) < 1
    small = _Reservoir(50)
    small.offer(["a", "b"], ["x", "y"])
    assert small.texts == ["a", "b"] and small.entities == ["x", "y"]


def test_worker_processes_give_the_same_result(tmp_path, binary_model):
    path = write_tweets(tmp_path / "t.csv", sample_rows(90))
    model_dir = binary_model.save(tmp_path / "m")  # workers load the folder
    one = analyze(path, model_dir, group="hashtag", chunk_size=10, progress=False, workers=1)
    two = analyze(path, model_dir, group="hashtag", chunk_size=10, progress=False, workers=2)
    assert one.counts.equals(two.counts)
    assert one.typical == two.typical
    assert one.terms == two.terms
    assert one.relies_on == two.relies_on
    with pytest.raises(DataError, match="workers"):
        analyze(path, binary_model, workers=0, progress=False)


def test_typical_tweets_are_the_most_confident(tmp_path, binary_model):
    path = write_tweets(tmp_path / "t.csv", sample_rows())
    res = analyze(path, binary_model, top_n=3, progress=False)
    for (_, label), items in res.typical.items():
        assert len(items) <= 3
        confs = [c for c, _ in items]
        assert confs == sorted(confs, reverse=True)
        texts = [t for _, t in items]
        assert binary_model.predict(texts) == [label] * len(texts)


def test_distinctive_terms_come_from_the_right_class(tmp_path, binary_model):
    path = write_tweets(tmp_path / "t.csv", sample_rows(300))
    res = analyze(path, binary_model, progress=False)
    positive_terms = {t for t, _, _ in res.terms["positive"][:6]}
    assert positive_terms & {"love", "great", "happy", "awesome", "best", "amazing", "wonderful"}


def test_bad_dates_are_skipped_and_counted(tmp_path, binary_model):
    rows = sample_rows(20)
    rows[3] = (rows[3][0], "not a date", "Apple")
    rows[7] = (rows[7][0], "", "Apple")
    res = analyze(write_tweets(tmp_path / "t.csv", rows), binary_model, progress=False)
    assert res.n_skipped_dates == 2 and res.n_scored == 18
    allbad = [(t, "yesterday", e) for t, _, e in rows]
    with pytest.raises(DataError, match="no tweet with a usable date.*yesterday"):
        analyze(write_tweets(tmp_path / "b.csv", allbad), binary_model, progress=False)
    blank = [("   ", d, e) for _, d, e in rows]
    with pytest.raises(DataError, match="no tweets with text to analyze"):
        analyze(write_tweets(tmp_path / "c.csv", blank), binary_model, progress=False)


def test_jsonl_input_and_self_contained_report(tmp_path, binary_model):
    path = tmp_path / "t.jsonl"
    with path.open("w") as fh:
        for t, d, e in sample_rows():
            fh.write(json.dumps({"full_text": t, "created_at": d, "user": {"screen_name": e}})
                     + "\n")
    res = analyze(path, binary_model, group="user", out=tmp_path / "rep", progress=False)
    names = {f.name for f in res.files}
    assert {"counts.csv", "typical.csv", "terms.csv", "share_over_time.png", "groups.png",
            "report.html"} <= names
    html = (tmp_path / "rep" / "report.html").read_text()
    assert "data:image/png;base64," in html and "<script" not in html
    with pytest.raises(tweetlab.ModelError, match="already exists"):
        analyze(path, binary_model, out=tmp_path / "rep", progress=False)


def test_cli_analyze(tmp_path, binary_model, capsys):
    model = binary_model.save(tmp_path / "m")
    path = write_tweets(tmp_path / "t.csv", sample_rows())
    out = tmp_path / "an"
    assert main(["-q", "analyze", str(path), "--model", str(model), "--by", "day",
                 "--group", "hashtag", "--neutral-band", "0.45", "0.65", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "scored 60 tweets" in printed and (out / "report.html").exists()
    assert main(["analyze", str(path), "--model", str(model), "--group", "nope",
                 "--out", str(tmp_path / "x")]) == 2
    assert "no column 'nope'" in capsys.readouterr().err


def test_term_counts_are_document_frequencies_per_label():
    from collections import Counter

    from tweetlab.analysis import STOP_TOKENS, _terms_per_label

    rng = np.random.default_rng(0)
    vocab = ["ab", "bc", "cd", "<url>", "rt", "ßa", "de", "7", "u", "00"]  # (no numbers or lone
    # letters: not terms)
    tokens = [[vocab[i] for i in rng.integers(0, len(vocab), rng.integers(0, 8))]
              for _ in range(300)]
    labels = np.array([["neg", "pos", "neutral"][i] for i in rng.integers(0, 3, 300)],
                      dtype=object)
    want: dict[str, Counter[str]] = {}
    for toks, lab in zip(tokens, labels, strict=False):
        want.setdefault(lab, Counter()).update(set(toks) - STOP_TOKENS - {"7", "u", "00"})
    got = _terms_per_label(tokens, labels).as_counters()
    assert list(got) == list(dict.fromkeys(labels.tolist()))
    assert {k: dict(v) for k, v in got.items()} == {k: dict(v) for k, v in want.items()}
    empty = _terms_per_label([[], []], np.array(["x", "x"], dtype=object))
    assert empty.as_counters() == {"x": Counter()}
    # Summed over chunks in arrays = summed as Counters.
    from tweetlab.analysis import _TermTotals

    totals = _TermTotals(["pos"])
    for i in range(0, 300, 70):
        totals.add(_terms_per_label(tokens[i:i + 70], labels[i:i + 70]))
    merged = totals.total().as_counters()
    assert {k: dict(v) for k, v in merged.items() if v} == \
        {k: dict(v) for k, v in want.items()}
    assert "pos" in merged


def test_distinctive_terms_match_a_per_term_reference():
    from collections import Counter

    from tweetlab.analysis import distinctive_terms

    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(60)]
    tc = {lab: Counter({w: int(c) for w, c in zip(words, rng.integers(0, 12, 60), strict=False) if c})
          for lab in ("neg", "pos", "neutral")}
    total = Counter()
    for c in tc.values():
        total.update(c)
    vocab = [t for t, c in total.items() if c >= 5]
    all_n = sum(total[t] for t in vocab)
    for lab, c in tc.items():
        n_lab = sum(c[t] for t in vocab)
        n_rest = all_n - n_lab
        want = []
        for t in vocab:
            a, b = c[t], total[t] - c[t]
            lo = np.log((a + 1) / (n_lab - a + 1)) - np.log((b + 1) / (n_rest - b + 1))
            want.append((t, float(lo / np.sqrt(1 / (a + 1) + 1 / (b + 1))), a))
        want = [w for w in sorted(want, key=lambda x: (-x[1], x[0])) if w[2] > 0][:7]
        got = distinctive_terms(tc, 7)[lab]
        assert [g[0] for g in got] == [w[0] for w in want]
        assert np.allclose([g[1] for g in got], [w[1] for w in want])


def test_distinctive_terms_skip_bare_punctuation_but_keep_bangs_and_emoji():
    from tweetlab.analysis import _terms_per_label

    tokens = [["thanks", "!", "“", ":", "🎉"], ["delayed", "?", ")", "<url>"]]
    tc = _terms_per_label(tokens, np.array(["pos", "neg"]))
    assert set(tc.words) == {"thanks", "!", "🎉", "delayed", "?"}


def test_analyze_without_a_model_uses_the_bundled_english_sentiment_model(tmp_path):
    res = analyze(write_tweets(tmp_path / "t.csv", sample_rows(12)), progress=False)
    assert res.n_scored == 12
    assert set(res.counts["label"]) <= {"negative", "neutral", "positive"}


def test_worker_processes_only_for_large_files_and_never_for_a_model_on_a_gpu(tmp_path):
    import torch

    from tweetlab._workers import auto_workers

    class OnDevice:  # a model whose module sits on another device ("meta": no GPU needed)
        module_ = torch.nn.Linear(2, 2).to("meta")

    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    small.write_text("text\n" + "a tweet\n" * 100)
    with large.open("w") as fh:
        fh.write("text\n")
        fh.truncate(150_001 * 110)  # the size of ~150k tweet rows (sparse: no disk used)
    assert auto_workers(small) == 1
    assert auto_workers(large) >= min(2, os.cpu_count() or 1)
    assert auto_workers(large, OnDevice()) == 1


def test_analyze_reads_sentiment140_as_latin1_and_takes_an_encoding(tmp_path, binary_model,
                                                                    capsys):
    s140 = tmp_path / "s140.csv"
    s140.write_bytes('"0","1","Mon Apr 06 22:19:45 PDT 2009","NO_QUERY","bob","café is bad"\n'
                     '"4","2","Tue Apr 07 09:00:00 PDT 2009","NO_QUERY","ann","good café"\n'
                     .encode("latin-1"))
    result = analyze(s140, binary_model, by="day", progress=False)
    assert result.n_scored == 2 and len(result.counts["period"].unique()) == 2
    other = tmp_path / "other.csv"
    other.write_bytes("text,date\ncafé au lait,2024-01-01\n".encode("cp1252"))
    with pytest.raises(DataError, match="line 2.*--encoding cp1252"):
        analyze(other, binary_model, progress=False)
    assert analyze(other, binary_model, progress=False, encoding="cp1252").n_scored == 1
    model_dir = binary_model.save(tmp_path / "m")
    assert main(["-q", "analyze", str(other), "--model", str(model_dir), "--encoding",
                 "cp1252", "--out", str(tmp_path / "report")]) == 0


def test_analyze_names_a_malformed_row_and_can_skip_it(tmp_path, binary_model, caplog):
    path = tmp_path / "t.csv"
    rows = [f"tweet {i},2024-01-0{1 + i % 5}" for i in range(40)]
    rows[25] = "bad, row, here,2024-01-02"  # line 27: four fields
    path.write_text("text,date\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="malformed row: expected 2 fields, found 4") as err:
        analyze(path, binary_model, chunk_size=10, progress=False)
    assert err.value.line == 27 and "--skip-bad-rows" in str(err.value)
    with caplog.at_level("WARNING", logger="tweetlab"):
        result = analyze(path, binary_model, chunk_size=10, progress=False, skip_bad_rows=True)
    assert result.n_scored == 39 and "skipped 1 malformed rows (first at line 27" in caplog.text


def test_analyze_names_the_line_of_a_quote_never_closed(tmp_path, binary_model):
    path = tmp_path / "t.csv"
    # A quoted tweet over two lines first: the bad record starts on line 5, not record 4.
    path.write_text('text,date\n"two\nlines",2024-01-01\nok,2024-01-02\n'
                    '"never closed,2024-01-02\nlast,2024-01-03\n', encoding="utf-8")
    with pytest.raises(DataError, match="a quoted field never ends") as err:
        analyze(path, binary_model, progress=False)
    assert err.value.line == 5


def test_analyze_with_an_unknown_encoding_is_a_clear_error(tmp_path, binary_model):
    path = tmp_path / "t.csv"
    path.write_text("text\nhello\n", encoding="utf-8")
    with pytest.raises(DataError, match="unknown encoding 'klingon'"):
        analyze(path, binary_model, progress=False, encoding="klingon")


def test_the_report_names_the_model_folder_and_family(tmp_path, binary_model):
    folder = binary_model.save(tmp_path / "my-sentiment")
    path = write_tweets(tmp_path / "t.csv", sample_rows(60))
    analyze(path, folder, out=tmp_path / "rep", progress=False)
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert "scored with a <b>my-sentiment (tfidf)</b> model" in html
    analyze(path, binary_model, out=tmp_path / "rep2", progress=False)  # an object: family
    assert "scored with a <b>tfidf</b> model" in (tmp_path / "rep2" / "report.html").read_text()


def test_report_shows_html_entities_decoded_and_terms_that_are_words(tmp_path, binary_model):
    rows = [(f"good day &amp; great 00 u #t{i}", f"2024-03-0{1 + i % 3}T12:00:00Z", "x")
            for i in range(30)]
    path = write_tweets(tmp_path / "t.csv", rows)
    res = analyze(path, binary_model, by="day", out=tmp_path / "r", progress=False)
    page = (tmp_path / "r" / "report.html").read_text()
    assert "good day &amp; great" in page and "&amp;amp;" not in page  # shown as "&"
    terms = {t for items in res.terms.values() for t, _, _ in items}
    assert terms and not terms & {"00", "u", "amp"}
