"""Shared benchmark plumbing: a server in its own process on loopback, and figure printing."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import aiohttp

from server.embedded_redis import free_port

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


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def figure(name: str, values: Sequence[float], unit: str, baseline: str = "") -> str:
    """``name: median (p95, p99) unit — baseline …``, the one line format every bench prints."""
    line = (
        f"{name}: {statistics.median(values):.2f} "
        f"(p95 {percentile(values, 95):.2f}, p99 {percentile(values, 99):.2f}) {unit} [n={len(values)}]"
    )
    if baseline:
        line += f" — {baseline}"
    print(line, flush=True)
    return line


@dataclass
class Node:
    url: str
    process: asyncio.subprocess.Process


@contextlib.asynccontextmanager
async def server_process(
    *flags: str, redis_url: str | None = None, data_dir: str | None = None
) -> AsyncIterator[Node]:
    """``mentorburst serve`` in a child process on a free loopback port (embedded Redis unless
    ``redis_url``); stopped with SIGINT on exit unless the caller killed it first."""
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
            *flags,
        ]
        if redis_url:
            command += ["--redis-url", redis_url]
        env = {**os.environ, "MB_SECRET": "shared-node-secret"}
        env.pop("REDIS_URL", None)
        process = await asyncio.create_subprocess_exec(*command, env=env)
        node = Node(f"http://127.0.0.1:{port}", process)
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
