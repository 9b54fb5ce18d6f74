"""A two-class model on three-class data: how much a neutral band found by `evaluate`
recovers, chosen on one half of the data and scored on the other.

Binary models (negative/positive) are trained on the airline tweets without their neutral
ones; TweetEval's sentiment tweets (negative / neutral / positive) are split in two
stratified halves. On each half `tweetlab.evaluation.neutral_bands` picks the band with
the best 3-class macro-F1; that band is then applied to the *other* half and compared
with no band (where every neutral tweet is an error).

Usage: python benchmarks/bench_neutral_band.py [--families tfidf,fasttext]
"""

from __future__ import annotations

import argparse

from common import data_dir, machine, save, stamp

import tweetlab
from tweetlab.data import load_dataset, split_dataset
from tweetlab.evaluation import classification_report, neutral_bands


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", default="tfidf,fasttext")
    args = parser.parse_args()
    data = data_dir()
    airline = load_dataset(data / "airline_train.csv.gz")
    keep = [i for i, lab in enumerate(airline.labels or []) if lab != "neutral"]
    binary = airline.subset(keep)
    three = load_dataset(data / "tweeteval_sentiment_val.csv.gz",
                         label_map={"0": "negative", "1": "neutral", "2": "positive"})
    half_a, half_b = split_dataset(three, test_size=0.5, by="stratified", seed=0)
    results = {}
    for family in args.families.split(","):
        model = tweetlab.train(binary, model=family, seed=0)
        rows = []
        for name, choose, test in (("A->B", half_a, half_b), ("B->A", half_b, half_a)):
            best = neutral_bands(model.predict_proba(choose.texts), choose.labels or [],
                                 model.classes_).best
            assert best is not None and best.band is not None
            proba = model.predict_proba(test.texts)
            order = ["negative", "neutral", "positive"]
            plain = classification_report(test.labels or [], model.labels_from_proba(proba),
                                          labels=order)
            banded = classification_report(
                test.labels or [], model.labels_from_proba(proba, best.band), labels=order)
            rows.append({"halves": name, "band": list(best.band),
                         "macro_f1_chosen_half": best.macro_f1,
                         "macro_f1_no_band": plain.macro_f1, "macro_f1_band": banded.macro_f1,
                         "accuracy_no_band": plain.accuracy, "accuracy_band": banded.accuracy})
            print(f"{family:9s} {name}: band {best.band[0]:.2f}-{best.band[1]:.2f} "
                  f"(macro-F1 {best.macro_f1:.3f} where chosen); other half: macro-F1 "
                  f"{plain.macro_f1:.3f} -> {banded.macro_f1:.3f}, accuracy "
                  f"{plain.accuracy:.3f} -> {banded.accuracy:.3f}", flush=True)
        results[family] = rows
    save("neutral_band", {"date": stamp(), "machine": machine(),
                          "train": f"airline without neutral ({len(binary)} tweets)",
                          "test": "tweeteval_sentiment_val halves (1,000 each)",
                          "results": results})


if __name__ == "__main__":
    main()
