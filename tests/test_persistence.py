import json

import pytest

from tweetlab.errors import ModelError
from tweetlab.models import create, load_model, save_model
from tweetlab.persistence import read_config

from .conftest import make_corpus


@pytest.fixture
def model():
    return create("tfidf").fit(*make_corpus(60))


def test_model_directory_has_the_documented_files(model, tmp_path):
    save_model(model, tmp_path / "m", metrics={"validation": None})
    names = {p.name for p in (tmp_path / "m").iterdir()}
    assert names == {"config.json", "model.safetensors", "vocab.json", "metrics.json", "README.md"}
    config = read_config(tmp_path / "m")
    assert config["family"] == "tfidf" and config["format_version"] == 1
    assert config["labels"] == ["negative", "positive"]
    assert config["params"]["cleaning"]["mentions"] == "<user>"
    assert "tweetlab_version" in config


def test_no_pickle_in_a_saved_model(model, tmp_path):
    save_model(model, tmp_path / "m")
    for path in (tmp_path / "m").iterdir():
        assert not path.read_bytes().startswith(b"\x80"), f"{path.name} looks like a pickle"


def test_interrupted_save_leaves_the_old_model(model, tmp_path, monkeypatch):
    save_model(model, tmp_path / "m")
    before = (tmp_path / "m" / "config.json").read_text()

    import tweetlab.persistence as persistence

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(persistence, "save_file", broken)
    with pytest.raises(OSError):
        save_model(model, tmp_path / "m", force=True)
    assert (tmp_path / "m" / "config.json").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # no temporary folder left


def test_loading_a_folder_without_config_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="not a tweetlab model folder"):
        load_model(tmp_path)


def test_loading_a_newer_format_asks_for_an_upgrade(model, tmp_path):
    save_model(model, tmp_path / "m")
    path = tmp_path / "m" / "config.json"
    config = json.loads(path.read_text())
    config["format_version"] = 99
    path.write_text(json.dumps(config))
    with pytest.raises(ModelError, match="upgrade tweetlab"):
        load_model(tmp_path / "m")


def test_damaged_weights_are_reported(model, tmp_path):
    save_model(model, tmp_path / "m")
    (tmp_path / "m" / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(ModelError, match="cannot read"):
        load_model(tmp_path / "m")


def test_model_card_names_labels_and_scores(tmp_path):
    from tweetlab import Dataset, train

    texts, labels = make_corpus(100)
    train(Dataset(texts=texts, labels=labels), "tfidf", out=tmp_path / "m")
    card = (tmp_path / "m" / "README.md").read_text()
    assert "`negative`, `positive`" in card
    assert "Held-out scores" in card and "macro-F1" in card


def test_saved_files_get_the_usual_permissions(model, tmp_path):
    # mkdtemp/mkstemp and safetensors make private files; a server running as another
    # user must still be able to read a model folder and its predictions.
    import os
    import stat

    from tweetlab.api import predict_file

    old = os.umask(0o022)
    try:
        save_model(model, tmp_path / "m")
        src = tmp_path / "in.csv"
        src.write_text("text\ngreat day\nawful day\n", encoding="utf-8")
        predict_file(model, src, tmp_path / "out.csv")
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(tmp_path / "m") == 0o755
    assert {p.name: mode(p) for p in (tmp_path / "m").iterdir()} == {
        p.name: 0o644 for p in (tmp_path / "m").iterdir()}
    assert mode(tmp_path / "out.csv") == 0o644


def test_a_model_trained_in_epochs_carries_its_training_curves(tmp_path):
    import tweetlab
    from tweetlab.data import Dataset

    texts, labels = make_corpus(80)
    ds = Dataset(texts=texts, labels=labels)
    tweetlab.train(ds, "fasttext", out=tmp_path / "ft", overrides=["epochs=3", "progress=false"])
    png = tmp_path / "ft" / "training.png"
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert "![training curves](training.png)" in (tmp_path / "ft" / "README.md").read_text()
    assert tweetlab.load(tmp_path / "ft").predict(["good"])  # an extra file loads fine
    tweetlab.train(ds, "tfidf", out=tmp_path / "tf")  # no epochs: no picture
    assert not (tmp_path / "tf" / "training.png").exists()


def _damage(folder, how: str) -> None:
    config = folder / "config.json"
    if how == "config not JSON":
        config.write_text("{half")
    elif how == "someone else's config":
        config.write_text(json.dumps({"format": "other"}))
    elif how == "weights missing":
        (folder / "model.safetensors").unlink()
    elif how == "vocabulary damaged":
        name = next(n for n in json.loads(config.read_text())["files"] if n.endswith(".json"))
        (folder / name).write_text("{half")
    elif how == "bad hyperparameter":
        data = json.loads(config.read_text())
        data["params"]["C"] = -1
        config.write_text(json.dumps(data))


@pytest.mark.parametrize("how, message", [
    ("config not JSON", r"config\.json: invalid JSON"),
    ("someone else's config", "not a tweetlab model config"),
    ("weights missing", "model.safetensors is missing"),
    ("vocabulary damaged", r"\.json: cannot read"),
    ("bad hyperparameter", r"config\.json: .*C"),
])
def test_a_damaged_model_folder_is_one_clear_error(model, tmp_path, capsys, how, message):
    from tweetlab.cli import main

    folder = save_model(model, tmp_path / "m")
    _damage(tmp_path / "m", how)
    with pytest.raises(ModelError, match=message):
        load_model(folder)
    assert main(["predict", str(folder), "a tweet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
