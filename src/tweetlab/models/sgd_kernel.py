"""fastText's update, compiled: per-example SGD for bags of embeddings + a linear layer.

The ``fasttext`` family's training step on CPU. A mini-batch step through autograd moves
each touched embedding row through several passes (the bag forward, the backward values,
the sparse gradient's coalesce and add); fastText reads and writes each row once per
example. :func:`sgd_bags` does what fastText does: for each example in turn, the mean of
its rows, softmax, then the output layer and the example's rows updated in place.

Learning-rate semantics stay those of the mini-batch loop: a batch step with rate ``lr``
on the batch-mean loss moves each example by ``lr / batch``, so each example here gets
``lr / batch`` (the batch size of the call); with one example per batch both give the
same update (tested).

``threads > 1`` splits each batch between threads that update the shared weights
without locks (Hogwild, as fastText's ``-thread``): faster, but the order of updates,
and so the last digits of the weights, vary from run to run. One thread is exactly
reproducible.

Compiled with numba on first use (cached on disk where numba can write its cache).
:func:`available` says whether numba is importable; without it the family trains
through autograd.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._compiled import load_kernels


def _compiled() -> Any:
    """The numba kernels module, imported on first use; ``None`` without numba."""
    return load_kernels("_sgd_numba")


def available() -> bool:
    """Whether the compiled step can run (numba importable)."""
    return _compiled() is not None


def sgd_bags(emb: np.ndarray, weight: np.ndarray, bias: np.ndarray, flat: np.ndarray,
             starts: np.ndarray, target: np.ndarray, lr: float, threads: int = 1) -> float:
    """One SGD pass over a batch of bags, updating ``emb`` (F, dim), ``weight`` (k, dim)
    and ``bias`` (k,) in place; returns the mean of each example's loss before its update.

    ``flat``: the feature ids of every bag in order; ``starts``: where each bag begins;
    ``target``: class ids (B,) or class probabilities (B, k) (soft labels, as distillation
    gives them).
    """
    kernels = _compiled()
    if kernels is None:  # pragma: no cover
        raise RuntimeError("the compiled SGD step needs numba")
    n_ex = len(starts)
    if n_ex == 0:
        return 0.0
    step = float(lr) / n_ex
    if target.ndim == 1:
        q = np.zeros((n_ex, weight.shape[0]), dtype=np.float32)
        q[np.arange(n_ex), target] = 1.0
    else:
        q = np.ascontiguousarray(target, dtype=np.float32)
    if threads > 1 and n_ex >= 2 * threads:
        total = kernels.hogwild(emb, weight, bias, flat, starts, q, step, int(threads))
    else:
        total = kernels.span(emb, weight, bias, flat, starts, q, step, 0, n_ex)
    return float(total) / n_ex


def bags(own_flat: np.ndarray, own_offsets: np.ndarray, tok: np.ndarray, lengths: np.ndarray,
         word_hash: np.ndarray, word_ngrams: int, n_words: int, buckets: int
         ) -> tuple[np.ndarray, np.ndarray] | None:
    """The ``fasttext`` family's bags (flat ids, offsets) in one compiled pass; ``None``
    without numba (the caller then assembles them with numpy)."""
    kernels = _compiled()
    if kernels is None:
        return None
    return kernels.bags(own_flat, own_offsets, tok, lengths,
                           word_hash, int(word_ngrams), int(n_words), int(buckets))


def gather(flat: np.ndarray, offsets: np.ndarray, order: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray] | None:
    """``Ragged(flat, offsets).take(order)`` in one compiled pass; ``None`` without numba."""
    kernels = _compiled()
    if kernels is None:
        return None
    return kernels.gather(flat, offsets, order)


def word_features(words: list[str], word_ids: list[int | None], minn: int, maxn: int,
                  n_words: int, buckets: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Own feature ids (flat, offsets) and CRC-32 hash of each word, compiled; the same
    as ``FastTextClassifier._word_features`` word by word (tested). ``None`` without numba."""
    kernels = _compiled()
    if kernels is None:
        return None
    encoded = [w.encode("utf-8") for w in words]
    buf = np.frombuffer(b"".join(b"<" + e + b">" for e in encoded), dtype=np.uint8)
    starts = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum(np.fromiter((len(e) + 2 for e in encoded), dtype=np.int64, count=len(words)),
              out=starts[1:])
    ids = np.fromiter((-1 if i is None else i for i in word_ids), dtype=np.int64,
                      count=len(words))
    return kernels.word_features(buf, starts, ids, int(minn),
                                    int(maxn), int(n_words), int(buckets))
