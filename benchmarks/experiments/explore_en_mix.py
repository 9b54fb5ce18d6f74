"""Which training mix makes the best fast English sentiment model? (#26)

Trains the tfidf family on several mixes of the shared sentiment files (each source's
held-out 10% never trained on) and scores every mix on every held-out part: TweetEval
validation (macro recall), SemEval, airline, entity (macro-F1), Sentiment140 (positive vs
negative accuracy), plus the behaviour checks.

    python benchmarks/experiments/explore_en_mix.py [--variants a,b] [--set key=value]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import OUT, data_dir, stamp  # noqa: E402
from sentiment_eval import binary, scores  # noqa: E402

import tweetlab  # noqa: E402
from tweetlab.checklist import run_checks  # noqa: E402
from tweetlab.recipes import (  # noqa: E402
    AIRLINE,
    ENTITY_EN,
    S140,
    SEMEVAL,
    TWEETEVAL_VAL,
    Recipe,
    recipe_parts,
)

ALL = (SEMEVAL, S140, AIRLINE, ENTITY_EN, TWEETEVAL_VAL)
VARIANTS = {
    "semeval": (SEMEVAL,),
    "semeval+s140": (SEMEVAL, S140),
    "semeval+s140/30k": (SEMEVAL, replace(S140, max_rows=30_000)),
    "semeval+airline+entity": (SEMEVAL, AIRLINE, ENTITY_EN),
    "all": (SEMEVAL, S140, AIRLINE, ENTITY_EN),
    "all-s140-30k": (SEMEVAL, replace(S140, max_rows=30_000), AIRLINE, ENTITY_EN),
    "all-s140-10k": (SEMEVAL, replace(S140, max_rows=10_000), AIRLINE, ENTITY_EN),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--family", default="tfidf")
    ap.add_argument("--set", action="append", default=[])
    args = ap.parse_args()
    data = data_dir()
    _, tests = recipe_parts(Recipe("all", ALL, "tfidf"), data)
    rows = []
    for name in args.variants.split(","):
        # TweetEval's validation tweets as a test-only source: the training tweets that
        # match one (402 SemEval tweets, with their links) are left out.
        train, _ = recipe_parts(Recipe(name, (*VARIANTS[name], TWEETEVAL_VAL), args.family),
                                data)
        t0 = time.perf_counter()
        model = tweetlab.train(train, args.family, valid_size=0.05,
                               overrides=["progress=false", *args.set])
        secs = time.perf_counter() - t0
        row = {"variant": name, "family": args.family, "settings": args.set, "n": len(train),
               "train_s": round(secs, 1)}
        for src, t in tests.items():
            proba = model.predict_proba(t.texts)
            pred = [model.classes_[i] for i in proba.argmax(1)]
            if src == "sentiment140":
                row[src] = round(binary(t.labels, proba, model.classes_), 4)
            else:
                s = scores(t.labels, pred)
                row[src] = round(s["macro_recall" if src == "tweeteval" else "macro_f1"], 4)
        checks = run_checks(model.predict)
        row["checks"] = round(checks.rates["all"], 3)
        row["negation"] = round(checks.rates["negation"], 3)
        rows.append(row)
        print(json.dumps(row), flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "explore_en_mix.jsonl", "a") as f:
        for r in rows:
            f.write(json.dumps({**r, "run": stamp()}) + "\n")


if __name__ == "__main__":
    main()
