"""Exploration (#5): does a mixture weight that depends on the n-gram's context match beat
one fixed weight? Uses a saved generator (network trained without the tuning tweets),
rebuilds its split and tuning tweets, and scores on the held-out (newest 5%) tweets:
fixed weight (what the library does) vs a weight per (longest matched order, count bucket)
chosen on the tuning tweets. Usage: python explore_mixing.py out/gen_trump_char-transformer_trial_ngram8r
"""

from __future__ import annotations

import math
import sys

import numpy as np
from common import data_dir

from tweetlab.generation import load_generator, read_tweets
from tweetlab.ngram import _CHAR_BITS, CharNgram, context_hashes

LN2 = math.log(2)


def features(lm: CharNgram, seqs: list[np.ndarray], gen) -> tuple[np.ndarray, ...]:
    """Per predicted character: network log-prob, n-gram prob, longest matched order,
    count of that context, n-gram max prob, network max prob."""
    log_nn, p_ng, longest, total, ng_max, nn_max = [], [], [], [], [], []
    import torch
    import torch.nn.functional as F
    for x, y in gen._batches(seqs, 256, None):
        with torch.no_grad():
            logits = gen.module_(x).float()
        sel = (y != -100).numpy()
        lp = F.log_softmax(logits, dim=-1).numpy()[sel]
        target = y.numpy()[sel]
        log_nn.append(lp[np.arange(len(lp)), target])
        nn_max.append(lp.max(1))
        hashes, valid = context_hashes(x.numpy(), lm.order)
        h, v = hashes[sel], valid[sel]
        probs = lm.probs(h, v)
        p_ng.append(probs[np.arange(len(probs)), target])
        ng_max.append(probs.max(1))
        lo = np.zeros(len(h), dtype=np.int64)
        tot = np.zeros(len(h))
        for k, (keys, _, _, _, totals) in enumerate(lm.tables):
            query = h[:, k] >> _CHAR_BITS
            at = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
            hit = v[:, k] & (keys[at] == query)
            lo[hit] = k
            tot[hit] = totals[at[hit]]
        longest.append(lo)
        total.append(tot)
    return tuple(np.concatenate(a) for a in (log_nn, p_ng, longest, total, ng_max, nn_max))


def bits(log_nn, p_ng, w):
    w = np.clip(w, 1e-6, 1 - 1e-6)
    return float(-np.logaddexp(np.log1p(-w) + log_nn, np.log(w) + np.log(p_ng)).mean() / LN2)


GRID = np.round(np.arange(0.0, 1.0001, 0.05), 2)


def bucket_of(longest, total, ngmax, scheme):
    if scheme == "order":
        return longest
    cb = np.minimum(np.log2(np.maximum(total, 1)).astype(int) // 2, 5)
    if scheme == "order_count":
        return longest * 6 + cb
    mb = np.minimum((ngmax * 5).astype(int), 4)
    return (longest * 6 + cb) * 5 + mb


def fit_buckets(f, scheme, prior_w, smooth=200.0):
    log_nn, p_ng, longest, total, ngmax, _ = f
    b = bucket_of(longest, total, ngmax, scheme)
    table = {}
    for key in np.unique(b):
        m = b == key
        # per bucket the weight minimising its bits, pulled to the global weight for
        # small buckets (add `smooth` pseudo-positions scored at the global weight)
        best, best_v = prior_w, None
        for w in GRID:
            ww = min(max(w, 0.01), 0.99)
            v = -np.logaddexp(np.log1p(-ww) + log_nn[m], np.log(ww) + np.log(p_ng[m])).sum()
            v += smooth * abs(ww - prior_w)  # mild pull to the global choice
            if best_v is None or v < best_v:
                best, best_v = ww, v
        table[int(key)] = best
    return table


def apply(table, f, scheme, prior_w):
    log_nn, p_ng, longest, total, ngmax, _ = f
    b = bucket_of(longest, total, ngmax, scheme)
    w = np.array([table.get(int(k), prior_w) for k in b])
    return bits(log_nn, p_ng, w)


def main() -> None:
    folder = sys.argv[1]
    gen = load_generator(folder)
    gen.module_.eval()
    account = "trump" if "trump" in folder else "petro"
    corpus = read_tweets(data_dir() / f"{account}_tweets.csv.gz", gen.config.cleaning)
    train_part, valid_part = corpus.split_by_time(gen.config.valid_fraction)
    texts, ends = list(train_part.texts), list(train_part.ends)
    if gen.config.retweet_weight > 0 and train_part.retweets is not None:
        texts += train_part.retweets.texts
        ends += train_part.retweets.ends
    seqs = gen._sequences(texts, ends)
    n_own = len(train_part)
    n_tune = int(round(0.05 * n_own))
    tuning = np.sort(np.random.default_rng(gen.train_config.seed).choice(n_own, n_tune, replace=False))
    held = set(tuning.tolist())
    order, size = gen.config.ngram, len(gen.vocab_)
    lm_tune = CharNgram.fit([s for i, s in enumerate(seqs) if i not in held], order, size)
    f_tune = features(lm_tune, [seqs[i] for i in tuning], gen)
    lm_all = CharNgram.fit(seqs, order, size)
    vseqs = gen._sequences(valid_part.texts, valid_part.ends)
    f_test = features(lm_all, vseqs, gen)
    print(f"tune positions {len(f_tune[0]):,}, held-out {len(f_test[0]):,}")
    print(f"network alone: tune {bits(f_tune[0], f_tune[1], 0.0):.4f}  held-out "
          f"{-f_test[0].mean() / LN2:.4f}; n-gram alone: held-out {-np.log(f_test[1]).mean() / LN2:.4f}")
    wt = {w: bits(f_tune[0], f_tune[1], w) for w in GRID[1:-1]}
    w0 = min(wt, key=wt.get)
    print(f"fixed w={w0}: tune {wt[w0]:.4f}, held-out {bits(f_test[0], f_test[1], w0):.4f}")
    for scheme in ["order", "order_count", "order_count_max"]:
        for smooth in [0.0, 20.0, 200.0]:
            table = fit_buckets(f_tune, scheme, w0, smooth)
            print(f"{scheme:<16} smooth {smooth:>5}: tune {apply(table, f_tune, scheme, w0):.4f}  "
                  f"held-out {apply(table, f_test, scheme, w0):.4f}  ({len(table)} buckets)")
    table = fit_buckets(f_tune, "order", w0, 20.0)
    print("per longest order:", {k: v for k, v in sorted(table.items())})
    # order distribution on held-out vs tune
    for name, f in [("tune", f_tune), ("held-out", f_test)]:
        counts = np.bincount(f[2], minlength=order) / len(f[2])
        print(name, "longest-order shares", np.round(counts, 3).tolist())


if __name__ == "__main__":
    main()
