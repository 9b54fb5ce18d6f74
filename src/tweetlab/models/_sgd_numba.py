"""The numba kernels behind :mod:`tweetlab.models.sgd_kernel` (imported on first use:
importing numba costs a few tenths of a second that predicting never needs)."""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

PREFETCH_AHEAD = 8  # feature rows: the gather of a bag asks for row j + 8 while adding row j


@intrinsic
def _prefetch(typingctx: Any, arr: Any, row: Any, col: Any) -> Any:
    """Ask the CPU to start loading ``arr[row, col]``'s cache line (LLVM's prefetch hint;
    no effect on results). Bag rows are scattered over a table of ~100 MB, so each read
    is a cache miss; asking a few rows ahead overlaps those misses (~1.4x on the gather)."""
    sig = types.void(arr, row, col)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1], args[2]])
        i8p = ir.PointerType(ir.IntType(8))
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
            "llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


@numba.njit(inline="always", fastmath=True)
def one(emb: Any, weight: Any, bias: Any, flat: Any, s: int, t: int, q: Any, step: float,
        hidden: Any, grad: Any, logits: Any) -> float:
    """SGD on one bag ``flat[s:t]`` with target class probabilities ``q`` (one-hot for a
    hard label); returns its cross-entropy."""
    dim = emb.shape[1]
    k = weight.shape[0]
    n = t - s
    hidden[:] = 0.0
    last = flat.shape[0] - PREFETCH_AHEAD
    for j in range(s, t):
        if j < last:
            ahead = np.int64(flat[j + PREFETCH_AHEAD])  # (the intrinsic wants int64 indices)
            for d in range(0, dim, 16):  # one hint per 64-byte line
                _prefetch(emb, ahead, d)  # type: ignore[call-arg]  # numba supplies the typing context
        row = flat[j]
        for d in range(dim):
            hidden[d] += emb[row, d]
    if n > 0:
        inv = np.float32(1.0 / n)
        for d in range(dim):
            hidden[d] *= inv
    top = -1e300
    for c in range(k):
        z = np.float64(bias[c])
        for d in range(dim):
            z += weight[c, d] * hidden[d]
        logits[c] = z
        top = max(top, z)
    total = 0.0
    for c in range(k):
        logits[c] -= top
        total += np.exp(logits[c])
    log_total = np.log(total)
    loss = 0.0
    for c in range(k):
        if q[c] != 0.0:
            loss -= q[c] * (logits[c] - log_total)
    grad[:] = 0.0
    for c in range(k):
        g = np.exp(logits[c] - log_total) - q[c]
        gs = np.float32(step * g)
        g32 = np.float32(g)
        for d in range(dim):
            grad[d] += g32 * weight[c, d]
            weight[c, d] -= gs * hidden[d]
        bias[c] -= gs
    if n > 0:
        scale = np.float32(step / n)
        for d in range(dim):
            grad[d] *= scale
        for j in range(s, t):
            row = flat[j]
            for d in range(dim):
                emb[row, d] -= grad[d]
    return loss


@numba.njit(cache=True, fastmath=True)
def span(emb: Any, weight: Any, bias: Any, flat: Any, starts: Any, q: Any,
         step: float, lo: int, hi: int) -> float:
    """Examples ``lo:hi`` one after another; the sum of their losses."""
    hidden = np.empty(emb.shape[1], dtype=np.float32)
    grad = np.empty(emb.shape[1], dtype=np.float32)
    logits = np.empty(weight.shape[0], dtype=np.float64)
    n_ex = starts.shape[0]
    acc = 0.0
    for e in range(lo, hi):
        t = starts[e + 1] if e + 1 < n_ex else flat.shape[0]
        acc += one(emb, weight, bias, flat, starts[e], t, q[e], step, hidden, grad,
                   logits)
    return acc


@numba.njit(cache=True, parallel=True, fastmath=True)
def hogwild(emb: Any, weight: Any, bias: Any, flat: Any, starts: Any, q: Any,
            step: float, threads: int) -> float:
    """The batch cut into ``threads`` spans, run at once on the shared weights."""
    n_ex = starts.shape[0]
    losses = np.zeros(threads)
    for p in numba.prange(threads):
        losses[p] = span(emb, weight, bias, flat, starts, q, step,
                         n_ex * p // threads, n_ex * (p + 1) // threads)
    return losses.sum()


_MIX = np.uint64(116_049_371)  # fastText's multiplier for combining word hashes


@numba.njit(cache=True)
def bags(own_flat: Any, own_offsets: Any, tok: Any, lengths: Any, word_hash: Any,
         word_ngrams: int, n_words: int, buckets: int) -> tuple[Any, Any]:
    """Each text's bag in one pass: its tokens' own features (word id, char n-grams) in
    token order, then its hashed word n-grams (n = 2, 3, ... in position order).

    ``tok``: every text's tokens as ids of distinct words; ``own_flat[own_offsets[w]:
    own_offsets[w + 1]]``: word w's own features; ``word_hash``: each distinct word's hash.
    """
    n = lengths.shape[0]
    offsets = np.zeros(n + 1, dtype=np.int64)
    pos = 0
    for i in range(n):
        size = 0
        m = lengths[i]
        for j in range(pos, pos + m):
            w = tok[j]
            size += own_offsets[w + 1] - own_offsets[w]
        for k in range(2, word_ngrams + 1):
            if m >= k:
                size += m - k + 1
        offsets[i + 1] = offsets[i] + size
        pos += m
    # int32: ids stay below n_words + buckets < 2**31 (FastTextConfig caps buckets), and
    # a million long tweets' bags (~214 ids each) take half the memory of int64
    flat = np.empty(offsets[n], dtype=np.int32)
    ub = np.uint64(buckets)
    acc = np.empty(300, dtype=np.uint64)
    pos = 0
    for i in range(n):
        out = offsets[i]
        m = lengths[i]
        for j in range(pos, pos + m):
            w = tok[j]
            for f in range(own_offsets[w], own_offsets[w + 1]):
                flat[out] = own_flat[f]
                out += 1
        if m > acc.shape[0]:
            acc = np.empty(2 * m, dtype=np.uint64)
        for p in range(m):
            acc[p] = word_hash[tok[pos + p]]
        for k in range(2, word_ngrams + 1):
            for p in range(m - k + 1):
                acc[p] = acc[p] * _MIX + word_hash[tok[pos + p + k - 1]]
                flat[out] = np.int32(n_words + np.int64(acc[p] % ub))
                out += 1
        pos += m
    return flat, offsets


def _crc_table() -> np.ndarray:
    table = np.zeros(256, dtype=np.uint32)
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        table[i] = c
    return table


_CRC = _crc_table()


@numba.njit(inline="always")
def _crc32(buf: Any, s: int, e: int, table: Any) -> np.uint32:
    """zlib.crc32 of ``buf[s:e]``."""
    c = np.uint32(0xFFFFFFFF)
    for i in range(s, e):
        c = table[(c ^ np.uint32(buf[i])) & np.uint32(0xFF)] ^ (c >> np.uint32(8))
    return c ^ np.uint32(0xFFFFFFFF)


@numba.njit(cache=True)
def word_features(buf: Any, starts: Any, word_id: Any, minn: int, maxn: int, n_words: int,
                  buckets: int) -> tuple[Any, Any, Any]:
    """Own features and hash of each distinct word, as ``FastTextClassifier._word_features``.

    ``buf[starts[w]:starts[w + 1]]``: word w's UTF-8 bytes wrapped as ``<word>``;
    ``word_id``: its vocabulary id or -1. Returns (flat feature ids, offsets, the CRC-32 of
    each unwrapped word).
    """
    table = _CRC
    n = starts.shape[0] - 1
    hashes = np.empty(n, dtype=np.uint64)
    offsets = np.zeros(n + 1, dtype=np.int64)
    chars = np.empty(1024, dtype=np.int64)
    flat = np.empty(max(16, buf.shape[0] * 4), dtype=np.int64)
    out = 0
    for w in range(n):
        s, e = starts[w], starts[w + 1]
        hashes[w] = np.uint64(_crc32(buf, s + 1, e - 1, table))
        size = 0  # characters of <word>, with the byte where each starts
        for i in range(s, e):
            if (buf[i] & 0xC0) != 0x80:
                if size >= chars.shape[0]:
                    grown = np.empty(2 * chars.shape[0], dtype=np.int64)
                    grown[:size] = chars[:size]
                    chars = grown
                chars[size] = i
                size += 1
        if size + 1 > chars.shape[0]:
            grown = np.empty(size + 1, dtype=np.int64)
            grown[:size] = chars[:size]
            chars = grown
        chars[size] = e
        need = 1 + (maxn - minn + 1) * size if minn > 0 else 1
        if out + need > flat.shape[0]:
            grown = np.empty(2 * (out + need), dtype=np.int64)
            grown[:out] = flat[:out]
            flat = grown
        if word_id[w] >= 0:
            flat[out] = word_id[w]
            out += 1
        if minn > 0 and buf[s + 1] != 60:  # no char n-grams for "<url>"-like tokens
            whole = word_id[w] >= 0 and maxn >= size >= minn
            for g in range(minn, min(maxn, size) + 1):
                for i in range(size - g + 1):
                    if whole and g == size:
                        continue  # the whole word is its own feature
                    h = _crc32(buf, chars[i], chars[i + g], table)
                    flat[out] = n_words + np.int64(np.uint64(h) % np.uint64(buckets))
                    out += 1
        offsets[w + 1] = out
    return flat[:out], offsets, hashes


@numba.njit(cache=True)
def gather(flat: Any, offsets: Any, order: Any) -> tuple[Any, Any]:
    """Rows ``order`` of a ragged array, one after another: (flat ids, start of each)."""
    n = order.shape[0]
    starts = np.empty(n, dtype=np.int64)
    total = 0
    for i in range(n):
        starts[i] = total
        total += offsets[order[i] + 1] - offsets[order[i]]
    out = np.empty(total, dtype=flat.dtype)
    for i in range(n):
        s = offsets[order[i]]
        size = offsets[order[i] + 1] - s
        out[starts[i]:starts[i] + size] = flat[s:s + size]
    return out, starts
