"""`distill` on disaster tweets: a fasttext student on a fine-tuned transformer's soft labels.

The teacher is the transformer that `bench_families.py --tasks disaster --families
transformer --keep out/models` saved (trained on the same fixed 80% split, so it never
saw the test tweets). Extra unlabelled tweets: English tweets from the other shared files
(airline, entity, TweetEval; no disaster tweets), de-duplicated, shuffled, `--extra` of them
(0: none; `--set augment=N` adds N teacher-labelled perturbed copies of each training tweet).
Reports the teacher, a plain fasttext and the distilled student on the same test split.
Usage: python benchmarks/bench_distill.py [--teacher out/models/disaster-transformer]
       [--extra 20000] [--set key=value ...] [--tag NAME]
"""

from __future__ import annotations

import argparse
import csv
import random
import time

from common import OUT, Timer, data_dir, machine, save, stamp
from datasets import load_tasks

import tweetlab
from tweetlab.data import load_dataset


def unlabelled_file(n: int) -> str:
    data = data_dir()
    texts: dict[str, None] = {}
    for name in ("airline_train.csv.gz", "twitter_entity_train.csv.gz",
                 "tweeteval_sentiment_val.csv.gz"):
        for t in load_dataset(data / name, skip_bad_rows=True).texts:
            texts.setdefault(t.strip(), None)
    pool = [t for t in texts if t]
    random.Random(0).shuffle(pool)
    path = OUT / "unlabelled_en.csv"
    OUT.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text"])
        w.writerows([t] for t in pool[:n])
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--teacher", default=str(OUT / "models" / "disaster-transformer"))
    parser.add_argument("--extra", type=int, default=20_000)
    parser.add_argument("--set", action="append", default=[])
    parser.add_argument("--tag", help="name of the output JSON (distill_TAG.json)")
    args = parser.parse_args()
    task = load_tasks(data_dir(), ["disaster"])[0]
    extra = unlabelled_file(args.extra) if args.extra else None
    rows = []
    teacher = tweetlab.load_model(args.teacher)
    candidates = [
        ("teacher (transformer)", None, []),
        ("fasttext", "fasttext", []),
        ("distill (fasttext student)", "distill",
         [f"teacher={args.teacher}", *([f"unlabelled={extra}"] if extra else []), *args.set]),
    ]
    for name, family, overrides in candidates:
        seconds = None
        if family is None:
            model = teacher
        else:
            with Timer() as t:
                model = tweetlab.train(task.train, family, overrides=["progress=false", *overrides])
            seconds = t.seconds
        start = time.perf_counter()
        report = tweetlab.evaluate(model, task.test)
        predict_s = time.perf_counter() - start
        row = {"model": name, "positive_f1": report.extra.get("positive_f1"),
               "accuracy": report.accuracy, "macro_f1": report.macro_f1,
               "train_seconds": seconds, "predict_tweets_per_s": len(task.test) / predict_s,
               "extra_tweets": args.extra if family == "distill" else 0,
               "settings": args.set if family == "distill" else []}
        rows.append(row)
        print(f"{name:<28} F1 {row['positive_f1']:.4f} acc {row['accuracy']:.4f} "
              f"train {seconds or 0:.0f} s predict {row['predict_tweets_per_s']:,.0f}/s", flush=True)
    save(f"distill_{args.tag}" if args.tag else "distill",
         {"date": stamp(), "machine": machine(), "teacher": args.teacher,
          "n_train": len(task.train), "n_test": len(task.test), "rows": rows})


if __name__ == "__main__":
    main()
