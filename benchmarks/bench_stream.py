"""Keeping a generator current (#5): held-out bits/char of a saved generator scored as it
is (static) and as a stream - the newest 5% of the account's tweets, oldest first, each
chunk scored before `TweetGenerator.update` counts it (what `tweetlab generator update`
does for a model that keeps up with its account). Also times `update` on all the
held-out tweets. With --recent, an exploration: a third component counted on only the
last K tweets, its weight picked on the held-out tweets (an upper bound, not a method).

Usage: python bench_stream.py out/gen_trump_char-transformer_trial_stream [more folders]
       [--chunks 25,50,100] [--recent 1000]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
from common import data_dir, machine, save, stamp

from tweetlab.generation import load_generator, read_tweets
from tweetlab.ngram import CharNgram


def recent_upper_bound(gen, train_part, valid_part, chunk: int, k: int) -> dict:
    """Mix in an n-gram of the last ``k`` own tweets (training tail + earlier held-out
    chunks); weights chosen on the held-out tweets themselves (an upper bound)."""
    log_nn, _, p_stream = gen.stream_probs(valid_part, chunk=chunk)
    seqs = gen._sequences(valid_part.texts, valid_part.ends)
    own = gen._sequences(train_part.texts, train_part.ends)
    full, recent = gen.ngram_, []
    try:
        for s in range(0, len(seqs), chunk):
            gen.ngram_ = CharNgram.fit((own + seqs[:s])[-k:], full.order, full.vocab_size)
            recent.append(gen._ngram_probs_in_order(seqs[s:s + chunk]))
    finally:
        gen.ngram_ = full
    ls, lr = np.log(p_stream), np.log(np.concatenate(recent))
    best = (math.inf, 0.0, 0.0)
    for w in np.arange(0.2, 0.66, 0.05):
        for r in np.arange(0.0, 0.31, 0.025):
            mixed = np.logaddexp.reduce(np.stack([log_nn + math.log(1 - w - r),
                                                  ls + math.log(w), lr + math.log(max(r, 1e-12))]),
                                        axis=0)
            best = min(best, (float(-mixed.mean() / math.log(2)), float(w), float(r)))
    return {"recent_tweets": k, "bits": best[0], "weight": best[1], "recent_weight": best[2]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--chunks", default="25,50,100")
    parser.add_argument("--recent", type=int, default=0)
    parser.add_argument("--tag", default="")
    args = parser.parse_args()
    data = data_dir()
    rows = []
    for folder in map(Path, args.folders):
        gen = load_generator(folder)
        account = "trump" if "trump" in folder.name else "petro"
        corpus = read_tweets(data / f"{account}_tweets.csv.gz", gen.config.cleaning)
        train_part, valid_part = corpus.split_by_time(gen.config.valid_fraction)
        row = {"folder": folder.name, "account": account, "family": gen.family,
               "n_valid": len(valid_part), "weight": gen.ngram_weight_, "stream": {}}
        for chunk in map(int, args.chunks.split(",")):
            start = time.perf_counter()
            static, stream = gen.stream_bits(valid_part, chunk=chunk)
            row["static"] = static
            row["stream"][chunk] = {"bits": stream, "seconds": time.perf_counter() - start}
            print(f"{folder.name}: static {static:.4f}, stream (chunks of {chunk}) {stream:.4f} "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
        start = time.perf_counter()
        summary = gen.update(valid_part)
        row["update"] = {"added": summary.added, "seconds": time.perf_counter() - start}
        print(f"  update with all {len(valid_part)} held-out tweets: {summary} in "
              f"{row['update']['seconds']:.2f} s", flush=True)
        if args.recent:
            gen = load_generator(folder)  # without the update above
            row["recent"] = recent_upper_bound(gen, train_part, valid_part,
                                               int(args.chunks.split(",")[0]), args.recent)
            print(f"  + recent-{args.recent} n-gram, weights picked on the held-out tweets: "
                  f"{row['recent']['bits']:.4f}", flush=True)
        rows.append(row)
    save("stream" + args.tag, {"date": stamp(), "machine": machine(), "rows": rows})


if __name__ == "__main__":
    main()
