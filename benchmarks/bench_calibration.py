"""How far each family's confidence (the probability `predict` prints) is from its accuracy
on the held-out part of each benchmark split: expected calibration error (10 bins), the
mean gap (confidence minus accuracy; > 0: overconfident) and the log-loss - what `evaluate`
prints - for each family trained twice in the same run: `--set calibrate=false` (the
probabilities as the model gives them) and the default (a temperature fitted on the
validation split). The labels must be the same both ways.

`--bundled`: the bundled models instead, on their held-out test parts
(`scripts/train_bundled.py`), without their temperature (T = 1) and with it.

Usage: python benchmarks/bench_calibration.py [--tasks disaster,entity,tass-es,tweeteval]
       [--families tfidf,fasttext,bow-mlp] [--bundled]
"""

from __future__ import annotations

import argparse

import numpy as np
from common import data_dir, machine, save, stamp
from datasets import load_tasks

import tweetlab
from tweetlab.api import model_inputs
from tweetlab.evaluation import calibration, log_loss


def bundled() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    import train_bundled

    results: dict = {}
    for name in train_bundled.BUDGET_MB:
        model = tweetlab.load_model(train_bundled.BUNDLED / name)
        fitted = model.temperature
        _, tests, _ = train_bundled.parts(data_dir(), name)
        for src, test in tests.items():
            row = {}
            for label, t in (("T=1", 1.0), ("fitted", fitted)):
                model.temperature = t
                proba = model.predict_proba(test.texts)
                gold = [model.classes_.index(g) for g in test.labels or []]
                cal = calibration(proba, test.labels or [], model.classes_)
                nll = log_loss(proba, gold)
                row[label] = {"temperature": t, "ece": cal.ece, "nll": nll,
                              "overconfidence": cal.overconfidence}
            results[f"{name}/{src}"] = row
            print(f"{name:13s} {src:10s} T {fitted:.2f}: ECE {row['T=1']['ece']:.3f} -> "
                  f"{row['fitted']['ece']:.3f}, log-loss {row['T=1']['nll']:.3f} -> "
                  f"{row['fitted']['nll']:.3f}", flush=True)
    save("calibration_bundled", {"date": stamp(), "machine": machine(), "results": results})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", default="disaster,entity,tass-es,tweeteval")
    parser.add_argument("--families", default="tfidf,fasttext,bow-mlp")
    parser.add_argument("--bundled", action="store_true")
    args = parser.parse_args()
    if args.bundled:
        bundled()
        return
    results: dict = {}
    for task in load_tasks(data_dir(), args.tasks.split(",")):
        for family in args.families.split(","):
            row: dict = {}
            labels = None
            for name, extra in (("raw", ["calibrate=false"]), ("calibrated", [])):
                model = tweetlab.train(task.train, model=family, seed=0, overrides=extra)
                proba = model.predict_proba(model_inputs(model, task.test))
                gold = [model.classes_.index(g) for g in task.test.labels or []]
                cal = calibration(proba, task.test.labels or [], model.classes_)
                nll = log_loss(proba, gold)
                predicted = proba.argmax(axis=1).tolist()
                assert labels is None or predicted == labels, "calibration moved a label"
                labels = predicted
                row[name] = {"ece": cal.ece, "overconfidence": cal.overconfidence, "nll": nll,
                             "temperature": model.temperature,
                             "accuracy": float(np.mean(np.array(predicted) == gold))}
            results[f"{task.name}/{family}"] = row
            raw, cal_ = row["raw"], row["calibrated"]
            print(f"{task.name:10s} {family:9s} accuracy {raw['accuracy']:.3f}  T "
                  f"{cal_['temperature']:.2f}  ECE {raw['ece']:.3f} -> {cal_['ece']:.3f}  "
                  f"gap {raw['overconfidence']:+.3f} -> {cal_['overconfidence']:+.3f}  "
                  f"log-loss {raw['nll']:.3f} -> {cal_['nll']:.3f}", flush=True)
    save("calibration", {"date": stamp(), "machine": machine(), "results": results})


if __name__ == "__main__":
    main()
