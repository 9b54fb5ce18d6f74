"""fastText (the `fasttext` PyPI package) as a reference; run in the `make bench-ref` venv.

Input JSON: train/test texts (already normalised by tweetlab, so both see the same
tokens) and labels, plus fastText settings. Output: one JSON line with train seconds,
test accuracy / macro-F1 and predict speed.
"""

import json
import os
import sys
import tempfile
import time

import fasttext
import numpy as np


def macro_f1(gold, pred, classes):
    f1s = []
    for c in classes:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == c and p == c)
        p = tp / max(sum(1 for x in pred if x == c), 1)
        r = tp / max(sum(1 for x in gold if x == c), 1)
        f1s.append(0.0 if p + r == 0 else 2 * p * r / (p + r))
    return float(np.mean(f1s))


def main():
    cfg = json.load(open(sys.argv[1]))
    fd, path = tempfile.mkstemp(suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        for t, y in zip(cfg["train_texts"], cfg["train_labels"], strict=True):
            fh.write(f"__label__{y} {t.replace(chr(10), ' ')}\n")
    results = []
    for params in cfg["settings"]:
        t = time.perf_counter()
        model = fasttext.train_supervised(input=path, verbose=0, **params)
        train_s = time.perf_counter() - t
        texts = [x.replace("\n", " ") for x in cfg["test_texts"]]
        t = time.perf_counter()
        labels, _ = model.predict(texts)
        pred_s = time.perf_counter() - t
        pred = [lab[0].removeprefix("__label__") for lab in labels]
        gold = cfg["test_labels"]
        classes = sorted(set(gold))
        results.append({"params": params, "train_seconds": train_s,
                        "accuracy": float(np.mean([a == b for a, b in zip(pred, gold, strict=True)])),
                        "macro_f1": macro_f1(gold, pred, classes),
                        "positive_f1": macro_f1(gold, pred, [classes[-1]]),
                        "predict_tweets_per_s": len(texts) / pred_s})
    os.unlink(path)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
