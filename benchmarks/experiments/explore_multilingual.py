"""Exploration (2026-11-29): one sentiment model for many languages, from English and
Spanish labels, with Google's multilingual Universal Sentence Encoder (``use-multilingual``).

There is no labelled Russian data here, so what can be measured is the transfer to a
language the classifier never saw labels in: trained on English only, scored on Spanish
(TASS held-out 10%, labels mapped to three: N negative, P positive, NONE neutral; NEU
"mixed" left out), next to the same classifier trained on Spanish labels too. Logistic
regression on the frozen sentence vectors (what ``embed-lr`` does), the English sources
and held-out parts as in ``scripts/train_bundled.py``.
Usage: python benchmarks/explore_multilingual.py   (~2.5 minutes on 2 cores, embedding;
the vectors are cached in benchmarks/out/multilingual_vectors.npz)

Result (2026-11-29 03:05 UTC; macro-F1, 3 classes): English labels only -> Spanish test
0.533 (accuracy 0.539); Spanish labels only 0.632; both 0.551 (C 1: 0.558; Spanish rows
given 10 / 25 / 50% of the weight: 0.563 / 0.559 / 0.580). The English test parts with
English labels: airline 0.696, TweetEval 0.565, entity 0.638.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: common, datasets
from common import OUT, data_dir
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from train_bundled import parts, relabel  # noqa: E402

from tweetlab.data import load_dataset, split_dataset  # noqa: E402
from tweetlab.models.transformer import LIGHT_CLEANING  # noqa: E402
from tweetlab.multilingual import UseEmbedder  # noqa: E402
from tweetlab.text import normalize_many  # noqa: E402

SPANISH = {"N": "negative", "P": "positive", "NONE": "neutral"}


def main() -> None:
    data = data_dir()
    en_train, en_tests, _ = parts(data, "en-sentiment")
    tass = relabel(load_dataset(data / "tass2019_sentiment_train.csv.gz"), SPANISH)
    es_train, es_test = split_dataset(tass, test_size=0.1, by="stratified", seed=0)
    sets = {"en_train": en_train, "es_train": es_train, "es_test": es_test, **{
        f"en_test_{k}": v for k, v in en_tests.items()}}
    cache = OUT / "multilingual_vectors.npz"
    embedder = UseEmbedder()
    if cache.exists():
        vecs = dict(np.load(cache))
    else:
        vecs = {}
        for name, ds in sets.items():
            start = time.perf_counter()
            vecs[name] = embedder.embed(normalize_many(ds.texts, LIGHT_CLEANING))
            print(f"embedded {name}: {len(ds)} tweets in {time.perf_counter() - start:.0f} s",
                  flush=True)
        OUT.mkdir(parents=True, exist_ok=True)
        np.savez(cache, **vecs)
    labels = {k: np.array(v.labels) for k, v in sets.items()}
    tests = [k for k in sets if "test" in k]

    def run(name: str, train: list[str], C: float = 4.0, weight: str | None = None,
            spanish_share: float | None = None) -> None:
        x = np.concatenate([vecs[t] for t in train])
        y = np.concatenate([labels[t] for t in train])
        sample_weight = None
        if spanish_share is not None:  # Spanish rows carry this share of the total weight
            n_en, n_es = len(labels["en_train"]), len(labels["es_train"])
            sample_weight = np.concatenate([
                np.ones(n_en), np.full(n_es, spanish_share / (1 - spanish_share) * n_en / n_es)])
            sample_weight /= sample_weight.mean()
        clf = LogisticRegression(C=C, max_iter=2000, class_weight=weight).fit(
            x, y, sample_weight=sample_weight)
        cells = []
        for t in tests:
            p = clf.predict(vecs[t])
            cells.append(f"{t.removeprefix('en_test_')} acc {accuracy_score(labels[t], p):.3f} "
                         f"F1 {f1_score(labels[t], p, average='macro'):.3f}")
        print(f"{name:<34} " + " | ".join(cells), flush=True)

    run("English labels only", ["en_train"])
    run("English labels only, balanced", ["en_train"], weight="balanced")
    run("Spanish labels only", ["es_train"])
    run("English + Spanish labels", ["en_train", "es_train"])
    run("English + Spanish, balanced", ["en_train", "es_train"], weight="balanced")
    for C in (1.0, 16.0):
        run(f"English + Spanish, C {C}", ["en_train", "es_train"], C=C)
    for share in (0.1, 0.25, 0.5):
        run(f"English + Spanish, es weight {share}", ["en_train", "es_train"],
            spanish_share=share)


if __name__ == "__main__":
    main()
