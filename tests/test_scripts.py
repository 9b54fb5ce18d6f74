"""Noticing tweets in a script the model never learned (Russian given to an English model)."""

from __future__ import annotations

import logging

import pytest

import tweetlab
from tweetlab.api import warn_unfamiliar_script
from tweetlab.cli import main
from tweetlab.data import Dataset
from tweetlab.text.scripts import script_profile, unfamiliar_script_note, unfamiliar_tweets

ENGLISH = ["I love this so much", "worst day ever, I hate it", "the movie was great",
           "awful service today", "what a happy morning", "so sad and angry"] * 10
RUSSIAN = ["Какой чудесный день", "Ужасный сервис, никогда больше", "Очень плохо"]


def test_profile_counts_letters_by_script_without_links_and_mentions():
    profile = script_profile(["Привет @someone_long_name https://t.co/abcdefghij", "ok"])
    assert profile == {"Cyrillic": round(6 / 8, 4), "Latin": round(2 / 8, 4)}
    assert script_profile(["😂 123 !!!", ""]) == {}
    assert script_profile(["東京 とうきょう 서울"]) == {"Han": round(2 / 9, 4), "Hangul": round(2 / 9, 4),
                                                  "Kana": round(5 / 9, 4)}


def test_profile_of_a_long_list_looks_at_all_of_it_not_its_start():
    texts = ["english words"] * 30_000 + ["русские слова"] * 30_000
    profile = script_profile(texts)
    assert 0.4 < profile["Cyrillic"] < 0.6


def test_a_tweet_counts_as_unfamiliar_when_mostly_in_a_script_training_nearly_lacked():
    assert unfamiliar_tweets({"Latin": 1.0}, RUSSIAN) == ("Cyrillic", 1.0)
    assert unfamiliar_tweets({"Latin": 0.95, "Cyrillic": 0.05}, RUSSIAN) is None
    # "Привет" in an English tweet does not make it Russian; one tweet of three does count
    assert unfamiliar_tweets({"Latin": 1.0}, ["say Привет to everyone"]) is None
    assert unfamiliar_tweets({"Latin": 1.0}, ["good morning", "hello", "Привет"]) == \
        ("Cyrillic", 1 / 3)
    assert unfamiliar_tweets({}, RUSSIAN) is None  # no profile recorded: nothing to say


def test_the_note_starts_at_5_percent_and_checks_a_spread_of_a_long_list():
    class Model:
        scripts_ = {"Latin": 1.0}
        classes_ = ["negative", "positive"]

    english = ["a lovely day"] * 99
    assert unfamiliar_script_note(Model(), english + RUSSIAN[:1]) is None  # 1%
    note = unfamiliar_script_note(Model(), english[:19] + RUSSIAN[:1])  # 5%
    assert note is not None and note.startswith("5% of these tweets are mostly in Cyrillic")
    note = unfamiliar_script_note(Model(), (english[:3] + RUSSIAN[:1]) * 10_000)
    assert note is not None and note.startswith("about ")  # 2,000 of the 40,000 checked
    assert 20 <= int(note.split("%")[0].split()[-1]) <= 30  # a quarter are Russian
    Model.classes_ = ["a", "b"]  # not sentiment: pointed to a multilingual encoder
    assert "encoder=use-multilingual" in unfamiliar_script_note(Model(), RUSSIAN)


@pytest.fixture(scope="module")
def english_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("m") / "en"
    labels = ["positive", "negative", "positive", "negative", "positive", "negative"] * 10
    tweetlab.train(Dataset(texts=ENGLISH, labels=labels), "tfidf", out=out, valid_size=0)
    return out


def test_training_records_the_scripts_and_predicting_warns(english_model, caplog):
    model = tweetlab.load_model(english_model)
    assert model.scripts_ == {"Latin": 1.0}  # saved in config.json, loaded back
    with caplog.at_level(logging.WARNING, logger="tweetlab"):
        assert warn_unfamiliar_script(model, RUSSIAN)
        assert "Cyrillic" in caplog.text and "multilingual-sentiment" in caplog.text
        caplog.clear()
        assert not warn_unfamiliar_script(model, ["a lovely day"])
        assert caplog.text == ""
        model.scripts_ = {}  # a folder saved before profiles were recorded
        assert not warn_unfamiliar_script(model, RUSSIAN)


def test_info_names_the_scripts_a_model_learned_from(english_model, capsys):
    assert main(["info", str(english_model)]) == 0
    assert "scripts:  Latin 100.00%" in capsys.readouterr().out


def test_cli_predict_file_and_analyze_warn_about_cyrillic(english_model, tmp_path, capsys,
                                                         monkeypatch):
    monkeypatch.chdir(tmp_path)  # analyze writes its report folder here
    assert main(["predict", str(english_model), *RUSSIAN]) == 0
    err = capsys.readouterr().err
    assert err.count("Cyrillic") == 1 and "guesses" in err
    assert main(["predict", str(english_model), "a great movie"]) == 0
    assert "Cyrillic" not in capsys.readouterr().err
    data = tmp_path / "ru.csv"
    data.write_text("text\n" + "".join(f'"{t}"\n' for t in RUSSIAN), encoding="utf-8")
    assert main(["predict", str(english_model), "--input", str(data)]) == 0
    assert capsys.readouterr().err.count("Cyrillic") == 1
    assert main(["analyze", str(data), "--model", str(english_model), "--by", "all"]) == 0
    assert capsys.readouterr().err.count("Cyrillic") == 1


def test_a_non_sentiment_model_is_pointed_to_a_multilingual_encoder(tmp_path, caplog):
    model = tweetlab.train(Dataset(texts=ENGLISH, labels=["a", "b"] * 30), "tfidf",
                           valid_size=0)
    with caplog.at_level(logging.WARNING, logger="tweetlab"):
        assert warn_unfamiliar_script(model, RUSSIAN)
    assert "encoder=use-multilingual" in caplog.text
    assert "multilingual-sentiment" not in caplog.text


def test_the_multilingual_bundled_model_is_not_warned_about(capsys):
    assert main(["predict", "multilingual-sentiment", *RUSSIAN]) == 0
    captured = capsys.readouterr()
    assert "Cyrillic" not in captured.err and len(captured.out.splitlines()) == 3


def test_analyze_notes_the_share_of_a_mixed_collection_in_an_unfamiliar_script(english_model,
                                                                               tmp_path):
    import csv

    def collection(path, every):  # one tweet in ``every`` Russian
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["text", "date"])
            for i in range(1000):
                w.writerow([RUSSIAN[i % 3] if i % every == 0 else ENGLISH[i % 6],
                            f"2024-01-{1 + i % 28:02d}"])
        return path

    res = tweetlab.analyze(collection(tmp_path / "a.csv", 3), english_model,
                           out=tmp_path / "rep", progress=False)
    assert len(res.notes) == 1 and "Cyrillic" in res.notes[0]
    share = int(res.notes[0].split("%")[0].split()[-1])
    assert 25 <= share <= 42  # a third of the file, estimated from 400 sampled tweets
    assert "Note:</b>" in (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    # A few Russian tweets among many English ones (1%): not worth a note.
    assert tweetlab.analyze(collection(tmp_path / "b.csv", 100), english_model,
                            progress=False).notes == []
    # A model that read the script: nothing to note either.
    ru = tweetlab.train(Dataset(texts=RUSSIAN * 20, labels=["positive", "negative"] * 30),
                        "tfidf", valid_size=0)
    ru.scripts_ = {"Latin": 0.6, "Cyrillic": 0.4}
    assert tweetlab.analyze(tmp_path / "a.csv", ru, progress=False).notes == []


def test_analyze_with_no_model_named_takes_the_multilingual_one_for_a_russian_file(tmp_path,
                                                                                  caplog):
    data = tmp_path / "ru.csv"
    data.write_text("text\n" + "".join(f'"{t}"\n' for t in RUSSIAN * 5), encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="tweetlab"):
        res = tweetlab.analyze(data, by="all", progress=False)
    assert "labelled by the bundled multilingual-sentiment" in caplog.text
    assert res.notes == []  # (the English model would have had a note: its labels guess)
    caplog.clear()
    english = tmp_path / "en.csv"
    english.write_text("text\n" + "".join(f'"{t}"\n' for t in ENGLISH), encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="tweetlab"):
        assert tweetlab.analyze(english, by="all", progress=False).n_scored == len(ENGLISH)
    assert "multilingual" not in caplog.text


def test_a_pipe_into_predict_is_warned_about_once(english_model, monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(RUSSIAN * 3) + "\n"))
    assert main(["predict", str(english_model)]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("Cyrillic") == 1 and len(captured.out.splitlines()) == 9
