"""Our `fasttext` family vs fastText (the PyPI package), side by side in one run.

Both get the same tweetlab-normalised text and the same settings (dim 100, word bigrams,
char n-grams 3-5, 262,144 buckets) and the same number of epochs: the one our family
picks for the data size (fastText's `epoch` is set to it). Each side runs with 1 thread
and with 2 (fastText `-thread`, our `threads`, both lock-free Hogwild above 1); fastText
with the learning rate its tutorial recommends for small supervised data (0.5) and its
default (0.1), the better of the two counted. Train time: fastText's train_supervised call
(file already written); ours: fit() including cleaning and featurisation (also reported
apart: `prepare_seconds` is fit minus the epochs). Needs the reference venv: `make bench-ref`.
Library loading is left out on both sides, as it happens once per process: fastText's
module is imported before its timer starts, and ours loads its compiled numba kernels
(~1 s from the on-disk cache) in one untimed warm-up fit on 200 tweets before the first
timed one (`cold_first_fit_seconds` records that warm-up fit).
`--seeds N` also trains both sides with 1 thread under N seeds (ours: `seed`, fastText:
`-seed`) and reports the mean accuracies, so the accuracy comparison is not one draw.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import data_dir, machine, run_reference, save, stamp
from datasets import load_tasks

import tweetlab
from tweetlab.text import normalize

SETTINGS = {"dim": 100, "wordNgrams": 2, "minn": 3, "maxn": 5, "bucket": 262_144}
THREADS = (1, 2)


def reference(task, texts: dict[str, list[str]], settings: list[dict]) -> list[dict]:
    """fastText (reference venv) on ``task`` under each of ``settings``."""
    return run_reference("fasttext_ref.py", {
        "train_texts": texts["train"], "train_labels": task.train.labels,
        "test_texts": texts["test"], "test_labels": task.test.labels, "settings": settings})


def seed_runs(task, texts: dict[str, list[str]], epochs: int, seeds: int) -> dict[str, object]:
    """Mean accuracy over ``seeds`` seeds at 1 thread: ours, and fastText at each lr."""
    ours = []
    for seed in range(seeds):
        model = tweetlab.train(task.train, "fasttext", valid_size=0,
                               overrides=["progress=false", "threads=1", f"seed={seed}"])
        ours.append(tweetlab.evaluate(model, task.test).accuracy)
    ref = reference(task, texts, [{**SETTINGS, "epoch": epochs, "lr": lr, "thread": 1,
                                   "seed": seed} for lr in (0.5, 0.1) for seed in range(seeds)])
    theirs = {lr: [r["accuracy"] for r in ref if r["params"]["lr"] == lr] for lr in (0.5, 0.1)}
    best_lr = max(theirs, key=lambda lr: float(np.mean(theirs[lr])))
    return {"seeds": seeds, "ours": ours, "ours_mean": float(np.mean(ours)),
            "fasttext": {str(lr): v for lr, v in theirs.items()}, "fasttext_best_lr": best_lr,
            "fasttext_mean": float(np.mean(theirs[best_lr])),
            "accuracy_delta_mean": float(np.mean(ours) - np.mean(theirs[best_lr]))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    rows = []
    tasks = load_tasks(data_dir(), ["disaster", "entity", "tass-es", "tweeteval"])
    start = time.perf_counter()
    tweetlab.train(tasks[0].train.subset(list(range(200))), "fasttext", valid_size=0,
                   overrides=["progress=false", "epochs=1"])
    cold = time.perf_counter() - start
    print(f"warm-up fit (loads the compiled kernels): {cold:.2f}s", flush=True)
    for task in tasks:
        ours: dict[int, dict[str, float]] = {}
        for threads in THREADS:
            model = tweetlab.train(task.train, "fasttext", valid_size=0,
                                   overrides=["progress=false", f"threads={threads}"])
            start = time.perf_counter()
            report = tweetlab.evaluate(model, task.test)
            pred_s = time.perf_counter() - start
            epochs_s = sum(h["seconds"] for h in model.history_)
            ours[threads] = {
                "train_seconds": model.fit_seconds_, "epochs": len(model.history_),
                "epoch_seconds": epochs_s, "prepare_seconds": model.fit_seconds_ - epochs_s,
                "accuracy": report.accuracy, "macro_f1": report.macro_f1,
                "positive_f1": report.extra.get("positive_f1"),
                "predict_tweets_per_s": len(task.test) / pred_s}
        epochs = int(ours[1]["epochs"])
        texts = {"train": [normalize(t) for t in task.train.texts],
                 "test": [normalize(t) for t in task.test.texts]}
        ref = reference(task, texts, [{**SETTINGS, "epoch": epochs, "lr": lr, "thread": th}
                                      for th in THREADS for lr in (0.5, 0.1)])
        row: dict[str, object] = {"task": task.name, "n_train": len(task.train), "epochs": epochs,
                                  "ours": ours, "fasttext": ref}
        for th in THREADS:
            best = max((r for r in ref if r["params"]["thread"] == th),
                       key=lambda r: r["accuracy"])
            row[f"time_ratio_{th}"] = ours[th]["train_seconds"] / best["train_seconds"]
            row[f"accuracy_delta_{th}"] = ours[th]["accuracy"] - best["accuracy"]
            print(f"{task.name:<10} {th} thread(s), {epochs} epochs: ours "
                  f"{ours[th]['train_seconds']:.2f}s (prepare {ours[th]['prepare_seconds']:.2f}s) "
                  f"acc {ours[th]['accuracy']:.4f} | fastText (lr {best['params']['lr']}) "
                  f"{best['train_seconds']:.2f}s acc {best['accuracy']:.4f} | "
                  f"time ratio {row[f'time_ratio_{th}']:.2f}x", flush=True)
        if args.seeds > 1:
            row["seed_runs"] = sr = seed_runs(task, texts, epochs, args.seeds)
            print(f"{task.name:<10} {args.seeds} seeds, 1 thread: ours mean acc {sr['ours_mean']:.4f}"
                  f" | fastText (lr {sr['fasttext_best_lr']}) {sr['fasttext_mean']:.4f}", flush=True)
        rows.append(row)
    save("fasttext_vs_ours", {"date": stamp(), "machine": machine(), "rows": rows,
                              "cold_first_fit_seconds": cold})


if __name__ == "__main__":
    main()
