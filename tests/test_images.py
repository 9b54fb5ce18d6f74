"""The image family: pixel-CSV reading, its errors, training, saving, the CLI's Kaggle output."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pytest

import tweetlab
from tweetlab.cli import main
from tweetlab.config import TrainConfig
from tweetlab.data import is_pixel_file, load_images
from tweetlab.errors import DataError
from tweetlab.models.image_cnn import ImageCNNClassifier, ImageCNNConfig, random_affine

SIDE = 8


def make_images(n: int = 120, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """8x8 images: class 'h' has a bright horizontal bar, 'v' a vertical one, 'd' a diagonal."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 40, size=(n, SIDE, SIDE)).astype(np.uint8)
    labels = []
    for i in range(n):
        kind = "hvd"[i % 3]
        pos = int(rng.integers(2, SIDE - 2))
        if kind == "h":
            x[i, pos, 1:-1] = 250
        elif kind == "v":
            x[i, 1:-1, pos] = 250
        else:
            np.fill_diagonal(x[i], 250)
        labels.append(kind)
    return x.reshape(n, -1), labels


def write_pixel_csv(path: Path, pixels: np.ndarray, labels: list[str] | None,
                    gz: bool = False) -> Path:
    opener = gzip.open if gz else open
    with opener(path, "wt", newline="") as fh:  # type: ignore[operator]
        w = csv.writer(fh)
        w.writerow([*(["label"] if labels is not None else []),
                    *(f"pixel{i}" for i in range(pixels.shape[1]))])
        for i, row in enumerate(pixels):
            w.writerow([*([labels[i]] if labels is not None else []), *row.tolist()])
    return path


def small_model(**kw: object) -> ImageCNNClassifier:
    params = {"height": SIDE, "width": SIDE, "blocks": (8,), "hidden": 16, "augment": False,
              **kw}
    return ImageCNNClassifier(train_config=TrainConfig(epochs=12, lr=0.01, progress=False,
                                                       batch_size=32, checkpoint_seconds=0),
                              **params)


def test_load_images_reads_labels_shape_and_gzip(tmp_path: Path) -> None:
    x, y = make_images(12)
    ds = load_images(write_pixel_csv(tmp_path / "d.csv.gz", x, y, gz=True))
    assert ds.shape == (SIDE, SIDE, 1)
    assert ds.labels == y
    assert np.array_equal(ds.pixels, x)
    assert ds.ids == list(range(1, 13))


def test_load_images_without_label_column_is_a_test_file(tmp_path: Path) -> None:
    x, _ = make_images(5)
    ds = load_images(write_pixel_csv(tmp_path / "test.csv", x, None))
    assert ds.labels is None and len(ds) == 5
    with pytest.raises(DataError, match="no label column"):
        load_images(tmp_path / "test.csv", require_labels=True)


@pytest.mark.parametrize(("cell", "message"), [
    ("abc", "'abc' is not a number"),
    ("256", "outside 0-255"),
    ("-1", "outside 0-255"),
    ("", "missing value"),
])
def test_bad_pixel_values_name_line_and_column(tmp_path: Path, cell: str, message: str) -> None:
    x, y = make_images(4)
    path = write_pixel_csv(tmp_path / "d.csv", x, y)
    lines = path.read_text().splitlines()
    parts = lines[3].split(",")
    parts[5] = cell  # pixel4 of the third image (file line 4)
    lines[3] = ",".join(parts)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=message) as err:
        load_images(path)
    assert "line 4" in str(err.value) and "pixel4" in str(err.value)


def test_wrong_column_count_names_the_line(tmp_path: Path) -> None:
    x, y = make_images(4)
    path = write_pixel_csv(tmp_path / "d.csv", x, y)
    lines = path.read_text().splitlines()
    lines[2] += ",7"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="line 3"):
        load_images(path)


def test_non_square_images_need_a_shape(tmp_path: Path) -> None:
    x = np.zeros((3, 10), dtype=np.uint8)
    path = write_pixel_csv(tmp_path / "r.csv", x, ["a", "b", "a"])
    with pytest.raises(DataError, match="shape"):
        load_images(path)
    assert load_images(path, shape="2x5").shape == (2, 5, 1)


def test_shapes_labels_and_colour_are_read_or_refused_clearly(tmp_path: Path) -> None:
    from tweetlab.data.images import parse_shape

    assert parse_shape("28x28") == (28, 28, 1) and parse_shape("32, 32, 3") == (32, 32, 3)
    assert parse_shape([4, 5]) == (4, 5, 1) and parse_shape(None) is None
    for bad in ("axb", "0x5", "1x2x3x4"):
        with pytest.raises(DataError, match="image shape"):
            parse_shape(bad)
    rgb = write_pixel_csv(tmp_path / "rgb.csv", np.zeros((2, 4 * 4 * 3), dtype=np.uint8),
                          ["a", "b"])
    assert load_images(rgb).shape == (4, 4, 3)  # 48 columns: a 4x4 colour image
    with pytest.raises(DataError, match="shape .* needs 16 pixel columns, the file has 48"):
        load_images(rgb, shape="4x4")
    x, y = make_images(3)
    path = write_pixel_csv(tmp_path / "d.csv", x, y)
    with pytest.raises(DataError, match="no column 'digit' for the label"):
        load_images(path, label="digit")
    unlabelled = write_pixel_csv(tmp_path / "u.csv", x, None)
    with pytest.raises(DataError, match="no label column"):
        load_images(unlabelled, require_labels=True)
    lines = path.read_text().splitlines()
    lines[2] = "," + lines[2].split(",", 1)[1]  # the second image without its label
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="missing label") as err:
        load_images(path)
    assert err.value.line == 3 and err.value.field == "label"
    empty = tmp_path / "e.csv"
    empty.write_text("\n")
    with pytest.raises(DataError, match="empty"):
        load_images(empty)
    header_only = tmp_path / "h.csv"
    header_only.write_text("label,pixel0,pixel1,pixel2,pixel3\n")
    with pytest.raises(DataError, match="no images"):
        load_images(header_only)


def test_is_pixel_file_tells_images_from_tweets(tmp_path: Path, csv_file: Path) -> None:
    x, y = make_images(3)
    assert is_pixel_file(write_pixel_csv(tmp_path / "d.csv.gz", x, y, gz=True))
    assert not is_pixel_file(csv_file)


def test_image_cnn_learns_bars_and_round_trips(tmp_path: Path) -> None:
    x, y = make_images(150)
    clf = small_model().fit(x[:120], y[:120])
    proba = clf.predict_proba(x[120:])
    assert proba.shape == (30, 3)
    assert np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    assert np.mean(np.array(clf.predict(x[120:])) == np.array(y[120:])) >= 0.9
    loaded = tweetlab.load_model(clf.save(tmp_path / "m"))
    assert np.allclose(loaded.predict_proba(x[120:]), proba, atol=1e-6)
    assert loaded.predict(x[120:]) == clf.predict(x[120:])


def test_image_cnn_same_seed_same_weights() -> None:
    x, y = make_images(60)
    a = small_model(augment=True).fit(x, y).predict_proba(x)
    b = small_model(augment=True).fit(x, y).predict_proba(x)
    assert np.array_equal(a, b)


def test_batch_prediction_equals_one_at_a_time() -> None:
    x, y = make_images(60)
    clf = small_model(tta=True).fit(x, y)
    batch = clf.predict_proba(x[:7])
    single = np.concatenate([clf.predict_proba(x[i:i + 1]) for i in range(7)])
    assert np.allclose(batch, single, atol=1e-5)


def test_wrong_input_width_is_a_clear_error() -> None:
    x, y = make_images(30)
    clf = small_model().fit(x, y)
    with pytest.raises(DataError, match="rows of 64 pixel values"):
        clf.predict_proba(np.zeros((2, 10)))


def test_augmentation_keeps_shape_and_background() -> None:
    cfg = ImageCNNConfig(height=SIDE, width=SIDE, rotate=15, shift=0.1, zoom=0.1)
    x = torch_images()
    out = random_affine(x, cfg, __import__("torch").Generator().manual_seed(0))
    assert out.shape == x.shape
    assert float(out.min()) >= float(x.min()) - 1e-5  # padding is background, not 0
    assert not np.allclose(out.numpy(), x.numpy())


def torch_images():  # type: ignore[no-untyped-def]
    import torch

    x, _ = make_images(6)
    return (torch.from_numpy(x.astype(np.float32)).view(6, 1, SIDE, SIDE) / 255 - 0.13) / 0.3


def test_cli_train_evaluate_predict_writes_kaggle_submission(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    x, y = make_images(150)
    train_csv = write_pixel_csv(tmp_path / "train.csv", x[:120], y[:120])
    test_csv = write_pixel_csv(tmp_path / "test.csv", x[120:], None)
    labelled = write_pixel_csv(tmp_path / "labelled.csv", x[120:], y[120:])
    model = tmp_path / "digits"
    # No --model: a pixel CSV picks image-cnn by itself.
    assert main(["-q", "train", str(train_csv), "--out", str(model), "--epochs", "12",
                 "--set", "blocks=8", "--set", "hidden=16", "--set", "augment=false",
                 "--set", "lr=0.01", "--set", "batch_size=32"]) == 0
    assert tweetlab.load_model(model).family == "image-cnn"
    capsys.readouterr()
    assert main(["-q", "evaluate", str(model), str(labelled), "--out", str(tmp_path / "ev")]) == 0
    report = capsys.readouterr().out
    assert "images: 30" in report and "images/s" in report and "tweets" not in report
    assert (tmp_path / "ev" / "worst_mistakes.png").exists()
    assert (tmp_path / "ev" / "confusion_matrix.png").exists()
    sub = tmp_path / "submission.csv"
    assert main(["predict", str(model), "--input", str(test_csv), "--output", str(sub)]) == 0
    rows = list(csv.reader(sub.open()))
    assert rows[0] == ["ImageId", "Label"]
    assert [r[0] for r in rows[1:]] == [str(i) for i in range(1, 31)]
    assert {r[1] for r in rows[1:]} <= {"h", "v", "d"}
    capsys.readouterr()
    # Overwriting needs --force; text input to an image model is a clear error.
    assert main(["predict", str(model), "--input", str(test_csv), "--output", str(sub)]) == 2
    assert main(["predict", str(model), "some text"]) == 2
    assert "pixel CSV" in capsys.readouterr().err


def test_cli_reports_bad_pixel_file_without_traceback(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    x, y = make_images(6)
    path = write_pixel_csv(tmp_path / "bad.csv", x, y)
    path.write_text(path.read_text().replace("\n3,", "\n3,", 1).replace(",250,", ",999,", 1))
    assert main(["train", str(path), "--model", "image-cnn", "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "outside 0-255" in err and "Traceback" not in err


def test_image_models_are_calibrated_too_and_keep_their_labels(tmp_path: Path) -> None:
    x, y = make_images(600, seed=3)
    path = write_pixel_csv(tmp_path / "d.csv", x, y)
    common = dict(model="image-cnn", valid_size=0.2,
                  overrides=["blocks=[8]", "hidden=16", "augment=false", "epochs=3",
                             "progress=false", "checkpoint_seconds=0"])
    model = tweetlab.train(path, out=tmp_path / "m", **common)  # type: ignore[arg-type]
    raw = tweetlab.train(path, **{**common, "overrides": [*common["overrides"],  # type: ignore[arg-type]
                                                         "calibrate=false"]})
    assert raw.temperature == 1.0 and model.temperature != 1.0
    assert model.metrics_["calibration"]["n"] == 120
    test, _ = make_images(60, seed=4)
    assert model.predict(test) == raw.predict(test)
    assert tweetlab.load_model(tmp_path / "m").temperature == pytest.approx(model.temperature)
