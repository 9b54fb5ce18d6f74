"""The one training loop shared by every torch family.

It shuffles with a per-epoch seed, shows a progress bar, evaluates on a validation set
after each epoch, keeps the best weights, stops early, and writes a checkpoint after
epoch (at most every ``checkpoint_seconds``) so that a killed run resumes where it
stopped (``resume=True``). Under ``torchrun`` it trains data-parallel
(:mod:`tweetlab.distributed`).
Checkpoints are one safetensors file (weights, optimizer state, and the loop's JSON
state in its metadata), replaced atomically. No pickle.

>>> get_lr(0, 100, TrainConfig(lr=1.0, schedule="linear"))
1.0
>>> get_lr(50, 100, TrainConfig(lr=1.0, schedule="linear"))
0.5
>>> get_lr(10, 100, TrainConfig(lr=1.0, schedule="linear", max_seconds=60), elapsed=45)
0.25
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn
from tqdm.auto import tqdm

from . import distributed
from .config import TrainConfig
from .errors import ConfigError, ModelError

log = logging.getLogger("tweetlab")

Batch = Sequence[torch.Tensor]  # (*inputs, target)
CHECKPOINT_FILE = "checkpoint.safetensors"


def get_lr(step: int, total_steps: int, config: TrainConfig, elapsed: float = 0.0) -> float:
    """Learning rate at ``step``: optional linear warmup, then constant or linear decay.

    With a time budget (``max_seconds``) the decay follows whichever runs out first,
    steps or time, so a run cut by the clock still ends at a small learning rate.
    """
    base = config.lr
    if base is None:
        raise ModelError("no learning rate: the family picks one (lr=none) before training")
    warm = int(config.warmup * total_steps)
    if step < warm:
        return base * (step + 1) / warm
    if config.schedule == "linear":
        remaining = max(total_steps - warm, 1)
        done = (step - warm) / remaining
        if config.max_seconds:
            done = max(done, elapsed / config.max_seconds)
        return base * max(0.0, 1.0 - done)
    return base


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when available; asking for CUDA without one is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError(f"device {name!r} asked for, but no CUDA GPU is available")
    try:
        return torch.device(name)
    except RuntimeError:
        raise ConfigError(f"device {name!r}: use auto, cpu, cuda or cuda:N") from None


@functools.cache
def cpu_has_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX512-BF16 or AMX), where bf16 autocast
    makes training faster rather than slower."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a torch build without oneDNN
        return False


def use_bf16(config: TrainConfig, device: torch.device, module: nn.Module | None = None) -> bool:
    """bf16 autocast: asked for (``amp``, the default) and native on ``device``. A module
    with ``cpu_bf16 = False`` trains in float32 on the CPU: the lstm classifier (its packed
    sequences run in float32 whatever autocast says) and the char-lstm generator (faster
    epochs that learn less: worse held-out at the same time budget)."""
    if not config.amp:
        return False
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    return device.type == "cpu" and cpu_has_bf16() and getattr(module, "cpu_bf16", True)


def classification_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over (B, C) or (B, T, C) logits; target -100 is ignored.

    A float target of shape (B, C) holds soft labels (class probabilities, as a
    teacher model gives them for distillation).
    """
    if target.is_floating_point():
        return F.cross_entropy(logits, target)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                           ignore_index=-100)


@dataclass
class TrainResult:
    """What the loop did: one dict per epoch, the best epoch, how it ended."""

    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    best_valid_loss: float = math.inf
    stopped_early: bool = False
    resumed_from_epoch: int = 0
    seconds: float = 0.0
    out_of_time: bool = False
    device: str = "cpu"
    bf16: bool = False  # trained under bf16 autocast
    processes: int = 1  # data-parallel processes (torchrun)


class PlainSGD:
    """Plain SGD, fastText's update: ``p -= lr * grad``, no momentum or weight decay.

    The same update as ``torch.optim.SGD`` without its per-step bookkeeping, and making
    one does not import ``torch._dynamo`` (~2 s the first time a ``torch.optim``
    optimizer is made, more than fastText needs to train on a few thousand tweets). Has
    the parts of the optimizer interface the training loop and checkpoints use.

    >>> w = nn.Parameter(torch.zeros(3, 2)); opt = PlainSGD([w], lr=0.5)
    >>> w.grad = torch.sparse_coo_tensor([[1, 1]], torch.ones(2, 2), (3, 2),
    ...                                  check_invariants=True); opt.step()
    >>> w.detach()[:, 0].tolist()
    [0.0, -1.0, 0.0]
    """

    def __init__(self, params: Iterable[nn.Parameter], lr: float) -> None:
        self.param_groups: list[dict[str, Any]] = [{"params": list(params), "lr": lr}]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        for group in self.param_groups:
            lr = group["lr"]
            for p in group["params"]:
                g = p.grad
                if g is not None:
                    p.add_(g, alpha=-lr)  # sparse: torch's sparse add, the fastest on CPU

    def state_dict(self) -> dict[str, Any]:
        return {"state": {}, "param_groups": [
            {"lr": g["lr"], "params": list(range(len(g["params"])))} for g in self.param_groups]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for group, saved in zip(self.param_groups, state["param_groups"], strict=True):
            group["lr"] = saved["lr"]


class LazyAdam(torch.optim.Optimizer):
    """Adam for sparse embedding gradients: only the rows a batch touched are updated.

    The same lazy rule as ``torch.optim.SparseAdam`` (moments of untouched rows stand
    still), written with dense row gathers: one coalesce, then index_select /
    index_copy_ over the touched rows. About twice as fast as SparseAdam on CPU for
    512-wide rows, which made it most of a bow-mlp step.

    >>> w = nn.Parameter(torch.zeros(4, 2)); opt = LazyAdam([w], lr=0.1)
    >>> w.grad = torch.sparse_coo_tensor([[1]], torch.ones(1, 2), (4, 2),
    ...                                  check_invariants=True); opt.step()
    >>> [round(x, 4) for x in w.detach()[:, 0].tolist()]
    [0.0, -0.1, 0.0, 0.0]
    """

    def __init__(self, params: Iterable[nn.Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps})

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> None:  # type: ignore[override]
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad.coalesce()
                rows = grad.indices()[0]
                g = grad.values()  # (U, D): one row per touched embedding row
                state = self.state[p]
                if not state:
                    state["step"] = torch.zeros((), dtype=torch.float32)
                    # Both moments in one (N, 2, D) tensor: one gather and one scatter a step.
                    state["moments"] = torch.zeros((p.shape[0], 2, *p.shape[1:]),
                                                   dtype=p.dtype, device=p.device)
                state["step"] += 1
                t = float(state["step"])
                mv = state["moments"].index_select(0, rows)  # (U, 2, D)
                m, v = mv[:, 0], mv[:, 1]
                m.mul_(b1).add_(g, alpha=1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                state["moments"].index_copy_(0, rows, mv)
                step_size = group["lr"] * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
                denom = v.sqrt().add_(group["eps"])  # as SparseAdam places eps
                p.index_add_(0, rows, m / denom, alpha=-step_size)


def make_optimizers(module: nn.Module, config: TrainConfig) -> list[torch.optim.Optimizer]:
    """One optimizer for dense parameters, plus :class:`LazyAdam` for sparse embeddings under Adam."""
    if config.lr is None:
        raise ModelError("no learning rate: the family picks one (lr=none) before training")
    lr = config.lr
    sparse = distributed.sparse_parameters(module)
    sparse_ids = {id(p) for p in sparse}
    dense = [p for p in module.parameters() if id(p) not in sparse_ids and p.requires_grad]
    opts: list[torch.optim.Optimizer] = []
    if config.optimizer == "sgd":
        opts.append(PlainSGD(dense + sparse, lr=lr))  # type: ignore[arg-type]
        return opts
    if dense:
        cls = torch.optim.AdamW if config.optimizer == "adamw" else torch.optim.Adam
        opts.append(cls(dense, lr=lr, weight_decay=config.weight_decay))
    if sparse:
        opts.append(LazyAdam(sparse, lr=lr))
    return opts


def _flatten_optimizers(opts: list[torch.optim.Optimizer]) -> tuple[dict[str, torch.Tensor], list[Any]]:
    tensors: dict[str, torch.Tensor] = {}
    meta: list[Any] = []
    for j, opt in enumerate(opts):
        sd = opt.state_dict()
        state_meta: dict[str, dict[str, Any]] = {}
        for idx, st in sd["state"].items():
            entry: dict[str, Any] = {}
            for key, value in st.items():
                if isinstance(value, torch.Tensor):
                    tensors[f"optim{j}.{idx}.{key}"] = value.detach().cpu().contiguous()
                    entry[key] = "tensor"
                else:
                    entry[key] = value
            state_meta[str(idx)] = entry
        meta.append({"state": state_meta, "param_groups": sd["param_groups"]})
    return tensors, meta


def _restore_optimizers(opts: list[torch.optim.Optimizer], tensors: dict[str, torch.Tensor],
                        meta: list[Any]) -> None:
    for j, (opt, m) in enumerate(zip(opts, meta, strict=True)):
        state = {}
        for idx, entry in m["state"].items():
            state[int(idx)] = {k: tensors[f"optim{j}.{idx}.{k}"] if v == "tensor" else v
                               for k, v in entry.items()}
        opt.load_state_dict({"state": state, "param_groups": m["param_groups"]})


def _cpu_state(module: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in module.state_dict().items()}


def save_checkpoint(path: Path, module: nn.Module, best: dict[str, torch.Tensor],
                    opts: list[torch.optim.Optimizer], loop_state: dict[str, Any],
                    rng: torch.Tensor | None = None) -> None:
    """Write weights, best weights, optimizer state and loop state as one file, atomically
    (``rng``: the CPU random state, for a checkpoint inside an epoch)."""
    path.mkdir(parents=True, exist_ok=True)
    # Cloned: tied weights (one tensor under two names) must be separate in safetensors.
    tensors = {f"model.{k}": v.detach().cpu().clone().contiguous()
               for k, v in module.state_dict().items()}
    tensors.update({f"best.{k}": v.contiguous() for k, v in best.items()})
    if rng is not None:
        tensors["rng.cpu"] = rng.clone()
    opt_tensors, opt_meta = _flatten_optimizers(opts)
    tensors.update(opt_tensors)
    metadata = {"loop": json.dumps(loop_state), "optim": json.dumps(opt_meta)}
    tmp = path / f".{CHECKPOINT_FILE}.tmp"
    save_file(tensors, str(tmp), metadata=metadata)
    os.replace(tmp, path / CHECKPOINT_FILE)


def read_checkpoint_state(path: Path) -> dict[str, Any] | None:
    """The loop state of a checkpoint folder, or None when there is none."""
    from safetensors import safe_open  # lazy: safetensors: slow to import

    file = path / CHECKPOINT_FILE
    if not file.exists():
        return None
    with safe_open(str(file), framework="pt") as fh:
        meta = fh.metadata() or {}
    return json.loads(meta.get("loop", "{}"))


def _autograd_step(net: nn.Module, opts: list[torch.optim.Optimizer],
                   inputs: Sequence[torch.Tensor], target: torch.Tensor,
                   loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                   config: TrainConfig, *, lr: float, first: bool, last: bool,
                   amp: bool, device: torch.device) -> float:
    """Forward, backward and (on the last batch of an accumulation group) the optimizer
    step; ``first``: the group's first batch (set the rate, clear the gradients). ``net``:
    the module, or its DistributedDataParallel wrapper, which averages the gradients over
    the processes in the backward pass of a group's last batch (``no_sync`` before)."""
    if first:
        for opt in opts:
            for group in opt.param_groups:
                group["lr"] = lr
            opt.zero_grad(set_to_none=True)
    no_sync = getattr(net, "no_sync", None)
    with contextlib.nullcontext() if last or no_sync is None else no_sync():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            logits = net(*inputs)
        loss = loss_fn(logits.float(), target)
        value = loss.item()
        if not math.isfinite(value):
            return value
        accum = config.accumulate
        (loss / accum if accum > 1 else loss).backward()
    if last:
        if config.grad_clip:
            nn.utils.clip_grad_norm_(net.parameters(), config.grad_clip)
        for opt in opts:
            opt.step()
    return value


@dataclass
class _Position:
    """Where a run starts: epoch 1, or where a checkpoint left it (after an epoch, or
    ``skip`` batches into one, with their summed loss and count and the random state)."""

    epoch: int = 1
    skip: int = 0
    loss: float = 0.0
    seen: int = 0
    rng: torch.Tensor | None = None
    seconds: float = 0.0  # training time before the resume: the budget and schedule go on


@dataclass
class _Best:
    """The weights to restore at the end (empty: keep the latest) and how many epochs
    have not improved on them."""

    weights: dict[str, torch.Tensor]
    bad_epochs: int = 0

    def update(self, result: TrainResult, row: dict[str, float], module: nn.Module,
               config: TrainConfig, validated: bool) -> None:
        """After epoch ``row["epoch"]``: keep its weights if it is the best so far by the
        monitored score, or count it against the patience."""
        epoch = int(row["epoch"])
        current = row.get("valid_loss", row["train_loss"])
        if config.monitor != "loss" and f"valid_{config.monitor}" in row:
            current = -row[f"valid_{config.monitor}"]  # lower is better, like a loss
        if not validated or config.monitor == "last":
            # No validation set (or monitor "last"): the latest weights are the model (no
            # copy per epoch; a falling training loss says nothing about which epoch
            # generalises best). The validation scores, if any, still go in the history.
            result.best_epoch, self.weights = epoch, {}
            result.best_valid_loss = min(result.best_valid_loss, current)
        elif current < result.best_valid_loss - 1e-6:
            result.best_valid_loss, result.best_epoch, self.bad_epochs = current, epoch, 0
            self.weights = _cpu_state(module)
        else:
            self.bad_epochs += 1
            if self.bad_epochs > config.patience:
                result.stopped_early = True


def _resume(checkpoint_dir: Path, fingerprint: str, module: nn.Module,
            opts: list[torch.optim.Optimizer], device: torch.device, result: TrainResult,
            best: _Best, desc: str, n_batches: int) -> _Position:
    """Load the checkpoint in ``checkpoint_dir``, if any, into ``module``, ``opts``,
    ``result`` and ``best``; where the run goes on from."""
    file = checkpoint_dir / CHECKPOINT_FILE
    if not file.exists():
        return _Position()
    state = read_checkpoint_state(checkpoint_dir) or {}
    if state.get("fingerprint") != fingerprint:
        raise ModelError(f"{file}: the checkpoint was made from other data or settings; "
                         "start over without --resume (or with --force)")
    tensors = load_file(str(file))
    module.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    best.weights = {k[5:]: v for k, v in tensors.items() if k.startswith("best.")}
    best.bad_epochs = state["bad_epochs"]
    from safetensors import safe_open  # lazy: safetensors: slow to import

    with safe_open(str(file), framework="pt") as fh:
        opt_meta = json.loads((fh.metadata() or {})["optim"])
    _restore_optimizers(opts, {k: v.to(device) for k, v in tensors.items()
                               if k.startswith("optim")}, opt_meta)
    result.history = state["history"]
    result.best_epoch = state["best_epoch"]
    result.best_valid_loss = state["best_valid_loss"]
    result.stopped_early = state["stopped_early"]
    result.resumed_from_epoch = state["epoch"]
    position = _Position(epoch=state["epoch"] + 1, seconds=float(state.get("elapsed", 0.0)))
    partial = state.get("partial")
    if partial:  # saved inside an epoch: continue with its next batch
        position.skip = int(partial["batches"])
        if distributed.is_main():  # (the loss so far is the first process's; others add theirs)
            position.loss, position.seen = float(partial["total_loss"]), int(partial["seen"])
        position.rng = tensors.get("rng.cpu")
        log.info("resuming %s in epoch %d after batch %d of %d", desc, position.epoch,
                 position.skip, n_batches)
    else:
        log.info("resuming %s after epoch %d", desc, state["epoch"])
    return position


def train_module(
    module: nn.Module,
    train_batches: Callable[[int], Iterable[Batch]],
    n_batches: int,
    config: TrainConfig,
    *,
    valid_batches: Callable[[], Iterable[Batch]] | None = None,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = classification_loss,
    checkpoint_dir: Path | None = None,
    resume: bool = False,
    fingerprint: str = "",
    desc: str = "training",
) -> TrainResult:
    """Train ``module`` in place and leave it holding its best weights.

    Args:
        train_batches: ``epoch -> iterable of (*inputs, target)``; shuffling must be
            seeded by the epoch so that a resumed run sees the same order.
        n_batches: batches per epoch (for the progress bar and the LR schedule).
        valid_batches: held-out batches; without them the last epoch is kept.
        checkpoint_dir: folder for ``checkpoint.safetensors``; with ``resume`` a run
            continues from it. ``fingerprint`` (e.g. a hash of the vocabulary) must match.
    """
    if config.epochs is None or config.lr is None:
        raise ModelError("train_module needs a number of epochs and a learning rate")
    device = distributed.local_device(resolve_device(config.device))
    distributed.setup(device)
    world, main = distributed.world_size(), distributed.is_main()
    if n_batches < world:
        raise ModelError(f"{n_batches} batch(es) per epoch cannot be shared among {world} "
                         "processes: use fewer processes or smaller batches")
    # Each process takes every world-th batch; ``step`` counts batches of all processes.
    n_local = n_batches // world
    module.to(device)
    opts = make_optimizers(module, config)
    total_steps = n_local * world * config.epochs
    result = TrainResult()
    # The weights to restore at the end; without a validation set the latest ones are kept.
    best = _Best(_cpu_state(module) if valid_batches is not None else {})
    start = _resume(checkpoint_dir, fingerprint, module, opts, device, result, best, desc,
                    n_batches) if checkpoint_dir is not None and resume else _Position()
    skip = start.skip
    if not distributed.agree([start.epoch, skip], device):
        raise ModelError("the processes would resume from different places: on several "
                         "machines the output folder (and its checkpoint) must be shared")
    # Several processes: DistributedDataParallel (every process starts from rank 0's weights).
    net = distributed.wrap(module, device)
    last_save = time.perf_counter()
    t0 = last_save - start.seconds

    def clock() -> float:
        """Seconds of training so far; with a time budget, several processes agree on
        them (the slowest clock), so that they change the rate and stop together."""
        elapsed = time.perf_counter() - t0
        if config.max_seconds is not None:
            elapsed = distributed.all_max(elapsed, device)
        return elapsed

    def loop_state(epochs_done: int, partial: dict[str, Any] | None = None) -> dict[str, Any]:
        """What a checkpoint records besides tensors (``partial``: inside an epoch)."""
        state = {"epoch": epochs_done, "history": result.history,
                 "best_epoch": result.best_epoch, "best_valid_loss": result.best_valid_loss,
                 "bad_epochs": best.bad_epochs, "stopped_early": result.stopped_early,
                 "fingerprint": fingerprint, "elapsed": time.perf_counter() - t0}
        return {**state, "partial": partial} if partial else state

    step = ((start.epoch - 1) * n_local + skip) * world
    on_cpu = device.type == "cpu"
    # A module may bring its own compiled SGD step (fasttext): used for plain SGD on the
    # CPU without accumulation or clipping, where it is exactly "p -= lr * grad" per example.
    fused = bool(getattr(module, "compiled", False) and on_cpu and config.optimizer == "sgd"
                 and config.accumulate == 1 and not config.grad_clip
                 and loss_fn is classification_loss and world == 1)
    # bf16 autocast where the hardware does bf16 natively (CUDA; CPUs with AVX512-BF16 or
    # AMX: on 2 Zen 4 cores MiniLM fine-tuning 1.38x faster, the cnn 1.27x, the
    # char-transformer 1.16x, same scores; bench_cpu_bf16.py); the compiled step and the
    # LSTMs (cpu_bf16 = False) stay float32.
    amp = use_bf16(config, device, module) and not fused
    result.device, result.bf16, result.processes = device.type, amp, world
    out_of_time = False
    for epoch in range(start.epoch, config.epochs + 1):
        if result.stopped_early or out_of_time:
            break
        # Dropout masks, reproducible per epoch (and different in each process).
        torch.manual_seed(config.seed * 100_003 + epoch + 7_919 * distributed.rank())
        if skip and start.rng is not None:
            torch.set_rng_state(start.rng)  # where the interrupted run was in this epoch
        net.train()
        epoch_start = time.perf_counter()
        total_loss, seen = (start.loss, start.seen) if skip else (0.0, 0)
        bar = tqdm(total=n_local, initial=skip, desc=f"{desc} epoch {epoch}/{config.epochs}",
                   disable=None if config.progress and main else True, leave=False,
                   unit="batch")
        accum = config.accumulate
        epoch_batches: Iterable[Batch] = distributed.shard(train_batches(epoch), n_batches)
        if skip:  # the same seeded order; the batches done before the interruption skipped
            epoch_batches = itertools.islice(epoch_batches, skip, None)
        elapsed = clock()
        applied_lr = get_lr(step, total_steps, config, elapsed)
        for i, batch in enumerate(epoch_batches, start=skip):
            *inputs, target = batch if on_cpu else (t.to(device, non_blocking=True)
                                                    for t in batch)
            lr = get_lr(step, total_steps, config, elapsed)
            if i % accum == 0:
                applied_lr = lr  # (accumulating: the rate of the group's first batch)
            if fused:
                loss_value = module.sgd_step(*inputs, target, lr)  # type: ignore[operator]
            else:
                loss_value = _autograd_step(net, opts, inputs, target, loss_fn, config,
                                            lr=lr, first=i % accum == 0,
                                            last=(i + 1) % accum == 0 or i + 1 == n_local,
                                            amp=amp, device=device)
            if not math.isfinite(loss_value):
                raise ModelError(f"training diverged (loss {loss_value}) at epoch {epoch}; "
                                 "try a smaller learning rate (--set lr=...)")
            step += world
            n = target.shape[0]
            total_loss += loss_value * n
            seen += n
            bar.update(1)
            if (i + 1) % 20 == 0:
                bar.set_postfix(loss=f"{total_loss / max(seen, 1):.4f}")
            elapsed = clock()
            if config.max_seconds is not None and elapsed >= config.max_seconds:
                out_of_time = True
                break
            if (main and checkpoint_dir is not None and config.checkpoint_seconds > 0
                    and (i + 1) % accum == 0 and i + 1 < n_local
                    and time.perf_counter() - last_save >= config.checkpoint_seconds):
                # A long epoch (a transformer on many tweets) is checkpointed inside too,
                # so a kill loses at most checkpoint_seconds of work.
                # (The CPU random state; on CUDA, dropout after a resume differs.)
                last_save = time.perf_counter()
                save_checkpoint(checkpoint_dir, module, best.weights or _cpu_state(module),
                                opts, loop_state(epoch - 1, {"epoch": epoch, "batches": i + 1,
                                                       "total_loss": total_loss, "seen": seen}),
                                rng=torch.get_rng_state())
        skip = 0
        bar.close()
        summed_loss, summed_seen = distributed.all_sum([total_loss, seen], device)
        row: dict[str, float] = {"epoch": epoch, "train_loss": summed_loss / max(summed_seen, 1),
                                 "lr": applied_lr}  # that of the epoch's last step
        if valid_batches is not None:
            row.update(evaluate_loss(module, distributed.shard(valid_batches()), loss_fn,
                                     device))
        row["seconds"] = time.perf_counter() - epoch_start
        result.history.append(row)
        best.update(result, row, module, config, valid_batches is not None)
        if out_of_time:
            result.out_of_time = True
            log.info("%s: time budget of %.0f s spent during epoch %d", desc,
                     config.max_seconds, epoch)
        log.info("%s epoch %d/%d: %s", desc, epoch, config.epochs,
                 ", ".join(f"{k} {v:.4f}" for k, v in row.items() if k != "epoch"))
        due = time.perf_counter() - last_save >= config.checkpoint_seconds
        if (main and checkpoint_dir is not None and due and epoch < config.epochs
                and not result.stopped_early and not out_of_time):
            last_save = time.perf_counter()
            save_checkpoint(checkpoint_dir, module, best.weights or _cpu_state(module), opts,
                            loop_state(epoch))
    if best.weights:
        module.load_state_dict(best.weights)
    module.eval()
    result.seconds = time.perf_counter() - t0
    return result


@torch.no_grad()
def evaluate_loss(module: nn.Module, batches: Iterable[Batch],
                  loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                  device: torch.device) -> dict[str, float]:
    """Mean loss and accuracy over ``batches`` in eval mode (dropout off); for (B, C)
    logits also the macro-F1 over the classes that occur (as gold or predicted). Under
    torchrun each process scores its share and the sums are added up."""
    was_training = module.training
    module.eval()
    total, correct, count, rows = 0.0, 0.0, 0.0, 0.0
    confusion: torch.Tensor | None = None
    for batch in batches:
        *inputs, target = (t.to(device) for t in batch)
        logits = module(*inputs)
        n = target.shape[0]
        total += loss_fn(logits, target).item() * n
        rows += n
        if target.is_floating_point():  # soft labels: agreement with the likeliest class
            target = target.argmax(-1)
        mask = target != -100
        pred = logits.argmax(-1)
        correct += int((pred == target)[mask].sum())
        count += int(mask.sum())
        if logits.dim() == 2:
            k = logits.shape[1]
            pairs = torch.bincount((target * k + pred).cpu(), minlength=k * k).reshape(k, k)
            confusion = pairs if confusion is None else confusion + pairs
    module.train(was_training)
    if distributed.active():
        total, correct, count, rows = distributed.all_sum([total, correct, count, rows], device)
        k = int(distributed.all_max(0 if confusion is None else confusion.shape[0], device))
        if k:
            local = confusion.to(device) if confusion is not None else \
                torch.zeros(k, k, dtype=torch.int64, device=device)
            confusion = distributed.sum_tensor(local).cpu()
    out = {"valid_loss": total / max(rows, 1), "valid_accuracy": correct / max(count, 1)}
    if confusion is not None:
        tp = confusion.diag().double()
        support, predicted = confusion.sum(1).double(), confusion.sum(0).double()
        f1 = 2 * tp / (support + predicted).clamp(min=1)
        present = (support + predicted) > 0
        out["valid_macro_f1"] = float(f1[present].mean()) if bool(present.any()) else 0.0
    return out
