"""One contract test per behaviour, run over every family in the registry."""

import numpy as np
import pytest
import torch

from tweetlab.config import TrainConfig
from tweetlab.errors import ConfigError, DataError, ModelError, NotFittedError
from tweetlab.models import FAMILIES, create, get_family, load_model

from .conftest import family_options, make_corpus

FAST = {"train_config": TrainConfig(epochs=4, progress=False, checkpoint_seconds=0)}


def fitted(family, n=120, classes=2, seed=0, **kw):
    texts, labels = make_corpus(n, seed=seed, classes=classes)
    return make(family, **FAST, **kw).fit(texts, labels), texts, labels


# distill needs a teacher model: tests/test_distill.py covers it.
TEXT_FAMILIES = [f for f in sorted(FAMILIES)
                 if get_family(f).task == "text-classification" and f != "distill"]


def test_registry_holds_text_and_image_families():
    assert {"tfidf", "bow-mlp", "fasttext"} <= set(TEXT_FAMILIES)
    assert get_family("image-cnn").task == "image-classification"


OPTIONS: dict[str, dict] = {}


@pytest.fixture(params=TEXT_FAMILIES)
def family(request):
    OPTIONS[request.param] = family_options(request.param, request)
    return request.param


def make(family, **kw):
    """``create`` with the settings a family needs in tests (tiny encoder for transformer)."""
    return create(family, **OPTIONS.get(family, {}), **kw)


def test_fit_returns_self(family, corpus):
    model = make(family, **FAST)
    assert model.fit(*corpus) is model


def test_probabilities_have_one_column_per_class_and_sum_to_one(family):
    model, texts, _ = fitted(family, classes=3)
    proba = model.predict_proba(texts[:10])
    assert proba.shape == (10, 3)
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert model.classes_ == ["negative", "neutral", "positive"]


def test_model_learns_the_toy_task(family):
    texts, labels = make_corpus(300)
    train = TrainConfig(epochs=10, progress=False, checkpoint_seconds=0)
    model = make(family, train_config=train).fit(texts, labels)
    texts, labels = make_corpus(60, seed=99)
    accuracy = np.mean([p == g for p, g in zip(model.predict(texts), labels, strict=True)])
    assert accuracy >= 0.9


def test_batch_equals_one_at_a_time(family):
    model, texts, _ = fitted(family)
    batch = model.predict_proba(texts[:12])
    single = np.vstack([model.predict_proba([t]) for t in texts[:12]])
    assert np.allclose(batch, single, atol=1e-5)


def test_list_in_list_out(family):
    model, texts, _ = fitted(family)
    assert model.predict([texts[0]]) == [model.predict(texts[:1])[0]]
    assert model.predict([]) == []
    assert model.predict_proba([]).shape == (0, 2)
    with pytest.raises(TypeError, match="not one string"):
        model.predict(texts[0])  # would otherwise be read as a list of characters
    with pytest.raises(TypeError, match=r"texts\[1\] is float"):
        model.predict([texts[0], float("nan")])


def test_save_then_load_predicts_the_same(family, tmp_path):
    model, texts, _ = fitted(family)
    model.save(tmp_path / "m")
    again = load_model(tmp_path / "m")
    assert again.classes_ == model.classes_
    assert np.allclose(again.predict_proba(texts), model.predict_proba(texts), atol=1e-6)


def test_same_seed_same_result(family):
    a, texts, _ = fitted(family)
    b, _, _ = fitted(family)
    assert np.allclose(a.predict_proba(texts), b.predict_proba(texts), atol=1e-6)


def test_unfitted_model_raises(family):
    with pytest.raises(NotFittedError):
        make(family).predict(["hello"])
    with pytest.raises(NotFittedError):
        make(family).save("/tmp/never-written")


def test_single_class_is_rejected(family):
    with pytest.raises(DataError, match="at least two classes"):
        make(family, **FAST).fit(["a", "b", "c"], ["x", "x", "x"])


def test_unseen_words_are_named(family):
    if family in {"transformer", "embed-lr"}:
        pytest.skip("a subword tokenizer represents every word; only [UNK] pieces are named")
    model, _, _ = fitted(family)
    assert "zyxwv" in model.unknown_words("love zyxwv")
    assert "love" not in model.unknown_words("love zyxwv")


def test_neutral_band_maps_middle_probabilities_to_neutral(family):
    model, texts, _ = fitted(family)
    p = model.predict_proba(texts)[:, 1]
    lo, hi = float(np.quantile(p, 0.3)), float(np.quantile(p, 0.7))
    labels = model.predict(texts, neutral_band=(lo, hi))
    for prob, lab in zip(p, labels, strict=True):
        expected = "negative" if prob < lo else "positive" if prob > hi else "neutral"
        assert lab == expected


def test_neutral_band_is_saved_with_the_model(family, tmp_path):
    texts, labels = make_corpus(80)
    model = make(family, neutral_band=(0.4, 0.6), **FAST).fit(texts, labels)
    model.save(tmp_path / "m")
    again = load_model(tmp_path / "m")
    assert again.neutral_band == (0.4, 0.6)
    assert again.output_labels == ["negative", "neutral", "positive"]


def test_neutral_band_needs_a_binary_model():
    model, texts, _ = fitted("tfidf", classes=3)
    with pytest.raises(ConfigError, match="binary"):
        model.predict(texts, neutral_band=(0.4, 0.6))


def test_invalid_band_is_rejected():
    with pytest.raises(ConfigError):
        create("tfidf", neutral_band=(0.7, 0.2))


def test_save_refuses_to_overwrite_without_force(tmp_path):
    model, texts, _ = fitted("tfidf")
    model.save(tmp_path / "m")
    with pytest.raises(ModelError, match="already exists"):
        model.save(tmp_path / "m")
    model.save(tmp_path / "m", force=True)
    assert load_model(tmp_path / "m").predict(texts[:3]) == model.predict(texts[:3])


def test_unknown_family_lists_known_ones():
    with pytest.raises(ConfigError, match="bow-mlp, cnn, distill, embed-lr, fasttext, image-cnn"):
        create("svm")


def test_unknown_config_key_is_rejected():
    with pytest.raises(ConfigError):
        create("fasttext", dimension=10)


def test_fasttext_picks_more_epochs_for_small_data():
    texts, labels = make_corpus(100)
    model = create("fasttext", train_config=TrainConfig(epochs=None, progress=False)).fit(texts, labels)
    assert model.train_config.epochs == 25 and len(model.history_) == 25


@pytest.mark.parametrize("word_ngrams", [1, 2, 3])
def test_fasttext_array_encoding_equals_per_text_features(word_ngrams):
    texts, labels = make_corpus(200)
    texts += ["", "one", "a b", "x y z w"]
    labels += ["positive", "negative", "positive", "negative"]
    clf = create("fasttext", word_ngrams=word_ngrams,
                 train_config=TrainConfig(epochs=1, progress=False))
    clf.fit(texts, labels)
    cleaned = clf.clean(texts)
    encoded = clf._encode(cleaned)
    for i, text in enumerate(cleaned):
        row = encoded.flat[encoded.offsets[i]:encoded.offsets[i + 1]]
        assert sorted(row.tolist()) == sorted(clf._features(text))


@pytest.mark.parametrize("word_ngrams", [1, 2, 3])
def test_fasttext_projected_scoring_equals_the_module(word_ngrams, monkeypatch):
    from tweetlab.models import fasttext as ft
    from tweetlab.models.torch_base import TorchTextClassifier

    texts, labels = make_corpus(200, classes=3)
    clf = create("fasttext", word_ngrams=word_ngrams,
                 train_config=TrainConfig(epochs=2, progress=False)).fit(texts, labels)
    probe = clf.clean(texts[:50] + ["", "!!!", "zzqx unseen qqwy", "good " * 40])

    def module_path():
        return TorchTextClassifier._predict_proba(clf, probe)

    assert np.allclose(clf._predict_proba(probe), module_path(), atol=1e-5)
    # The cache follows the weights: change them in place, scores follow.
    with torch.no_grad():
        clf.module_.embedding.weight.mul_(3.0)
        clf.module_.out.bias.add_(0.5)
    assert np.allclose(clf._predict_proba(probe), module_path(), atol=1e-5)
    # A full cache starts again from empty; chunks in a different order give the same rows.
    monkeypatch.setattr(ft, "_CACHE_LIMIT", 5)
    again = np.concatenate([clf._predict_proba(probe[i:i + 7]) for i in range(0, len(probe), 7)])
    assert np.allclose(again, module_path(), atol=1e-5)


def test_bow_mlp_picks_more_epochs_for_small_data():
    clf = create("bow-mlp")
    assert clf._auto_epochs(3_000) > clf._auto_epochs(200_000) >= 10


@pytest.mark.parametrize("classes", [2, 3])
def test_tfidf_fast_scoring_equals_scikit_learn(classes):
    from tweetlab.models.tfidf import _tfidf

    texts, labels = make_corpus(150, classes=classes)
    model = create("tfidf").fit(texts, labels)
    probe = model.clean(texts[:20] + ["", "zzqx unseen words only", "!!!"])
    for vec in (model.ngrams_.word_vec_, model.ngrams_.char_vec_):
        assert np.allclose(_tfidf(vec, probe).toarray(), vec.transform(probe).toarray(), atol=1e-6)
    want = model.head_.predict_proba(model.ngrams_.transform(probe))
    assert np.allclose(model._predict_proba(probe), want, atol=1e-6)


@pytest.mark.parametrize("block_rows", [1 << 15, 7])
def test_tfidf_counts_once_when_fitting_and_matches_scikit_learn(block_rows, monkeypatch):
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer

    from tweetlab.models import tfidf
    from tweetlab.models.tfidf import NgramTfidf, TfidfConfig, _char_vectorizer, _word_vectorizer

    monkeypatch.setattr(tfidf, "_WEIGHT_ROWS", block_rows)  # 7: weighted in many blocks
    texts, _ = make_corpus(120, classes=3)
    texts[5] = ""  # a row without features inside a block
    cfg = TfidfConfig()
    feats = NgramTfidf(cfg)
    fitted_features = feats.fit_transform(texts)
    assert abs(fitted_features - feats.transform(texts)).max() == 0.0
    references = []
    for ours, make in ((feats.word_vec_, _word_vectorizer), (feats.char_vec_, _char_vectorizer)):
        reference: TfidfVectorizer = make(cfg).fit(texts)  # scikit-learn's own fit
        assert ours.vocabulary_ == reference.vocabulary_
        assert np.allclose(ours.idf_, reference.idf_, rtol=1e-6)
        assert np.allclose(ours.transform(texts).toarray(), reference.transform(texts).toarray(),
                           atol=1e-6)
        references.append(reference.transform(texts))
    want = sp.hstack(references).toarray()
    assert np.allclose(fitted_features.toarray(), want, atol=1e-6)


def test_tfidf_solvers_agree_and_a_bad_one_is_a_clear_error():
    texts, labels = make_corpus(150, classes=3)
    newton = create("tfidf").fit(texts, labels)
    lbfgs = create("tfidf", solver="lbfgs").fit(texts, labels)
    # both stop at scikit-learn's tolerance (1e-4), a little apart
    assert np.allclose(newton.predict_proba(texts), lbfgs.predict_proba(texts), atol=1e-2)
    assert newton.predict(texts) == lbfgs.predict(texts)
    with pytest.raises(ConfigError, match="solver"):
        create("tfidf", solver="adam")


@pytest.mark.parametrize("char_ngrams", [(2, 5), (1, 3), (4, 6)])
def test_compiled_char_ngram_counts_equal_scikit_learn(char_ngrams):
    pytest.importorskip("numba")
    from sklearn.feature_extraction.text import CountVectorizer

    from tweetlab.models.tfidf import NgramTfidf, TfidfConfig, char_wb_counts

    texts, _ = make_corpus(80, classes=3)
    odd = ["", "   ", "a", "I", "fire  fire\tfire\n", "the\u00a0\u00a0storm\u2003hit",
           "ñandú über straße 🔥", "ab abc abcd abcde abcdef abcdefg", "x" * 40]
    feats = NgramTfidf(TfidfConfig(min_df=1, char_ngrams=char_ngrams))
    feats.fit(texts + odd)
    probe = odd + texts[:30] + ["unseen zzqx words", "🔥🔥 ñ"]
    ours = char_wb_counts(feats.char_vec_, probe)
    want = CountVectorizer.transform(feats.char_vec_, probe)
    assert ours is not None and ours.shape == want.shape and ours.nnz == want.nnz
    assert abs(ours - want).max() == 0


def test_tfidf_predicts_the_same_for_one_tweet_and_in_a_large_batch(monkeypatch, tmp_path):
    from tweetlab.models import tfidf

    monkeypatch.setattr(tfidf, "COMPILED_MIN_TEXTS", 100)
    texts, labels = make_corpus(150, classes=3)
    model = create("tfidf").fit(texts, labels)  # compiled vocabulary and counts
    batch = model.predict_proba(texts)  # >= 100 texts: compiled char n-gram counting
    singles = np.vstack([model.predict_proba([t]) for t in texts[:10]])
    assert np.allclose(batch[:10], singles, atol=1e-6)
    model.save(tmp_path / "m")  # a loaded model (vocabulary from vocab.json) counts the same
    assert np.allclose(load_model(tmp_path / "m").predict_proba(texts), batch, atol=1e-6)


@pytest.mark.parametrize("max_features", [None, 40, 300])
def test_compiled_char_ngram_vocabulary_equals_scikit_learn(max_features):
    pytest.importorskip("numba")
    from tweetlab.models.tfidf import TfidfConfig, _char_vectorizer, fit_char_wb

    texts, _ = make_corpus(200, classes=3)  # many n-grams share a count: ties at the cut
    texts += ["", "a", "fire  fire\tfire\n", "the\u00a0\u00a0storm\u2003hit", "ñandú 🔥"] * 2
    cfg = TfidfConfig(max_char_features=max_features)
    reference = _char_vectorizer(cfg).fit(texts)
    ours = _char_vectorizer(cfg)
    assert fit_char_wb(ours, texts)
    assert ours.vocabulary_ == reference.vocabulary_


def test_compiled_char_ngram_vocabulary_grows_past_its_first_table():
    pytest.importorskip("numba")
    import random

    from tweetlab.models.tfidf import TfidfConfig, _char_vectorizer, fit_char_wb

    rng = random.Random(0)  # ~100k distinct n-grams: the counter's table doubles twice
    words = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyzñé", k=rng.randint(3, 12)))
             for _ in range(6000)]
    texts = [" ".join(words[i:i + 6]) for i in range(0, len(words), 3)]
    cfg = TfidfConfig(min_df=1, max_char_features=None)
    reference = _char_vectorizer(cfg).fit(texts)
    ours = _char_vectorizer(cfg)
    assert fit_char_wb(ours, texts)
    assert len(reference.vocabulary_) > 70_000
    assert ours.vocabulary_ == reference.vocabulary_


@pytest.mark.parametrize("family", ["fasttext", "bow-mlp"])
def test_bag_batches_gathered_in_blocks_train_the_same_model(family, monkeypatch):
    from tweetlab.models.torch_base import TorchTextClassifier

    texts, labels = make_corpus(120)
    cfg = TrainConfig(epochs=2, batch_size=16, progress=False, checkpoint_seconds=0)
    whole = create(family, train_config=cfg).fit(texts, labels)
    monkeypatch.setattr(TorchTextClassifier, "GATHER_ROWS", 40)  # blocks of 32 rows
    blocks = create(family, train_config=cfg).fit(texts, labels)
    for (name, a), (_, b) in zip(whole.module_.state_dict().items(),
                                 blocks.module_.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    assert np.array_equal(whole.predict_proba(texts), blocks.predict_proba(texts))


@pytest.mark.parametrize("block_rows", [1 << 15, 3])
def test_hstack_rows_equals_scipy_hstack(block_rows, monkeypatch):
    import scipy.sparse as sp

    from tweetlab.models import tfidf

    monkeypatch.setattr(tfidf, "_STACK_ROWS", block_rows)
    rng = np.random.default_rng(0)
    mats = [sp.random(11, k, density=0.3, format="csr", dtype=np.float32, random_state=rng)
            for k in (4, 9, 1)]
    dense = mats[1].toarray()
    dense[5] = 0  # an empty row in the middle
    mats[1] = sp.csr_matrix(dense)
    want = sp.hstack(mats, format="csr")
    got = tfidf.hstack_rows([m.copy() for m in mats])
    assert got.shape == want.shape and got.has_sorted_indices
    assert np.array_equal(got.toarray(), want.toarray())
    assert np.array_equal(got.indptr, want.indptr)


@pytest.mark.parametrize("family", ["tfidf", "fasttext", "bow-mlp"])
def test_large_inputs_are_scored_in_chunks_with_the_same_result(family, monkeypatch):
    from tweetlab.models.base import TextClassifier

    texts, labels = make_corpus(90)
    model = create(family, train_config=TrainConfig(epochs=2, progress=False)).fit(texts, labels)
    whole = model.predict_proba(texts)
    calls = []
    inner = type(model)._predict_proba

    def counting(self, batch, *args, **kwargs):
        calls.append(len(batch))
        return inner(self, batch, *args, **kwargs)

    monkeypatch.setattr(TextClassifier, "PREDICT_CHUNK", 40)
    monkeypatch.setattr(type(model), "_predict_proba", counting)
    chunked = model.predict_proba(texts)
    assert calls == [40, 40, 10]
    assert np.allclose(whole, chunked, atol=1e-6)


def test_tfidf_on_a_large_file_warns_about_time_and_memory(monkeypatch, caplog):
    import tweetlab
    from tweetlab.models.tfidf import TfidfClassifier

    texts, labels = make_corpus(60)
    ds = tweetlab.Dataset(texts=texts, labels=labels)
    with caplog.at_level("WARNING", logger="tweetlab"):
        tweetlab.train(ds, model="tfidf", valid_size=0)
    assert "solver may run" not in caplog.text
    monkeypatch.setattr(TfidfClassifier, "LARGE", 50)
    with caplog.at_level("WARNING", logger="tweetlab"):
        tweetlab.train(ds, model="tfidf", valid_size=0)
    assert "tfidf on 60 tweets" in caplog.text and "--model fasttext" in caplog.text


def test_fit_on_many_tweets_says_what_it_does_before_training(monkeypatch, caplog):
    import tweetlab
    import tweetlab.models.base as base

    texts, labels = make_corpus(60)
    ds = tweetlab.Dataset(texts=texts, labels=labels)
    monkeypatch.setattr(base, "LARGE_INPUT", 50)
    with caplog.at_level("INFO", logger="tweetlab"):
        tweetlab.train(ds, model="fasttext", valid_size=0, overrides=["epochs=1"])
        tweetlab.train(ds, model="tfidf", valid_size=0)
    assert "cleaning 60 tweets..." in caplog.text
    assert "vocabulary and features of 60 tweets..." in caplog.text
    assert "TF-IDF features of 60 tweets..." in caplog.text
    caplog.clear()
    monkeypatch.setattr(base, "LARGE_INPUT", 200_000)
    with caplog.at_level("INFO", logger="tweetlab"):
        tweetlab.train(ds, model="fasttext", valid_size=0, overrides=["epochs=1"])
    assert "cleaning" not in caplog.text
