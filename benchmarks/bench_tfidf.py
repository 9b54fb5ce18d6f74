"""tfidf fit time, side by side in one run: n-gram counting in one pass (fit_transform,
what the family does now) vs two (fit, then transform, what it did before 2026-11-28), and
the logistic-regression solver (newton-cg, the default now, vs lbfgs). Held-out score of
each solver on each task's fixed split (as in bench_families.py).
Usage: python benchmarks/bench_tfidf.py [--tasks disaster,entity,tass-es,tweeteval]
"""

from __future__ import annotations

import argparse
import time

from common import data_dir, machine, save, stamp
from datasets import load_tasks

import tweetlab
from tweetlab.models.base import with_entity
from tweetlab.models.tfidf import NgramTfidf, TfidfClassifier, TfidfConfig


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", default="disaster,entity,tass-es,tweeteval")
    args = parser.parse_args()
    rows = []
    for task in load_tasks(data_dir(), args.tasks.split(",")):
        # the texts the family sees (cleaned; the entity as a prefix where there is one)
        texts = list(task.train.texts)
        if "entity" in task.train.columns:
            texts = with_entity(texts, task.train.columns["entity"])
        texts = TfidfClassifier().clean(texts)
        start = time.perf_counter()
        feats = NgramTfidf(TfidfConfig())
        feats.fit_transform(texts)
        one_pass = time.perf_counter() - start
        start = time.perf_counter()
        feats = NgramTfidf(TfidfConfig())
        feats.fit(texts)
        feats.transform(texts)
        two_pass = time.perf_counter() - start
        row = {"task": task.name, "n_train": len(task.train), "features_one_pass_s": one_pass,
               "features_two_pass_s": two_pass}
        for solver in ["newton-cg", "lbfgs"]:
            start = time.perf_counter()
            m = tweetlab.train(task.train, "tfidf", overrides=["progress=false", f"solver={solver}"])
            seconds = time.perf_counter() - start
            report = tweetlab.evaluate(m, task.test)
            score = report.extra.get("positive_f1") if task.metric == "positive_f1" else report.macro_f1
            row[solver] = {"train_s": seconds, task.metric: score, "accuracy": report.accuracy}
        rows.append(row)
        print(f"{task.name:<10} features 1 pass {one_pass:6.1f} s, 2 passes {two_pass:6.1f} s | "
              f"newton-cg {row['newton-cg']['train_s']:6.1f} s {task.metric} "
              f"{row['newton-cg'][task.metric]:.4f} | lbfgs {row['lbfgs']['train_s']:6.1f} s "
              f"{row['lbfgs'][task.metric]:.4f}", flush=True)
    save("tfidf_speed", {"date": stamp(), "machine": machine(), "rows": rows})


if __name__ == "__main__":
    main()
