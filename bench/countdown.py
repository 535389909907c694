"""countdown_accuracy: 500 live sessions at once, started over a few seconds so their ends are
staggered; how late ``session:ended`` reaches each person after the server's ``ends_at``, and
how far a client's clock offset from ``clock`` sync (best of 5 by round trip, as the web client
does) is from the truth, which on one machine is zero."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from bench.fleet import Fleet
from bench.harness import figure, progress, server_process
from bench.plots import Plot
from bench.wire import WireClient, bounded, http_session, must, signed_in, spawn


@dataclass
class Scale:
    sessions: int = 500
    session_seconds: float = 10
    spread_seconds: float = 5
    repeats: int = 3


QUICK = Scale(sessions=20, session_seconds=2, spread_seconds=1, repeats=1)


def wall_ms() -> float:
    return time.time_ns() / 1e6


async def offset_error(client: WireClient, samples: int = 5) -> float:
    """|estimated server - client offset| in ms; the true offset is 0 on one machine."""
    best: tuple[float, float] | None = None
    for _ in range(samples):
        t0 = wall_ms()
        ack = await must(client, "clock", {"t0": t0})
        t1 = wall_ms()
        rtt = t1 - t0
        offset = ack["server_now"] - (t0 + t1) / 2
        if best is None or rtt < best[0]:
            best = (rtt, offset)
    assert best is not None
    return abs(best[1])


class CountdownWorker:
    def __init__(self, *, index: int, count: int, url: str, scale: Scale) -> None:
        self.url, self.scale = url, scale
        self.http = http_session()
        self.mentors: list[WireClient] = []
        self.mentees: list[WireClient] = []
        self.lateness: list[float] = []
        self.ended = 0
        self.all_ended = asyncio.Event()

    async def _client(self, name: str) -> WireClient:
        return await signed_in(self.http, self.url, name, self._on_event)

    async def setup(self) -> int:
        n = self.scale.sessions
        self.mentors = await bounded([self._client(f"m{i}") for i in range(n)], 100)
        self.mentees = await bounded([self._client(f"e{i}") for i in range(n)], 100)
        await bounded(
            [must(c, "mentor:online", {"skills": ["python"], "minutes": 90}) for c in self.mentors]
        )
        return n

    async def clock_errors(self) -> list[float]:
        return list(await bounded([offset_error(c) for c in self.mentors + self.mentees], 50))

    def _on_event(self, client: WireClient, event: str, data: Any, at: float) -> None:
        if event == "session:matched":
            spawn(client.emit("session:connected", {"session_id": data["session_id"]}))
        elif event == "session:started":
            client.tag = data["ends_at"]
        elif event == "session:ended" and data["reason"] == "time_up":
            self.lateness.append(wall_ms() - client.tag)
            self.ended += 1
            if self.ended == 2 * len(self.mentees):
                self.all_ended.set()

    async def calls(self) -> list[float]:
        """Every mentee joins, spread over ``spread_seconds``; returns when every call has timed
        out: each person's lateness in ms."""
        self.lateness, self.ended = [], 0
        self.all_ended.clear()
        start = time.monotonic()
        step = self.scale.spread_seconds / len(self.mentees)
        for i, mentee in enumerate(self.mentees):
            delay = start + i * step - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            spawn(must(mentee, "mentee:join", {"skill": "python", "question": "q"}))
        timeout = self.scale.session_seconds + self.scale.spread_seconds + 60
        await asyncio.wait_for(self.all_ended.wait(), timeout)
        await asyncio.sleep(1)  # mentors' 0 s cooldown passes before the next round
        return self.lateness

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.mentors + self.mentees))
        await self.http.close()


async def run(quick: bool = False, out: str | None = None) -> list[str]:
    scale = QUICK if quick else Scale()
    lateness: list[float] = []
    errors: list[float] = []
    flags = [
        "--session-seconds", str(scale.session_seconds),
        "--warn-at", str(scale.session_seconds / 2),
        "--mentor-cooldown-seconds", "0",
    ]  # fmt: skip
    async with (
        server_process(*flags) as node,
        Fleet(1, CountdownWorker, url=node.url, scale=scale) as fleet,
    ):
        await fleet.ask("setup")
        (errors,) = await fleet.ask("clock_errors")
        for repeat in range(scale.repeats):
            (late,) = await fleet.ask("calls")
            lateness += late
            progress(f"round {repeat}: {len(late)} ends, max {max(late):.1f} ms late")
    lines = [
        figure(
            "countdown_lateness",
            lateness,
            "ms",
            f"{scale.sessions} concurrent sessions of {scale.session_seconds:g} s, ends spread over "
            f"{scale.spread_seconds:g} s; session:ended received - ends_at, both people",
            target="p99 <= 50 ms",
        ),
        figure(
            "clock_offset_error",
            errors,
            "ms",
            "|offset from clock sync (best of 5 by RTT)|, true offset 0; server_now is whole ms",
            target="p99 <= 5 ms",
        ),
    ]
    if out:
        plot = Plot("countdown_lateness", "session:ended lateness vs ends_at")
        plot.distributions({"lateness": lateness, "clock offset error": errors})
        plot.save(out)
    return lines
