"""Load generators in processes of their own, so their CPU never counts as the server's.

The bench process starts ``Fleet(n, WorkerClass, ...)``; each child builds one ``WorkerClass``
and runs its own event loop. The parent then drives phases with ``await fleet.ask("phase",
**params)``: every worker runs ``await worker.phase(**params)`` and the parent gets the list of
their return values. Timestamps cross processes as ``time.monotonic()`` (one clock per machine).
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import multiprocessing
import os
import traceback
from multiprocessing.connection import Connection
from typing import Any

_SPAWN = multiprocessing.get_context("spawn")


class WorkerFailed(RuntimeError):
    pass


class Fleet:
    def __init__(self, count: int, worker: type, *, cpus: list[int] | None = None, **init: Any):
        self._pipes: list[Connection] = []
        self._processes: list[Any] = []
        for index in range(count):
            parent_end, child_end = _SPAWN.Pipe()
            process = _SPAWN.Process(
                target=_child,
                args=(child_end, worker.__module__, worker.__qualname__, index, count, cpus, init),
                daemon=True,
            )
            process.start()
            child_end.close()
            self._pipes.append(parent_end)
            self._processes.append(process)

    async def ask(self, phase: str, **params: Any) -> list[Any]:
        """Run ``phase`` on every worker at once; their results in worker order."""
        for pipe in self._pipes:
            pipe.send((phase, params))
        loop = asyncio.get_running_loop()
        replies = await asyncio.gather(
            *(loop.run_in_executor(None, pipe.recv) for pipe in self._pipes)
        )
        failures = [text for ok, text in replies if not ok]
        if failures:
            raise WorkerFailed(failures[0])
        return [value for _, value in replies]

    async def close(self) -> None:
        for pipe in self._pipes:
            try:
                pipe.send(None)
            except (BrokenPipeError, OSError):
                pass
        loop = asyncio.get_running_loop()
        for process in self._processes:
            await loop.run_in_executor(None, process.join, 30)
            if process.is_alive():
                process.kill()

    async def __aenter__(self) -> Fleet:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _child(
    pipe: Connection,
    module: str,
    qualname: str,
    index: int,
    count: int,
    cpus: list[int] | None,
    init: dict[str, Any],
) -> None:
    if cpus:
        os.sched_setaffinity(0, cpus)
    # As the server does (server/app/serve.py): a load process holding 10,000 clients would otherwise
    # pause for full collections mid-measurement, and its pauses would read as server latency.
    gc.set_threshold(50_000, 20, 10)
    worker_class = getattr(importlib.import_module(module), qualname)
    asyncio.run(_serve(pipe, worker_class, dict(index=index, count=count, **init)))


async def _serve(pipe: Connection, worker_class: Any, init: dict[str, Any]) -> None:
    loop = asyncio.get_running_loop()
    worker = worker_class(**init)  # inside the loop: workers open sessions and events
    try:
        while True:
            command = await loop.run_in_executor(None, pipe.recv)
            if command is None:
                break
            phase, params = command
            try:
                result = await getattr(worker, phase)(**params)
                if phase == "setup":
                    gc.freeze()  # thousands of clients live for the run: not the collector's work
                pipe.send((True, result))
            except Exception:
                pipe.send((False, traceback.format_exc()))
    finally:
        closer = getattr(worker, "close", None)
        if closer is not None:
            await closer()
