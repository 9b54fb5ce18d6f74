"""Recipes: named models built from data files, found by name afterwards."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import tweetlab
from tweetlab.cli import main
from tweetlab.errors import DataError, ModelError
from tweetlab.evaluation import held_out_scores
from tweetlab.recipes import RECIPES, Recipe, Source, recipe_parts

from .conftest import make_corpus


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """Tiny files under the names the recipes read."""
    folder = tmp_path / "data"
    folder.mkdir()
    texts, labels = make_corpus(200, classes=3)
    write_csv(folder / "semeval.csv", ["id", "text", "label"],
              [[str(i), t, lab] for i, (t, lab) in enumerate(zip(texts, labels, strict=True))])
    codes = {"negative": "0", "neutral": "1", "positive": "2"}
    t2, l2 = make_corpus(60, seed=4, classes=3)
    write_csv(folder / "tweeteval.csv", ["text", "label"],
              [[t, codes[lab]] for t, lab in zip(t2, l2, strict=True)])
    return folder


def tiny_recipe() -> Recipe:
    return Recipe("tiny", (Source("semeval", "semeval.csv", {"negative": "negative",
                                                              "neutral": "neutral",
                                                              "positive": "positive"}),
                           Source("tweeteval", "tweeteval.csv",
                                  {"0": "negative", "1": "neutral", "2": "positive"},
                                  test_only=True)),
                  "tfidf", ("negation=true",), about="test", minutes=1)


def test_recipe_parts_hold_out_each_source_and_keep_test_only_sources_whole(data):
    train, tests = recipe_parts(tiny_recipe(), data)
    assert len(tests["tweeteval"]) == 60
    assert len(tests["semeval"]) + len(train) == 200 and 18 <= len(tests["semeval"]) <= 22
    assert set(train.labels or []) == {"negative", "neutral", "positive"}


def test_a_missing_source_file_names_the_file_and_the_folder(tmp_path):
    with pytest.raises(DataError, match="semeval.csv not found"):
        recipe_parts(tiny_recipe(), tmp_path)


def test_a_missing_test_only_file_only_drops_its_scores(data):
    (data / "tweeteval.csv").unlink()
    _, tests = recipe_parts(tiny_recipe(), data)
    assert list(tests) == ["semeval"]


def test_build_trains_records_held_out_scores_and_is_found_by_name(data, tmp_path, monkeypatch,
                                                                   capsys):
    monkeypatch.setenv("TWEETLAB_HOME", str(tmp_path / "home"))
    monkeypatch.setitem(RECIPES, "tiny", tiny_recipe())
    assert main(["build", "tiny", "--data", str(data), "--quiet"]) == 0
    assert "use it by name: tweetlab predict --model tiny" in capsys.readouterr().out
    folder = tmp_path / "home" / "models" / "tiny"
    metrics = tweetlab.persistence.read_metrics(folder)
    assert set(metrics["held_out_test"]) == {"semeval", "tweeteval"}
    assert metrics["held_out_test"]["tweeteval"]["macro_recall"] > 0.8
    assert "macro recall" in (folder / "README.md").read_text()
    capsys.readouterr()
    assert main(["predict", "--model", "tiny", "love this awesome day"]) == 0
    assert capsys.readouterr().out.startswith("positive")
    assert tweetlab.load("tiny").family == "tfidf"


def test_build_elsewhere_says_to_use_the_folder(data, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TWEETLAB_HOME", str(tmp_path / "home"))
    monkeypatch.setitem(RECIPES, "tiny", tiny_recipe())
    out = tmp_path / "elsewhere"
    assert main(["build", "tiny", "--data", str(data), "--out", str(out), "--quiet"]) == 0
    assert f"use it by its folder: tweetlab predict --model {out}" in capsys.readouterr().out


def test_a_recipe_that_is_not_built_says_how_to_build_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TWEETLAB_HOME", str(tmp_path))
    with pytest.raises(ModelError, match="tweetlab build en-sentiment-accurate"):
        tweetlab.load("en-sentiment-accurate")


def test_load_takes_bundled_names_like_the_commands():
    assert tweetlab.load("en-sentiment").classes_ == ["negative", "neutral", "positive"]
    assert tweetlab.load().family == tweetlab.load("en-sentiment").family


def test_held_out_scores_score_a_two_label_part_among_its_own_labels():
    texts, labels = make_corpus(150, classes=3)
    model = tweetlab.create("tfidf").fit(texts, labels)
    two = [i for i, lab in enumerate(labels) if lab != "neutral"]
    ds = tweetlab.Dataset(texts=[texts[i] for i in two], labels=[labels[i] for i in two])
    scores = held_out_scores(model, {"s140": ds})["s140"]
    assert scores["among"] == ["negative", "positive"]
    assert scores["accuracy"] == pytest.approx(1.0)
    assert 0 <= scores["ece"] <= 1


def test_a_source_that_does_not_train_still_gives_its_held_out_part(data):
    from dataclasses import replace

    recipe = tiny_recipe()
    recipe = replace(recipe, sources=(replace(recipe.sources[0], train=False),
                                      recipe.sources[1],
                                      Source("more", "semeval.csv", recipe.sources[0].labels)))
    train, tests = recipe_parts(recipe, data)
    assert len(train) == 200 - len(tests["more"])  # only "more" trains
    assert len(tests["semeval"]) == len(tests["more"])


def test_training_leaves_out_tweets_that_match_a_test_tweet_once_normalised(data):
    # the test-only file's first tweet, in the training file with a link and other case
    tweeteval = (data / "tweeteval.csv").read_text(encoding="utf-8").splitlines()
    first = next(iter(__import__("csv").reader([tweeteval[1]])))[0]
    with (data / "semeval.csv").open("a", encoding="utf-8") as fh:
        fh.write(f'999,"{first.upper()} https://t.co/abc",neutral\n')
    train, tests = recipe_parts(tiny_recipe(), data)
    from tweetlab.data.splits import leak_key

    held = {leak_key(t) for t in tests["tweeteval"].texts}
    assert not any(leak_key(t) in held for t in train.texts)
