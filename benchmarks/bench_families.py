"""Every family on every labelled task: held-out score, train seconds, predict tweets/s.

Each task has a fixed 20% test split (grouped by id for the entity data, whose ids
repeat six times; stratified otherwise). Training holds out 10% of the rest for early
stopping. Usage: python benchmarks/bench_families.py [--tasks disaster,entity] [--families ...]
"""

from __future__ import annotations

import argparse
import time

from common import Timer, data_dir, machine, save, stamp
from datasets import load_tasks

import tweetlab


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", default="disaster,entity,tass-es,tweeteval")
    parser.add_argument("--families", default="tfidf,bow-mlp,fasttext")
    parser.add_argument("--set", action="append", default=[],
                        help="family or training option for every family, e.g. max_seconds=600")
    parser.add_argument("--keep", help="save each trained model to KEEP/TASK-FAMILY")
    parser.add_argument("--tag", help="name of the output JSON (families_TAG.json)")
    args = parser.parse_args()
    tasks = load_tasks(data_dir(), args.tasks.split(","))
    rows = []
    for task in tasks:
        for family in args.families.split(","):
            with Timer() as t:
                model = tweetlab.train(task.train, family, overrides=["progress=false", *args.set])
            start = time.perf_counter()
            report = tweetlab.evaluate(model, task.test)
            predict_s = time.perf_counter() - start
            if args.keep:
                model.save(f"{args.keep}/{task.name}-{family}", force=True)
            score = report.extra.get("positive_f1") if task.metric == "positive_f1" else report.macro_f1
            row = {"task": task.name, "family": family, "metric": task.metric, "score": score,
                   "accuracy": report.accuracy, "macro_f1": report.macro_f1,
                   "train_seconds": t.seconds, "fit_seconds": model.fit_seconds_,
                   "predict_tweets_per_s": len(task.test) / predict_s,
                   "n_train": len(task.train), "n_test": len(task.test), "split": task.split}
            rows.append(row)
            print(f"{task.name:<10} {family:<9} {task.metric}={score:.4f} acc={report.accuracy:.4f} "
                  f"macroF1={report.macro_f1:.4f} train={t.seconds:6.1f}s "
                  f"predict={row['predict_tweets_per_s']:,.0f}/s", flush=True)
    tag = "" if args.families == "tfidf,bow-mlp,fasttext" else "_" + args.families.replace(",", "_")
    if args.tag:
        tag = f"_{args.tag}"
    save(f"families{tag}", {"date": stamp(), "machine": machine(), "rows": rows})
    print("\n| task | family | metric | score | accuracy | train s | predict tweets/s |")
    print("|---|---|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['task']} | {r['family']} | {r['metric']} | {r['score']:.4f} | "
              f"{r['accuracy']:.4f} | {r['train_seconds']:.1f} | {r['predict_tweets_per_s']:,.0f} |")


if __name__ == "__main__":
    main()
