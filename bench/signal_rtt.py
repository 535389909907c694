"""signal_rtt: ``signal`` messages relayed between the two people of live sessions, against a
bare aiohttp WebSocket echo server measured in the same run with the same load.

Paced: every session's mentee sends a candidate-sized ``signal`` ``rate`` times a second
(staggered); latency is sender emit -> peer receipt. Peak: every session keeps ``window``
messages bouncing between its two people (each receipt sends the next), and we count relays per
second. The echo baseline does the same per WebSocket: paced sends, and ``window`` messages in
flight, each echo sending the next; its latency is the echo's round trip (also two hops).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import msgspec

from bench.fleet import Fleet
from bench.harness import echo_process, figure, percentile, progress, server_process
from bench.plots import Plot
from bench.wire import WireClient, bounded, http_session, must, signed_in, spawn

CANDIDATE = (
    "candidate:842163049 1 udp 1677729535 192.0.2.10 61425 typ srflx raddr 10.0.0.5 "
    "rport 61425 generation 0 ufrag sK7x network-cost 999"
)


@dataclass
class Scale:
    sessions: int = 1000
    rates: tuple[float, ...] = (1, 2, 5)
    seconds: float = 8
    window: int = 4
    peak_seconds: float = 8
    workers: int = 2


QUICK = Scale(sessions=40, rates=(1,), seconds=2, window=2, peak_seconds=2, workers=1)


def message(sent_at: float) -> dict[str, Any]:
    return {"candidate": CANDIDATE, "sdpMid": "0", "sdpMLineIndex": 0, "t": sent_at}


class Counters:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.received = 0
        self.recording = False

    def arrived(self, sent_at: float, at: float) -> None:
        self.received += 1
        if self.recording:
            self.latencies.append((at - sent_at) * 1000)


class Load:
    """What both targets' workers do the same way: paced sends and the bouncing peak, over
    ``senders()``, each sending with ``send``; a receipt calls ``counters.arrived`` and, while
    ``bounce`` is set, sends the next message."""

    def __init__(self) -> None:
        self.counters = Counters()
        self.bounce = False

    def senders(self) -> list[Any]:
        raise NotImplementedError

    async def send(self, sender: Any) -> None:
        raise NotImplementedError

    async def paced(self, rate: float, seconds: float) -> list[float]:
        return await paced(self.counters, self.senders(), self.send, rate, seconds)

    async def peak(self, window: int, seconds: float) -> int:
        self.bounce = True
        received = await peak(self.counters, self.senders(), self.send, window, seconds)
        self.bounce = False
        await asyncio.sleep(1)  # let the bouncing stop
        return received


class RelayWorker(Load):
    """``sessions / count`` live sessions through mentorburst, each a mentor and a mentee."""

    def __init__(self, *, index: int, count: int, url: str, scale: Scale, skill: str) -> None:
        super().__init__()
        self.url, self.skill = url, skill
        self.n = len(range(index, scale.sessions, count))
        self.http = http_session()
        self.mentors: list[WireClient] = []
        self.mentees: list[WireClient] = []
        self.matched = asyncio.Event()
        self.waiting = 0

    async def _client(self, name: str) -> WireClient:
        return await signed_in(self.http, self.url, name, self._on_event)

    async def setup(self) -> int:
        self.mentors = await bounded([self._client(f"m{i}") for i in range(self.n)], 100)
        self.mentees = await bounded([self._client(f"e{i}") for i in range(self.n)], 100)
        self.waiting = 2 * self.n
        await bounded(
            [
                must(c, "mentor:online", {"skills": [self.skill], "minutes": 90})
                for c in self.mentors
            ]
        )
        await bounded(
            [must(c, "mentee:join", {"skill": self.skill, "question": "q"}) for c in self.mentees]
        )
        await asyncio.wait_for(self.matched.wait(), 120)
        return self.n

    def _on_event(self, client: WireClient, event: str, data: Any, at: float) -> None:
        if event == "session:matched":
            client.tag = data["session_id"]
            self.waiting -= 1
            if self.waiting == 0:
                self.matched.set()
        elif event == "signal":
            self.counters.arrived(data["data"]["t"], at)
            if self.bounce:
                spawn(self.send(client))

    def senders(self) -> list[Any]:
        return list(self.mentees)

    async def send(self, sender: Any) -> None:
        await sender.emit(
            "signal",
            {"session_id": sender.tag, "type": "candidate", "data": message(time.monotonic())},
        )

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.mentors + self.mentees))
        await self.http.close()


class EchoWorker(Load):
    """``sessions / count`` WebSockets to the bare echo server."""

    def __init__(self, *, index: int, count: int, url: str, scale: Scale, skill: str) -> None:
        super().__init__()
        self.url = url.replace("http", "ws", 1) + "/echo"
        self.n = len(range(index, scale.sessions, count))
        self.http = http_session()
        self.links: list[aiohttp.ClientWebSocketResponse] = []
        self.readers: list[asyncio.Task[None]] = []

    async def setup(self) -> int:
        self.links = await bounded([self.http.ws_connect(self.url) for _ in range(self.n)], 100)
        self.readers = [asyncio.create_task(self._read(link)) for link in self.links]
        return self.n

    async def _read(self, link: aiohttp.ClientWebSocketResponse) -> None:
        async for frame in link:
            at = time.monotonic()
            self.counters.arrived(msgspec.json.decode(frame.data)["t"], at)
            if self.bounce:
                await self.send(link)

    def senders(self) -> list[Any]:
        return list(self.links)

    async def send(self, sender: Any) -> None:
        await sender.send_str(msgspec.json.encode(message(time.monotonic())).decode())

    async def close(self) -> None:
        await asyncio.gather(*(link.close() for link in self.links))
        for reader in self.readers:
            reader.cancel()
        await self.http.close()


async def paced(
    counters: Counters, senders: list[Any], send: Any, rate: float, seconds: float
) -> list[float]:
    """Each sender sends ``rate`` times a second, senders staggered evenly; the latencies."""
    counters.latencies, counters.recording = [], True
    interval = 1 / rate
    start = time.monotonic() + 0.1
    total = int(seconds * rate)
    step = interval / max(1, len(senders))
    pending = []
    for tick in range(total):
        for i, sender in enumerate(senders):
            delay = start + tick * interval + i * step - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            pending.append(asyncio.create_task(send(sender)))
    await asyncio.gather(*pending)
    await asyncio.sleep(0.5)  # the last ones arrive
    counters.recording = False
    return counters.latencies


async def peak(
    counters: Counters, senders: list[Any], send: Any, window: int, seconds: float
) -> int:
    """``window`` messages in flight per sender, each arrival sending the next; arrivals counted
    over ``seconds`` after one second of ramp-up."""
    for _ in range(window):
        for sender in senders:
            spawn(send(sender))
    await asyncio.sleep(1)
    before = counters.received
    await asyncio.sleep(seconds)
    return counters.received - before


async def measure(
    worker: type, url: str, scale: Scale
) -> tuple[dict[float, list[float]], list[float]]:
    """(rate -> latencies ms, peak msgs/s per repeat) for one target."""
    by_rate: dict[float, list[float]] = {}
    peaks: list[float] = []
    async with Fleet(scale.workers, worker, url=url, scale=scale, skill="python") as fleet:
        await fleet.ask("setup")
        await fleet.ask("paced", rate=1, seconds=1)  # warm-up
        for rate in scale.rates:
            replies = await fleet.ask("paced", rate=rate, seconds=scale.seconds)
            by_rate[rate] = [ms for reply in replies for ms in reply]
            progress(
                f"{worker.__name__} {rate}/s per session: p50 {statistics.median(by_rate[rate]):.2f} ms"
            )
        for _ in range(3):
            received = await fleet.ask("peak", window=scale.window, seconds=scale.peak_seconds)
            peaks.append(sum(received) / scale.peak_seconds)
            progress(f"{worker.__name__} peak {peaks[-1]:.0f} msgs/s")
    return by_rate, peaks


async def run(quick: bool = False, out: str | None = None) -> list[str]:
    scale = QUICK if quick else Scale()
    async with echo_process() as echo:
        echo_rates, echo_peaks = await measure(EchoWorker, echo.url, scale)
    async with server_process("--connect-grace-seconds", "3600") as node:
        relay_rates, relay_peaks = await measure(RelayWorker, node.url, scale)
    lines = []
    for rate in scale.rates:
        lines.append(
            figure(
                f"signal_latency@{rate:g}/s",
                relay_rates[rate],
                "ms",
                f"{scale.sessions} live sessions, each sending {rate:g} signal/s; sender -> peer",
                baseline=echo_rates[rate],
                baseline_label="bare aiohttp WS echo round trip",
                target="p50 <= 2 ms, p99 <= 10 ms" if rate == 1 else "",
            )
        )
    lines.append(
        figure(
            "signal_peak",
            relay_peaks,
            "msgs/s",
            f"{scale.sessions} sessions, {scale.window} in flight each",
            baseline=echo_peaks,
            baseline_label="bare aiohttp WS echo",
            target=">= 0.40x echo",
        )
    )
    if out:
        plot = Plot("signal_latency", f"signal relay latency, {scale.sessions} sessions")
        plot.distributions(
            {
                **{f"relay {r:g}/s": v for r, v in relay_rates.items()},
                **{f"echo {r:g}/s": v for r, v in echo_rates.items()},
            }
        )
        plot.save(out)
        load = Plot("signal_load", "latency vs offered load")
        load.lines(
            {
                "relay p50": [
                    (r * scale.sessions, statistics.median(v)) for r, v in relay_rates.items()
                ],
                "relay p99": [
                    (r * scale.sessions, percentile(v, 99)) for r, v in relay_rates.items()
                ],
                "echo p50": [
                    (r * scale.sessions, statistics.median(v)) for r, v in echo_rates.items()
                ],
                "echo p99": [
                    (r * scale.sessions, percentile(v, 99)) for r, v in echo_rates.items()
                ],
            },
            xlabel="offered messages per second (ms on the y axis)",
        )
        load.save(out)
    return lines
