"""The n-gram counting that loads and scores tfidf models without scikit-learn gives
scikit-learn's counts exactly."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import CountVectorizer

from tweetlab.models.tfidf import (
    TfidfConfig,
    _char_vectorizer,
    _word_vectorizer,
    ngram_counts,
)

from .conftest import make_corpus

TEXTS = make_corpus(200, classes=3)[0] + ["", "  ", "a", "ab", "x  y\tz\nw", "не плохо 😡"]


def same(vec, texts) -> None:
    ours = ngram_counts(vec, texts)
    theirs = CountVectorizer.transform(vec, texts)
    theirs.sort_indices()
    assert (ours != theirs).nnz == 0 and ours.shape == theirs.shape
    assert np.array_equal(ours.indices, theirs.indices)


def fitted(make, cfg: TfidfConfig):
    vec = make(cfg)
    vec.fit(TEXTS)
    return vec


def test_char_counts_match_scikit_learn():
    for ngrams in ((2, 5), (1, 3), (3, 6)):
        same(fitted(_char_vectorizer, TfidfConfig(char_ngrams=ngrams, min_df=1)), TEXTS)


def test_word_counts_match_scikit_learn_with_and_without_negation():
    for negation in (False, True):
        for ngrams in ((1, 2), (1, 1), (2, 3)):
            vec = fitted(_word_vectorizer, TfidfConfig(word_ngrams=ngrams, min_df=1,
                                                       negation=negation))
            same(vec, TEXTS + ["not bad at all , love it", "i don't love it"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=30), min_size=1, max_size=5))
def test_counts_match_on_any_text(texts):
    char = fitted(_char_vectorizer, TfidfConfig(min_df=1))
    word = fitted(_word_vectorizer, TfidfConfig(min_df=1, negation=True))
    same(char, texts)
    same(word, texts)


def test_loading_and_scoring_a_tfidf_model_does_not_import_scikit_learn(tmp_path):
    import subprocess
    import sys

    import tweetlab

    texts, labels = make_corpus(120)
    tweetlab.create("tfidf", negation=True).fit(texts, labels).save(tmp_path / "m")
    code = ("import sys, tweetlab; m = tweetlab.load(sys.argv[1]); m.predict(['love it']); "
            "m.predict(['love it'] * 600); print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "m")], text=True,
                         capture_output=True, check=True)
    assert out.stdout.strip() == "False"
