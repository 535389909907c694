"""idle_capacity: N idle, authenticated Socket.IO connections held open: the server's resident
memory per connection (RSS after - RSS before, over N) and its CPU share while they idle at the
default ping interval, against a bare aiohttp WebSocket server holding as many in the same run."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp

from bench.fleet import Fleet
from bench.harness import Node, echo_process, figure, progress, server_process, usage
from bench.wire import WireClient, bounded, http_session, signed_in


@dataclass
class Scale:
    connections: int = 10_000
    idle_seconds: float = 50  # two ping intervals
    repeats: int = 3
    workers: int = 2


QUICK = Scale(connections=200, idle_seconds=3, repeats=1, workers=1)


class HoldWorker:
    """Opens its share of connections and keeps them open (answering pings) until closed."""

    def __init__(self, *, index: int, count: int, url: str, n: int, bare: bool) -> None:
        self.url, self.bare = url, bare
        self.share = range(index, n, count)
        self.http = http_session()
        self.clients: list[WireClient] = []
        self.sockets: list[aiohttp.ClientWebSocketResponse] = []

    async def open(self) -> int:
        if self.bare:
            ws_url = self.url.replace("http", "ws", 1) + "/echo"
            self.sockets = await bounded([self.http.ws_connect(ws_url) for _ in self.share], 100)
        else:
            self.clients = await bounded(
                [signed_in(self.http, self.url, f"idle{i}") for i in self.share], 100
            )
        return len(self.sockets) + len(self.clients)

    async def alive(self) -> int:
        """Connections still open (a missed ping would have closed some)."""
        return sum(not ws.closed for ws in self.sockets) + sum(
            not c._ws.closed for c in self.clients if c._ws is not None
        )

    async def close(self) -> None:
        await asyncio.gather(
            *(c.close() for c in self.clients), *(ws.close() for ws in self.sockets)
        )
        await self.http.close()


async def hold(node: Node, scale: Scale, bare: bool) -> tuple[float, float, int]:
    """(KiB per connection, % of a core while idle, connections alive at the end)."""
    pid = node.process.pid
    await asyncio.sleep(1)
    before = usage(pid)
    async with Fleet(
        scale.workers, HoldWorker, url=node.url, n=scale.connections, bare=bare
    ) as fleet:
        opened = sum(await fleet.ask("open"))
        await asyncio.sleep(2)  # let connect handlers and first pings settle
        start, loop_start = usage(pid), asyncio.get_running_loop().time()
        await asyncio.sleep(scale.idle_seconds)
        end, elapsed = usage(pid), asyncio.get_running_loop().time() - loop_start
        alive = sum(await fleet.ask("alive"))
    per_connection = (end.rss_bytes - before.rss_bytes) / opened / 1024
    cpu_share = (end.cpu_s - start.cpu_s) / elapsed * 100
    progress(
        f"{'bare ws' if bare else 'mentorburst'}: {opened} open, {alive} alive, "
        f"{per_connection:.1f} KiB each, {cpu_share:.2f}% CPU"
    )
    return per_connection, cpu_share, alive


async def run(quick: bool = False, out: str | None = None) -> list[str]:
    scale = QUICK if quick else Scale()
    memory: list[float] = []
    cpu: list[float] = []
    bare_memory: list[float] = []
    bare_cpu: list[float] = []
    alive = []
    for _ in range(scale.repeats):
        async with echo_process() as echo:
            kib, share, _ = await hold(echo, scale, bare=True)
            bare_memory.append(kib)
            bare_cpu.append(share)
        async with server_process() as node:
            kib, share, still = await hold(node, scale, bare=False)
            memory.append(kib)
            cpu.append(share)
            alive.append(still)
    label = f"{scale.connections} idle authenticated connections"
    return [
        figure(
            "idle_memory_per_connection",
            memory,
            "KiB",
            f"{label}; server RSS delta / N",
            baseline=bare_memory,
            baseline_label="bare aiohttp WebSocket",
            target="<= 30 KiB",
        ),
        figure(
            "idle_cpu",
            cpu,
            "% of a core",
            f"{label}, ping every 25 s, over {scale.idle_seconds:g} s; alive at the end: {min(alive)}",
            baseline=bare_cpu,
            baseline_label="bare aiohttp WebSocket (no pings)",
            target="<= 10%",
        ),
    ]
