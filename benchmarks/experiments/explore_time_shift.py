"""Exploration (#5): where do a saved generator's held-out bits go? Scores the 5% of
training tweets kept from the network to choose the n-gram weight (drawn at random over
the years; the n-gram counted without them) next to the held-out newest 5%, overall and
by kind of character (lower, upper, space, punctuation, digit, end of tweet).
Usage: python explore_time_shift.py out/gen_trump_char-transformer_trial_stream
"""

from __future__ import annotations

import math
import sys

import numpy as np
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: common, datasets
from common import data_dir

from tweetlab.generation import BOUNDARY, load_generator, read_tweets
from tweetlab.ngram import CharNgram

KINDS = ("lower", "upper", "space", "punct", "digit", "end")


def kind(gen, c: int) -> str:
    if c == BOUNDARY:
        return "end"
    ch = gen.vocab_.decode([c])
    if ch.isupper():
        return "upper"
    if ch.islower():
        return "lower"
    if ch.isdigit():
        return "digit"
    return "space" if ch == " " else "punct"


def main() -> None:
    folder = sys.argv[1]
    gen = load_generator(folder)
    account = "trump" if "trump" in folder else "petro"
    corpus = read_tweets(data_dir() / f"{account}_tweets.csv.gz", gen.config.cleaning)
    train_part, valid_part = corpus.split_by_time(gen.config.valid_fraction)
    seqs = gen._sequences(train_part.texts, train_part.ends)
    if gen.config.retweet_weight > 0 and train_part.retweets is not None:
        seqs += gen._sequences(train_part.retweets.texts, train_part.retweets.ends)
    n_own = len(train_part)
    # the same draw as TweetGenerator.fit
    tuning = np.sort(np.random.default_rng(gen.train_config.seed)
                     .choice(n_own, int(round(0.05 * n_own)), replace=False))
    held = set(tuning.tolist())
    full = gen.ngram_
    without = CharNgram.fit([s for i, s in enumerate(seqs) if i not in held],
                            full.order, full.vocab_size)
    w = gen.ngram_weight_
    for name, part, lm in [("tuning tweets (2009-2017, kept from the network)",
                            [seqs[i] for i in tuning], without),
                           ("held-out newest 5%", gen._sequences(valid_part.texts,
                                                                valid_part.ends), full)]:
        gen.ngram_ = lm
        log_nn, p_ng = gen._position_probs(part)
        gen.ngram_ = full
        bits = -np.logaddexp(math.log1p(-w) + log_nn, math.log(w) + np.log(p_ng)) / math.log(2)
        kinds = np.array([kind(gen, int(c)) for s in part for c in s[1:]])
        print(f"{name}: {bits.mean():.3f} bits/char (network alone "
              f"{-log_nn.mean() / math.log(2):.3f}), {len(part)} tweets")
        for k in KINDS:
            sel = kinds == k
            print(f"   {k:<6} share {sel.mean():.3f}  bits {bits[sel].mean():.3f}")


if __name__ == "__main__":
    main()
