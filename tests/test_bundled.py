"""Bundled default models: present, small, documented, and used when no model is named."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tweetlab.bundled import BUNDLED, HERE, bundled_path, resolve
from tweetlab.cli import main
from tweetlab.errors import ModelError
from tweetlab.models import load_model
from tweetlab.serving import ServeSettings, create_app


def test_every_bundled_model_loads_and_has_a_card_with_test_scores():
    for name in BUNDLED:
        path = bundled_path(name)
        card = (path / "README.md").read_text()
        assert "Held-out test scores" in card
        assert "scripts/train_bundled.py" in card or f"tweetlab build {name}" in card
        metrics = json.loads((path / "metrics.json").read_text())
        assert metrics["held_out_test"] and metrics["trained"]
        assert load_model(path).predict(["a tweet"])


def test_bundled_weights_stay_under_25_mb():
    total = sum(f.stat().st_size for f in HERE.rglob("*") if f.is_file())
    assert total <= 25e6


def test_bundled_models_label_obvious_tweets():
    en = load_model(bundled_path("en-sentiment"))
    assert en.predict(["I absolutely love this, best day ever!",
                       "This is the worst service, I hate it"]) == ["positive", "negative"]
    es = load_model(bundled_path("es-sentiment"))
    assert es.predict(["Odio este gobierno corrupto, qué vergüenza"]) == ["negative"]
    dis = load_model(bundled_path("disaster"))
    assert dis.predict(["Forest fire near La Ronge Sask. Canada, evacuation ordered"]) == ["disaster"]


def test_predict_without_a_model_uses_english_sentiment(capsys):
    assert main(["predict", "I love this so much"]) == 0
    assert capsys.readouterr().out.startswith("positive")


def test_predict_picks_a_bundled_model_by_name(capsys):
    assert main(["predict", "--model", "disaster", "Earthquake destroys houses, many dead"]) == 0
    assert capsys.readouterr().out.startswith("disaster")
    assert main(["predict", "es-sentiment", "me encanta este día maravilloso"]) == 0
    assert capsys.readouterr().out.startswith("positive")


def test_a_word_before_tweets_that_names_no_model_is_an_error_with_the_closest_names(
        capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no folder named like the word
    assert main(["predict", "en-sentimnt", "I love this so much"]) == 2
    err = capsys.readouterr().err
    assert "no model folder or bundled model is named 'en-sentimnt'" in err
    assert "did you mean en-sentiment" in err
    assert main(["predict", "nosuchmodel", "hello"]) == 2
    assert "models: " in capsys.readouterr().err
    assert main(["predict", "lol"]) == 0  # a one-word tweet alone is a tweet
    assert "no model folder" not in capsys.readouterr().err


def test_unknown_bundled_name_is_a_clear_error():
    with pytest.raises(ModelError, match="bundled"):
        bundled_path("fr-sentiment")
    assert resolve(None) == bundled_path("en-sentiment")
    # A bare name that is neither a folder nor bundled: say which names exist.
    with pytest.raises(ModelError,
                       match="bundled: en-sentiment, es-sentiment, ru-sentiment, disaster, multi"):
        resolve("fr-sentiment")


def test_serve_with_no_models_serves_the_bundled_ones():
    with TestClient(create_app(None, ServeSettings())) as client:
        models = client.get("/v1/models").json()
        assert [m["name"] for m in models["models"]] == list(BUNDLED)
        assert models["models"][0]["metrics"]["accuracy"] > 0.5
        r = client.post("/v1/predict", json={"model": "disaster", "texts": ["flood warning"]})
        assert r.status_code == 200


def test_tfidf_and_multilingual_models_predict_without_importing_torch():
    # `tweetlab predict` with the default (tfidf) model took ~4 s, 1.3 s of it importing
    # torch for nothing; it must stay out of that path.
    import subprocess
    import sys

    code = ("import sys; from tweetlab.bundled import resolve; "
            "from tweetlab.models import load_model; "
            "print(load_model(resolve('en-sentiment')).predict(['what a lovely day'])[0], "
            "'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert out == ["positive", "False"]
    # Nor the multilingual encoder's (numpy): 3.9 -> 2.3 s for one tweet from the CLI.
    code = code.replace("en-sentiment", "multilingual-sentiment").replace(
        "what a lovely day", "Какой чудесный день")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert out == ["positive", "False"]


def test_evaluate_and_export_take_bundled_names_without_writing_into_the_package(
        tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "t.csv"
    data.write_text("text,label\nI love this wonderful day,positive\n"
                    "worst service ever so angry,negative\nthe meeting is at noon,neutral\n",
                    encoding="utf-8")
    before = sorted(p.name for p in (HERE / "en-sentiment").iterdir())
    assert main(["evaluate", "en-sentiment", str(data)]) == 0
    assert (tmp_path / "evaluations" / "en-sentiment-t" / "metrics.json").exists()
    assert sorted(p.name for p in (HERE / "en-sentiment").iterdir()) == before
    assert main(["export", "es-sentiment"]) == 2
    assert "bundled model" in capsys.readouterr().err


def test_the_multilingual_model_labels_languages_it_never_saw_labels_in():
    model = load_model(bundled_path("multilingual-sentiment"))
    assert model.predict([
        "Какой чудесный день, я так счастлив!",            # Russian: no Russian labels
        "Ужасное обслуживание, больше никогда не приду",
        "Поезд отправляется в 9 утра с Ленинградского вокзала",
        "Qué día tan bonito, me encanta",                   # Spanish (TASS labels)
        "I hate waiting two hours for a delayed flight",    # English
    ]) == ["positive", "negative", "neutral", "positive", "negative"]


def test_a_bundled_model_whose_package_is_missing_is_left_out_and_named(monkeypatch, capsys):
    import tweetlab.bundled as bundled

    monkeypatch.setitem(bundled.NEEDS, "multilingual-sentiment",
                        ("no_such_module_here", "tweetlab[multilingual]"))
    assert "multilingual-sentiment" not in bundled.available()
    assert "en-sentiment" in bundled.available()
    with pytest.raises(ModelError, match=r"pip install 'tweetlab\[multilingual\]'"):
        bundled_path("multilingual-sentiment")
    assert main(["predict", "multilingual-sentiment", "Отличный день"]) != 0
    assert "pip install 'tweetlab[multilingual]'" in capsys.readouterr().err


def test_predict_with_no_model_named_takes_the_multilingual_one_for_russian(monkeypatch,
                                                                           capsys):
    import tweetlab.bundled as bundled

    assert main(["predict", "Какой чудесный день, я так счастлив", "Ужасный сервис"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[1].startswith("negative")
    assert "labelled by the bundled multilingual-sentiment" in captured.err
    assert "guesses" not in captured.err
    # Without the encoder's package: the English model, and a warning that it guesses.
    monkeypatch.setitem(bundled.NEEDS, "multilingual-sentiment",
                        ("no_such_module_here", "tweetlab[multilingual]"))
    assert main(["predict", "Ужасный сервис"]) == 0
    assert "guesses" in capsys.readouterr().err


def test_a_request_naming_no_model_goes_to_the_multilingual_one_for_russian():
    with TestClient(create_app(None, ServeSettings())) as client:
        body = client.post("/v1/predict", json={"texts": ["Ужасный сервис, никогда больше"]}
                           ).json()
        assert body["model"] == "multilingual-sentiment" and body["warning"] is None
        assert body["predictions"][0]["label"] == "negative"
        english = client.post("/v1/predict", json={"texts": ["what a lovely day"]}).json()
        assert english["model"] == "en-sentiment"
        named = client.post("/v1/predict", json={"model": "en-sentiment",
                                                 "texts": ["Ужасный сервис"]}).json()
        assert named["model"] == "en-sentiment" and "Cyrillic" in named["warning"]
        why = client.post("/v1/explain", json={"texts": ["Ужасный сервис"]}).json()
        assert why["model"] == "multilingual-sentiment" and why["warning"] is None


def test_predict_input_with_no_model_named_reads_the_file_first(tmp_path, capsys):
    ru, en = tmp_path / "ru.csv", tmp_path / "en.csv"
    ru.write_text('text\n"Ужасный сервис, никогда больше"\n"Какой чудесный день"\n',
                  encoding="utf-8")
    en.write_text("text\nI love this so much\nworst day ever\n", encoding="utf-8")
    assert main(["predict", "--input", str(ru)]) == 0
    captured = capsys.readouterr()
    assert "labelled by the bundled multilingual-sentiment" in captured.err
    assert '"Ужасный сервис, никогда больше",negative,' in captured.out
    assert main(["predict", "--input", str(en)]) == 0
    captured = capsys.readouterr()
    assert "multilingual" not in captured.err and ",positive," in captured.out
    assert main(["predict", "--input", str(tmp_path / "missing.csv")]) != 0  # read proper
    assert "missing.csv" in capsys.readouterr().err
