"""Russian entity-level sentiment on SentiRuEval-2016 (#26): which family and settings?

Each candidate trains on the training part of the ru-sentiment recipe (80%, split by
tweet) with the company given as "[entity] text", and is scored on the held-out 20%:
macro-F1 over positive and negative (SentiRuEval's measure), macro-F1, accuracy. A 5-fold
CV over the training part ranks the candidates without looking at the held-out part.

    python benchmarks/experiments/explore_ru.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from common import OUT, data_dir, stamp  # noqa: E402
from sentiment_eval import scores  # noqa: E402

import tweetlab  # noqa: E402
from tweetlab.data import split_dataset  # noqa: E402
from tweetlab.models.base import with_entity  # noqa: E402
from tweetlab.recipes import RECIPES, recipe_parts  # noqa: E402

CANDIDATES = {
    "tfidf": ("tfidf", []),
    "tfidf negation": ("tfidf", ["negation=true"]),
    "tfidf negation balanced": ("tfidf", ["negation=true", "class_weight=balanced"]),
    "tfidf negation balanced C=1": ("tfidf", ["negation=true", "class_weight=balanced", "C=1"]),
    "tfidf negation balanced C=4": ("tfidf", ["negation=true", "class_weight=balanced", "C=4"]),
    "tfidf negation x2 balanced C=4": ("tfidf", ["negation=true", "negation_weight=2",
                                                 "class_weight=balanced", "C=4"]),
    "embed-lr USE": ("embed-lr", ["encoder=use-multilingual", "class_weight=balanced"]),
    "embed-lr USE + ngrams": ("embed-lr", ["encoder=use-multilingual", "ngrams=true",
                                           "class_weight=balanced", "C=1"]),
}


def fit_score(family, settings, train, test) -> dict:
    model = tweetlab.train(train, family, valid_size=0, overrides=["progress=false", *settings])
    texts = with_entity(test.texts, test.columns["entity"])
    proba = model.predict_proba(texts)
    pred = [model.classes_[i] for i in proba.argmax(1)]
    return scores(test.labels, pred)


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--candidates", help="comma-separated names (default: all)")
    args = ap.parse_args()
    data = data_dir()
    train, test = recipe_parts(RECIPES["ru-sentiment"], data)
    rows = []
    chosen = args.candidates.split(",") if args.candidates else list(CANDIDATES)
    for name, (family, settings) in ((n, CANDIDATES[n]) for n in chosen):
        cv = []
        for fold in range(5):
            a, b = split_dataset(train, test_size=0.2, by="group", seed=100 + fold)
            cv.append(fit_score(family, settings, a, b)["f1_pn"])
        held = fit_score(family, settings, train, test["sentirueval"])
        row = {"candidate": name, "cv_f1_pn": round(float(np.mean(cv)), 4),
               "cv_sd": round(float(np.std(cv)), 4),
               **{k: round(v, 4) for k, v in held.items() if k != "n"}, "n_test": held["n"]}
        rows.append(row)
        print(json.dumps(row), flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "explore_ru.json").write_text(json.dumps({"date": stamp(), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
