"""ONNX export: the exported network predicts what the PyTorch one does."""

from __future__ import annotations

import numpy as np
import pytest

from tweetlab.cli import main
from tweetlab.config import TrainConfig
from tweetlab.errors import ModelError
from tweetlab.export import TOLERANCE, export_model
from tweetlab.models import create, load_model

from .conftest import family_options, make_corpus

pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
pytest.importorskip("onnx", reason="onnx is not installed")
FAST = TrainConfig(epochs=2, progress=False, checkpoint_seconds=0)


@pytest.mark.parametrize("family", ["fasttext", "bow-mlp", "cnn", "transformer"])
def test_onnx_export_matches_pytorch(family, tmp_path, request):
    texts, labels = make_corpus(80)
    model = create(family, train_config=FAST, **family_options(family, request)).fit(texts, labels)
    model.save(tmp_path / "m")
    export_model(tmp_path / "m")
    onnx_model = load_model(tmp_path / "m")
    assert onnx_model.backend_.startswith("onnxruntime")
    torch_model = load_model(tmp_path / "m", backend="torch")
    probe = texts[:20] + ["", "zyxwv unseen words only", "love " * 60]
    diff = np.abs(onnx_model.predict_proba(probe) - torch_model.predict_proba(probe)).max()
    assert diff <= TOLERANCE


def test_mpnet_transformer_round_trips_and_exports(tmp_path):
    """An MPNet-style encoder (relative position bias, positions after padding) fine-tunes,
    reloads with the same probabilities, and exports to ONNX within the tolerance."""
    from .tiny_encoder import make_tiny_encoder

    texts, labels = make_corpus(80)
    encoder = make_tiny_encoder(tmp_path / "mpnet", kind="mpnet")
    model = create("transformer", train_config=FAST, encoder=str(encoder)).fit(texts, labels)
    assert model.encoder_config_.model_type == "mpnet"
    model.save(tmp_path / "m")
    probe = texts[:20] + ["", "love " * 60]
    again = load_model(tmp_path / "m", backend="torch")
    assert np.abs(again.predict_proba(probe) - model.predict_proba(probe)).max() < 2e-3  # float16
    export_model(tmp_path / "m")
    onnx_model = load_model(tmp_path / "m")
    assert np.abs(onnx_model.predict_proba(probe) - again.predict_proba(probe)).max() <= TOLERANCE


def test_int8_export_stays_close(tmp_path, request, monkeypatch, caplog):
    texts, labels = make_corpus(80)
    model = create("transformer", train_config=FAST,
                   **family_options("transformer", request)).fit(texts, labels)
    model.save(tmp_path / "m")
    monkeypatch.setattr("tweetlab.export.INT8_WARN", -1.0)  # any change at all warns
    with caplog.at_level("WARNING", logger="tweetlab"):
        export_model(tmp_path / "m", int8=True)
    assert "int8 moves this model's probabilities" in caplog.text
    q = load_model(tmp_path / "m")
    assert "int8" in q.backend_
    diff = np.abs(q.predict_proba(texts) - model.predict_proba(texts)).max()
    assert diff < 0.1


def test_lstm_export_is_refused_clearly(tmp_path):
    texts, labels = make_corpus(40)
    create("lstm", train_config=FAST, hidden=8, embed=8).fit(texts, labels).save(tmp_path / "m")
    with pytest.raises(ModelError, match="lstm"):
        export_model(tmp_path / "m")


def test_cli_export_then_predict(tmp_path, capsys):
    texts, labels = make_corpus(80)
    create("fasttext", train_config=FAST).fit(texts, labels).save(tmp_path / "m")
    assert main(["export", str(tmp_path / "m")]) == 0
    assert "model.onnx" in capsys.readouterr().out
    assert main(["predict", str(tmp_path / "m"), "love this awesome day"]) == 0
    capsys.readouterr()
    assert main(["info", str(tmp_path / "m")]) == 0  # reads the weights, not the session
    out = capsys.readouterr().out
    assert "onnx:     model.onnx" in out and "feature rows used" in out
    with pytest.raises(ModelError, match="backend='torch'"):
        load_model(tmp_path / "m").save(tmp_path / "copy")
    load_model(tmp_path / "m", backend="torch").save(tmp_path / "copy")


def test_fasttext_export_keeps_only_the_used_rows(tmp_path):
    texts, labels = make_corpus(80)
    model = create("fasttext", train_config=FAST).fit(texts, labels)
    model.save(tmp_path / "m")
    onnx_file = export_model(tmp_path / "m")
    full_table = model.module_.embedding.weight.numel() * 4
    used = int(np.any(model.module_.embedding.weight.detach().numpy() != 0, axis=1).sum())
    assert 0 < used < model.module_.embedding.weight.shape[0] // 10
    # the used rows, the id -> row map (4 bytes per id) and the output layer, not the table
    assert onnx_file.stat().st_size < full_table / 10
    exported = load_model(tmp_path / "m")
    probe = ["zyxwv qqq", "", *texts[:5]]
    assert np.abs(exported.predict_proba(probe) - model.predict_proba(probe)).max() <= TOLERANCE


def test_export_without_onnx_installed_says_what_to_install(tmp_path, monkeypatch):
    import importlib.util

    from tweetlab.errors import ConfigError

    model = create("fasttext", train_config=TrainConfig(epochs=1)).fit(*make_corpus(40))
    model.save(tmp_path / "m")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "onnx" else real(name, *a))
    with pytest.raises(ConfigError, match=r"needs onnx: pip install 'tweetlab\[onnx\]'"):
        export_model(tmp_path / "m")
    assert not (tmp_path / "m" / "model.onnx").exists()
