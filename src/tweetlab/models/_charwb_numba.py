"""The numba kernels behind :func:`tweetlab.models.tfidf.char_wb_counts` and
:func:`tweetlab.models.tfidf.fit_char_wb` (imported on first use, like
:mod:`tweetlab.models._sgd_numba`).

Both walk the same n-grams as scikit-learn's ``char_wb`` analyzer: :func:`words` finds the
words, :func:`word_windows` the n-gram windows of each space-padded word, and
:func:`window_hash` hashes one window; they differ only in what they do with the hash.
"""

from __future__ import annotations

import numba
import numpy as np

MULT = np.uint64(0x9E3779B97F4A7C15)


@numba.njit(cache=True)
def words(space: np.ndarray, doc_start: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, end, document) of every run of non-space code points, in order."""
    n = len(space)
    lo = np.empty(n, dtype=np.int64)
    hi = np.empty(n, dtype=np.int64)
    doc = np.empty(n, dtype=np.int64)
    k = 0
    for d in range(len(doc_start) - 1):
        i, end = doc_start[d], doc_start[d + 1]
        while i < end:
            if space[i]:
                i += 1
                continue
            lo[k] = i
            while i < end and not space[i]:
                i += 1
            hi[k] = i
            doc[k] = d
            k += 1
    return lo[:k], hi[:k], doc[:k]


@numba.njit(cache=True)
def word_windows(w_len: int, min_n: int, max_n: int, offsets: np.ndarray,
                 stops: np.ndarray) -> int:
    """scikit-learn's ``char_wb`` windows of a padded word of ``w_len`` characters: every
    ``n``-character window for n = min_n..max_n, but a word no longer than ``n`` once, whole,
    and then no longer n. Writes (offset, stop) pairs; returns how many."""
    k = 0
    for n in range(min_n, max_n + 1):
        offset = 0
        while True:
            offsets[k] = offset
            stops[k] = min(offset + n, w_len)
            k += 1
            if offset + n >= w_len:
                break
            offset += 1
        if offset == 0:
            break
    return k


@numba.njit(cache=True)
def window_hash(codes: np.ndarray, lo: int, hi: int, start: int, stop: int) -> np.uint64:
    """Hash of the characters ``start:stop`` of the padded word ``" " + codes[lo:hi] + " "``
    (the same as :func:`term_hashes` gives the spelled-out n-gram)."""
    h = np.uint64(0)
    for j in range(start, stop):
        c = np.uint64(32) if j == 0 or j == hi - lo + 1 else np.uint64(codes[lo + j - 1])
        h = h * MULT + c + np.uint64(1)
    return h * MULT


@numba.njit(cache=True)
def term_hashes(codes: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The hash of each vocabulary term (terms concatenated in ``codes``)."""
    out = np.empty(len(starts) - 1, dtype=np.uint64)
    for t in range(len(starts) - 1):
        h = np.uint64(0)
        for j in range(starts[t], starts[t + 1]):
            h = h * MULT + np.uint64(codes[j]) + np.uint64(1)
        out[t] = h * MULT
    return out


@numba.njit(cache=True)
def hash_table(keys: np.ndarray, cols: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """An open-addressing table of ``2 ** bits`` slots (linear probing, slot = the hash's
    top bits): each key's column, -1 in empty slots."""
    size = 1 << bits
    slot_keys = np.zeros(size, dtype=np.uint64)
    slot_cols = np.full(size, -1, dtype=np.int64)
    shift = np.uint64(64 - bits)
    mask = np.uint64(size - 1)
    for i in range(len(keys)):
        slot = keys[i] >> shift
        while slot_cols[slot] >= 0:
            slot = (slot + np.uint64(1)) & mask
        slot_keys[slot] = keys[i]
        slot_cols[slot] = cols[i]
    return slot_keys, slot_cols


@numba.njit(cache=True)
def _window_buffers(lo: np.ndarray, hi: np.ndarray, min_n: int, max_n: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Room for the (offset, stop) windows of the longest word."""
    longest = int((hi - lo).max()) + 2 if len(lo) else 2
    size = (max_n - min_n + 1) * longest
    return np.empty(size, dtype=np.int64), np.empty(size, dtype=np.int64)


@numba.njit(cache=True)
def count_chunk(codes: np.ndarray, space: np.ndarray, doc_start: np.ndarray,
                slot_keys: np.ndarray, slot_cols: np.ndarray, bits: int, n_cols: int,
                min_n: int, max_n: int, capacity: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's ``char_wb`` n-grams of each document, counted against a vocabulary
    given as a :func:`hash_table` of ``n_cols`` columns. Returns CSR parts (indptr,
    indices in order of first occurrence within each row, counts)."""
    shift = np.uint64(64 - bits)
    mask = np.uint64((1 << bits) - 1)
    lo, hi, doc = words(space, doc_start)
    offsets, stops = _window_buffers(lo, hi, min_n, max_n)
    indptr = np.zeros(len(doc_start), dtype=np.int64)
    indices = np.empty(capacity, dtype=np.int64)
    counts = np.empty(capacity, dtype=np.int64)
    seen_in = np.full(n_cols, -1, dtype=np.int64)  # the last row that had the column
    at = np.zeros(n_cols, dtype=np.int64)  # and where its count is
    out = 0
    for w in range(len(lo)):
        d = doc[w]
        for j in range(word_windows(hi[w] - lo[w] + 2, min_n, max_n, offsets, stops)):
            h = window_hash(codes, lo[w], hi[w], offsets[j], stops[j])
            slot = h >> shift
            while slot_cols[slot] >= 0:
                if slot_keys[slot] == h:
                    col = slot_cols[slot]
                    if seen_in[col] == d:
                        counts[at[col]] += 1
                    else:
                        seen_in[col] = d
                        at[col] = out
                        indices[out] = col
                        counts[out] = 1
                        out += 1
                    break
                slot = (slot + np.uint64(1)) & mask
        indptr[d + 1] = out
    for d in range(1, len(indptr)):  # documents without words end where the last one did
        indptr[d] = max(indptr[d], indptr[d - 1])
    return indptr, indices[:out].copy(), counts[:out].copy()


@numba.njit(cache=True)
def count_distinct(codes: np.ndarray, space: np.ndarray, doc_start: np.ndarray,
                   min_n: int, max_n: int) -> tuple[np.ndarray, ...]:
    """Every distinct ``char_wb`` n-gram of the documents, by hash: total count, number of
    documents, and where one occurrence is (word start in ``codes``, word length, offset
    and length in the padded word), to spell it. Distinct hashes live in an
    open-addressing table (:func:`hash_table`) rebuilt twice as large when half full."""
    bits = 16
    shift = np.uint64(64 - bits)
    mask = np.uint64((1 << bits) - 1)
    slot_keys = np.zeros(1 << bits, dtype=np.uint64)
    slot_ids = np.full(1 << bits, -1, dtype=np.int64)
    cap = 1 << 15
    keys = np.zeros(cap, dtype=np.uint64)
    tf = np.zeros(cap, dtype=np.int64)
    df = np.zeros(cap, dtype=np.int64)
    last = np.full(cap, -1, dtype=np.int64)
    rep = np.zeros((cap, 4), dtype=np.int64)
    n_ids = 0
    lo, hi, doc = words(space, doc_start)
    offsets, stops = _window_buffers(lo, hi, min_n, max_n)
    for w in range(len(lo)):
        d = doc[w]
        for j in range(word_windows(hi[w] - lo[w] + 2, min_n, max_n, offsets, stops)):
            h = window_hash(codes, lo[w], hi[w], offsets[j], stops[j])
            slot = h >> shift
            while slot_ids[slot] >= 0 and slot_keys[slot] != h:
                slot = (slot + np.uint64(1)) & mask
            idx = slot_ids[slot]
            if idx < 0:  # a new n-gram
                if n_ids == cap:  # grow (plain loops: numba compiles them fast)
                    cap *= 2
                    keys2 = np.zeros(cap, dtype=np.uint64)
                    tf2 = np.zeros(cap, dtype=np.int64)
                    df2 = np.zeros(cap, dtype=np.int64)
                    last2 = np.full(cap, -1, dtype=np.int64)
                    rep2 = np.zeros((cap, 4), dtype=np.int64)
                    for i in range(n_ids):
                        keys2[i] = keys[i]
                        tf2[i] = tf[i]
                        df2[i] = df[i]
                        last2[i] = last[i]
                        for q in range(4):
                            rep2[i, q] = rep[i, q]
                    keys, tf, df, last, rep = keys2, tf2, df2, last2, rep2
                idx = n_ids
                keys[idx] = h
                slot_keys[slot] = h
                slot_ids[slot] = idx
                rep[idx, 0] = lo[w]
                rep[idx, 1] = hi[w] - lo[w]
                rep[idx, 2] = offsets[j]
                rep[idx, 3] = stops[j] - offsets[j]
                n_ids += 1
                if 2 * n_ids > (1 << bits):  # half full: twice as large, re-inserted
                    bits += 1
                    shift = np.uint64(64 - bits)
                    mask = np.uint64((1 << bits) - 1)
                    slot_keys, slot_ids = hash_table(keys[:n_ids], np.arange(n_ids), bits)
            tf[idx] += 1
            if last[idx] != d:
                df[idx] += 1
                last[idx] = d
    return tf[:n_ids].copy(), df[:n_ids].copy(), rep[:n_ids].copy()
