"""Keeping a generator current: update with newer tweets, stream scores, the bot reloading."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tweetlab.bot import Bot
from tweetlab.cli import main
from tweetlab.errors import ConfigError, ModelError
from tweetlab.generation import TweetCorpus, load_generator, train_generator, update_generator

from .test_generation import SMALL, write_account
from .test_ngram import repetitive_account, tiny

NEW = ["el agua del río es de todos los pueblos del sur y del norte",
       "mañana marchamos juntos desde la plaza hasta el congreso nacional",
       "la energía limpia cambia la economía de las regiones olvidadas"]


@pytest.fixture(scope="module")
def fitted():
    return tiny(ngram=6).fit(repetitive_account(200))


def copy_of(gen, tmp_path):
    return load_generator(gen.save(tmp_path / "copy", force=True))


def test_update_teaches_new_phrases_and_counts_each_tweet_once(fitted, tmp_path):
    gen = copy_of(fitted, tmp_path)
    before = gen.bits_per_char(NEW)
    chars = len(gen.ngram_.corpus)
    summary = gen.update(NEW + NEW[:1])  # a repeat in the same batch counts once
    assert (summary.added, summary.known) == (3, 1)
    assert summary.characters == sum(len(t) + 1 for t in NEW)  # the end mark included
    assert len(gen.ngram_.corpus) == chars + sum(len(t) + 2 for t in NEW)
    assert gen.bits_per_char(NEW) < before - 0.5
    again = gen.update(NEW)
    assert (again.added, again.known) == (0, 3)
    # a training tweet is known too
    assert gen.update(repetitive_account(200)[:5]).added == 0


def test_update_teaches_the_novelty_filter_and_counts_unknown_characters(fitted, tmp_path):
    gen = copy_of(fitted, tmp_path)
    copy = "dijo que " + NEW[0]
    assert gen.is_novel(copy)
    summary = gen.update([NEW[0], "qué Ωmega ☃ nuevo"])
    assert not gen.is_novel(copy)
    assert summary.unknown_characters >= 2 and "never seen" in str(summary)


def test_update_needs_the_ngram_part():
    plain = tiny().fit(repetitive_account(60))
    with pytest.raises(ConfigError, match="ngram"):
        plain.update(NEW)
    with pytest.raises(ConfigError, match="n-gram"):
        plain.stream_bits(NEW)


def test_stream_equals_scoring_each_chunk_after_updating_with_the_earlier_ones(fitted, tmp_path):
    texts = NEW * 2 + repetitive_account(7, seed=5)
    chars = np.array([len(t) + 1 for t in texts], dtype=float)
    static, stream = fitted.stream_bits(texts, chunk=4)
    assert static == pytest.approx(fitted.bits_per_char(texts), rel=1e-9)
    want = 0.0
    for s in range(0, len(texts), 4):
        gen = copy_of(fitted, tmp_path)
        if s:
            gen.update(texts[:s])
        want += gen.bits_per_char(texts[s:s + 4]) * chars[s:s + 4].sum()
    assert stream == pytest.approx(want / chars.sum(), rel=1e-9)
    assert stream < static - 0.2  # the repeats are predicted from the first time
    # one chunk: nothing to learn from before it; and the model is left as it was
    assert fitted.stream_bits(texts, chunk=len(texts)) == pytest.approx((static, static))
    assert fitted.is_novel("dijo que " + NEW[0])
    with pytest.raises(ConfigError, match="chunk"):
        fitted.stream_bits(texts, chunk=0)


def test_position_values_come_back_in_tweet_order(fitted):
    # they are computed in batches of similar lengths; the stream pairs them by tweet
    texts = [NEW[1], NEW[0][:10], *repetitive_account(6, seed=3), NEW[0][:25]]
    seqs = fitted._sequences(texts, [True] * len(texts))
    log_nn, p_ng = fitted._position_probs(seqs)
    one_by_one = [fitted._position_probs([s]) for s in seqs]
    np.testing.assert_allclose(log_nn, np.concatenate([a for a, _ in one_by_one]), rtol=1e-5)
    np.testing.assert_allclose(p_ng, np.concatenate([b for _, b in one_by_one]), rtol=1e-9)
    np.testing.assert_allclose(p_ng, fitted._ngram_probs_in_order(seqs), rtol=1e-9)


@pytest.fixture
def saved(tmp_path):
    path = write_account(tmp_path / "a.csv", repetitive_account(220))
    train_generator(path, "char-lstm", out=tmp_path / "g",
                    overrides=[*SMALL["char-lstm"], "epochs=1", "progress=false", "ngram=6"])
    return tmp_path / "g"


def test_update_generator_writes_a_new_folder_or_replaces_in_place(saved, tmp_path):
    new_file = write_account(tmp_path / "new.csv", repetitive_account(220) + NEW)
    chars = len(load_generator(saved).ngram_.corpus)
    gen, summary = update_generator(saved, new_file, out=tmp_path / "g2")
    # the NEW tweets and the held-out (newest 5%) ones training never counted
    assert summary.added + summary.known == 223 and 3 <= summary.added <= 3 + 11
    assert gen.bits_per_char(NEW) < load_generator(saved).bits_per_char(NEW) - 0.5
    assert len(load_generator(saved).ngram_.corpus) == chars  # the original is untouched
    updated = load_generator(tmp_path / "g2")
    assert len(updated.ngram_.corpus) == len(gen.ngram_.corpus) > chars
    metrics = json.loads((tmp_path / "g2" / "metrics.json").read_text())
    assert metrics["updates"][-1]["added"] == summary.added and "valid_bits_per_char" in metrics
    assert "## Updates" in (tmp_path / "g2" / "README.md").read_text()
    with pytest.raises(ModelError, match="already exists"):
        update_generator(saved, new_file, out=tmp_path / "g2")
    for where in ({}, {"out": tmp_path / "g3", "in_place": True}):
        with pytest.raises(ConfigError, match="in_place"):
            update_generator(saved, new_file, **where)
    _, again = update_generator(saved, new_file, in_place=True)
    assert again == summary
    assert len(json.loads((saved / "metrics.json").read_text())["updates"]) == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".g")]  # no leftovers


def test_cli_update_and_stream_evaluation(saved, tmp_path, capsys):
    new_file = write_account(tmp_path / "new.csv", NEW)
    assert main(["generator", "update", str(saved), str(new_file), "--in-place"]) == 0
    assert "added 3 tweets" in capsys.readouterr().out
    assert main(["generator", "update", str(saved), str(new_file), "--in-place"]) == 0
    assert "added 0 tweets" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["generator", "update", str(saved), str(new_file)])  # neither --out nor --in-place
    capsys.readouterr()
    assert main(["info", str(saved)]) == 0
    assert "updated:  3 newer tweets in 2 update(s)" in capsys.readouterr().out
    assert main(["evaluate", str(saved), str(new_file), "--stream", "1"]) == 0
    captured = capsys.readouterr()
    assert "bits per character" in captured.out and "as a stream" in captured.out
    assert "counted 3 of these 3 tweets" in captured.err  # the update taught it them
    fresh = write_account(tmp_path / "fresh.csv", ["un tuit que nadie ha visto nunca jamás"])
    assert main(["evaluate", str(saved), str(fresh)]) == 0
    assert "optimistic" not in capsys.readouterr().err


def test_cli_stream_on_a_classifier_is_one_line(tmp_path, capsys):
    path = tmp_path / "d.csv"
    path.write_text("text,label\n" + "".join(f"good day {i},pos\nbad day {i},neg\n"
                                            for i in range(20)))
    assert main(["-q", "train", str(path), "--model", "tfidf", "--out", str(tmp_path / "m")]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "m"), str(path), "--stream"]) != 0
    err = capsys.readouterr().err
    assert "--stream scores tweet generators" in err and "Traceback" not in err


def test_a_bot_reloads_its_model_folder_after_an_in_place_update(saved, tmp_path):
    bot = Bot(saved, every=0.001, state_file=tmp_path / "s.json", log_file=tmp_path / "l.jsonl",
              env={}, echo=lambda _: None)
    assert not bot.reload_if_changed()
    chars = len(bot.generator.ngram_.corpus)
    update_generator(saved, TweetCorpus(NEW, [True] * 3, [None] * 3), in_place=True)
    assert bot.reload_if_changed()
    assert len(bot.generator.ngram_.corpus) > chars and not bot.reload_if_changed()
    # caught mid-replacement (no folder for a moment): keep the loaded model, retry later
    saved.rename(tmp_path / "aside")
    assert not bot.reload_if_changed()
    (tmp_path / "aside").rename(saved)


def test_cli_generate_writes_a_file_and_never_overwrites_it(saved, tmp_path, capsys):
    out = tmp_path / "tweets.jsonl"
    assert main(["generate", str(saved), "--seed", "el", "-n", "3", "--random-seed", "2",
                 "--allow-copies", "--output", str(out)]) == 0
    assert "wrote 3 tweets" in capsys.readouterr().out
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 3 and all(r["text"].startswith("el") and r["prompt"] == "el"
                                  and r["characters"] == len(r["text"]) for r in rows)
    printed = tmp_path / "printed.txt"
    assert main(["generate", str(saved), "--seed", "el", "-n", "3", "--random-seed", "2",
                 "--allow-copies"]) == 0
    printed.write_text(capsys.readouterr().out)
    assert printed.read_text().splitlines() == [r["text"] for r in rows]  # the same tweets
    before = out.read_text()
    assert main(["generate", str(saved), "-n", "1", "--output", str(out)]) != 0
    assert "already exists" in capsys.readouterr().err and out.read_text() == before
    assert main(["generate", str(saved), "-n", "1", "--output", str(tmp_path / "t.txt")]) != 0
    assert ".jsonl" in capsys.readouterr().err


# ------------------------------------------------------------------ generator compare
def test_compare_generators_ranks_by_held_out_bits_and_resumes(tmp_path):
    from tweetlab.comparison import compare_generators

    path = write_account(tmp_path / "a.csv", repetitive_account(220))
    small = {"lstm": ["hidden=32", "embed=8", "epochs=1"],
             "tr": ["dim=32", "heads=2", "layers=1", "epochs=1"]}
    board = compare_generators(path, ["lstm=char-lstm", "tr=char-transformer"],
                               out=tmp_path / "cmp", minutes=1, overrides=small, prompt="el",
                               progress=False)
    assert {r["model"] for r in board.rows} == {"lstm", "tr"}
    bits = [r["bits_per_char"] for r in board.rows]
    assert bits == sorted(bits) and all(b > 0 for b in bits)
    for r in board.rows:  # the same held-out tweets as the saved model reports
        saved = json.loads((tmp_path / "cmp" / "models" / r["model"] / "metrics.json").read_text())
        assert saved["valid_bits_per_char"] == r["bits_per_char"]
        assert saved["data"]["n_valid"] == board.n_valid == 11
        assert all(t.startswith("el") for t in r["samples"]) and r["tweets_per_s"] > 0
    md = (tmp_path / "cmp" / "leaderboard.md").read_text()
    assert "## lstm" in md and "bits_per_char" in md
    assert (tmp_path / "cmp" / "curves.png").stat().st_size > 1000
    page = (tmp_path / "cmp" / "report.html").read_text()
    assert "data:image/png;base64," in page and "<h2>tr</h2>" in page
    assert page.count("<blockquote>") == 6  # three samples per model
    with pytest.raises(ConfigError, match="earlier comparison"):
        compare_generators(path, ["lstm=char-lstm"], out=tmp_path / "cmp", minutes=1,
                           overrides=small, progress=False)
    again = compare_generators(path, ["lstm=char-lstm", "tr=char-transformer"],
                               out=tmp_path / "cmp", minutes=1, overrides=small, prompt="el",
                               resume=True, progress=False)
    assert [r["bits_per_char"] for r in again.rows] == bits  # reused, not retrained


def test_compare_generators_rejects_what_would_make_it_unfair(tmp_path):
    from tweetlab.comparison import compare_generators

    with pytest.raises(ConfigError, match="unknown family"):
        compare_generators(["x"] * 50, ["tfidf"], out=tmp_path / "c")
    with pytest.raises(ConfigError, match="held-out"):
        compare_generators(["x"] * 50, ["char-lstm"], out=tmp_path / "c",
                           overrides={"char-lstm": ["cleaning.lowercase=true"]})


def test_cli_generator_compare(tmp_path, capsys):
    path = write_account(tmp_path / "a.csv", repetitive_account(120))
    assert main(["-q", "generator", "compare", str(path), "--models", "char-lstm",
                 "--minutes", "0.2", "--out", str(tmp_path / "c"), "--set", "hidden=16",
                 "--set", "char-lstm:embed=8", "--set", "epochs=1"]) == 0
    out = capsys.readouterr().out
    assert "ranked by held-out bits per character" in out and "| char-lstm |" in out
    settings = json.loads((tmp_path / "c" / "rows" / "char-lstm.json").read_text())
    assert settings["row"]["settings"] == ["hidden=16", "embed=8", "epochs=1"]
    assert main(["generator", "compare", str(path), "--models", "char-lstm",
                 "--set", "nobody:hidden=3", "--out", str(tmp_path / "d")]) != 0
    assert "not one of the models" in capsys.readouterr().err


def test_compare_generators_reports_a_failing_model_and_runs_the_others(tmp_path):
    from tweetlab.comparison import compare_generators

    path = write_account(tmp_path / "a.csv", repetitive_account(120))
    board = compare_generators(path, ["ok=char-lstm", "bad=char-lstm"], out=tmp_path / "c",
                               minutes=1, progress=False,
                               overrides={"ok": ["hidden=16", "embed=8", "epochs=1"],
                                          "bad": ["hidden=16", "dropout=2"]})
    assert [r["model"] for r in board.rows] == ["ok"] and "dropout" in board.failed["bad"]
    assert "Failed: bad" in (tmp_path / "c" / "leaderboard.md").read_text()


def test_a_bundled_classifier_name_given_as_a_generator_is_explained(capsys):
    assert main(["generate", "en-sentiment", "-n", "1"]) != 0
    assert "bundled classifier, not a tweet generator" in capsys.readouterr().err
