"""Sentiment140's emoticon labels as partial labels for a 3-class model (#26).

Sentiment140 says which polarity a tweet has, not whether a reader would call it neutral.
Trained as hard 3-class labels they teach "never neutral" and cost TweetEval (43% neutral).
Here they are soft: a model trained on the fully labelled sources estimates each S140
tweet's neutral share q; the target is (1 - q) on the emoticon's polarity, q on neutral.

    python benchmarks/experiments/explore_partial_labels.py [--s140 30000,90000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from common import OUT, data_dir, stamp  # noqa: E402
from sentiment_eval import binary, scores  # noqa: E402

from tweetlab.checklist import run_checks  # noqa: E402
from tweetlab.models import create  # noqa: E402
from tweetlab.recipes import (  # noqa: E402
    AIRLINE,
    ENTITY_EN,
    S140,
    SEMEVAL,
    TWEETEVAL_VAL,
    Recipe,
    recipe_parts,
)

SETTINGS = dict(negation=True, class_weight="balanced", max_word_features=50_000,
                max_char_features=100_000, min_df=3)


def report(model, tests, name, extra) -> dict:
    row = {"variant": name, **extra}
    for src, t in tests.items():
        proba = model.predict_proba(t.texts)
        if src == "sentiment140":
            row[src] = round(binary(t.labels, proba, model.classes_), 4)
        else:
            pred = [model.classes_[i] for i in proba.argmax(1)]
            s = scores(t.labels, pred)
            row[src] = round(s["macro_recall" if src == "tweeteval" else "macro_f1"], 4)
    checks = run_checks(model.predict)
    row["checks"], row["negation"] = round(checks.rates["all"], 3), round(checks.rates["negation"], 3)
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--s140", default="30000,90000")
    args = ap.parse_args()
    data = data_dir()
    full, tests = recipe_parts(Recipe("full", (SEMEVAL, AIRLINE, ENTITY_EN, S140, TWEETEVAL_VAL),
                                      "tfidf"), data)
    three, _ = recipe_parts(Recipe("three", (SEMEVAL, AIRLINE, ENTITY_EN), "tfidf"), data)
    t0 = time.perf_counter()
    base = create("tfidf", **SETTINGS).fit(three.texts, three.labels)
    rows = [report(base, tests, "3-class sources only", {"train_s": round(time.perf_counter() - t0)})]
    classes = base.classes_
    y3 = np.eye(3, dtype=np.float32)[[classes.index(x) for x in three.labels]]
    for n in [int(x) for x in args.s140.split(",")]:
        s140, _ = recipe_parts(Recipe("s", (replace(S140, max_rows=n),), "tfidf"), data)
        q = base.predict_proba(s140.texts)[:, classes.index("neutral")]
        soft = np.zeros((len(s140), 3), dtype=np.float32)
        pol = np.array([classes.index(x) for x in s140.labels])
        soft[np.arange(len(s140)), pol] = 1 - q
        soft[:, classes.index("neutral")] = q
        t0 = time.perf_counter()
        model = create("tfidf", **SETTINGS)
        model.classes_ = list(classes)
        model._fit(model.clean(three.texts + s140.texts), np.vstack([y3, soft]), None, None, False)
        rows.append(report(model, tests, f"+ S140 {n} partial", {"train_s": round(time.perf_counter() - t0)}))
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "explore_partial_labels.jsonl", "a") as f:
        for r in rows:
            f.write(json.dumps({**r, "run": stamp()}) + "\n")


if __name__ == "__main__":
    main()
