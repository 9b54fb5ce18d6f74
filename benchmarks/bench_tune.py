"""`tweetlab tune` on disaster tweets (#2): does a random search over each fast family's
settings, scored on a part of the *training* split, lift positive-class F1 on the fixed
test split? Side by side in one run: each family with its defaults and with the settings
`tune` picked (20 trials, metric f1_1, 20% of the training split held out for scoring
the trials; the test split is never looked at until the end).
Usage: python bench_tune.py [--families tfidf,fasttext,bow-mlp] [--trials 20]
"""

from __future__ import annotations

import argparse

from common import data_dir, machine, save, stamp
from datasets import load_tasks

import tweetlab
from tweetlab.tuning import tune


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", default="tfidf,fasttext,bow-mlp")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    task = load_tasks(data_dir(), ["disaster"])[0]
    rows = []
    for family in args.families.split(","):
        result = tune(task.train, family, trials=args.trials, metric="f1_1", seed=args.seed,
                      progress=False)
        scores = {}
        for name, settings in (("defaults", []), ("tuned", result.best["settings"])):
            model = tweetlab.train(task.train, family, overrides=["progress=false", *settings])
            report = tweetlab.evaluate(model, task.test)
            scores[name] = {"f1_1": report.extra["positive_f1"], "accuracy": report.accuracy,
                            "settings": settings}
        row = {"family": family, "trials": len(result.trials),
               "valid_f1_defaults": next(t["score"] for t in result.trials if not t["settings"]),
               "valid_f1_best": result.best["score"], **scores}
        rows.append(row)
        print(f"{family:<9} validation F1 defaults {row['valid_f1_defaults']:.4f} -> best "
              f"{row['valid_f1_best']:.4f}; test F1 defaults {scores['defaults']['f1_1']:.4f} "
              f"-> tuned {scores['tuned']['f1_1']:.4f} ({' '.join(result.best['settings'])})",
              flush=True)
    save(f"tune_disaster_seed{args.seed}", {"date": stamp(), "machine": machine(), "rows": rows})


if __name__ == "__main__":
    main()
