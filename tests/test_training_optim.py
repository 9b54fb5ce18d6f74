"""LazyAdam: the fast sparse-row Adam used for sparse embeddings."""

import torch
from torch import nn

from tweetlab.training import LazyAdam


def _sparse_grad(rows: list[int], values: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    return torch.sparse_coo_tensor([rows], values, shape, check_invariants=True)


def test_lazy_adam_matches_torch_sparse_adam_over_several_steps():
    torch.manual_seed(0)
    a = nn.Parameter(torch.randn(10, 4))
    b = nn.Parameter(a.detach().clone())
    ours, ref = LazyAdam([a], lr=0.05), torch.optim.SparseAdam([b], lr=0.05)
    for step in range(6):
        rows = [step % 10, 3, 3, (step * 7) % 10]  # repeated rows must be summed
        vals = torch.randn(4, 4)
        a.grad = _sparse_grad(rows, vals, (10, 4))
        b.grad = _sparse_grad(rows, vals.clone(), (10, 4))
        ours.step()
        ref.step()
    assert torch.allclose(a, b, atol=1e-6)


def test_lazy_adam_leaves_untouched_rows_alone():
    w = nn.Parameter(torch.ones(5, 3))
    opt = LazyAdam([w], lr=0.1)
    w.grad = _sparse_grad([2], torch.ones(1, 3), (5, 3))
    opt.step()
    changed = (w.detach() != 1).any(dim=1).tolist()
    assert changed == [False, False, True, False, False]
