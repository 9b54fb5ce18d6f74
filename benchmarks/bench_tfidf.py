"""tfidf speed, side by side in one run: the features of the training tweets as the
family makes them now (char n-grams counted once, compiled) vs before 2026-11-28
(scikit-learn fits the vocabularies, then counts every n-gram again); the
logistic-regression solver (newton-cg, the default now, vs lbfgs) with each one's held-out
score on the task's fixed split (as in bench_families.py); and prediction speed on the
test split with char n-grams counted compiled (now) or by scikit-learn (before).
Usage: python benchmarks/bench_tfidf.py [--tasks disaster,entity,tass-es,tweeteval]
"""

from __future__ import annotations

import argparse
import time

from common import data_dir, machine, save, stamp
from datasets import load_tasks
from sklearn.feature_extraction.text import CountVectorizer

import tweetlab
from tweetlab.models import tfidf as tfidf_module
from tweetlab.models.base import with_entity
from tweetlab.models.tfidf import (
    NgramTfidf,
    TfidfClassifier,
    TfidfConfig,
    _char_vectorizer,
    _weight,
    _word_vectorizer,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", default="disaster,entity,tass-es,tweeteval")
    args = parser.parse_args()
    rows = []
    row_threshold = tfidf_module.COMPILED_MIN_TEXTS
    for task in load_tasks(data_dir(), args.tasks.split(",")):
        # the texts the family sees (cleaned; the entity as a prefix where there is one)
        texts = list(task.train.texts)
        if "entity" in task.train.columns:
            texts = with_entity(texts, task.train.columns["entity"])
        texts = TfidfClassifier().clean(texts)
        start = time.perf_counter()
        NgramTfidf(TfidfConfig()).fit_transform(texts)
        now = time.perf_counter() - start
        start = time.perf_counter()  # before: scikit-learn fits, then counts again
        for make in (_word_vectorizer, _char_vectorizer):
            vec = make(TfidfConfig()).fit(texts)
            _weight(vec, CountVectorizer.transform(vec, texts))
        before = time.perf_counter() - start
        row = {"task": task.name, "n_train": len(task.train), "features_now_s": now,
               "features_before_s": before}
        for solver in ["newton-cg", "lbfgs"]:
            start = time.perf_counter()
            m = tweetlab.train(task.train, "tfidf", overrides=["progress=false", f"solver={solver}"])
            seconds = time.perf_counter() - start
            report = tweetlab.evaluate(m, task.test)
            score = report.extra.get("positive_f1") if task.metric == "positive_f1" else report.macro_f1
            row[solver] = {"train_s": seconds, task.metric: score, "accuracy": report.accuracy}
        # prediction speed: char n-grams counted compiled (now) vs by scikit-learn (before)
        test = list(task.test.texts)
        if "entity" in task.test.columns:
            test = with_entity(test, task.test.columns["entity"])
        m.predict_proba(test[:100])  # warm-up: numba's cached kernel, the vocabulary's hashes
        for name, threshold in [("compiled", tfidf_module.COMPILED_MIN_TEXTS), ("scikit-learn", 10**12)]:
            tfidf_module.COMPILED_MIN_TEXTS = threshold
            start = time.perf_counter()
            m.predict_proba(test)
            row[f"predict_tweets_per_s_{name}"] = len(test) / (time.perf_counter() - start)
        tfidf_module.COMPILED_MIN_TEXTS = row_threshold
        rows.append(row)
        print(f"{task.name:<10} features now {now:6.1f} s, before {before:6.1f} s | "
              f"newton-cg {row['newton-cg']['train_s']:6.1f} s {task.metric} "
              f"{row['newton-cg'][task.metric]:.4f} | lbfgs {row['lbfgs']['train_s']:6.1f} s "
              f"{row['lbfgs'][task.metric]:.4f} | predict {row['predict_tweets_per_s_compiled']:,.0f} "
              f"vs {row['predict_tweets_per_s_scikit-learn']:,.0f} tweets/s", flush=True)
    save("tfidf_speed", {"date": stamp(), "machine": machine(), "rows": rows})


if __name__ == "__main__":
    main()
