"""Seeded tiny corpora: emoji, @handles, URLs, HTML entities, Cyrillic and Spanish text."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
import torch

import tweetlab

# Under pytest-xdist, each worker takes its share of the cores: 8 workers with 16 torch
# threads each on 16 cores (a GPU machine, 2026-11-28) left a few generator tests past 40 s.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    torch.set_num_threads(max(1, (os.cpu_count() or 1)
                              // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))

from tweetlab.config import TrainConfig

POSITIVE = ["love", "great", "happy", "awesome", "best", "amazing", "genial", "хорошо",
            "❤️", "😂", "wonderful", "encanta"]
NEGATIVE = ["hate", "awful", "sad", "worst", "terrible", "angry", "horrible", "плохо",
            "😡", "boring", "odio", "broken"]
FILLER = ["the", "movie", "today", "@bob", "https://t.co/abc", "#monday", "la", "película",
          "фильм", "&amp;", "soooo", "this", "was", "el", "día", "is"]


def make_corpus(n: int = 120, seed: int = 0, classes: int = 2) -> tuple[list[str], list[str]]:
    """Tweets whose label is decided by which sentiment words they contain."""
    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        lab = i % classes
        words = rng.sample(FILLER, 4)
        if lab == 0:
            words += rng.sample(NEGATIVE, 2)
        elif lab == 1:
            words += rng.sample(POSITIVE, 2)
        else:
            words += rng.sample(FILLER, 2)
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(["negative", "positive", "neutral"][lab])
    return texts, labels


@pytest.fixture
def corpus() -> tuple[list[str], list[str]]:
    return make_corpus()


@pytest.fixture
def fast_train() -> TrainConfig:
    return TrainConfig(epochs=3, progress=False, checkpoint_seconds=0)


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    texts, labels = make_corpus(80)
    path = tmp_path / "tweets.csv"
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "date", "text", "sentiment"])
        for i, (t, lab) in enumerate(zip(texts, labels, strict=True)):
            w.writerow([1000 + i, f"2024-01-{1 + i % 28:02d}T10:00:00Z", t, lab])
    return path


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory) -> Path:
    from .tiny_encoder import make_tiny_encoder

    return make_tiny_encoder(tmp_path_factory.mktemp("encoder") / "tiny-bert")


def family_options(family: str, request: pytest.FixtureRequest) -> dict:
    """Extra settings a family needs in tests (the transformer gets the tiny local encoder)."""
    if family == "transformer":
        return {"encoder": str(request.getfixturevalue("tiny_encoder"))}
    if family == "embed-lr":
        # The random tiny encoder's embeddings carry far less signal than MiniLM's: the
        # default C (tuned for MiniLM) regularises it to ~0.87 on the toy task, C=100 ~0.97.
        return {"encoder": str(request.getfixturevalue("tiny_encoder")), "C": 100.0}
    return {}


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small tfidf model's folder (two labels, ``make_corpus(300)``), trained once."""
    texts, labels = make_corpus(300)
    out = tmp_path_factory.mktemp("model") / "m"
    tweetlab.train(tweetlab.Dataset(texts=texts, labels=labels), model="tfidf", out=out,
                   valid_size=0)
    return out
