"""Exploration (#5): would `generator update` gain from also fine-tuning the network
briefly on the new tweets? Trump, a saved 14-minute char-transformer: the held-out
(newest 5%) tweets split in time into A (older half) and B (newer half). B is scored
(1) as trained, (2) after the n-gram counted A (`update`), (3) after `update` plus
fine-tuning the network on A mixed with replayed older training tweets for S seconds at
learning rate LR (linear decay). Nothing here looks at B before scoring it.
Usage: python explore_update_finetune.py out/gen_trump_char-transformer_trial_stream
"""

from __future__ import annotations

import copy
import sys
from dataclasses import replace

import numpy as np
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: common, datasets
from common import data_dir

from tweetlab.generation import TweetCorpus, TweetGenerator, load_generator, read_tweets
from tweetlab.training import train_module


def fine_tune(gen: TweetGenerator, new: list[np.ndarray], old: list[np.ndarray],
              seconds: float, lr: float, replay: int) -> None:
    rng = np.random.default_rng(0)
    pool = new + [old[i] for i in rng.choice(len(old), replay * len(new), replace=False)]
    cfg = replace(gen.train_config, lr=lr, max_seconds=seconds, epochs=50, warmup=0.0,
                  progress=False, checkpoint_seconds=0, patience=50)
    bs = cfg.batch_size
    n_batches = -(-len(pool) // bs)
    train_module(gen.module_, lambda e: gen._batches(pool, bs, np.random.default_rng([1, e])),
                 n_batches, cfg, desc="fine-tune")
    gen.module_.to("cpu").eval()


def part(c: TweetCorpus, sl: slice) -> TweetCorpus:
    return TweetCorpus(c.texts[sl], c.ends[sl], c.dates[sl])


def main() -> None:
    folder = sys.argv[1]
    base = load_generator(folder)
    corpus = read_tweets(data_dir() / "trump_tweets.csv.gz", base.config.cleaning)
    train_part, valid_part = corpus.split_by_time(base.config.valid_fraction)
    half = len(valid_part) // 2
    a, b = part(valid_part, slice(0, half)), part(valid_part, slice(half, None))
    print(f"A {len(a)} tweets, B {len(b)} tweets")
    mixed, network = base.held_out_bits(b)
    print(f"as trained:          B {mixed:.4f} (network {network:.4f})")
    gen = copy.deepcopy(base)
    gen.update(a)
    mixed, network = gen.held_out_bits(b)
    print(f"update (n-gram):     B {mixed:.4f} (network {network:.4f})")
    new = gen._sequences(a.texts, a.ends)
    old = gen._sequences(train_part.texts[-6000:], train_part.ends[-6000:])
    for seconds, lr, replay in [(60, 3e-4, 2), (120, 3e-4, 2), (60, 1e-3, 2), (120, 1e-4, 4)]:
        tuned = copy.deepcopy(gen)
        fine_tune(tuned, new, old, seconds, lr, replay)
        mixed, network = tuned.held_out_bits(b)
        print(f"update + fine-tune {seconds} s, lr {lr:g}, replay x{replay}: B {mixed:.4f} "
              f"(network {network:.4f})", flush=True)


if __name__ == "__main__":
    main()
