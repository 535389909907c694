"""reconnect_storm: N authenticated sockets drop at once (a Wi-Fi blip at an event, a balancer
restart) and reconnect at once. Measured: the time until every one is connected again (the
Socket.IO connect acknowledged, so its catch-up events were sent), the kernel's listen-queue
overflows meanwhile (``TcpExtListenOverflows`` from /proc/net/netstat, what ``nstat`` shows), and
connection errors (a client that fails retries after 0.5 s, as a browser's Socket.IO would).

Run twice in one go: with the listen backlog aiohttp used to default to (128) and with ours, so
the figure and its baseline come from the same run on the same machine.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.fleet import Fleet
from bench.harness import bench_redis, figure, progress, server_process
from bench.wire import WireClient, WireError, bounded, http_session, login
from server.runtime.config import Config


@dataclass
class Scale:
    sockets: int = 5000
    repeats: int = 3
    workers: int = 2
    give_up_s: float = 150


QUICK = Scale(sockets=200, repeats=1, workers=1, give_up_s=30)
ATTEMPT_SECONDS = 20  # socket.io-client's default connect timeout
OLD_BACKLOG = 128


def somaxconn() -> int:
    """The kernel's cap on any listen backlog."""
    return int(Path("/proc/sys/net/core/somaxconn").read_text())


def listen_overflows() -> int:
    """The kernel's count of connections dropped because an accept queue was full."""
    lines = Path("/proc/net/netstat").read_text().splitlines()
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], values.split()[1:], strict=True))
            return int(table["ListenOverflows"])
    return 0


class StormWorker:
    """Its share of users, logged in once; sockets opened, dropped and reopened on command."""

    def __init__(self, *, index: int, count: int, url: str, n: int) -> None:
        self.url = url
        self.share = range(index, n, count)
        self.http = http_session()
        self.tokens: list[tuple[str, str]] = []
        self.clients: list[WireClient] = []

    async def login(self) -> int:
        self.tokens = await bounded(
            [login(self.http, self.url, f"storm{i}") for i in self.share], 100
        )
        return len(self.tokens)

    async def _connect(
        self, user_id: str, token: str, give_up: float
    ) -> tuple[WireClient | None, int]:
        """Connect like a browser's Socket.IO: an attempt that takes over 20 s is abandoned and
        retried; after ``give_up`` the socket counts as not back."""
        errors = 0
        while time.monotonic() < give_up:
            client = WireClient(user_id)
            try:
                async with asyncio.timeout(ATTEMPT_SECONDS):
                    await client.connect(self.http, self.url, token)
                return client, errors
            except (aiohttp.ClientError, OSError, WireError, TimeoutError):
                errors += 1
                await client.close()
                await asyncio.sleep(0.5)
        return None, errors

    async def connect_all(self, give_up_s: float) -> tuple[float, int, int]:
        """Every socket at once: (monotonic time the last one was connected, errors, sockets
        still not back when we gave up)."""
        give_up = time.monotonic() + give_up_s
        results = await asyncio.gather(*(self._connect(u, t, give_up) for u, t in self.tokens))
        self.clients = [client for client, _ in results if client is not None]
        missing = sum(client is None for client, _ in results)
        return time.monotonic(), sum(errors for _, errors in results), missing

    async def drop_all(self) -> float:
        """Every socket gone at once, as a network blip or a balancer restart does it: the TCP
        connections close under the WebSockets, with no Socket.IO or WebSocket goodbye."""
        await self.http.close()
        self.http = http_session()
        await asyncio.gather(*(c.close() for c in self.clients), return_exceptions=True)
        self.clients = []
        return time.monotonic()

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.clients), return_exceptions=True)
        await self.http.close()


async def storm(
    backlog: int, scale: Scale
) -> tuple[list[float], list[float], list[int], float, int]:
    """(seconds until all back, per repeat; listen overflows per repeat; errors per repeat;
    first connect seconds; most sockets not back in any repeat)."""
    back: list[float] = []
    overflows: list[float] = []
    errors: list[int] = []
    missing = 0
    async with (
        bench_redis() as redis_url,
        server_process("--listen-backlog", str(backlog), redis_url=redis_url) as node,
        Fleet(scale.workers, StormWorker, url=node.url, n=scale.sockets) as fleet,
    ):
        await fleet.ask("login")
        start = time.monotonic()
        await fleet.ask("connect_all", give_up_s=scale.give_up_s)
        first = time.monotonic() - start
        for repeat in range(scale.repeats):
            await asyncio.sleep(2)  # let the server settle between storms
            before = listen_overflows()
            dropped = max(await fleet.ask("drop_all"))
            replies = await fleet.ask("connect_all", give_up_s=scale.give_up_s)
            seconds = max(done for done, _, _ in replies) - dropped
            back.append(seconds)
            overflows.append(listen_overflows() - before)
            errors.append(sum(failed for _, failed, _ in replies))
            missing = max(missing, sum(gone for _, _, gone in replies))
            progress(
                f"backlog {backlog}, storm {repeat + 1}: {scale.sockets} back in {seconds:.2f} s, "
                f"{overflows[-1]:.0f} listen overflows, {errors[-1]} connect errors, "
                f"{missing} not back after {scale.give_up_s:g} s"
            )
    return back, overflows, errors, first, missing


async def run(quick: bool = False, out: str | None = None) -> list[str]:
    scale = QUICK if quick else Scale()
    ours = Config().listen_backlog
    old_back, old_overflows, old_errors, old_first, old_missing = await storm(OLD_BACKLOG, scale)
    back, overflows, errors, first, missing = await storm(ours, scale)
    label = f"{scale.sockets} authenticated sockets dropped at once, then reconnecting at once"
    return [
        figure(
            "reconnect_storm_back",
            back,
            "s",
            f"{label}; errors {max(errors)}, not back {missing}; first connect {first:.1f} s",
            baseline=old_back,
            baseline_label=f"--listen-backlog {OLD_BACKLOG} (errors {max(old_errors)}, "
            f"not back {old_missing}, first connect {old_first:.1f} s)",
            target="<= 10 s at 5,000",
        ),
        figure(
            "reconnect_storm_listen_overflows",
            overflows,
            "drops",
            f"TcpExtListenOverflows during the storm, --listen-backlog {ours} "
            f"(the kernel caps it at net.core.somaxconn, here {somaxconn()})",
            baseline=old_overflows,
            baseline_label=f"--listen-backlog {OLD_BACKLOG}",
            target="0",
        ),
    ]
