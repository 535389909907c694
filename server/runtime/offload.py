"""Work too heavy for the event loop runs in one helper process per node.

A thread is not enough: pycrdt (Yrs) holds the GIL while it merges or applies Yjs updates, so a
thread running it stalls the loop just the same (measured: 0.84 s of loop silence for 8 MB of
notes). The helper is started on first use (most nodes and tests never need it), with ``spawn``
(forking a process that runs threads is unsafe), and restarted if it dies. At most
``MAX_WAITING`` jobs are handed to it at once; more wait their turn on the loop, costing nothing.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

log = logging.getLogger(__name__)

R = TypeVar("R")

MAX_WAITING = 4


class Offload:
    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._gate = asyncio.Semaphore(MAX_WAITING)

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
        return self._pool

    async def run(self, fn: Callable[..., R], *args: Any) -> R:
        """``fn(*args)`` in the helper process; ``fn`` must be a module-level function."""
        async with self._gate:
            loop = asyncio.get_running_loop()
            try:
                return await loop.run_in_executor(self._executor(), fn, *args)
            except BrokenProcessPool:
                log.warning("the helper process died; starting another")
                self._discard()
                return await loop.run_in_executor(self._executor(), fn, *args)

    def _discard(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.get_running_loop().run_in_executor(None, pool.shutdown)
