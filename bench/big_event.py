"""big_event: a 2,000-person speed-mentoring event (1,000 mentors, 1,000 mentees, lean clients
in processes of their own) on one server process. For each round the host starts:

- ``event_booking``: the host's ``event:start``/``event:next`` sent -> the first ``event:round``
  anyone receives (pairing and booking every call happen before any is announced);
- ``event_round_spread``: first -> last ``event:round`` received;
- ``event_offer_answer``: round start (the host's request) -> the mentee of each pair holding
  the mentor's answer to its offer (the mentee offers on ``session:matched``), the slowest pair.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from bench.fleet import Fleet
from bench.harness import bench_redis, figure, progress, server_process
from bench.invariants import RECONCILE, AuditWatch
from bench.wire import WireClient, bounded, http_session, login, must, signed_in, spawn


@dataclass
class Scale:
    per_side: int = 1000
    rounds: int = 2
    workers: int = 2


QUICK = Scale(per_side=20, rounds=1, workers=1)


class Room:
    """A worker's share of the room: mentors and mentees who play their part in each call."""

    def __init__(self, *, index: int, count: int, url: str, per_side: int) -> None:
        self.url = url
        self.share = [i for i in range(2 * per_side) if i % count == index]
        self.per_side = per_side
        self.http = http_session()
        self.people: list[WireClient] = []
        self.rounds: dict[int, list[float]] = {}
        self.answers: dict[int, list[float]] = {}
        self.round_of: dict[str, int] = {}

    def on_event(self, client: WireClient, event: str, data: Any, at: float) -> None:
        if event == "event:round":
            self.rounds.setdefault(data["round"], []).append(at)
            if data.get("session_id"):
                self.round_of[data["session_id"]] = data["round"]
        elif event == "session:matched" and data["role"] == "mentee":
            offer = {"session_id": data["session_id"], "type": "offer", "data": {"sdp": "v=0"}}
            spawn(client.emit("signal", offer))
        elif event == "signal" and data["type"] == "offer":
            answer = {"session_id": data["session_id"], "type": "answer", "data": {"sdp": "v=0"}}
            spawn(client.emit("signal", answer))
        elif event == "signal" and data["type"] == "answer":
            round_no = self.round_of.get(data["session_id"], 0)
            self.answers.setdefault(round_no, []).append(at)

    async def setup(self, code: str) -> int:
        self.people = await bounded(
            [signed_in(self.http, self.url, f"p{i}", self.on_event) for i in self.share], 50
        )
        roles = ["mentor" if i < self.per_side else "mentee" for i in self.share]
        await bounded(
            [
                must(person, "event:join", {"code": code, "role": role})
                for person, role in zip(self.people, roles, strict=True)
            ],
            50,
        )
        return len(self.people)

    async def collect(self, round_no: int) -> dict[str, list[float]]:
        await asyncio.sleep(3)  # every arrival of this round is in by now
        return {"rounds": self.rounds.get(round_no, []), "answers": self.answers.get(round_no, [])}

    async def close(self) -> None:
        await asyncio.gather(*(p.close() for p in self.people))
        await self.http.close()


async def run(quick: bool, out: str) -> list[str]:
    scale = QUICK if quick else Scale()
    booking: list[float] = []
    spread: list[float] = []
    answered: list[float] = []
    async with (
        bench_redis() as redis_url,
        server_process(*RECONCILE, redis_url=redis_url) as node,
        AuditWatch(redis_url) as watch,
        http_session() as http,
    ):
        host_id, token = await login(http, node.url, "Host")
        body = {
            "title": "Big room",
            "round_seconds": 60,
            "rounds": scale.rounds + 1,
            "break_seconds": 5,
        }
        headers = {"Authorization": f"Bearer {token}"}
        async with http.post(node.url + "/api/events", json=body, headers=headers) as response:
            created = await response.json()
        host = WireClient(host_id)
        await host.connect(http, node.url, token)
        async with Fleet(scale.workers, Room, url=node.url, per_side=scale.per_side) as fleet:
            joined = sum(await fleet.ask("setup", code=created["code"]))
            progress(f"{joined} people in the room")
            for round_no in range(1, scale.rounds + 1):
                started = time.monotonic()
                event = "event:start" if round_no == 1 else "event:next"
                if round_no > 1:  # end the running round, then the break's "next" starts one
                    await must(host, "event:next", {"event_id": created["event_id"]})
                    await asyncio.sleep(0.5)
                    started = time.monotonic()
                await must(host, event, {"event_id": created["event_id"]})
                replies = await fleet.ask("collect", round_no=round_no)
                arrivals = sorted(t for r in replies for t in r["rounds"])
                answers = [t for r in replies for t in r["answers"]]
                booking.append((arrivals[0] - started) * 1000)
                spread.append((arrivals[-1] - arrivals[0]) * 1000)
                answered.append((max(answers) - started) * 1000 if answers else float("nan"))
                progress(
                    f"round {round_no}: {len(arrivals)} event:round, {len(answers)} answers; "
                    f"booking {booking[-1]:.0f} ms, spread {spread[-1]:.0f} ms, "
                    f"last answer {answered[-1]:.0f} ms"
                )
        audit = await watch.final([node.url])
        await host.close()
    people = 2 * scale.per_side
    return [
        figure(
            "event_booking",
            booking,
            "ms",
            f"{people} people: start -> first event:round; {audit.note(watch.every)}",
            target="<= 1000 ms; 0 violations, 0 repairs",
        ),
        figure(
            "event_round_spread_big",
            spread,
            "ms",
            f"{people} people: first -> last event:round",
            target="<= 250 ms",
        ),
        figure(
            "event_offer_answer",
            answered,
            "ms",
            f"{people // 2} pairs: round start -> the last answer relayed",
            target="<= 2000 ms",
        ),
    ]
