"""match_throughput / match_latency / two_nodes: matching through the real server, against the
same Lua scripts called straight from redis-py on the same Redis in the same run.

The cycle measured both ways is what the service does per mentee served: a mentor turning idle
takes the longest-waiting mentee (``mentor_ready.lua``), then the session ends
(``end_session.lua``; here the mentee leaves at once, so no call runs) and the mentor is idle
again. End to end, that is: mentees queued over 20 skills, 500 mentors go online, every mentee
that gets ``session:matched`` sends ``session:leave``, and the server pulls the next mentee.

Latency is measured separately, with mentors idle: ``mentee:join`` sent -> ``session:matched``
received, at several offered join rates (open loop), which also gives throughput vs load.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from bench.fleet import Fleet
from bench.harness import (
    bench_redis,
    figure,
    percentile,
    progress,
    server_process,
    skills_file,
)
from bench.invariants import RECONCILE, AuditWatch, Tally
from bench.plots import Plot
from bench.wire import WireClient, bounded, http_session, must, signed_in, spawn
from server.domain.calls.sessions import SessionStore
from server.queue import Match, SkillQueue
from server.runtime.clock import SystemClock
from server.runtime.config import Config
from server.store import keys
from server.store.connection import redis_pool
from server.store.scripts import Lua, settings


@dataclass
class Scale:
    mentees: int = 10_000
    mentors: int = 500
    skills: int = 20
    repeats: int = 3
    rates: tuple[int, ...] = (100, 200, 400, 600, 800)
    joins_per_rate: int = 1000
    workers: int = 1


QUICK = Scale(mentees=400, mentors=40, repeats=1, rates=(50, 100), joins_per_rate=100)


@dataclass
class Person:
    role: str
    skill: str
    joined_at: float = 0.0
    matched: list[float] = field(default_factory=list)
    ended: int = 0


class MatchWorker:
    """One load process: its share of mentees and mentors, each a lean Socket.IO client."""

    def __init__(self, *, index: int, count: int, urls: list[str], scale: Scale, slugs: list[str]):
        self.index, self.count = index, count
        self.urls, self.scale, self.slugs = urls, scale, slugs
        self.http = http_session()
        self.mentees: list[WireClient] = []
        self.mentors: list[WireClient] = []
        self.mode = "idle"
        self.latencies: list[float] = []
        self.done = asyncio.Event()
        self.expected = 0
        self.received: Counter[str] = Counter()

    def _mine(self, n: int) -> range:
        return range(self.index, n, self.count)

    async def _client(self, role: str, i: int) -> WireClient:
        url = self.urls[i % len(self.urls)]  # two nodes: alternate users between them
        client = await signed_in(self.http, url, f"{role}{i}", self._on_event)
        client.tag = Person(role, self.slugs[i % len(self.slugs)])
        return client

    async def setup(self) -> int:
        self.mentees = await bounded(
            [self._client("mentee", i) for i in self._mine(self.scale.mentees)], 100
        )
        self.mentors = await bounded(
            [self._client("mentor", i) for i in self._mine(self.scale.mentors)], 100
        )
        return len(self.mentees) + len(self.mentors)

    def _on_event(self, client: WireClient, event: str, data: Any, at: float) -> None:
        person: Person = client.tag
        self.received[event] += 1
        if event == "session:ended" and person.role == "mentee":
            person.ended += 1
        if event != "session:matched" or person.role != "mentee":
            return
        person.matched.append(at)
        if self.mode == "latency":
            self.latencies.append((at - person.joined_at) * 1000)
        spawn(client.emit("session:leave", {"session_id": data["session_id"]}))
        self.expected -= 1
        if self.expected <= 0:
            self.done.set()

    async def fill(self) -> float:
        """Every mentee of this worker joins its skill's queue (mentors are offline)."""
        for client in self.mentees:
            client.tag.matched.clear()
            client.tag.ended = 0
        start = time.monotonic()
        await bounded(
            [
                must(c, "mentee:join", {"skill": c.tag.skill, "question": "bench"})
                for c in self.mentees
            ],
            200,
        )
        return time.monotonic() - start

    async def arm(self) -> None:
        """Expect every mentee of this worker to be matched once (before any mentor goes online)."""
        self.mode, self.expected = "drain", len(self.mentees)
        self.done.clear()

    async def received_counts(self) -> dict[str, int]:
        counts, self.received = dict(self.received), Counter()
        return counts

    async def go_online(self) -> None:
        await bounded(
            [
                must(c, "mentor:online", {"skills": [c.tag.skill], "minutes": 90})
                for c in self.mentors
            ],
            500,
        )

    async def drained(self) -> list[float]:
        """Returns once every mentee of this worker has been matched: their match times."""
        if self.expected > 0:
            await asyncio.wait_for(self.done.wait(), 600)
        await self._settled()
        return [m for c in self.mentees for m in c.tag.matched]

    async def _settled(self) -> None:
        """Every session this worker's mentees left has ended (so they may join again)."""
        for _ in range(3000):
            if all(c.tag.ended >= len(c.tag.matched) for c in self.mentees):
                return
            await asyncio.sleep(0.01)
        raise TimeoutError("sessions did not end after session:leave")

    async def mentors_offline(self) -> None:
        await bounded([must(c, "mentor:offline") for c in self.mentors], 500)

    async def latency(self, rate: float, joins: int) -> tuple[list[float], float]:
        """Open-loop joins at ``rate``/s (this worker's share) against idle mentors:
        (join -> session:matched ms, achieved matches/s)."""
        self.mode, self.latencies = "latency", []
        self.expected = joins
        self.done.clear()
        start = time.monotonic()
        for n, client in zip(range(joins), itertools.cycle(self.mentees), strict=False):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            client.tag.joined_at = time.monotonic()
            spawn(client.emit("mentee:join", {"skill": client.tag.skill, "question": "b"}))
        await asyncio.wait_for(self.done.wait(), 120)
        achieved = joins / (time.monotonic() - start)
        await self._settled()
        return self.latencies, achieved

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.mentees + self.mentors))
        await self.http.close()


CPU_KEY = "~redis cpu us"  # not a command name: Redis's own CPU, in the same counter


async def redis_calls(redis_url: str) -> Counter[str]:
    """Commands Redis has run so far, by name (``INFO commandstats``; those inside scripts too),
    and under ``CPU_KEY`` the CPU Redis has used (microseconds)."""
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        stats = await redis.info("commandstats")
        cpu = await redis.info("cpu")
    finally:
        await redis.aclose()
    calls = Counter({name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()})
    calls[CPU_KEY] = round((float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])) * 1e6)
    return calls


async def run_end_to_end(
    urls: list[str], scale: Scale, slugs: list[str], redis_url: str = ""
) -> tuple[list[float], dict[float, tuple[list[float], float]]]:
    """(matches/s per repeat, offered rate -> (latencies, achieved rate))."""
    throughput: list[float] = []
    by_rate: dict[float, tuple[list[float], float]] = {}
    async with Fleet(scale.workers, MatchWorker, urls=urls, scale=scale, slugs=slugs) as fleet:
        await fleet.ask("setup")
        for repeat in range(scale.repeats + 1):  # the first repeat warms up
            await fleet.ask("fill")
            await fleet.ask("arm")
            calls_before = await redis_calls(redis_url) if redis_url else Counter()
            start = time.monotonic()
            await fleet.ask("go_online")
            times = await fleet.ask("drained")
            rate = sum(len(t) for t in times) / (max(max(t) for t in times) - start)
            received: Counter[str] = Counter()
            for counts in await fleet.ask("received_counts"):
                received.update(counts)
            matches = sum(len(t) for t in times)
            calls = (await redis_calls(redis_url) - calls_before) if redis_url else Counter()
            redis_us = calls.pop(CPU_KEY, 0)
            per_match = {k: round(v / matches, 1) for k, v in calls.most_common(30)}
            progress(
                f"repeat {repeat}: {matches} matches at {rate:.0f}/s; "
                f"per match: received { ({k: round(v / matches, 1) for k, v in received.items()}) }, "
                f"Redis CPU {redis_us / matches:.0f} us, "
                f"{sum(calls.values()) / matches:.1f} commands (inside scripts too) {per_match}"
            )
            if repeat:
                throughput.append(rate)
            await fleet.ask("mentors_offline")
        await fleet.ask("go_online")  # the queues are empty: every mentor waits idle
        for offered in scale.rates:
            share = offered / scale.workers
            replies = await fleet.ask(
                "latency", rate=share, joins=max(1, scale.joins_per_rate // scale.workers)
            )
            latencies = [ms for lat, _ in replies for ms in lat]
            by_rate[offered] = (latencies, sum(achieved for _, achieved in replies))
    return throughput, by_rate


async def run_raw_scripts(redis_url: str, scale: Scale, slugs: list[str]) -> list[float]:
    """The same cycles with no server: SkillQueue/SessionStore (thin wrappers over EVALSHA) from
    one redis-py client on the server's pool size, 500 mentor loops at once."""
    redis = Redis(connection_pool=redis_pool(redis_url, decode_responses=True))
    config = Config()
    lua = Lua(redis, SystemClock(), settings(config))
    queue, sessions = SkillQueue(redis, lua, config), SessionStore(redis, lua)
    rates: list[float] = []
    try:
        for repeat in range(scale.repeats + 1):
            await redis.flushall()
            now = int(time.time() * 1000)
            await bounded(
                [
                    queue.join(f"raw-e{i}", slugs[i % len(slugs)], "bench")
                    for i in range(scale.mentees)
                ],
                64,
            )
            mentors = [f"raw-m{i}" for i in range(scale.mentors)]
            for i, mentor in enumerate(mentors):
                await queue.mentor_online(mentor, [slugs[i % len(slugs)]], now + 5_400_000, None)
            served = 0

            async def serve(mentor: str) -> None:
                nonlocal served
                while True:
                    outcome = await queue.mentor_ready(mentor)
                    if not isinstance(outcome, Match):
                        return
                    served += 1
                    await sessions.end(outcome.session_id, "left", actor=outcome.mentee_id)

            before = await redis_calls(redis_url)
            start = time.monotonic()
            await asyncio.gather(*(serve(m) for m in mentors))
            if repeat:
                rates.append(served / (time.monotonic() - start))
            calls = await redis_calls(redis_url) - before
            redis_us = calls.pop(CPU_KEY, 0)
            progress(
                f"raw repeat {repeat}: {served} at {served / (time.monotonic() - start):.0f}/s; "
                f"per match: Redis CPU {redis_us / max(1, served):.0f} us, "
                f"{sum(calls.values()) / max(1, served):.1f} commands"
            )
        await redis.flushall()
    finally:
        await redis.aclose()
    return rates


async def double_booked(redis_url: str) -> int:
    """Users in two sessions at once, from every drop-in session record in Redis. Sessions are
    ordered by the sequence numbers the claim and end scripts stamp (scripts run one at a time),
    not by the nodes' clocks, whose ``now`` is read before a script waits for a connection."""
    redis = Redis.from_url(redis_url, decode_responses=True)
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    try:
        ids = [k async for k in redis.scan_iter(match=keys.session("*"), count=1000)]
        async with redis.pipeline(transaction=False) as pipe:
            for key in ids:
                pipe.hmget(key, "mentor", "mentee", "claim_seq", "end_seq")
            records = await pipe.execute()
    finally:
        await redis.aclose()
    for mentor, mentee, claimed, ended in records:
        span = (int(claimed), int(ended) if ended else 2**62)
        spans[mentor].append(span)
        spans[mentee].append(span)
    overlapping = 0
    for user_spans in spans.values():
        user_spans.sort()
        if any(b[0] < a[1] for a, b in itertools.pairwise(user_spans)):
            overlapping += 1
    return overlapping


async def flush(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        await redis.flushall()
    finally:
        await redis.aclose()


@contextlib.asynccontextmanager
async def nodes(count: int, redis_url: str, catalog: str) -> Any:
    async with contextlib.AsyncExitStack() as stack:
        urls = []
        for _ in range(count):
            node = await stack.enter_async_context(
                server_process("--skills-file", catalog, *RECONCILE, redis_url=redis_url)
            )
            urls.append(node.url)
        yield urls


async def run(quick: bool = False, out: str | None = None) -> list[str]:
    scale = QUICK if quick else Scale()
    lines = []
    with tempfile.TemporaryDirectory(prefix="mb-match-") as scratch:
        catalog, slugs = skills_file(scratch, scale.skills)
        async with bench_redis() as redis_url:
            raw = await run_raw_scripts(redis_url, scale, slugs)
            async with nodes(1, redis_url, catalog) as urls, AuditWatch(redis_url) as watch:
                throughput, by_rate = await run_end_to_end(urls, scale, slugs, redis_url)
                audit = await watch.final(urls)
            booked = await double_booked(redis_url)
            await flush(redis_url)
    label = f"{scale.mentees} mentees over {scale.skills} skills, {scale.mentors} mentors"
    lines.append(
        figure(
            "match_throughput",
            throughput,
            "matches/s",
            f"{label}; double-booked users: {booked}; {audit.note(watch.every)}",
            baseline=raw,
            baseline_label="raw Lua (mentor_ready + end_session) via redis-py",
            target=">= 0.15x raw; 0 violations, 0 repairs",
        )
    )
    for offered, (latencies, achieved) in by_rate.items():
        lines.append(
            figure(
                f"match_latency@{offered}/s",
                latencies,
                "ms",
                f"mentee:join -> session:matched, mentors idle; achieved {achieved:.0f} joins/s",
                target="p99 <= 20 ms",
            )
        )
    if out:
        plot = Plot("match_latency", "join -> session:matched (ms)")
        plot.distributions({f"{rate}/s": lat for rate, (lat, _) in by_rate.items()})
        plot.save(out)
        load = Plot("match_load", "join -> session:matched latency vs offered load")
        load.lines(
            {
                "p50 latency (ms)": [
                    (rate, statistics.median(lat)) for rate, (lat, _) in by_rate.items()
                ],
                "p99 latency (ms)": [
                    (rate, percentile(lat, 99)) for rate, (lat, _) in by_rate.items()
                ],
            },
            xlabel="offered mentee:join per second",
        )
        load.save(out)
    return lines


async def run_two_nodes(quick: bool = False, out: str | None = None) -> list[str]:
    scale = QUICK if quick else Scale()
    scale = Scale(**{**scale.__dict__, "rates": ()})
    per_nodes: dict[int, list[float]] = {}
    booked: dict[int, int] = {}
    audits: dict[int, Tally] = {}
    with tempfile.TemporaryDirectory(prefix="mb-two-") as scratch:
        catalog, slugs = skills_file(scratch, scale.skills)
        async with bench_redis() as redis_url:
            for count in (1, 2):
                async with nodes(count, redis_url, catalog) as urls, AuditWatch(redis_url) as watch:
                    per_nodes[count], _ = await run_end_to_end(urls, scale, slugs, redis_url)
                    audits[count] = await watch.final(urls)
                booked[count] = await double_booked(redis_url)
                await flush(redis_url)
    return [
        figure(
            "two_nodes_throughput",
            per_nodes[2],
            "matches/s",
            f"double-booked users: {booked[2]} (one node: {booked[1]}); two nodes: "
            f"{audits[2].note(watch.every)}; one node: {audits[1].note(watch.every)}",
            baseline=per_nodes[1],
            baseline_label="one node",
            target="0 double-booked; 0 violations, 0 repairs",
        )
    ]
