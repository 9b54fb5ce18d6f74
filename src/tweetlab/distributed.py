"""Data-parallel training over several processes: several GPUs, machines, or CPU sockets.

Launch any ``tweetlab train`` / ``tweetlab generator train`` command with ``torchrun``::

    torchrun --nproc_per_node 4 -m tweetlab train tweets.csv --model transformer --out m

Every process reads the data and builds the same vocabulary (seeded), then
:func:`tweetlab.training.train_module` gives process ``r`` of ``w`` the batches ``r``,
``r + w``, ``r + 2w``... of each epoch's seeded order and averages the gradients of
each step over the processes, so ``w`` processes with batches of ``b`` take the same
steps as one process with ``accumulate=w`` (checked by a test): the module is wrapped in
``torch.nn.parallel.DistributedDataParallel`` (:func:`wrap`). Validation is split
among the processes and its sums added up, so all of them take the same early-stopping
decision; only the first process (rank 0) shows a progress bar, writes checkpoints,
calibrates, evaluates and saves the model. Backend: NCCL on CUDA (one GPU per process,
``cuda:LOCAL_RANK``), gloo on the CPU. Without ``torchrun`` nothing here does anything.

DistributedDataParallel averages gradients in buckets while the backward pass runs
(overlapping communication with computation) and skips it with ``no_sync`` for the
batches of an accumulation group but its last.
"""

from __future__ import annotations

import datetime
import gc
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import ConfigError

if TYPE_CHECKING:  # torch is imported when used: the CLI starts without it
    import torch
    from torch import nn

log = logging.getLogger("tweetlab")

T = TypeVar("T")
_joined = False  # this process joined a process group (setup): see exit_if_joined
LAUNCHED = "TWEETLAB_LAUNCHED"  # set in the processes :func:`launch` starts


def world_size() -> int:
    """How many processes train together (``WORLD_SIZE`` set by torchrun; 1 without it)."""
    try:
        return max(1, int(os.environ.get("WORLD_SIZE", "1")))
    except ValueError:
        raise ConfigError(f"WORLD_SIZE={os.environ['WORLD_SIZE']!r} is not a number") from None


def rank() -> int:
    """This process's place among them (0 without torchrun)."""
    return int(os.environ.get("RANK", "0") or 0) if world_size() > 1 else 0


def active() -> bool:
    """Whether this process trains as one of several."""
    return world_size() > 1


def is_main() -> bool:
    """Whether this process writes (the only process without torchrun)."""
    return rank() == 0


def local_device(device: torch.device) -> torch.device:
    """The GPU this process uses: ``cuda:LOCAL_RANK`` when several processes share a
    machine's GPUs and no index was asked for."""
    import torch  # lazy: torch: slow to import

    if not active() or device.type != "cuda":
        return device
    if device.index is not None:
        if int(os.environ.get("LOCAL_WORLD_SIZE", "1") or 1) > 1:
            raise ConfigError(f"device {device} for every process on this machine: say cuda "
                              "without an index, and each process takes its own GPU")
        return device
    index = int(os.environ.get("LOCAL_RANK", "0") or 0)
    if index >= torch.cuda.device_count():
        raise ConfigError(f"process {rank()} has LOCAL_RANK {index}, but this machine has "
                          f"{torch.cuda.device_count()} GPU(s): start one process per GPU")
    return torch.device("cuda", index)


def setup(device: torch.device) -> None:
    """Join the process group (once per process); a no-op without torchrun."""
    import torch  # lazy: torch: slow to import
    import torch.distributed as dist  # lazy: torch: slow to import

    if not active() or dist.is_initialized():
        return
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend, timeout=datetime.timedelta(minutes=30))
    global _joined
    _joined = True
    log.info("data-parallel training: process %d of %d (%s)", rank(), world_size(), backend)


def shutdown() -> None:
    """Leave the process group (at the end of a command)."""
    if not active():
        return
    import torch.distributed as dist  # lazy: torch: slow to import

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
        # Then free what still refers to gloo's work while the interpreter is whole: without
        # this, about one two-process run in ten aborted at exit ("terminate called without
        # an active exception") after everything was saved; 0 in 24 test runs with it.

        gc.collect()


def exit_if_joined(code: int) -> None:
    """End a process that trained data-parallel (a ``tweetlab`` command under torchrun or
    ``--processes``) at once with ``code``, its output flushed and everything saved:
    ``os._exit`` skips the interpreter's teardown, where gloo's threads could still abort
    a finished run ("terminate called without an active exception", SIGABRT) even after
    :func:`shutdown`'s collection: 1 of ~100 two-process runs, a CI run of 2026-11-29). Returns
    when this process joined no group."""
    if not _joined:
        return

    logging.shutdown()  # (flushes the handlers)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more to say
            pass
    os._exit(code)


def shard(items: Iterable[T], count: int | None = None) -> Iterator[T]:
    """This process's share of ``items``: in rounds of ``world_size()`` items, the one at
    its rank. Only whole rounds, and with ``count`` (items in all) at most
    ``count // world_size()`` of them, so that every process gets as many even if the
    count was wrong (a process with one batch more would wait for the others at the next
    gradient sum forever). Without ``count`` the last round may be partial (validation:
    nothing waits on it)."""
    w = world_size()
    if w == 1:
        yield from items
        return
    r = rank()
    rounds = None if count is None else count // w
    it = iter(items)
    done = 0
    while rounds is None or done < rounds:
        group = list(islice(it, w))
        if r < len(group) and (count is None or len(group) == w):
            yield group[r]
        if len(group) < w:
            return
        done += 1


def sparse_parameters(module: nn.Module) -> list[nn.Parameter]:
    """The weights of ``module``'s sparse embeddings (their gradients are sparse)."""
    from torch import nn  # lazy: torch: slow to import

    return [p for m in module.modules()
            if isinstance(m, nn.Embedding | nn.EmbeddingBag) and m.sparse
            for p in m.parameters()]


def wrap(module: nn.Module, device: torch.device) -> nn.Module:
    """``module`` in :class:`torch.nn.parallel.DistributedDataParallel` when several
    processes train together (``module`` itself otherwise): at construction every process
    gets rank 0's weights and buffers; in training, gradients are averaged in buckets
    while the backward pass still runs, and ``no_sync()`` skips that for the batches of an
    accumulation group but its last. Parameters a forward pass leaves without a gradient
    are found each step (``find_unused_parameters``; the cost is a walk over the autograd
    graph), so any module works. Sparse embedding
    gradients (fasttext, bow-mlp) are all-reduced by gloo; NCCL cannot, so on GPUs such a
    family is refused with what to do instead."""
    if not active():
        return module
    from torch.nn.parallel import DistributedDataParallel  # lazy: torch: slow to import

    if device.type == "cuda" and sparse_parameters(module):
        raise ConfigError("this model learns sparse embeddings (the fasttext and bow-mlp "
                          "families), whose gradients "
                          "DistributedDataParallel cannot all-reduce over NCCL (GPUs): train "
                          "it on one GPU, or data-parallel on CPUs (--device cpu)")
    # (a warning, once, when a model turns out to have no unused parameter)
    warnings.filterwarnings("ignore", message=".*find_unused_parameters=True.*")
    return DistributedDataParallel(module, device_ids=[device] if device.type == "cuda" else None,
                                   find_unused_parameters=True)


def _all_reduce(values: list[float], device: torch.device, op: str) -> list[float]:
    """``values`` reduced element-wise over the processes (``op``: "sum" or "max"), as
    float64."""
    import torch  # lazy: torch: slow to import
    import torch.distributed as dist  # lazy: torch: slow to import

    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM if op == "sum" else dist.ReduceOp.MAX)
    return [float(v) for v in t.tolist()]


def all_sum(values: list[float], device: torch.device) -> list[float]:
    """``values`` added up over the processes (as float64)."""
    return _all_reduce(values, device, "sum") if active() else values


def all_max(value: float, device: torch.device) -> float:
    """The largest ``value`` over the processes (to agree on a clock)."""
    return _all_reduce([value], device, "max")[0] if active() else value


def agree(values: list[float], device: torch.device) -> bool:
    """Whether every process holds the same ``values`` (their maximum and minimum match)."""
    if not active():
        return True
    both = _all_reduce([*values, *(-v for v in values)], device, "max")
    n = len(values)
    return both[:n] == [-v for v in both[n:]]


def sum_tensor(t: torch.Tensor) -> torch.Tensor:
    """``t`` added up over the processes (in place; returned)."""
    if active():
        import torch.distributed as dist  # lazy: torch: slow to import

        dist.all_reduce(t)
    return t


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch(args: list[str], processes: int) -> int:
    """Run ``tweetlab ARGS`` in ``processes`` processes on this machine that train
    together (what ``torchrun --standalone`` does, without its error report): each gets
    ``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` and a rendezvous on the loopback interface, and
    without ``OMP_NUM_THREADS`` an equal share of the cores. When one fails, the others
    are stopped; returns the first failure's exit status (0 when all succeed). What the
    other processes write to stderr is shown at the end, unless the first process failed
    on its own (then they only repeat its error: the same file, the same settings)."""

    port = free_port()
    threads = max(1, (os.cpu_count() or 1) // processes)
    procs, logs = [], []
    for r in range(processes):
        env = {**os.environ, "WORLD_SIZE": str(processes), "RANK": str(r),
               "LOCAL_RANK": str(r), "LOCAL_WORLD_SIZE": str(processes),
               "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), LAUNCHED: "1"}
        env.setdefault("OMP_NUM_THREADS", str(threads))
        err = None if r == 0 else tempfile.TemporaryFile("w+")
        if err is not None:
            logs.append(err)
        procs.append(subprocess.Popen([sys.executable, "-m", "tweetlab", *args], env=env,
                                      stderr=err))
    first_failed = None

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # a scheduler's SIGTERM: stop the processes as Ctrl-C does

    try:
        before = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # (not the main thread: no handler)
        before = None
    try:
        while any(p.poll() is None for p in procs):
            failed = [i for i, p in enumerate(procs) if p.returncode not in (None, 0)]
            if failed:
                first_failed = failed[0]
                break
            time.sleep(0.1)
    except KeyboardInterrupt:
        # A Ctrl-C at a terminal reached every process; a signal sent to this one alone
        # is passed on. A process that waits for a stopped one inside a gradient sum
        # cannot stop by itself: killed after a few seconds. (The checkpoints written
        # so far stay: the same command with --resume continues.)
        for p in procs:
            try:
                p.wait(timeout=1)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        print("\ninterrupted; the same command plus --resume continues it", file=sys.stderr)
        return 130
    finally:
        if before is not None:
            signal.signal(signal.SIGTERM, before)
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:  # stuck where SIGTERM is not acted on
            p.kill()
            p.wait()
    if first_failed is None:
        first_failed = next((i for i, p in enumerate(procs) if p.returncode), None)
    if first_failed != 0:
        for err in logs:
            err.seek(0)
            sys.stderr.write(err.read())
    for err in logs:
        err.close()
    return 0 if first_failed is None else procs[first_failed].returncode
