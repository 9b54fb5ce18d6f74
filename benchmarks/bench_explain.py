"""`tweetlab.explain` / `predict --explain`: how long a word-by-word explanation takes, and
whether the words it names are the ones the model's decision rests on.

Families trained on the disaster split of `datasets.py` (train part), explanations of
`--tweets` test tweets. Per family: milliseconds per explained tweet (a tweet of n words
costs n + 1 predictions, in one batch) against plain predict_proba of the same tweets,
then a deletion check (the "comprehensiveness" of ERASER, DeYoung et al. 2020): take out
the k words with the largest weights and see how far the predicted class's probability
falls, against taking out k words drawn at random (5 draws per tweet, seeded), k = 1, 3.
An explanation that names the words the decision rests on makes the first fall much
larger than the second, and flips more labels.

The transformer (all-MiniLM-L6-v2, `--transformer-seconds` of fine-tuning, 2 cores) is
included with `--transformer`.

Usage: python benchmarks/bench_explain.py [--tweets 300] [--transformer]
       [--transformer-seconds 300]
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np
from common import data_dir, machine, save, stamp
from datasets import load_tasks

import tweetlab
from tweetlab.explanation import explain


def without(text: str, spans: list[tuple[int, int]]) -> str:
    out, at = [], 0
    for a, b in sorted(spans):
        out.append(text[at:a])
        at = b
    out.append(text[at:])
    return "".join(out)


def measure(model, texts: list[str], ks: tuple[int, ...], seed: int = 0) -> dict:
    start = time.perf_counter()
    proba = model.predict_proba(texts)
    predict_s = time.perf_counter() - start
    start = time.perf_counter()
    found = explain(model, texts)
    explain_s = time.perf_counter() - start
    classes = list(model.classes_)
    rng = random.Random(seed)
    result: dict = {"tweets": len(texts), "words_per_tweet": float(np.mean([len(e.words)
                                                                           for e in found])),
                    "predict_ms_per_tweet": 1000 * predict_s / len(texts),
                    "explain_ms_per_tweet": 1000 * explain_s / len(texts)}
    for k in ks:
        top_texts, rand_texts, rows = [], [], []
        for i, e in enumerate(found):
            if len(e.words) <= k:
                continue
            order = sorted(e.words, key=lambda w: -w.weight)[:k]
            top_texts.append(without(e.text, [(w.start, w.end) for w in order]))
            for _ in range(5):
                drawn = rng.sample(e.words, k)
                rand_texts.append(without(e.text, [(w.start, w.end) for w in drawn]))
            rows.append((i, classes.index(e.target)))
        p_top = model.predict_proba(top_texts)
        p_rand = model.predict_proba(rand_texts).reshape(len(rows), 5, len(classes))
        base = np.array([proba[i, c] for i, c in rows])
        top = np.array([p_top[j, c] for j, (_, c) in enumerate(rows)])
        rand = np.array([p_rand[j, :, c] for j, (_, c) in enumerate(rows)])
        flips_top = np.mean([int(np.argmax(p_top[j])) != c for j, (_, c) in enumerate(rows)])
        flips_rand = np.mean([[int(np.argmax(p_rand[j, d])) != c for d in range(5)]
                              for j, (_, c) in enumerate(rows)])
        result[f"k{k}"] = {"tweets": len(rows), "drop_top": float(np.mean(base - top)),
                           "drop_random": float(np.mean(base[:, None] - rand)),
                           "flips_top": float(flips_top), "flips_random": float(flips_rand)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tweets", type=int, default=300)
    parser.add_argument("--transformer", action="store_true")
    parser.add_argument("--transformer-seconds", type=int, default=300)
    args = parser.parse_args()
    task = load_tasks(data_dir(), ["disaster"])[0]
    texts = task.test.texts[:args.tweets]
    families: dict[str, list[str]] = {"tfidf": [], "fasttext": [], "bow-mlp": []}
    if args.transformer:
        families["transformer"] = [f"max_seconds={args.transformer_seconds}"]
    results = {}
    for family, settings in families.items():
        model = tweetlab.train(task.train, model=family, seed=0, overrides=settings)
        measure(model, texts[:20], (1,))  # warm-up: compiled kernels, first-call costs
        r = measure(model, texts, (1, 3))
        results[family] = r
        line = (f"{family:12s} predict {r['predict_ms_per_tweet']:6.2f} ms/tweet, explain "
                f"{r['explain_ms_per_tweet']:7.2f} ms/tweet ({r['words_per_tweet']:.1f} words)")
        for k in (1, 3):
            d = r[f"k{k}"]
            line += (f" | k={k}: drop {d['drop_top']:.3f} vs random {d['drop_random']:.3f}, "
                     f"flips {d['flips_top']:.1%} vs {d['flips_random']:.1%}")
        print(line, flush=True)
    save("explain", {"date": stamp(), "machine": machine(), "task": "disaster",
                     "results": results})


if __name__ == "__main__":
    main()
