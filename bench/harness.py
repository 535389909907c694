"""Shared benchmark plumbing: a server in its own process on loopback, and figure printing."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from server.store.embedded import EmbeddedRedis, free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
    # Plain host candidates: mDNS names would need multicast, which a sandbox may not carry.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]
FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


async def wait_port(port: int, timeout: float = 10, process: Any = None) -> None:
    """Until something accepts TCP connections on 127.0.0.1:port; fails at once if ``process``
    (a ``subprocess.Popen``) exited meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited at start-up")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Figure:
    """One measured figure: its samples, and the baseline's from the same run if it has one."""

    name: str
    values: list[float]
    unit: str
    note: str = ""
    baseline: list[float] | None = None
    baseline_label: str = ""
    target: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def ratio(self) -> float | None:
        if not self.baseline:
            return None
        base = statistics.median(self.baseline)
        return self.median / base if base else None

    def line(self) -> str:
        line = (
            f"{self.name}: {_num(self.median)} (p95 {_num(percentile(self.values, 95))}, "
            f"p99 {_num(percentile(self.values, 99))}) {self.unit} [n={len(self.values)}]"
        )
        extras = []
        if self.baseline:
            ratio = "n/a" if self.ratio is None else f"{self.ratio:.2f}"
            extras.append(
                f"baseline {self.baseline_label} {_num(statistics.median(self.baseline))} "
                f"{self.unit}, ratio {ratio}"
            )
        if self.target:
            extras.append(f"target {self.target}")
        if self.note:
            extras.append(self.note)
        if extras:
            line += " — " + "; ".join(extras)
        return line


def _num(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.2f}"


RESULTS: list[Figure] = []


def figure(
    name: str,
    values: Sequence[float],
    unit: str,
    note: str = "",
    *,
    baseline: Sequence[float] | None = None,
    baseline_label: str = "",
    target: str = "",
) -> str:
    """``name: median (p95, p99) unit — baseline …, ratio …``, the one line every bench prints;
    the figure is also kept in ``RESULTS`` for the results table."""
    result = Figure(
        name,
        list(values),
        unit,
        note,
        list(baseline) if baseline else None,
        baseline_label,
        target,
    )
    RESULTS.append(result)
    line = result.line()
    print(line, flush=True)
    return line


@dataclass
class Node:
    url: str
    process: asyncio.subprocess.Process
    log_path: Path | None = None

    def log_text(self) -> str:
        """What the server wrote to stderr (only when started with ``log=True``)."""
        return self.log_path.read_text(errors="replace") if self.log_path else ""


@contextlib.asynccontextmanager
async def server_process(
    *flags: str,
    redis_url: str | None = None,
    data_dir: str | None = None,
    cpus: list[int] | None = None,
    log: bool = False,
) -> AsyncIterator[Node]:
    """``mentorburst serve`` in a child process on a free loopback port (embedded Redis unless
    ``redis_url``), pinned to ``cpus`` if given, its stderr kept in a file with ``log``; stopped
    with SIGINT on exit unless the caller killed it first."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="mb-node-") as scratch:
        command = [
            sys.executable,
            "-m",
            "server",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            data_dir or scratch,
            "--log-level",
            "WARNING",
            # The load comes from one address at machine speed; limits are measured on their own.
            "--rate-limits",
            "off",
            *flags,
        ]
        if redis_url:
            command += ["--redis-url", redis_url]
        env = {**os.environ, "MB_SECRET": "shared-node-secret"}
        env.pop("REDIS_URL", None)
        log_path = Path(scratch) / "server.log" if log else None
        async with _child(command, port, cpus, env, log_path) as node:
            yield node


@contextlib.asynccontextmanager
async def bare_relay_process(cpus: list[int] | None = None) -> AsyncIterator[Node]:
    """The bare python-socketio relay (``bench/bare_relay.py``) in its own process."""
    port = free_port()
    command = [sys.executable, "-m", "bench.bare_relay", "--port", str(port)]
    async with _child(command, port, cpus, dict(os.environ)) as node:
        yield node


@contextlib.asynccontextmanager
async def echo_process(cpus: list[int] | None = None) -> AsyncIterator[Node]:
    """The bare aiohttp WebSocket echo server (``bench/echo_server.py``) in its own process."""
    port = free_port()
    command = [sys.executable, "-m", "bench.echo_server", "--port", str(port)]
    async with _child(command, port, cpus, dict(os.environ)) as node:
        yield node


@contextlib.asynccontextmanager
async def _child(
    command: list[str],
    port: int,
    cpus: list[int] | None,
    env: dict[str, str],
    log_path: Path | None = None,
) -> AsyncIterator[Node]:
    """A server child on ``port``, healthy before it is handed out; SIGINT (then kill) on exit
    unless the caller already stopped it."""
    if cpus:
        command = ["taskset", "-c", ",".join(map(str, cpus)), *command]
    with contextlib.ExitStack() as files:
        stderr = files.enter_context(log_path.open("wb")) if log_path else None
        process = await asyncio.create_subprocess_exec(*command, env=env, stderr=stderr)
    node = Node(f"http://127.0.0.1:{port}", process, log_path)
    try:
        await _wait_healthy(node)
        yield node
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _wait_healthy(node: Node) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(400):
            if node.process.returncode is not None:
                break
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(node.url + "/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.05)
    raise RuntimeError(f"mentorburst node at {node.url} did not come up")


@contextlib.asynccontextmanager
async def bench_redis() -> AsyncIterator[str]:
    """A real ``redis-server`` of our own (AOF on, as ``mentorburst serve`` runs it), shared by
    the server(s) and the same-run baseline so both hit the same Redis."""
    with tempfile.TemporaryDirectory(prefix="mb-redis-") as scratch:
        redis = EmbeddedRedis(Path(scratch))
        url = await redis.start()
        try:
            yield url
        finally:
            await redis.stop()


def skills_file(folder: str, count: int) -> tuple[str, list[str]]:
    """A catalog of ``count`` skills written into ``folder``: (path, slugs)."""
    slugs = [f"skill-{i:02d}" for i in range(count)]
    path = Path(folder) / "skills.json"
    path.write_text(json.dumps([{"slug": s, "name": s} for s in slugs]), encoding="utf-8")
    return str(path), slugs


@dataclass(frozen=True)
class Usage:
    """A process's CPU seconds (user + system) and resident memory, read from /proc."""

    cpu_s: float
    rss_bytes: int


def usage(pid: int) -> Usage:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    return Usage(cpu, rss)


def server_pid(node: Node) -> int:
    """The Python server's pid (under ``taskset`` it is the same process: taskset execs)."""
    return node.process.pid


def machine() -> str:
    """The machine a run was on, for the results."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                model = row.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB, Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def progress(text: str) -> None:
    """A progress note on stderr, apart from the figure lines on stdout."""
    print(f"  … {text}", file=sys.stderr, flush=True)
