"""A character n-gram language model for mixing with the neural generators.

Interpolated Witten-Bell smoothing over the generator's character ids: for a context of
length k seen ``total`` times with ``types`` different next characters,
``p_k(c) = lam * count(c) / total + (1 - lam) * p_{k-1}(c)`` with
``lam = total / (total + types)``, down to a uniform distribution. Everything is
vectorised: contexts are 64-bit rolling hashes, each order's counts a sorted table
searched with ``np.searchsorted``.

A neural model trained for minutes on a few thousand tweets generalises well but
remembers little verbatim; an account repeats its own phrases (slogans, names, the
hashtags of a campaign), which a long-context n-gram recalls exactly. The generator's
distribution is ``(1 - w) * p_neural + w * p_ngram`` (Jelinek-Mercer mixing of a neural
and a count model, as in the cache and kNN language-model literature).

The model keeps its training text (character ids, int16) and rebuilds the tables on
load, which takes about a second per million characters: smaller on disk than the
tables, and exactly reproducible.

>>> lm = CharNgram.fit([np.array([0, 5, 6, 5, 6, 0])], order=3, vocab_size=8)
>>> p = lm.next_probs(np.array([[0, 5]]))  # after "<b> 5" comes 6
>>> int(p.argmax()), round(float(p.sum()), 6)
(6, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_MULT = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant of the rolling hash
_CHAR_BITS = np.uint64(16)  # tables key contexts by their hash's top 48 bits


def context_hashes(x: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of the contexts ending at each position of ``x``.

    ``x``: (B, T) character ids, ``-1`` where there is no character (before a tweet's
    start). Returns ``(hashes, valid)``, each (B, T, order): ``[..., k]`` hashes the k
    characters ending at that position (k = 0 is the empty context), ``valid`` says whether
    all k exist.
    """
    b, t = x.shape
    hashes = np.zeros((b, t, order), dtype=np.uint64)
    valid = np.zeros((b, t, order), dtype=bool)
    valid[:, :, 0] = True
    h = np.zeros((b, t), dtype=np.uint64)
    ok = np.ones((b, t), dtype=bool)
    with np.errstate(over="ignore"):
        for k in range(1, order):
            # the k-th character back from position j is x[:, j - k + 1]
            back = np.full((b, t), -1, dtype=np.int64)
            if k - 1 < t:
                back[:, k - 1:] = x[:, : t - k + 1]
            ok &= back >= 0
            h = h * _MULT + (back + 2).astype(np.uint64)
            hashes[:, :, k] = h * _MULT  # multiplicative hashing: the top bits mix all
            valid[:, :, k] = ok
    return hashes, valid


class CharNgram:
    """Interpolated Witten-Bell character n-gram model (see the module docstring)."""

    DENSE_LIMIT = 2_000_000  # orders with up to this many context x character cells: dense

    def __init__(self, order: int, vocab_size: int, corpus: np.ndarray,
                 lengths: np.ndarray) -> None:
        self.order = order
        self.vocab_size = vocab_size
        self.corpus = corpus.astype(np.int16)  # every sequence's ids, concatenated
        self.lengths = lengths.astype(np.int64)
        self._build()

    @classmethod
    def fit(cls, seqs: Sequence[np.ndarray], order: int, vocab_size: int) -> CharNgram:
        """Count the n-grams of ``seqs`` (each ``<b> chars <b>``: every id after the first
        is a prediction, its context the ids before it in the same sequence)."""
        if order < 1:
            raise ValueError("order must be >= 1")
        if vocab_size > 1 << 15:
            raise ValueError("at most 32,768 characters (ids are stored as int16)")
        seqs = [s for s in seqs if len(s) >= 2]
        corpus = np.concatenate(seqs) if seqs else np.zeros(0, dtype=np.int64)
        return cls(order, vocab_size, corpus, np.array([len(s) for s in seqs], dtype=np.int64))

    def _positions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(hashes (n, order), valid (n, order), targets (n,)) of every prediction."""
        n = len(self.lengths)
        if n == 0:
            return (np.zeros((0, self.order), np.uint64), np.zeros((0, self.order), bool),
                    np.zeros(0, np.int64))
        width = int(self.lengths.max())
        x = np.full((n, width), -1, dtype=np.int64)
        mask = np.arange(width)[None, :] < self.lengths[:, None]
        x[mask] = self.corpus
        hashes, valid = context_hashes(x[:, :-1], self.order)
        targets = x[:, 1:]
        keep = targets >= 0
        return hashes[keep], valid[keep], targets[keep]

    def _build(self) -> None:
        hashes, valid, targets = self._positions()
        self.tables: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        for k in range(self.order):
            # one sortable key per prediction: the context's hash (48 bits) and the character
            pair = (hashes[valid[:, k], k] >> _CHAR_BITS << _CHAR_BITS) | \
                targets[valid[:, k]].astype(np.uint64)
            pair.sort()
            new_pair = np.ones(len(pair), dtype=bool)
            new_pair[1:] = pair[1:] != pair[:-1]
            starts = np.flatnonzero(new_pair)
            counts = np.diff(np.append(starts, len(pair)))
            # one row per (context, next character)
            ph, pc = pair[starts] >> _CHAR_BITS, pair[starts] & np.uint64(0xFFFF)
            new_ctx = np.ones(len(ph), dtype=bool)
            new_ctx[1:] = ph[1:] != ph[:-1]
            cstart = np.flatnonzero(new_ctx)
            keys = ph[cstart]
            indptr = np.append(cstart, len(ph))
            totals = np.add.reduceat(counts, cstart) if len(cstart) else np.zeros(0, np.int64)
            self.tables.append((keys, indptr, pc.astype(np.int64), counts.astype(np.float64),
                                totals.astype(np.float64)))
        # The low orders (few contexts, many next characters each) also as dense rows of
        # count / total: a row gather instead of thousands of scattered entries per call.
        self.dense: list[np.ndarray | None] = []
        for keys, indptr, nexts, counts, totals in self.tables:
            if len(keys) * self.vocab_size > self.DENSE_LIMIT:
                self.dense.append(None)
                continue
            table = np.zeros((len(keys), self.vocab_size))
            per = np.diff(indptr)
            table[np.repeat(np.arange(len(keys)), per), nexts] = counts / np.repeat(totals, per)
            self.dense.append(table)

    def probs(self, hashes: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """(n, V) next-character distributions for contexts given as from
        :func:`context_hashes` (each row: one position's ``order`` hashes and flags).

        The recursion unrolled: order k's counts enter with weight
        ``lam_k * prod_{j > k} (1 - lam_j)`` (``lam_j = 0`` for an unseen context), the
        uniform distribution with ``prod_j (1 - lam_j)``; one ``bincount`` adds them all.
        """
        n, size = len(hashes), self.vocab_size
        lam = np.zeros((n, self.order))
        found: list[tuple[np.ndarray, np.ndarray]] = []  # per order: rows, context index
        for k, (keys, indptr, _, _, totals) in enumerate(self.tables):
            if not len(keys):
                break
            query = hashes[:, k] >> _CHAR_BITS
            at = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
            rows = np.flatnonzero(valid[:, k] & (keys[at] == query))
            if not len(rows):
                break  # a longer context cannot be seen when this one was not
            ctx = at[rows]
            types = indptr[ctx + 1] - indptr[ctx]
            lam[rows, k] = totals[ctx] / (totals[ctx] + types)
            found.append((rows, ctx))
        # keep[:, k] = prod_{j >= k} (1 - lam_j)
        keep = np.cumprod((1.0 - lam)[:, ::-1], axis=1)[:, ::-1]
        after = np.ones_like(keep)
        after[:, :-1] = keep[:, 1:]
        coef = lam * after
        p = np.repeat(keep[:, :1] / size, size, axis=1)
        flat_idx, flat_w = [], []
        for k, (rows, ctx) in enumerate(found):
            dense = self.dense[k]
            if dense is not None:
                p[rows] += coef[rows, k, None] * dense[ctx]
                continue
            _, indptr, nexts, counts, totals = self.tables[k]
            per = indptr[ctx + 1] - indptr[ctx]
            first = np.repeat(indptr[ctx] - np.cumsum(per) + per, per)
            idx = first + np.arange(int(per.sum()))
            flat_idx.append(np.repeat(rows, per) * size + nexts[idx])
            flat_w.append(counts[idx] * np.repeat(coef[rows, k] / totals[ctx], per))
        if flat_idx:
            p += np.bincount(np.concatenate(flat_idx), weights=np.concatenate(flat_w),
                             minlength=n * size).reshape(n, size)
        return p

    def next_probs(self, history: np.ndarray) -> np.ndarray:
        """(B, V) distributions of the character after each row of ``history`` (B, L):
        the ids so far, ``-1`` to the left where a row has fewer."""
        hashes, valid = context_hashes(history[:, -max(self.order - 1, 1):], self.order)
        return self.probs(hashes[:, -1], valid[:, -1])

    def state(self) -> dict[str, np.ndarray]:
        return {"ngram.corpus": self.corpus, "ngram.lengths": self.lengths}

    @classmethod
    def restore(cls, arrays: dict[str, np.ndarray], order: int, vocab_size: int) -> CharNgram:
        return cls(order, vocab_size, arrays["ngram.corpus"], arrays["ngram.lengths"])
