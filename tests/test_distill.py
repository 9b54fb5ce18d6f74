"""distill: a fast student learns a teacher's soft labels and saves as the student family."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import tweetlab
from tweetlab.config import TrainConfig
from tweetlab.errors import ConfigError, DataError
from tweetlab.models import create
from tweetlab.models.distill import augment_texts
from tweetlab.models.fasttext import FastTextClassifier

from .conftest import make_corpus


@pytest.fixture(scope="module")
def teacher(tmp_path_factory):
    texts, labels = make_corpus(300)
    return create("tfidf").fit(texts, labels).save(tmp_path_factory.mktemp("t") / "teacher")


def sgd_loop() -> TrainConfig:
    return TrainConfig(epochs=10, progress=False, batch_size=32, lr=5.0, optimizer="sgd",
                       schedule="linear")


def agreement(clf, teacher) -> float:
    """Share of probe tweets on which the student predicts what the teacher does."""
    probe, _ = make_corpus(80, seed=9)
    return float(np.mean([a == b for a, b in zip(clf.predict(probe),
                                                 tweetlab.load_model(teacher).predict(probe),
                                                 strict=True)]))


def test_student_agrees_with_the_teacher_and_saves_as_its_family(teacher, tmp_path):
    extra = tmp_path / "extra.csv"
    with extra.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text"])
        w.writerows([t] for t in make_corpus(300, seed=5)[0])
    texts, labels = make_corpus(60, seed=1)
    clf = create("distill", teacher=str(teacher), unlabelled=str(extra),
                 train_config=sgd_loop())
    clf.fit(texts, labels)
    assert agreement(clf, teacher) >= 0.9
    probe, _ = make_corpus(80, seed=9)
    clf.save(tmp_path / "student")
    loaded = tweetlab.load_model(tmp_path / "student")
    assert isinstance(loaded, FastTextClassifier)
    assert np.allclose(loaded.predict_proba(probe), clf.predict_proba(probe), atol=1e-5)
    metrics = json.loads((tmp_path / "student" / "metrics.json").read_text())
    assert metrics["distilled"]["unlabelled"] == 300


def test_train_api_distills_with_set_options(teacher, tmp_path):
    texts, labels = make_corpus(120, seed=2)
    ds = tweetlab.Dataset(texts=texts, labels=labels)
    model = tweetlab.train(ds, "distill", out=tmp_path / "m",
                           overrides=[f"teacher={teacher}", "student=bow-mlp", "epochs=40",
                                      "lr=0.001", "optimizer=adam", "batch_size=32"])
    assert tweetlab.load_model(tmp_path / "m").family == "bow-mlp"
    assert model.predict(["love this awesome day"]) == ["positive"]


def test_distill_without_a_teacher_is_a_clear_error():
    with pytest.raises(ConfigError, match="teacher"):
        create("distill").fit(["a", "b"], ["x", "y"])


def test_labels_outside_the_teacher_are_rejected(teacher):
    with pytest.raises(DataError, match="teacher's classes"):
        create("distill", teacher=str(teacher)).fit(["a", "b"], ["negative", "sarcasm"])


def test_augmented_copies_perturb_each_tweet_and_are_reproducible():
    texts = ["forest fire near the town tonight", "flood warning for the river valley", "ok"]
    out = augment_texts(texts, 5, seed=3)
    assert len(out) == 15
    assert out == augment_texts(texts, 5, seed=3)
    assert out != augment_texts(texts, 5, seed=4)
    words = {w for t in texts for w in t.split()}
    for i, text in enumerate(texts[:2]):
        copies = out[5 * i:5 * i + 5]
        assert all(c and c != text for c in copies)  # every copy differs from its tweet
        assert all(set(c.split()) <= words for c in copies)  # only words of the tweets
    assert all(len(c.split()) == 1 and c in words | {"ok"} for c in out[10:])  # never empty


def test_augment_adds_teacher_labelled_copies(teacher, tmp_path):
    texts, labels = make_corpus(60, seed=1)
    clf = create("distill", teacher=str(teacher), augment=3, train_config=sgd_loop())
    clf.fit(texts, labels)
    assert agreement(clf, teacher) >= 0.85
    clf.save(tmp_path / "student")
    info = json.loads((tmp_path / "student" / "metrics.json").read_text())["distilled"]
    assert info["augmented"] == 180 and info["unlabelled"] == 0


def test_a_tfidf_student_learns_the_teachers_soft_labels_and_saves_as_tfidf(teacher, tmp_path):
    from tweetlab.models.tfidf import TfidfClassifier

    texts, labels = make_corpus(60, seed=1)
    clf = create("distill", teacher=str(teacher), student="tfidf", augment=5)
    clf.fit(texts, labels)
    assert agreement(clf, teacher) >= 0.9
    clf.save(tmp_path / "student")
    assert isinstance(tweetlab.load_model(tmp_path / "student"), TfidfClassifier)


def test_one_hot_soft_labels_fit_the_same_tfidf_head_as_hard_labels():
    from tweetlab.models.tfidf import TfidfClassifier

    texts, labels = make_corpus(90, seed=3, classes=3)
    hard = TfidfClassifier().fit(texts, labels)
    y = np.array([hard.classes_.index(x) for x in labels])
    soft = TfidfClassifier()
    soft.classes_ = list(hard.classes_)
    soft._fit(soft.clean(texts), np.eye(3, dtype=np.float32)[y], None, None, False)
    assert np.allclose(soft.head_.coef_, hard.head_.coef_, atol=1e-4)
