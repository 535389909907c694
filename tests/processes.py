"""Real processes the operations stories run: ``mentorburst serve`` as an operator starts it
(output captured), and the Debian daemons around it (redis, sentinels, coturn, nginx). Each binds
127.0.0.1 on free ports and is stopped by the context that started it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.harness import wait_port as wait_port  # re-exported for the tests
from server.store.embedded import free_port


def require(binary: str, package: str) -> str:
    found = shutil.which(binary) or next(
        (p for p in (f"/usr/sbin/{binary}", f"/usr/bin/{binary}") if os.path.exists(p)), None
    )
    if found is None:
        pytest.skip(f"needs Debian's {package} ({binary}); .ci/run installs it")
    return found


@dataclass
class Serve:
    """A running ``mentorburst serve``; ``out``/``err`` files hold what it printed."""

    url: str
    port: int
    process: asyncio.subprocess.Process
    out: Path
    err: Path

    def stdout(self) -> str:
        return self.out.read_text()

    def stderr(self) -> str:
        return self.err.read_text()

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(sig)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return self.process.returncode or 0


@contextlib.asynccontextmanager
async def serve(
    folder: Path, *flags: str, redis_url: str | None = None, ready_timeout: float = 60
) -> AsyncIterator[Serve]:
    """``mentorburst serve`` on a free port; handed out once it printed ``serving on``."""
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - instant, before any load
    out, err = folder / f"serve-{port}.out", folder / f"serve-{port}.err"
    command = [sys.executable, "-m", "server", "serve", "--port", str(port)]
    # Operations stories, not abuse ones: their clients log in faster than a person.
    command += ["--data-dir", str(folder / f"data-{port}"), "--rate-limits", "off", *flags]
    if redis_url:
        command += ["--redis-url", redis_url]
    env = {**os.environ, "MB_SECRET": "shared-node-secret"}
    env.pop("REDIS_URL", None)
    with out.open("wb") as out_file, err.open("wb") as err_file:
        process = await asyncio.create_subprocess_exec(
            *command, stdout=out_file, stderr=err_file, env=env
        )
    running = Serve(f"http://127.0.0.1:{port}", port, process, out, err)
    try:
        deadline = time.monotonic() + ready_timeout
        while "serving on" not in running.stdout():
            if process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve did not come up:\n{running.stderr()[-3000:]}")
            await asyncio.sleep(0.05)
        yield running
    finally:
        await running.stop(timeout=30)


class Daemon:
    """A foreground daemon (redis-server, redis-sentinel, turnserver, nginx) we started."""

    def __init__(self, command: Sequence[str], log: Path) -> None:
        self.command = list(command)
        self.log = log
        self._handle = log.open("ab")
        self.process = subprocess.Popen(
            self.command, stdout=self._handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: a crash, not a shutdown."""
        if self.alive():
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._handle.close()
