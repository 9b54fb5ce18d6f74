"""Our `fasttext` family vs fastText (the PyPI package), side by side in one run.

Both get the same tweetlab-normalised text and the same settings (dim 100, word bigrams,
char n-grams 3-5, 262,144 buckets, 5 epochs, 2 threads for fastText); fastText uses the
learning rate its tutorial recommends for small supervised data (0.5) and its default (0.1).
Train time: fastText's train_supervised call (file already written); ours: fit() including
cleaning and featurisation. Needs the reference venv: `make bench-ref`.
"""

from __future__ import annotations

import time

from common import data_dir, machine, run_reference, save, stamp
from datasets import load_tasks

import tweetlab
from tweetlab.text import normalize

SETTINGS = {"dim": 100, "wordNgrams": 2, "minn": 3, "maxn": 5, "bucket": 262_144, "epoch": 5,
            "thread": 2}


def main() -> None:
    rows = []
    for task in load_tasks(data_dir(), ["disaster", "entity", "tass-es", "tweeteval"]):
        model = tweetlab.train(task.train, "fasttext", valid_size=0, overrides=["progress=false"])
        start = time.perf_counter()
        report = tweetlab.evaluate(model, task.test)
        pred_s = time.perf_counter() - start
        ours = {"train_seconds": model.fit_seconds_, "accuracy": report.accuracy,
                "macro_f1": report.macro_f1,
                "positive_f1": report.extra.get("positive_f1"),
                "predict_tweets_per_s": len(task.test) / pred_s}
        ref = run_reference("fasttext_ref.py", {
            "train_texts": [normalize(t) for t in task.train.texts],
            "train_labels": task.train.labels,
            "test_texts": [normalize(t) for t in task.test.texts], "test_labels": task.test.labels,
            "settings": [{**SETTINGS, "lr": 0.5}, {**SETTINGS, "lr": 0.1}],
        })
        best = max(ref, key=lambda r: r["accuracy"])
        row = {"task": task.name, "n_train": len(task.train), "ours": ours, "fasttext": ref,
               "time_ratio": ours["train_seconds"] / best["train_seconds"],
               "accuracy_delta": ours["accuracy"] - best["accuracy"]}
        rows.append(row)
        print(f"{task.name:<10} ours {ours['train_seconds']:.2f}s acc {ours['accuracy']:.4f} | "
              f"fastText(lr {best['params']['lr']}) {best['train_seconds']:.2f}s "
              f"acc {best['accuracy']:.4f} | time ratio {row['time_ratio']:.2f}x", flush=True)
    save("fasttext_vs_ours", {"date": stamp(), "machine": machine(), "rows": rows})


if __name__ == "__main__":
    main()
