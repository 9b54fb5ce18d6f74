"""Score pieces of a file in worker processes while this process reads and writes.

Used by ``analyze`` and ``predict_file``: a worker holds one scorer (built once from the
model), each piece goes to the next free worker, results come back in file order, and
at most two pieces per worker are in flight, so memory stays flat in the file size.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from .models import load_model

T = TypeVar("T")

_SCORER: Any = None


def die_with_parent(parent: int) -> None:
    """End this worker when its parent process dies: Linux sends it SIGTERM then
    (``PR_SET_PDEATHSIG``), so a parent killed outright (SIGKILL, the OOM killer), which
    runs no cleanup, leaves no worker behind blocked on a pipe; and if the parent is
    already gone, end now."""
    # A forked worker inherits the CLI's handler that turns SIGTERM into KeyboardInterrupt,
    # which the pool's worker loop would catch and carry on: here SIGTERM ends the process,
    # and Ctrl-C is left to the parent, which stops the workers itself.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGTERM))  # 1: PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)


def _init(factory: Callable[..., Any], model: Any, args: tuple[Any, ...],
          parent: int | None = None) -> None:
    """``model``: the classifier (fork) or its folder (spawn: each worker loads it)."""
    if parent is not None:  # first: importing torch can take seconds
        die_with_parent(parent)
    import torch  # lazy: torch: slow to import

    torch.set_num_threads(1)  # the processes are the parallelism
    global _SCORER
    _SCORER = factory(load_model(model) if isinstance(model, Path) else model, *args)


def _call(*args: Any) -> Any:
    assert _SCORER is not None
    return _SCORER(*args)


def on_gpu(clf: Any) -> bool:
    """Whether ``clf`` predicts on a GPU (moved there with ``.to("cuda")``)."""
    module = getattr(clf, "module_", None)
    params = getattr(module, "parameters", None)
    first = next(iter(params()), None) if callable(params) else None
    return first is not None and first.device.type != "cpu"


def auto_workers(data: Any, clf: Any = None) -> int:
    """Worker processes for a file: none for small ones (starting them costs ~3 s), nor for
    a model on a GPU (one process keeps it busy; CPU workers would only compete)."""
    if clf is not None and on_gpu(clf):
        return 1
    try:
        size = Path(data).stat().st_size
    except (OSError, TypeError):
        return 1
    rows = size / (35 if str(data).endswith(".gz") else 110)  # bytes per tweet row
    return min(os.cpu_count() or 1, 4) if rows > 150_000 else 1


def scored(pieces: Iterable[T], inputs: Callable[[T], tuple[Any, ...]],
           factory: Callable[..., Any], clf: Any, model_ref: Any, args: tuple[Any, ...],
           workers: int) -> Iterator[tuple[T, Any]]:
    """``(piece, factory(clf, *args)(*inputs(piece)))`` for each piece, in order; with
    ``workers`` > 1 the scoring runs in that many processes. ``model_ref``: what a
    spawned worker loads (the model's folder; forked workers inherit ``clf``)."""
    if workers <= 1:
        scorer = factory(clf, *args)
        for piece in pieces:
            yield piece, scorer(*inputs(piece))
        return
    import multiprocessing  # lazy: multiprocessing: slow to import
    from concurrent.futures import Future, ProcessPoolExecutor  # lazy: concurrent: slow to import

    import torch  # lazy: torch: slow to import

    # fork: workers inherit the loaded model, and a script calling this needs no
    # __main__ guard; spawn where fork is missing or CUDA is in use (not fork-safe).
    fork = "fork" in multiprocessing.get_all_start_methods() and not torch.cuda.is_initialized()
    ctx = multiprocessing.get_context("fork" if fork else "spawn")
    pending: list[tuple[T, Future[Any]]] = []
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init,
                             initargs=(factory, clf if fork else model_ref, args,
                                       os.getpid())) as pool:
        try:
            for piece in pieces:
                pending.append((piece, pool.submit(_call, *inputs(piece))))
                if len(pending) >= 2 * workers:
                    done, fut = pending.pop(0)
                    yield done, fut.result()
            for done, fut in pending:
                yield done, fut.result()
        except BaseException:
            # Ctrl-C, SIGTERM (the CLI turns it into KeyboardInterrupt), an error, or the
            # consumer closing this generator: stop the workers now rather than wait for
            # the pieces they hold (seconds each), then let the error go on.
            _stop(pool)
            raise


def _stop(pool: Any) -> None:
    """Terminate a process pool's workers and drop what is queued."""
    for proc in list(getattr(pool, "_processes", {}).values()):
        proc.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
