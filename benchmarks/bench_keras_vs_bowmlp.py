"""`bow-mlp` vs the founding Keras/TensorFlow MLP, side by side in one run.

* Seconds per epoch on the same 200k tweets: the entity training split (grouped by id)
  repeated to 200,000 rows. Keras at the seed design's batch 32; bow-mlp at its default
  batch (512). bow-mlp: the second epoch is timed (warm-up excluded). Keras: by default
  1,000 steps after 1,000 warm-up steps, scaled to the epoch's 6,250 steps
  (--keras-steps 0 times two whole epochs, the second counted).
* Held-out accuracy on the entity test split (grouped by id): bow-mlp with its defaults
  (early stopping on 10% of the training split); Keras trained on the whole training
  split, scored after each of 4 epochs, best epoch reported (its best case).

Needs the reference venv: `make bench-ref`.
"""

from __future__ import annotations

import argparse

from common import data_dir, machine, run_reference, save, stamp
from datasets import load_tasks

import tweetlab
from tweetlab.config import TrainConfig
from tweetlab.models import create, get_family

TIMING_ROWS = 200_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keras-steps", type=int, default=1000,
                        help="time this many Keras steps (after as many warm-up steps) and "
                             "scale to a whole epoch; 0 times whole epochs (~10+ min each)")
    args = parser.parse_args()
    task = load_tasks(data_dir(), ["entity"])[0]
    reps = -(-TIMING_ROWS // len(task.train))
    timing_texts = (task.train.texts * reps)[:TIMING_ROWS]
    timing_labels = (task.train.labels * reps)[:TIMING_ROWS]

    # bow-mlp: seconds per epoch (2 epochs, no validation; the second is timed).
    defaults = {**get_family("bow-mlp").train_defaults, "epochs": 2, "progress": False,
                "checkpoint_seconds": 1e9}
    clf = create("bow-mlp", train_config=TrainConfig(**defaults))
    clf.fit(timing_texts, timing_labels)
    ours_epoch = [h["seconds"] for h in clf.history_]
    print(f"bow-mlp seconds per epoch on {TIMING_ROWS} tweets: {ours_epoch}", flush=True)
    model = tweetlab.train(task.train, "bow-mlp", overrides=["progress=false"])
    report = tweetlab.evaluate(model, task.test)
    print(f"bow-mlp held-out: {report}", flush=True)

    ref = run_reference("keras_mlp.py", {
        "num_words": 10_000, "batch_size": 32, "epochs": 4, "timing_epochs": 2,
        "timing_steps": args.keras_steps,
        "timing_texts": timing_texts, "timing_labels": timing_labels,
        "train_texts": task.train.texts, "train_labels": task.train.labels,
        "test_texts": task.test.texts, "test_labels": task.test.labels,
    })
    best = max(ref["scores"], key=lambda s: s["accuracy"])
    speedup = ref["epoch_seconds"][-1] / ours_epoch[-1]
    result = {
        "date": stamp(), "machine": machine(), "timing_rows": TIMING_ROWS,
        "bow_mlp": {"epoch_seconds": ours_epoch, "accuracy": report.accuracy,
                    "macro_f1": report.macro_f1, "epochs_run": len(model.history_)},
        "keras": ref, "keras_best": best, "speedup_per_epoch": speedup,
    }
    save("keras_vs_bowmlp", result)
    print(f"keras seconds per epoch: {ref['epoch_seconds']}; per-epoch scores: {ref['scores']}")
    print(f"bow-mlp batch {clf.train_config.batch_size}; speed-up per epoch: {speedup:.1f}x; held-out accuracy bow-mlp {report.accuracy:.4f} "
          f"vs keras best {best['accuracy']:.4f} (epoch {best['epoch']})")


if __name__ == "__main__":
    main()
