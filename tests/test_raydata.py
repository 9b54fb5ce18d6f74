"""Scoring and analysis on Ray Data (`--engine ray`) against the built-in path, and
`score_frame`, the batch function both rest on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tweetlab
from tweetlab import raydata
from tweetlab.analysis import analyze
from tweetlab.api import predict_file, predict_table
from tweetlab.cli import main
from tweetlab.errors import ConfigError, DataError

from .conftest import make_corpus  # (model_dir: a small tfidf model folder)


def tweets(n: int, seed: int = 5) -> pd.DataFrame:
    texts, labels = make_corpus(n, seed=seed)
    return pd.DataFrame({
        "id": [f"t{i:05d}" for i in range(n)],  # (strings: "t00001" stays as it is)
        "text": [f"{t} #tag{i % 3}" for i, t in enumerate(texts)],
        "created_at": [f"2024-03-{1 + i % 9:02d}T{i % 24:02d}:00:00Z" for i in range(n)],
        "user": [f"user{i % 4}" for i in range(n)],
        "label": labels,
    })


# --- score_frame: no Ray needed -------------------------------------------------------

def test_score_frame_gives_the_labels_and_probabilities_of_predict_table(model_dir: Path) -> None:
    frame = tweets(50)
    scored = tweetlab.score_frame(model_dir, frame)
    header, rows = predict_table(model_dir, tweetlab.Dataset(texts=frame["text"].tolist()))
    table = pd.DataFrame(rows, columns=header)
    assert scored["label"].tolist() == table["label"].tolist()
    for c in [c for c in header if c.startswith("p_")] + ["confidence"]:
        np.testing.assert_allclose(scored[c].to_numpy(), table[c].to_numpy(), atol=1e-4)
    # the frame's own label column is the truth, kept as true_label; rows keep their order
    assert scored["true_label"].tolist() == frame["label"].tolist()
    assert scored["id"].tolist() == frame["id"].tolist()
    assert "label" in frame.columns and "true_label" not in frame.columns  # (a copy)


def test_score_frame_reads_the_entity_for_entity_models() -> None:
    texts = ["[Apple] love it", "[Apple] hate it", "[Nvidia] love it", "[Nvidia] hate it"] * 10
    labels = ["pos", "neg", "pos", "neg"] * 10
    m = tweetlab.train(tweetlab.Dataset(texts=[t.split("] ")[1] for t in texts], labels=labels,
                                        columns={"entity": [t[1:].split("]")[0] for t in texts]}),
                       model="tfidf", valid_size=0)
    assert m.entity_input
    frame = pd.DataFrame({"text": ["love it", "hate it"], "entity": ["Apple", "Nvidia"]})
    expected = m.predict_proba(["[Apple] love it", "[Nvidia] hate it"])
    got = tweetlab.score_frame(m, frame)
    np.testing.assert_allclose(got[[f"p_{c}" for c in m.classes_]].to_numpy(), expected,
                               rtol=1e-6)


def test_score_frame_names_a_missing_text_column(model_dir: Path) -> None:
    with pytest.raises(DataError, match="no column 'tweet'.*columns: id, text"):
        tweetlab.score_frame(model_dir, pd.DataFrame({"id": [1], "text": ["x"]}), text="tweet")
    empty = tweetlab.score_frame(model_dir, pd.DataFrame({"text": []}))
    assert len(empty) == 0 and "label" in empty.columns


def test_input_files_take_a_file_a_folder_or_a_glob(tmp_path: Path) -> None:
    parts = tmp_path / "lake" / "day=1"
    parts.mkdir(parents=True)
    for i in range(3):
        (parts / f"part-{i}.csv").write_text("text\nhi\n")
    (tmp_path / "lake" / "_SUCCESS").write_text("")
    (tmp_path / "lake" / "notes.txt").write_text("")
    files, kind = raydata.input_files(tmp_path / "lake")
    assert kind == "csv" and [Path(f).name for f in files] == [f"part-{i}.csv" for i in range(3)]
    assert raydata.input_files(str(parts / "part-[01].csv"))[0] == [str(parts / "part-0.csv"),
                                                                     str(parts / "part-1.csv")]
    (parts / "x.parquet").write_bytes(b"")
    with pytest.raises(DataError, match="several formats"):
        raydata.input_files(tmp_path / "lake")
    with pytest.raises(DataError, match="file not found"):
        raydata.input_files(tmp_path / "nothing")


def test_the_ray_engine_refuses_a_csv_output_and_texts(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "t.csv").write_text("text\nhi\n")
    with pytest.raises(ConfigError, match="Parquet dataset"):
        raydata.predict("en-sentiment", tmp_path / "t.csv", tmp_path / "o.csv")
    assert main(["predict", "en-sentiment", "nice", "--engine", "ray"]) == 2
    assert "--engine ray labels files" in capsys.readouterr().err


# --- on a local Ray ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False,
             logging_level="WARNING")
    yield ray
    ray.shutdown()


def write_parts(frame: pd.DataFrame, folder: Path, kind: str, n: int = 3) -> Path:
    folder.mkdir(parents=True)
    size = -(-len(frame) // n)
    for i, part in enumerate(frame.iloc[j:j + size] for j in range(0, len(frame), size)):
        if kind == "csv":
            part.to_csv(folder / f"part-{i}.csv.gz", index=False)
        elif kind == "jsonl":
            part.to_json(folder / f"part-{i}.jsonl", orient="records", lines=True)
        else:
            part.to_parquet(folder / f"part-{i}.parquet", index=False)
    return folder


# csv parts in the fast suite; jsonl and parquet in make test-slow (a local Ray is ~10 s a test)
@pytest.mark.parametrize("kind", ["csv", pytest.param("jsonl", marks=pytest.mark.slow),
                                  pytest.param("parquet", marks=pytest.mark.slow)])
def test_ray_predict_matches_the_builtin_path_row_for_row(ray_local, tmp_path: Path,
                                                          model_dir: Path, kind: str) -> None:
    frame = tweets(900)
    frame.to_csv(tmp_path / "all.csv", index=False)
    predict_file(model_dir, tmp_path / "all.csv", tmp_path / "builtin.parquet", workers=1)
    parts = write_parts(frame, tmp_path / "lake", kind)
    counts = raydata.predict(model_dir, parts, tmp_path / "ray.parquet", progress=False,
                             batch_size=200)
    builtin = pd.read_parquet(tmp_path / "builtin.parquet").set_index("id")
    got = pd.read_parquet(tmp_path / "ray.parquet").set_index("id")
    assert (tmp_path / "ray.parquet").is_dir()  # a dataset of parts
    assert sorted(got.index) == sorted(builtin.index)  # every tweet once
    got = got.loc[builtin.index]
    assert list(got.columns) == list(builtin.columns)  # user, text, true_label, label, ...
    assert got["label"].tolist() == builtin["label"].tolist()
    assert got["true_label"].tolist() == builtin["true_label"].tolist()
    for c in [c for c in builtin.columns if c.startswith("p_")] + ["confidence"]:
        np.testing.assert_allclose(got[c].to_numpy(), builtin[c].to_numpy(), atol=1e-4)
    assert counts == builtin["label"].value_counts().sort_index().to_dict()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial left


@pytest.mark.slow
def test_ray_predict_keeps_an_existing_output_unless_forced(ray_local, tmp_path: Path,
                                                            model_dir: Path) -> None:
    tweets(100).to_parquet(tmp_path / "t.parquet")
    out = tmp_path / "out.parquet"
    out.write_text("mine")
    with pytest.raises(DataError, match="already exists"):
        raydata.predict(model_dir, tmp_path / "t.parquet", out, progress=False)
    assert out.read_text() == "mine"
    raydata.predict(model_dir, tmp_path / "t.parquet", out, force=True, progress=False)
    assert len(pd.read_parquet(out)) == 100


def test_ray_analyze_counts_what_the_builtin_analyze_counts(ray_local, tmp_path: Path,
                                                            model_dir: Path) -> None:
    frame = tweets(1200)
    frame.to_csv(tmp_path / "all.csv", index=False)
    write_parts(frame, tmp_path / "lake", "parquet", n=4)
    for group in (None, "hashtag"):
        builtin = analyze(tmp_path / "all.csv", model_dir, by="day", group=group,
                          progress=False, workers=1)
        got = raydata.analyze(tmp_path / "lake", model_dir, by="day", group=group,
                              progress=False, batch_size=250,
                              out=tmp_path / f"report-{group}")
        pd.testing.assert_frame_equal(got.counts, builtin.counts)
        assert got.n_scored == builtin.n_scored == 1200
        assert got.terms == builtin.terms
        for key, items in builtin.typical.items():  # the same confidences (ties may differ)
            assert [round(c, 6) for c, _ in got.typical[key]] == \
                [round(c, 6) for c, _ in items]
        assert len(got.relies_on["classes"]) == 2  # explained from the merged sample
    assert (tmp_path / "report-hashtag" / "report.html").exists()
    assert (tmp_path / "report-hashtag" / "counts.csv").exists()


def test_ray_analyze_counts_tweets_without_a_date(ray_local, tmp_path: Path,
                                                  model_dir: Path) -> None:
    frame = tweets(300)
    frame.loc[::10, "created_at"] = "not a date"
    frame.to_parquet(tmp_path / "t.parquet")
    got = raydata.analyze(tmp_path / "t.parquet", model_dir, by="day", progress=False)
    assert got.n_skipped_dates == 30 and got.n_scored == 270


def test_a_killed_ray_run_leaves_no_output_that_looks_complete(tmp_path: Path,
                                                               model_dir: Path) -> None:
    pytest.importorskip("ray")
    frame = tweets(20_000)
    write_parts(frame, tmp_path / "lake", "csv", n=8)
    out = tmp_path / "out.parquet"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "tweetlab", "predict", str(model_dir),
                             "--input", str(tmp_path / "lake"), "--output", str(out),
                             "--engine", "ray", "--quiet"], env=env,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(p.name.startswith(".out.parquet.partial")
                                                  for p in tmp_path.iterdir()):
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.05)
    assert time.monotonic() < deadline, "the run never started writing"
    proc.send_signal(signal.SIGTERM)  # (a scheduler's stop, as Ctrl-C)
    assert proc.wait(timeout=120) == 130, proc.stderr.read() if proc.stderr else ""
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
