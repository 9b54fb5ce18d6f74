"""`image-cnn` on MNIST (../shared/data/digits_train.csv.gz): held-out accuracy and time.

A fixed stratified 10% of the 60,000 images (seed 0) is the held-out test split, never
seen in training; training holds out 5% of the rest for early stopping and keeps the
best epoch. Reports train seconds (the whole `tweetlab.train` call: reading excluded),
held-out accuracy with and without test-time augmentation, and predict images/s.
Usage: python benchmarks/bench_digits.py [--epochs N] [--set key=value ...]
"""

from __future__ import annotations

import argparse
import time

from common import Timer, data_dir, machine, save, stamp

import tweetlab
from tweetlab.data import load_images, split_dataset


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--set", action="append", default=[])
    parser.add_argument("--limit", type=int, default=None, help="use only N images (smoke test)")
    args = parser.parse_args()
    with Timer() as read:
        ds = load_images(data_dir() / "digits_train.csv.gz", require_labels=True)
    if args.limit:
        ds = ds.subset(range(args.limit))
    train, test = split_dataset(ds, test_size=0.1, by="stratified", seed=0)
    print(f"read {len(ds)} images in {read.seconds:.1f} s; train {len(train)}, test {len(test)}",
          flush=True)
    overrides = ["progress=false", *args.set]
    if args.epochs:
        overrides.append(f"epochs={args.epochs}")
    with Timer() as t:
        model = tweetlab.train(train, "image-cnn", valid_size=0.05, overrides=overrides)
    for h in model.history_:
        print(f"  epoch {int(h['epoch'])}: train loss {h['train_loss']:.4f}, valid loss "
              f"{h['valid_loss']:.4f}, valid acc {h['valid_accuracy']:.4f}, {h['seconds']:.1f} s",
              flush=True)
    start = time.perf_counter()
    report = tweetlab.evaluate(model, test)
    predict_s = time.perf_counter() - start
    model.config = model.config.replace(tta=True)
    report_tta = tweetlab.evaluate(model, test)
    result = {
        "date": stamp(), "machine": machine(), "n_train": len(train), "n_test": len(test),
        "train_seconds": t.seconds, "epochs_run": len(model.history_),
        "best_epoch": model.train_result_.best_epoch, "accuracy": report.accuracy,
        "accuracy_tta": report_tta.accuracy, "macro_f1": report.macro_f1,
        "predict_images_per_s": len(test) / predict_s, "params": model.config.to_dict(),
        "train": model.train_config.to_dict(), "history": model.history_,
        "parameters": model.extra_info()["parameters"],
    }
    save("digits", result)
    print(f"image-cnn: held-out accuracy {report.accuracy:.4f} (TTA {report_tta.accuracy:.4f}) "
          f"on {len(test)} images; trained in {t.seconds:.0f} s ({len(model.history_)} epochs); "
          f"predict {result['predict_images_per_s']:,.0f} images/s")


if __name__ == "__main__":
    main()
