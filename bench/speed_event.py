"""Speed-event scale: the spread between the first and last ``event:round`` delivered to 200
clients (100 mentors, 100 mentees; clients here, server in its own process), and the time to
pair 500 participants (250 + 250, growing "already met" sets)."""

from __future__ import annotations

import asyncio
import random
import time

from bench.harness import figure, server_process
from peer.client import MentorburstClient
from server.domain.speed.rounds import Person, pair_round


def pairing_times(people: int, rounds: int) -> list[float]:
    rng = random.Random(1)
    skills = [f"s{i}" for i in range(12)]
    half = people // 2
    mentors = [Person(f"m{i}", frozenset(rng.sample(skills, 3))) for i in range(half)]
    mentees = [Person(f"e{i}", frozenset(rng.sample(skills, 1))) for i in range(people - half)]
    met: set[tuple[str, str]] = set()
    out = []
    for round_no in range(1, rounds + 1):
        start = time.perf_counter()
        rotation = pair_round(mentors, mentees, met, round_no)
        out.append((time.perf_counter() - start) * 1000)
        met |= set(rotation.pairs)
    return out


async def _arrival(person: MentorburstClient, round_no: int) -> int:
    await person.next("event:round", timeout=30, where=lambda r: r["round"] == round_no)
    return time.time_ns()


async def run(per_side: int = 100, rounds: int = 3) -> list[str]:
    spreads: list[float] = []
    async with server_process("--log-level", "WARNING") as node:
        host = await MentorburstClient.signed_in(node.url, "Host")
        created = await host.rest(
            "POST", "/api/events",
            {"title": "Bench event", "round_seconds": 3, "rounds": rounds, "break_seconds": 2}, auth=True,
        )  # fmt: skip
        people = await asyncio.gather(
            *(
                MentorburstClient.signed_in(node.url, f"{role}{i}")
                for role in ("mentor", "mentee")
                for i in range(per_side)
            )
        )
        for i, person in enumerate(people):
            role = "mentor" if i < per_side else "mentee"
            await person.must("event:join", {"code": created["code"], "role": role})
        await host.must("event:start", {"event_id": created["event_id"]})
        for round_no in range(1, rounds + 1):
            arrivals = await asyncio.gather(*(_arrival(p, round_no) for p in people))
            spreads.append((max(arrivals) - min(arrivals)) / 1e6)
        await asyncio.gather(*(p.close() for p in [host, *people]))
    pairing = pairing_times(500, 10)
    return [
        figure(
            "event_round_spread",
            spreads,
            "ms",
            f"first -> last event:round, {2 * per_side} clients, per round",
        ),
        figure(
            "event_pairing_500",
            pairing,
            "ms",
            "pair_round for 250 mentors + 250 mentees, rounds 1-10",
        ),
    ]
