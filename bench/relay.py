"""relay: the ``signal`` relay against its real ceiling, a bare python-socketio relay server on
the same stack (``bench/bare_relay.py``: pair two sockets, forward ``signal`` to the partner's
sid, ack), under the same load: ``sessions`` pairs, each keeping ``window`` acknowledged signals
in flight in each direction (a receipt sends the next; the sender also waits for its ack), for
``seconds``; relays per second counted at the receivers. The mentorburst server runs with its
default rate limits on (as deployed); its sessions are real drop-in calls, matched first.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from bench.fleet import Fleet
from bench.harness import bare_relay_process, figure, progress, server_process
from bench.signal_rtt import message
from bench.wire import WireClient, bounded, http_session, must, signed_in, spawn


@dataclass
class Scale:
    sessions: int = 200
    window: int = 4
    seconds: float = 6
    repeats: int = 5
    workers: int = 1


QUICK = Scale(sessions=20, window=2, seconds=2, repeats=1)


class Pairs:
    """Both ends of ``n`` pairs, bouncing acknowledged signals; the subclass connects them."""

    def __init__(self, *, index: int, count: int, url: str, scale: Scale) -> None:
        self.url = url
        self.n = len(range(index, scale.sessions, count))
        self.index = index
        self.http = http_session()
        self.ends: list[WireClient] = []
        self.received = 0
        self.bouncing = False
        self.refused: dict[str, int] = {}

    def on_event(self, client: WireClient, event: str, data: Any, at: float) -> None:
        if event == "signal":
            self.received += 1
            if self.bouncing:
                spawn(self.send(client))
        else:
            self.event(client, event, data)

    def event(self, client: WireClient, event: str, data: Any) -> None:
        pass

    async def send(self, sender: WireClient) -> None:
        ack = await sender.call(
            "signal", {"session_id": sender.tag, "type": "candidate", "data": message(0)}
        )
        if not ack.get("ok"):
            code = ack["error"]["code"]
            self.refused[code] = self.refused.get(code, 0) + 1

    async def peak(self, window: int, seconds: float) -> dict[str, Any]:
        self.bouncing = True
        for _ in range(window):
            for end in self.ends:
                spawn(self.send(end))
        await asyncio.sleep(1)  # ramp up
        before = self.received
        await asyncio.sleep(seconds)
        relayed = self.received - before
        self.bouncing = False
        await asyncio.sleep(1)  # let the bouncing stop
        return {"relayed": relayed, "refused": dict(self.refused)}

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.ends))
        await self.http.close()


class BarePairs(Pairs):
    async def setup(self) -> int:
        ends = []
        for i in range(self.n):
            key = f"pair-{self.index}-{i}"
            for _side in range(2):
                end = WireClient(key, self.on_event)
                await end.connect(self.http, self.url, key)
                end.tag = key
                ends.append(end)
        self.ends = ends
        return self.n


class RelayPairs(Pairs):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.matched = asyncio.Event()
        self.waiting = 0

    async def setup(self) -> int:
        async def client(name: str) -> WireClient:
            return await signed_in(self.http, self.url, name, self.on_event)

        mentors = await bounded([client(f"m{self.index}-{i}") for i in range(self.n)], 20)
        mentees = await bounded([client(f"e{self.index}-{i}") for i in range(self.n)], 20)
        self.ends = mentors + mentees
        self.waiting = 2 * self.n
        skill = {"skills": ["python"], "minutes": 90}
        await bounded([must(c, "mentor:online", skill) for c in mentors], 20)
        ask = {"skill": "python", "question": "relay bench"}
        await bounded([must(c, "mentee:join", ask) for c in mentees], 20)
        await asyncio.wait_for(self.matched.wait(), 120)
        return self.n

    def event(self, client: WireClient, event: str, data: Any) -> None:
        if event == "session:matched":
            client.tag = data["session_id"]
            self.waiting -= 1
            if self.waiting == 0:
                self.matched.set()


async def run(quick: bool = False, out: str | None = None) -> list[str]:
    scale = QUICK if quick else Scale()
    started = time.monotonic()
    peaks: dict[str, list[float]] = {"bare": [], "relay": []}
    refused: dict[str, int] = {}
    flags = (
        "--connect-grace-seconds", "3600", "--session-seconds", "3600",
        # --quick's 20 calls bounce far faster per person than any real call: limits off there.
        "--rate-limits", "off" if quick else "on",
        # 400 sign-ups from one address at bench speed are not what is measured here.
        "--limit-login-burst", "100000", "--limit-events", "100000/minute",
    )  # fmt: skip
    async with (
        bare_relay_process() as bare,
        server_process(*flags) as node,
        Fleet(scale.workers, BarePairs, url=bare.url, scale=scale) as bare_fleet,
        Fleet(scale.workers, RelayPairs, url=node.url, scale=scale) as relay_fleet,
    ):
        fleets = {"bare": bare_fleet, "relay": relay_fleet}
        for fleet in fleets.values():
            await fleet.ask("setup")
            await fleet.ask("peak", window=scale.window, seconds=1)  # warm-up
        # Alternate the two, so the machine's other load falls on both alike.
        for _ in range(scale.repeats):
            for name, fleet in fleets.items():
                replies = await fleet.ask("peak", window=scale.window, seconds=scale.seconds)
                peaks[name].append(sum(r["relayed"] for r in replies) / scale.seconds)
                if name == "relay":
                    for reply in replies:
                        for code, n in reply["refused"].items():
                            refused[code] = refused.get(code, 0) + n
                progress(f"{name}: {peaks[name][-1]:.0f} relays/s")
    progress(f"relay bench took {time.monotonic() - started:.0f} s")
    note = f"{scale.sessions} live sessions, {scale.window} acked signals in flight each way"
    if refused:
        note += f"; refused: {refused}"
    return [
        figure(
            "relay_peak",
            peaks["relay"],
            "relays/s",
            note,
            baseline=peaks["bare"],
            baseline_label="bare python-socketio relay",
            target=">= 0.8x bare python-socketio relay",
        )
    ]
