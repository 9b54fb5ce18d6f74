"""Word-by-word explanations of a classifier's label (leave-one-word-out, in bits)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tweetlab
from tweetlab.errors import ConfigError, DataError
from tweetlab.explanation import explain, render
from tweetlab.models import create

from .conftest import make_corpus


@pytest.fixture(scope="module")
def tfidf():
    texts, labels = make_corpus(200)
    return create("tfidf").fit(texts, labels)


def log2_odds(p: float) -> float:
    return math.log2(p) - math.log2(1 - p)


@pytest.mark.parametrize("family", ["tfidf", "fasttext"])
def test_the_sentiment_word_decides_and_fillers_barely_count(family):
    texts, labels = make_corpus(200)
    model = tweetlab.create(family).fit(texts, labels) if family == "tfidf" else \
        tweetlab.train(tweetlab.Dataset(texts, labels), model=family, valid_size=0, epochs=10)
    pos, neg = explain(model, ["the movie was awesome today", "this movie is awful"])
    assert (pos.label, pos.target) == ("positive", "positive")
    assert pos.strongest(1)[0].word == "awesome"
    assert neg.label == "negative" and neg.strongest(1)[0].word == "awful"
    assert pos.strongest(1)[0].weight > 1  # it at least doubles the odds
    fillers = [w.weight for w in pos.words if w.word != "awesome"]
    assert max(abs(f) for f in fillers) < pos.strongest(1)[0].weight / 2


def test_a_weight_is_the_fall_of_the_log2_odds_without_the_word(tfidf):
    text = "the movie was awesome but boring"
    e = explain(tfidf, [text])[0]
    k = list(tfidf.classes_).index(e.target)
    whole = float(tfidf.predict_proba([text])[0, k])
    assert e.probabilities[e.target] == pytest.approx(whole, abs=1e-6)
    for w in e.words:
        assert text[w.start:w.end] == w.word
        without = float(tfidf.predict_proba([text[:w.start] + text[w.end:]])[0, k])
        assert w.weight == pytest.approx(log2_odds(whole) - log2_odds(without), abs=1e-5)
    # a word of the other class argues against the label
    against = {w.word: w.weight for w in e.words}
    assert against["boring" if e.label == "positive" else "awesome"] < 0


def test_a_chosen_target_turns_the_signs(tfidf):
    e = explain(tfidf, ["the movie was awesome"], target="negative")[0]
    assert e.label == "positive" and e.target == "negative"
    assert {w.word: w.weight for w in e.words}["awesome"] < -1


def test_a_neutral_band_label_explains_the_more_probable_class(tfidf):
    e = explain(tfidf, ["the movie was awesome"], neutral_band=(0.01, 0.999))[0]
    assert e.label == "neutral" and e.target == "positive"
    assert e.confidence == pytest.approx(1 - 2 * abs(e.probabilities["positive"] - 0.5), abs=1e-5)


def test_odds_of_a_sure_prediction_keep_their_precision():
    from tweetlab.explanation import log2_odds

    # float32 probabilities of a sure model: 1 - p would leave one significant digit
    p = np.array([[3e-8, 1 - 3e-8], [3.1e-8, 1 - 3.1e-8]], dtype=np.float32)
    odds = log2_odds(p)
    assert odds[0, 0] == pytest.approx(math.log2(3e-8), rel=1e-5)
    assert odds[0, 1] - odds[1, 1] == pytest.approx(math.log2(3.1e-8 / 3e-8), rel=1e-3)
    assert np.isfinite(log2_odds([[0.0, 1.0]])).all()


def test_many_texts_come_back_in_order_with_one_batch(tfidf):
    calls = []

    def score(inputs):
        calls.append(list(inputs))
        return tfidf.predict_proba(inputs)

    texts = ["awesome day", "the awful movie is boring", "love"]
    out = explain(tfidf, texts, score=score)
    assert [e.text for e in out] == texts
    assert len(calls) == 1 and len(calls[0]) == 3 + 6 + 2  # each text, then it without each word
    assert [e.label for e in out] == tfidf.predict(texts)


def test_an_entity_model_sees_the_entity_in_every_variant_and_never_loses_it(tfidf):
    seen = []

    def score(inputs):
        seen.extend(inputs)
        return tfidf.predict_proba(inputs)

    tfidf.entity_input = True
    try:
        e = explain(tfidf, ["awesome game"], entity="Borderlands", score=score)[0]
    finally:
        tfidf.entity_input = False
    assert all(s.startswith("[Borderlands] ") for s in seen)
    assert [w.word for w in e.words] == ["awesome", "game"]
    seen.clear()
    tfidf.entity_input = True
    try:
        explain(tfidf, ["awesome game", "awful"], entity=["Nvidia", None], score=score)
    finally:
        tfidf.entity_input = False
    assert seen == ["[Nvidia] awesome game", "[Nvidia]  game", "[Nvidia] awesome ", "awful", ""]
    with pytest.raises(ConfigError, match="1 entities for 2 texts"):
        explain(tfidf, ["a", "b"], entity=["x"])


def test_bad_requests_are_clear_errors(tfidf):
    with pytest.raises(DataError, match="text 1 is empty"):
        explain(tfidf, ["fine", "   "])
    with pytest.raises(ConfigError, match="not a class of this model"):
        explain(tfidf, ["fine"], target="joy")
    with pytest.raises(ConfigError, match="tweet classifiers"):
        explain(create("image-cnn"), ["fine"])


def test_render_lists_words_for_and_against_and_colours_only_for_a_terminal(tfidf):
    e = explain(tfidf, ["the movie was awesome but boring"])[0]
    plain = render(e)
    assert "\033[" not in plain
    top = max(e.words, key=lambda w: w.weight)
    assert plain.splitlines()[0].startswith("for, in bits: " + top.word)
    assert "against: " in plain
    coloured = render(e, colour=True)
    assert f"\033[1;32m{top.word}\033[0m" in coloured.splitlines()[0]
    assert np.isfinite([w.weight for w in e.words]).all()


def test_a_model_folder_or_bundled_name_works_too(tmp_path, tfidf):
    path = tfidf.save(tmp_path / "m")
    assert explain(path, ["awesome"])[0].label == "positive"
    assert explain(str(path), ["awesome"])[0].target == "positive"


def test_training_records_the_words_a_model_relies_on_in_metrics_card_and_info(tmp_path,
                                                                                capsys):
    import json

    from tweetlab.cli import main

    from .conftest import NEGATIVE, POSITIVE

    texts, labels = make_corpus(300)
    out = tmp_path / "m"
    tweetlab.train(tweetlab.Dataset(texts, labels), model="tfidf", out=out, valid_size=0.3)
    relied = json.loads((out / "metrics.json").read_text())["relies_on"]
    assert relied["tweets"] == 90
    top = {lab: [w for w, _, _ in words[:3]] for lab, words in relied["classes"].items()}
    assert set(top["positive"]) <= {w.lower() for w in POSITIVE}
    assert set(top["negative"]) <= {w.lower() for w in NEGATIVE}
    assert all(n >= 3 and bits > 0 for words in relied["classes"].values()
               for _, bits, n in words)
    for words in relied["classes"].values():  # listed in the order of the numbers shown
        assert [b for _, b, _ in words] == sorted((b for _, b, _ in words), reverse=True)
    card = (out / "README.md").read_text()
    assert "## Words it relies on" in card and f"| positive | {top['positive'][0]} +" in card
    assert main(["info", str(out)]) == 0
    assert "relies on (bits, over 90 held-out tweets):" in capsys.readouterr().out


def test_a_slow_family_is_asked_about_fewer_tweets_whatever_the_machine(tfidf, monkeypatch):
    from tweetlab.api import relied_on

    texts, labels = make_corpus(500, seed=3)
    ds = tweetlab.Dataset(texts, labels)
    assert relied_on(tfidf, ds)["tweets"] == 400  # the cap
    monkeypatch.setattr(tfidf, "family", "transformer")  # a pretrained encoder: ~100x slower
    assert relied_on(tfidf, ds)["tweets"] == 100


def test_words_are_grouped_by_their_key():
    from tweetlab.explanation import word_key, words_relied_on

    texts = ["Fire! now", "fire, now", "FIRE now", "http://t.co/a x", "https://t.co/b x",
             "http://t.co/c x"]
    model = create("tfidf").fit(texts * 4, ["d", "d", "d", "o", "o", "o"] * 4)
    found = words_relied_on(model, texts, k=5)
    assert {w for w, _, _ in found["d"]} <= {"fire", "now"}
    assert [(w, n) for w, _, n in found["o"] if w == "(link)"] == [("(link)", 3)]
    assert word_key("'Hello'") == "hello"


def test_evidence_for_a_class_out_of_play_is_not_counted():
    from tweetlab.explanation import words_relied_on

    class Stub:
        classes_ = ["a", "b"]
        task = "text-classification"

        def predict_proba(self, texts):
            def p_b(t):
                words = t.split()
                if "y" in words:
                    return 0.9  # "y" brings b into play: 0.9 with it, 0.5 without
                return 1e-9 if "x" in words else 1e-3 if "z" in words else 0.5

            return np.array([[1 - p_b(t), p_b(t)] for t in texts])

    # "x" moves b's odds a million-fold (1e-3 -> 1e-9) but b stays out of play (< 0.05)
    found = words_relied_on(Stub(), ["x z w"] * 3 + ["y w"] * 3, k=5)
    assert [w for w, _, _ in found["b"]] == ["y"]
    # 3 occurrences of log2(9) bits each, shrunk for a rare word: the sum over 3 + 2
    assert found["b"][0][1] == pytest.approx(3 * math.log2(9) / 5, abs=1e-3)
    assert found["b"][0][2] == 3


def test_explained_predictions_are_the_same_in_worker_processes(tfidf):
    from tweetlab.api import iter_predictions

    texts, labels = make_corpus(40, seed=5)
    ds = tweetlab.Dataset(texts, labels)
    header, pieces = iter_predictions(tfidf, ds, chunk_size=8, explain=True)
    one = [row for piece in pieces for row in piece]
    _, pieces = iter_predictions(tfidf, ds, chunk_size=8, explain=True, workers=2)
    assert [row for piece in pieces for row in piece] == one
    assert header[-1] == "words" and len(one) == 40
    assert all(row[-1] for row in one)  # every tweet has a word for its label


def test_evaluate_in_python_writes_what_the_cli_writes(tmp_path, tfidf):
    texts, labels = make_corpus(60, seed=7)
    labels[0] = "negative" if labels[0] == "positive" else "positive"  # one sure mistake
    report = tweetlab.evaluate(tfidf, tweetlab.Dataset(texts, labels), out=tmp_path / "ev",
                               explain_mistakes=1)
    assert {f.name for f in report.files} == {"metrics.json", "confusion_matrix.png",
                                              "reliability.png", "mistakes.csv"}
    assert report.calibration.ece >= 0 and report.bands.rows[0].band is None
    first = report.mistakes[0]
    assert first.index == 0 and first.words and first.target == first.label
    assert all(not m.words for m in report.mistakes[1:])  # only the first one explained
    plain = tweetlab.evaluate(tfidf, tweetlab.Dataset(texts, labels))
    assert not plain.files and not plain.mistakes[0].words  # no folder: nothing explained
    assert plain.accuracy == report.accuracy
