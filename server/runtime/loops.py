"""A background loop that stops cooperatively.

Cancelling a task in the middle of a Redis command can leave redis-py waiting on a connection
that never answers, so loops check a stop flag between steps and are only cancelled as a last
resort.
"""

from __future__ import annotations

import asyncio
import contextlib


class BackgroundLoop:
    name = "worker"

    def __init__(self) -> None:
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def run(self) -> None:
        raise NotImplementedError

    def wake(self) -> None:
        self._wake.set()

    async def pause(self, seconds: float) -> None:
        """Sleep up to ``seconds``; returns early on :meth:`wake` or :meth:`stop`."""
        self._wake.clear()
        if self.stopping:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self.run(), name=f"mentorburst-{self.name}")

    async def stop(self, timeout: float = 5.0) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
