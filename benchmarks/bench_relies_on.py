"""The words each family relies on per label (`tweetlab.explanation.words_relied_on`, what
training writes into the model card), on the test tweets of the benchmark splits, with
checks of the shortcuts they reveal against the data itself.

Usage: python benchmarks/bench_relies_on.py [--tasks disaster,tass-es] [--tweets 400]
"""

from __future__ import annotations

import argparse
import time

from common import data_dir, machine, save, stamp
from datasets import load_tasks

import tweetlab
from tweetlab.explanation import word_key, words_relied_on


def share(ds, key: str, label: str) -> tuple[int, int]:
    """How many tweets of ``ds`` contain the word ``key`` and how many of them are ``label``."""
    hits = [lab for text, lab in zip(ds.texts, ds.labels or [], strict=True)
            if key in {word_key(w) for w in text.split()}]
    return len(hits), sum(1 for lab in hits if lab == label)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", default="disaster,tass-es")
    parser.add_argument("--families", default="tfidf,fasttext,bow-mlp")
    parser.add_argument("--tweets", type=int, default=400)
    args = parser.parse_args()
    results: dict = {}
    for task in load_tasks(data_dir(), args.tasks.split(",")):
        whole = task.train  # the training part: what the model could have learned from
        for family in args.families.split(","):
            model = tweetlab.train(task.train, model=family, seed=0)
            start = time.perf_counter()
            words = words_relied_on(model, task.test.texts[:args.tweets])
            seconds = time.perf_counter() - start
            results[f"{task.name}/{family}"] = {"seconds": seconds, "classes": {
                lab: [[w, b, n, *share(whole, w, lab)] for w, b, n in ws]
                for lab, ws in words.items()}}
            print(f"{task.name} {family} ({seconds:.2f} s)")
            for lab, ws in words.items():
                cells = []
                for w, b, _ in ws[:6]:
                    total, of_label = share(whole, w, lab)
                    cells.append(f"{w} {b:+.1f} [train: {of_label}/{total} {lab}]")
                print(f"  {lab}: " + ", ".join(cells))
    save("relies_on", {"date": stamp(), "machine": machine(), "tweets": args.tweets,
                       "results": results})


if __name__ == "__main__":
    main()
