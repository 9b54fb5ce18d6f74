"""Linear vs geometric mixing of a saved generator's network and n-gram (no retraining).

For each saved generator folder (trained by `bench_generate.py` with the n-gram and its
tuning tweets): rebuild the account's time split and the 5% tuning tweets the network was
not trained on (the same seeded draw as training), fit the geometric exponents there as
`ngram_mix=auto` does, and score the held-out (newest 5%) tweets both ways with the
folder's full n-gram. The network is the folder's; only the mixture differs. Also
times writing 100 tweets with each mixture (linear, geometric, linear again).

Usage: python benchmarks/bench_mixing.py out/gen_trump_char-transformer_bf16 [...]
"""

from __future__ import annotations

import sys
import time

import numpy as np
from common import data_dir, machine, save, stamp

from tweetlab.generation import load_generator, read_tweets
from tweetlab.ngram import CharNgram


def rescore(folder: str) -> dict[str, object]:
    gen = load_generator(folder)
    account = "petro" if "petro" in folder else "trump"
    corpus = read_tweets(data_dir() / f"{account}_tweets.csv.gz", gen.config.cleaning)
    train_part, valid_part = corpus.split_by_time(gen.config.valid_fraction)
    texts, seqs = gen._new_sequences(train_part)
    n_own = len(train_part)
    n_tune = int(round(0.05 * n_own))
    tuning = np.sort(np.random.default_rng(gen.train_config.seed).choice(
        n_own, n_tune, replace=False))
    held = set(tuning.tolist())
    full, weight = gen.ngram_, gen.ngram_weight_
    assert full is not None, f"{folder} has no n-gram"
    start = time.perf_counter()
    gen.ngram_ = CharNgram.fit([s for i, s in enumerate(seqs) if i not in held],
                               gen.config.ngram, len(gen.vocab_))
    gen.config = gen.config.replace(ngram_mix="geometric")
    parts = [(net, ngram, y) for _, net, ngram, y in gen._group_dists([seqs[i] for i in tuning])]
    gen._choose_geometric(parts, weight)
    fit_seconds = time.perf_counter() - start
    gen.ngram_ = full
    geometric, network = gen.held_out_bits(valid_part)
    exponents = gen.ngram_exponents_
    gen.ngram_exponents_ = None
    linear, _ = gen.held_out_bits(valid_part)
    speed = {}
    for name, exps in (("linear", None), ("geometric", exponents), ("linear_again", None)):
        gen.ngram_exponents_ = exps
        t0 = time.perf_counter()
        gen.generate("", n=100, seed=0)
        speed[name] = 100 / (time.perf_counter() - t0)
    row = {"folder": folder, "tweets_per_s": speed, "account": account, "family": gen.family,
           "network": network, "linear": linear, "linear_weight": weight,
           "geometric": geometric, "exponents": exponents,
           "tuning": gen.ngram_tuning_geometric_, "fit_seconds": fit_seconds}
    print(f"{folder}: network {network:.4f}, linear (w {weight:g}) {linear:.4f}, geometric "
          f"(a {exponents[0]:.3f}, b {exponents[1]:.3f}) {geometric:.4f} "
          f"({geometric - linear:+.4f}); fit {fit_seconds:.1f} s; writing 100 tweets: "
          f"{speed['linear']:.1f} / {speed['geometric']:.1f} / {speed['linear_again']:.1f} "
          "tweets/s (linear, geometric, linear)", flush=True)
    return row


def main() -> None:
    folders = sys.argv[1:] or ["out/gen_trump_char-transformer_bf16",
                               "out/gen_trump_char-lstm_fp32",
                               "out/gen_petro_char-transformer_trial_stream"]
    rows = [rescore(f) for f in folders]
    save("mixing", {"date": stamp(), "machine": machine(), "rows": rows})


if __name__ == "__main__":
    main()
