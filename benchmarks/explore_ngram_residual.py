"""Exploration (#5, 2026-11-28): train the char-transformer *on top of* its n-gram model
(a product of experts: ``logits = network(x) + s * log p_ngram(x)``, ``s`` learned)
instead of mixing the two after training.

So that the network does not learn to trust an n-gram that has seen the very tweet it is
predicting, each training tweet gets the n-gram distributions of a 10-fold n-gram (counted
on the other nine folds); the held-out (newest 5%) tweets get those of the n-gram of all
training tweets. Same defaults, data, split and time budget as the library's
char-transformer (the fold n-grams' time counted in the budget); prints held-out bits per
character. Compare with `bench_generate.py --accounts trump --families char-transformer
--minutes 5 --tag _trial_base5` run on the same machine. Result on 2026-11-28 (Trump,
312 s each): this 2.011 vs the library's mixture 1.917 - not kept.
Usage: python explore_ngram_residual.py [seconds=312] [k=10] [order=8] [account=trump]
"""

from __future__ import annotations

import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from common import data_dir
from torch import nn

from tweetlab.config import TrainConfig
from tweetlab.generation import (
    FAMILY_DEFAULTS,
    TRAIN_DEFAULTS,
    CharTransformer,
    CharVocab,
    GeneratorConfig,
    TweetGenerator,
    read_tweets,
)
from tweetlab.ngram import CharNgram, context_hashes
from tweetlab.training import train_module


def log_priors(lm: CharNgram, seqs: list[np.ndarray]) -> list[np.ndarray]:
    """Per sequence: (len - 1, V) float16 log n-gram distributions of each prediction."""
    out = []
    for s0 in range(0, len(seqs), 2000):
        part = seqs[s0:s0 + 2000]
        width = max(len(s) for s in part) - 1
        x = np.full((len(part), width), -1, dtype=np.int64)
        for r, s in enumerate(part):
            x[r, :len(s) - 1] = s[:-1]
        h, v = context_hashes(x, lm.order)
        mask = x >= 0
        lp = np.log(np.maximum(lm.probs(h[mask], v[mask]), 1e-30)).astype(np.float16)
        at = 0
        for s in part:
            out.append(lp[at:at + len(s) - 1])
            at += len(s) - 1
    return out


class Residual(nn.Module):
    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, x: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
        return self.inner(x) + self.scale * prior


def batches(seqs, priors, vocab_size, batch_size, rng):
    """The generator's own batches (same grouping and order), with the n-gram priors."""
    for g in TweetGenerator.batch_groups(seqs, batch_size, rng):
        width = max(len(seqs[i]) for i in g) - 1
        x = np.zeros((len(g), width), dtype=np.int64)
        y = np.full((len(g), width), -100, dtype=np.int64)
        pr = np.zeros((len(g), width, vocab_size), dtype=np.float32)
        for r, i in enumerate(g):
            n = len(seqs[i]) - 1
            x[r, :n], y[r, :n], pr[r, :n] = seqs[i][:-1], seqs[i][1:], priors[i]
        yield torch.from_numpy(x), torch.from_numpy(pr), torch.from_numpy(y)


def main() -> None:
    args = dict(a.split("=", 1) for a in sys.argv[1:])
    seconds, k, order = float(args.get("seconds", 312)), int(args.get("k", 10)), int(args.get("order", 8))
    account = args.get("account", "trump")
    torch.set_num_threads(2)
    t_all = time.perf_counter()
    cfg = GeneratorConfig(family="char-transformer", **FAMILY_DEFAULTS["char-transformer"])
    corpus = read_tweets(data_dir() / f"{account}_tweets.csv.gz", cfg.cleaning)
    train, held = corpus.split_by_time(0.05)
    texts, ends = list(train.texts), list(train.ends)
    if train.retweets is not None and len(train.retweets):
        texts += train.retweets.texts
        ends += train.retweets.ends
    gen = TweetGenerator(cfg)
    gen.vocab_ = CharVocab.build(texts, cfg.min_count)
    size = len(gen.vocab_)
    seqs, hseqs = gen._sequences(texts, ends), gen._sequences(held.texts, held.ends)
    t0 = time.perf_counter()
    fold = np.random.default_rng(0).integers(0, k, len(seqs))
    priors: list[np.ndarray] = [np.zeros(0)] * len(seqs)
    for f in range(k):
        lm = CharNgram.fit([seqs[i] for i in np.flatnonzero(fold != f)], order, size)
        idx = np.flatnonzero(fold == f)
        for i, p in zip(idx, log_priors(lm, [seqs[i] for i in idx]), strict=True):
            priors[i] = p
    hpriors = log_priors(CharNgram.fit(seqs, order, size), hseqs)
    prior_s = time.perf_counter() - t0
    torch.manual_seed(0)
    net = Residual(CharTransformer(size, cfg))
    tcfg = TrainConfig(**{**TRAIN_DEFAULTS["char-transformer"], "max_seconds": seconds - prior_s,
                          "progress": False})
    n_batches = -(-len(seqs) // tcfg.batch_size)
    result = train_module(
        net, lambda e: batches(seqs, priors, size, tcfg.batch_size, np.random.default_rng([0, e])),
        n_batches, tcfg, valid_batches=lambda: batches(hseqs, hpriors, size, 256, None),
        desc="residual")
    net.eval()
    total = total_ng = 0.0
    count = 0
    with torch.no_grad():
        for x, pr, y in batches(hseqs, hpriors, size, 256, None):
            sel = y != -100
            target = y[sel][:, None]
            total -= F.log_softmax(net(x, pr), -1)[sel].gather(1, target).sum().item()
            total_ng -= F.log_softmax(pr, -1)[sel].gather(1, target).sum().item()
            count += int(sel.sum())
    print(json.dumps({"args": args, "held_out_bpc": total / count / math.log(2),
                      "ngram_alone_bpc": total_ng / count / math.log(2),
                      "prior_seconds": prior_s, "scale": float(net.scale.detach()),
                      "epochs": len(result.history), "seconds": time.perf_counter() - t_all}))


if __name__ == "__main__":
    main()
