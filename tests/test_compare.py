"""compare: one split for every family, leaderboard files, resume, folds, CLI."""

from __future__ import annotations

import csv
import json

import pytest

import tweetlab
from tweetlab.cli import main
from tweetlab.comparison import compare
from tweetlab.errors import ConfigError

from .conftest import make_corpus

FAST = {"lstm": ["epochs=3", "hidden=16", "embed=16"], "cnn": ["epochs=3", "filters=8"],
        "fasttext": ["epochs=5"]}


def record_training(monkeypatch) -> list[str]:
    """The names of the models compare trains from now on (in order)."""
    import tweetlab.comparison as comparison

    trained: list[str] = []
    real = comparison._score

    def spy(name, *args, **kw):
        trained.append(name)
        return real(name, *args, **kw)

    monkeypatch.setattr(comparison, "_score", spy)
    return trained


@pytest.fixture
def data():
    texts, labels = make_corpus(160)
    return tweetlab.Dataset(texts=texts, labels=labels)


def test_every_family_is_scored_on_the_same_held_out_tweets(data, tmp_path):
    board = compare(data, ["tfidf", "cnn"], out=tmp_path / "c", overrides=FAST, progress=False)
    assert {r["family"] for r in board.rows} == {"tfidf", "cnn"}
    assert {r["n_test"] for r in board.rows} == {32}
    assert board.rows[0]["macro_f1"] >= board.rows[1]["macro_f1"]  # best first
    for r in board.rows:
        assert set(r["per_class_f1"]) == {"negative", "positive"}
        assert r["train_s"] > 0 and r["tweets_per_s"] > 0 and r["size_mb"] > 0
    cnn = next(r for r in board.rows if r["family"] == "cnn")
    losses = [h["valid_loss"] for h in cnn["history"]]
    assert cnn["best_epoch"] == 1 + losses.index(min(losses))  # drawn as "kept" on its curves


def test_leaderboard_files_and_kept_models(data, tmp_path):
    out = tmp_path / "c"
    compare(data, ["tfidf", "lstm"], out=out, overrides=FAST, progress=False)
    rows = list(csv.DictReader((out / "leaderboard.csv").open(encoding="utf-8")))
    assert [r["model"] for r in rows] and set(rows[0]) >= {"accuracy", "macro_f1",
                                                           "f1_negative", "ece", "size_mb"}
    assert all(0 <= float(r["ece"]) <= 1 for r in rows)  # how far confidence is from accuracy
    assert "family" not in rows[0]  # no variants: the model is the family
    assert "| model |" in (out / "leaderboard.md").read_text()
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") >= 4  # leaderboard, curves, 2 confusions
    assert page.count("Words it relies on (bits of evidence") == 2  # one list per model
    saved = json.loads((out / "models" / "tfidf" / "metrics.json").read_text())
    assert saved["relies_on"]["tweets"] == saved["data"]["n_valid"] > 0
    again = tweetlab.load_model(out / "models" / "lstm")
    assert again.predict(["love this"]) in (["positive"], ["negative"])


def test_resume_reuses_finished_models(data, tmp_path, monkeypatch):
    out = tmp_path / "c"
    compare(data, ["tfidf"], out=out, progress=False)
    with pytest.raises(ConfigError, match="resume"):
        compare(data, ["tfidf", "cnn"], out=out, overrides=FAST, progress=False)
    trained = record_training(monkeypatch)
    board = compare(data, ["tfidf", "cnn"], out=out, overrides=FAST, resume=True,
                    progress=False)
    assert trained == ["cnn"] and len(board.rows) == 2


def test_interrupt_keeps_what_finished(data, tmp_path, monkeypatch):
    import tweetlab.comparison as comparison

    real = comparison._score

    def stop_on_cnn(family, *args, **kw):
        if family == "cnn":
            raise KeyboardInterrupt
        return real(family, *args, **kw)

    monkeypatch.setattr(comparison, "_score", stop_on_cnn)
    with pytest.raises(KeyboardInterrupt):
        compare(data, ["tfidf", "cnn"], out=tmp_path / "c", overrides=FAST, progress=False)
    saved = json.loads((tmp_path / "c" / "rows" / "tfidf.json").read_text())
    assert saved["row"]["family"] == "tfidf"
    assert (tmp_path / "c" / "leaderboard.csv").exists()


def test_folds_report_mean_and_spread(data, tmp_path):
    board = compare(data, ["tfidf"], out=tmp_path / "c", folds=3, progress=False)
    row = board.rows[0]
    assert row["folds"] == 3 and "accuracy_std" in row and "ece_std" in row
    # The reports say what the numbers are: means over folds of all 160 tweets.
    md = (tmp_path / "c" / "leaderboard.md").read_text(encoding="utf-8")
    assert "3-fold cross-validation over 160 tweets" in md and "held out" not in md
    single = compare(data, ["tfidf"], out=tmp_path / "d", progress=False)
    assert single.describe().startswith("128 training tweets, 32 held out")


def test_a_given_test_file_and_grouped_folds(tmp_path):
    texts, labels = make_corpus(120)
    train = tweetlab.Dataset(texts=texts[:90], labels=labels[:90])
    test = tweetlab.Dataset(texts=texts[90:], labels=labels[90:])
    board = compare(train, ["tfidf"], test=test, out=tmp_path / "c", progress=False)
    assert board.rows[0]["n_test"] == 30 and board.split == "given"
    assert repr(board).startswith("Leaderboard(1 models, best tfidf macro-F1 ")
    # ids that repeat (the entity data's paraphrases): no id on both sides of any fold
    grouped = tweetlab.Dataset(texts=texts, labels=labels,
                               columns={"id": [i // 3 for i in range(120)]})
    from tweetlab.comparison import make_splits

    used, parts = make_splits(grouped, folds=4, test_size=0.2, split="auto", seed=0)
    assert used == "group" and len(parts) == 4
    for tr, te in parts:
        assert not set(tr.column("id")) & set(te.column("id"))
    with pytest.raises(ConfigError, match="folds = 1: need at least 2"):
        compare(train, ["tfidf"], folds=1, out=tmp_path / "d", progress=False)


def test_unknown_family_fails_before_training(data, tmp_path):
    with pytest.raises(ConfigError, match="unknown model family"):
        compare(data, ["tfidf", "nope"], out=tmp_path / "c", progress=False)


def test_cli_compare_prints_a_table(tmp_path, csv_file, capsys):
    code = main(["-q", "compare", str(csv_file), "--models", "tfidf,cnn", "--out",
                 str(tmp_path / "c"), "--set", "cnn:filters=8", "--epochs", "3"])
    out = capsys.readouterr().out
    assert code == 0 and "tfidf" in out and "cnn" in out and "macro_f1" in out
    assert (tmp_path / "c" / "report.html").exists()


def test_named_variants_of_one_family_get_their_own_settings(data, tmp_path, monkeypatch):
    out = tmp_path / "c"
    board = compare(data, ["tfidf", "strong=tfidf"], out=out, progress=False,
                    overrides={"strong": ["C=0.01", "class_weight=balanced"]})
    assert {r["model"] for r in board.rows} == {"tfidf", "strong"}
    assert {r["family"] for r in board.rows} == {"tfidf"}
    params = json.loads((out / "models" / "strong" / "config.json").read_text())["params"]
    assert params["C"] == 0.01 and params["class_weight"] == "balanced"
    assert json.loads((out / "models" / "tfidf" / "config.json").read_text())["params"]["C"] == 4.0
    rows = list(csv.DictReader((out / "leaderboard.csv").open(encoding="utf-8")))
    assert {(r["model"], r["family"]) for r in rows} == {("tfidf", "tfidf"), ("strong", "tfidf")}
    assert "strong" in (out / "report.html").read_text()
    # --resume reuses a variant only with the same settings.
    trained = record_training(monkeypatch)
    compare(data, ["tfidf", "strong=tfidf"], out=out, progress=False, resume=True,
            overrides={"strong": ["C=0.1", "class_weight=balanced"]})
    assert trained == ["strong"]


@pytest.mark.parametrize(("models", "message"), [
    (["tfidf", "tfidf"], "listed twice"),
    (["a b=tfidf"], "model name"),
    (["x=nope"], "unknown model family"),
])
def test_bad_model_lists_fail_before_training(data, tmp_path, models, message):
    with pytest.raises(ConfigError, match=message):
        compare(data, models, out=tmp_path / "c", progress=False)


def test_cli_variants_and_their_settings(tmp_path, csv_file, capsys):
    code = main(["-q", "compare", str(csv_file), "--models", "tfidf,weak=tfidf", "--out",
                 str(tmp_path / "c"), "--set", "weak:C=0.01"])
    out = capsys.readouterr().out
    assert code == 0 and "weak" in out and "family" in out
    assert json.loads((tmp_path / "c" / "models" / "weak" / "config.json").read_text()
                      )["params"]["C"] == 0.01
    code = main(["-q", "compare", str(csv_file), "--models", "tfidf", "--out",
                 str(tmp_path / "d"), "--set", "cnn:filters=8"])
    assert code != 0 and "'cnn' is not one of the models" in capsys.readouterr().err


def test_one_failing_model_does_not_stop_the_others(data, tmp_path, capsys):
    # A missing encoder folder fails the transformer; tfidf still runs and is reported.
    board = compare(data, ["tfidf", "transformer", "fasttext"], out=tmp_path / "c",
                    overrides={"transformer": ["encoder=/no/such/encoder"],
                               "fasttext": ["epochs=2"]}, progress=False)
    assert [r["model"] for r in board.rows] and \
        {r["model"] for r in board.rows} == {"tfidf", "fasttext"}
    assert list(board.failed) == ["transformer"] and "not found" in board.failed["transformer"]
    assert "Failed: transformer" in (tmp_path / "c" / "leaderboard.md").read_text()
    with pytest.raises(tweetlab.TweetlabError, match="every model failed"):
        compare(data, ["transformer"], out=tmp_path / "d",
                overrides={"transformer": ["encoder=/no/such/encoder"]}, progress=False)


def test_data_with_one_class_is_one_error_before_any_model_trains(tmp_path):
    from tweetlab.errors import DataError

    texts, _ = make_corpus(40)
    one = tweetlab.Dataset(texts, ["a"] * len(texts))
    for test in (None, one):
        with pytest.raises(DataError, match="at least two classes"):
            compare(one, ["tfidf", "fasttext"], test=test, out=tmp_path / "c", progress=False)



def test_an_unknown_setting_fails_before_any_model_trains(data, tmp_path):
    with pytest.raises(ConfigError, match="slow: dimm=3: unknown key 'dimm'"):
        compare(data, ["tfidf", "slow=fasttext"], overrides={"slow": ["dimm=3"]},
                out=tmp_path / "c", progress=False)
    assert not (tmp_path / "c").exists()


def test_an_unknown_generator_setting_fails_before_any_model_trains(tmp_path):
    from tweetlab.comparison import compare_generators

    with pytest.raises(ConfigError, match="char-lstm: hiden=8: unknown key 'hiden'"):
        compare_generators(["hola mundo"] * 40, ["char-lstm"], minutes=0.1,
                           overrides={"char-lstm": ["hiden=8"]}, out=tmp_path / "g",
                           progress=False)
    assert not (tmp_path / "g").exists()
