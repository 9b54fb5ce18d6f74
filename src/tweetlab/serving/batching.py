"""Micro-batching: concurrent single-text requests share one ``predict_proba`` call.

A request puts its text on the queue and awaits a future. A worker takes the first
waiting text, then gathers the others that arrive while it yields to the event loop -
until a pass brings nothing new, ``max_batch`` texts, or ``max_wait`` seconds - runs the
model once, and resolves every future. Under light load a text is scored at once; under
heavy load batches fill up and the per-text cost of the model falls.

Where the model runs depends on how long it takes: a batch whose model call is expected
to finish within ``inline_s`` (a fast family's batch: a few milliseconds) runs on the event
loop itself, since handing it to a worker thread and back costs more than scoring it;
slower models (a transformer) run in a worker thread so the loop keeps accepting
requests. The expectation is a running average of the CPU time of the calls (the
calling thread's, so that waiting for the GIL in a busy server does not count), seeded
by the first calls, which always go to the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import numpy as np


class MicroBatcher:
    """Batches calls of ``fn(list_of_texts) -> array (n, k)`` across concurrent requests."""

    def __init__(self, fn: Callable[[list[str]], np.ndarray], *, max_batch: int = 64,
                 max_wait: float = 0.002, on_batch: Callable[[int], None] | None = None,
                 inline_s: float = 0.005) -> None:
        self.fn = fn
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.on_batch = on_batch
        self.inline_s = inline_s
        self.call_s: float | None = None  # running average of CPU seconds per model call
        self.calls = 0
        self.queue: asyncio.Queue[tuple[str, asyncio.Future[Any]]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def submit(self, text: str) -> np.ndarray:
        """Probabilities (k,) of one text."""
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        await self.queue.put((text, fut))
        return await fut

    def _timed(self, texts: list[str]) -> np.ndarray:
        start = time.thread_time()
        out = self.fn(texts)
        seconds = time.thread_time() - start
        self.calls += 1
        self.call_s = seconds if self.call_s is None else 0.9 * self.call_s + 0.1 * seconds
        return out

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            items = [await self.queue.get()]
            deadline = loop.time() + self.max_wait
            # Gather while requests keep arriving: after each drain, let the event loop
            # parse what is already on the sockets; stop as soon as a pass brings nothing
            # new (light load: no added wait), the batch is full, or max_wait is spent.
            while len(items) < self.max_batch and loop.time() < deadline:
                before = len(items)
                while len(items) < self.max_batch:
                    try:
                        items.append(self.queue.get_nowait())
                    except asyncio.QueueEmpty:
                        break
                await asyncio.sleep(0)
                if len(items) == before and self.queue.empty():
                    break
            live = [(t, f) for t, f in items if not f.done()]
            if not live:
                continue
            texts = [t for t, _ in live]
            inline = self.calls >= 3 and self.call_s is not None and self.call_s <= self.inline_s
            try:
                proba = self._timed(texts) if inline else \
                    await asyncio.to_thread(self._timed, texts)
            except Exception as exc:  # hand the error to every waiting request
                for _, f in live:
                    if not f.done():
                        f.set_exception(exc)
                continue
            if self.on_batch:
                self.on_batch(len(live))
            for (_, f), p in zip(live, proba, strict=True):
                if not f.done():
                    f.set_result(p)
