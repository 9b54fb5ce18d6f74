"""The gradient averaging tweetlab used before DistributedDataParallel (until 2026-12-08),
kept only so that `bench_ddp.py` can time both on the same steps: after the backward pass,
dense gradients are all-reduced in flat buckets of up to 32 MB (no overlap with the
backward pass), sparse embedding gradients gathered row by row."""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import nn

from tweetlab.distributed import sparse_parameters, world_size

BUCKET_ELEMENTS = 8 * 1024 * 1024


def average_gradients(module: nn.Module) -> None:
    """Replace each parameter's gradient by its mean over the processes."""
    if world_size() == 1:
        return

    sparse = [p for p in sparse_parameters(module) if p.requires_grad]
    for p in sparse:
        _average_sparse(p)
    sparse_ids = {id(p) for p in sparse}
    params = [p for p in module.parameters() if p.requires_grad and id(p) not in sparse_ids]
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    w = world_size()
    start = 0
    while start < len(grads):  # buckets of one dtype and device, up to BUCKET_ELEMENTS
        end, size = start, 0
        while end < len(grads) and (end == start or (
                size + grads[end].numel() <= BUCKET_ELEMENTS
                and grads[end].dtype == grads[start].dtype
                and grads[end].device == grads[start].device)):
            size += grads[end].numel()
            end += 1
        flat = torch.cat([g.reshape(-1) for g in grads[start:end]])
        dist.all_reduce(flat)
        flat /= w
        offset = 0
        for p, g in zip(params[start:end], grads[start:end], strict=True):
            n = g.numel()
            mean = flat[offset:offset + n].view_as(g)
            offset += n
            if p.grad is None:
                p.grad = mean.clone()
            else:
                p.grad.copy_(mean)
        start = end


def _average_sparse(p: nn.Parameter) -> None:
    """A sparse gradient's mean over the processes: each one's (row, values) pairs are
    gathered and added up - what a dense sum would cost for a 2M-row n-gram table, only
    for the rows the batches touched."""

    w = world_size()
    g = p.grad
    if g is None:
        idx = torch.zeros(1, 0, dtype=torch.int64, device=p.device)
        vals = torch.zeros(0, *p.shape[1:], dtype=p.dtype, device=p.device)
    else:
        g = g.coalesce()
        idx, vals = g.indices(), g.values()
    count = torch.tensor([idx.shape[1]], device=p.device)
    counts = [torch.zeros_like(count) for _ in range(w)]
    dist.all_gather(counts, count)
    sizes = [int(c.item()) for c in counts]
    most = max(sizes)
    pad = most - idx.shape[1]
    idx = torch.cat([idx, idx.new_zeros(idx.shape[0], pad)], dim=1)
    vals = torch.cat([vals, vals.new_zeros(pad, *vals.shape[1:])])
    all_idx = [torch.empty_like(idx) for _ in range(w)]
    all_vals = [torch.empty_like(vals) for _ in range(w)]
    dist.all_gather(all_idx, idx)
    dist.all_gather(all_vals, vals)
    summed = torch.sparse_coo_tensor(
        torch.cat([t[:, :n] for t, n in zip(all_idx, sizes, strict=True)], dim=1),
        torch.cat([t[:n] for t, n in zip(all_vals, sizes, strict=True)]) / w,
        p.shape, check_invariants=False)
    p.grad = summed.coalesce()


