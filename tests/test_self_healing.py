"""Every call ends on time, whatever dies when: deadlines are written with their state, follow-ups
after an end are retried until done, a reconnect at the last moment counts, node clocks can't
end a call early, and the reconciler mends what a crash or a lost AOF second left behind."""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import time
from collections import Counter
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ReadOnlyError

from bench.wire import WireClient, WireError, http_session, must, signed_in, spawn
from peer.client import MentorburstClient
from server.domain.audit.invariants import Violation
from server.runtime.clock import ClusterClock, ManualClock, SkewedClock
from server.store import keys
from server.timer import Deadline
from tests.conftest import ClientFactory, RunningServer, ServerFactory
from tests.helpers import ask, go_online, matched_pair, start_call

SKILLS = ["python", "career", "devops"]


async def timer(redis: Redis, member: str) -> float | None:
    score: float | None = await redis.zscore(keys.TIMERS, member)
    return score


async def test_each_state_change_carries_its_own_deadline(
    make_client: ClientFactory, redis: Redis
) -> None:
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    to_mentor, _ = await matched_pair(mentor, mentee)
    sid = to_mentor["session_id"]
    assert await timer(redis, f"connect|{sid}") is not None
    assert await timer(redis, f"burst|{mentor.user_id}") is not None
    started = await start_call(mentor, mentee, sid)
    assert await timer(redis, f"end|{sid}") == started["ends_at"]
    assert await timer(redis, f"connect|{sid}") is None
    assert await timer(redis, f"warn|{sid}:1000") == started["ends_at"] - 1000
    await mentor.next("session:ended", timeout=5)
    assert await timer(redis, f"end|{sid}") is None
    assert await timer(redis, f"cooldown|{mentor.user_id}") is not None


async def test_a_node_that_dies_right_after_ending_a_call_still_frees_both_people(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(settle_seconds=1)
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    to_mentor, _ = await matched_pair(mentor, mentee)
    waiting = await make_client("Next")
    await ask(waiting)
    # The end script runs, then the node "dies" before any follow-up: no session:ended sent,
    # nobody told to look for the next match.
    ended = await server.services.sessions.end(
        to_mentor["session_id"], "declined", actor=mentor.user_id
    )
    assert ended is not None and ended.outcome.requeued
    # The settle deadline (5 s by default, 1 s here) runs the follow-ups on a surviving node.
    assert (await mentee.next("session:ended", timeout=8))["reason"] == "declined"
    assert (await mentor.next("session:ended", timeout=2))["reason"] == "declined"
    again = await mentor.next("session:matched", timeout=5)
    assert again["peer"]["id"] == waiting.user_id  # the requeued mentee was declined by it


async def test_a_deadline_whose_handler_meets_a_redis_error_fires_again(
    start_server: ServerFactory, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = await start_server(timer_lease_seconds=0.5)
    # Redis answering READONLY (a replica during failover) is a fault a single real Redis
    # cannot produce on demand, so it is injected into the first end attempt only.
    sessions = server.services.sessions
    original = sessions.end
    failures = []

    async def flaky_end(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not failures:
            failures.append(args)
            raise ReadOnlyError("You can't write against a read only replica.")
        return await original(*args, **kwargs)

    monkeypatch.setattr(sessions, "end", flaky_end)
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    to_mentor, _ = await matched_pair(mentor, mentee)
    await start_call(mentor, mentee, to_mentor["session_id"])
    ended = await mentee.next("session:ended", timeout=6)
    assert ended["reason"] == "time_up" and failures


async def dropped(server: RunningServer, redis: Redis, client: MentorburstClient) -> int:
    """Close the client's only socket for real; returns when its grace runs out (server ms)."""
    await client.sio.disconnect()
    for _ in range(200):
        due = await timer(redis, f"presence|{client.user_id}")
        if due is not None:
            return int(due)
        await asyncio.sleep(0.02)
    raise AssertionError("the grace never started")


async def still_waiting(server: RunningServer, client: MentorburstClient, ticket: str) -> None:
    back = await client.next("queue:update", where=lambda u: u["ticket_id"] == ticket)
    assert back["position"] == 1
    skills = {s["slug"]: s for s in await client.rest("GET", "/api/skills")}
    assert skills["python"]["waiting"] == 1
    assert await server.services.presence.socket_count(client.user_id) == 1


async def test_a_reconnect_just_as_the_grace_runs_out_is_not_taken_for_gone(
    start_server: ServerFactory, make_client: ClientFactory, redis: Redis
) -> None:
    clock = ManualClock()
    server = await start_server(clock=clock)
    mentee = await make_client("Ada")
    ticket = (await ask(mentee))["ticket_id"]

    # The connection drops; it comes back in the last millisecond of the grace.
    due = await dropped(server, redis, mentee)
    clock.advance((due - clock.now_ms() - 1) / 1000)
    await mentee.connect()
    clock.advance(5)  # long past the grace
    assert await server.services.timers.fire_due() == 0  # nothing left to take it for gone
    await still_waiting(server, mentee, ticket)

    # It drops again; the grace runs out and a node claims the deadline, and just then, before
    # that node acts, the socket is back. Checking and acting are one script: nothing happens.
    timers = server.services.timers
    claimed: list[int] = []
    acted = asyncio.Event()

    async def back_as_it_is_claimed(user_id: str) -> None:
        claimed.append(await server.services.presence.socket_count(user_id))
        await mentee.connect()
        assert grace_over is not None
        await grace_over(user_id)
        acted.set()

    grace_over = server.services.presence.grace_over  # the handler this one wraps
    timers.route({**timers.routes, Deadline.PRESENCE: back_as_it_is_claimed})
    due = await dropped(server, redis, mentee)
    clock.advance((due - clock.now_ms()) / 1000)  # the grace has run out
    await asyncio.wait_for(acted.wait(), 5)
    assert claimed == [0]  # gone when its deadline was claimed, back before it was acted on
    await still_waiting(server, mentee, ticket)
    assert await timer(redis, f"presence|{mentee.user_id}") is None


async def test_a_node_whose_clock_runs_fast_cannot_end_a_call_early(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    honest = await start_server()
    fast = await start_server(clock=ClusterClock(SkewedClock(+5_000)))
    mentor = await make_client("Grace", url=fast.url)
    mentee = await make_client("Ada", url=honest.url)
    synced = await mentor.must("clock", {"t0": 1})
    honest_now = honest.services.clock.now_ms()
    assert abs(synced["server_now"] - honest_now) < 100
    to_mentor, _ = await matched_pair(mentor, mentee)
    # The fast node starts the countdown: ends_at still comes from the cluster's clock.
    await mentee.must("session:connected", {"session_id": to_mentor["session_id"]})
    await mentor.must("session:connected", {"session_id": to_mentor["session_id"]})
    started = await mentee.next("session:started")
    assert abs(started["started_at"] - honest.services.clock.now_ms()) < 200
    await mentee.next("session:ended", timeout=5)
    assert honest.services.clock.now_ms() >= started["ends_at"]


async def test_the_reconciler_mends_what_a_crash_left_behind(
    server: RunningServer, make_client: ClientFactory, redis: Redis
) -> None:
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    to_mentor, _ = await matched_pair(mentor, mentee)
    sid = to_mentor["session_id"]
    await start_call(mentor, mentee, sid)
    idle_mentor, stuck_mentor = await make_client("Idle"), await make_client("Stuck")
    await go_online(idle_mentor, "career")
    await go_online(stuck_mentor, "career")
    # What a crash or a lost AOF second can leave: a live call without its end, a mentor busy
    # with no call, one idle outside its pool, a ticket beside a session, a stale pointer, and
    # the sockets of a node that died.
    await redis.zrem(keys.TIMERS, f"end|{sid}")
    await redis.hset(keys.mentor(stuck_mentor.user_id), "state", "busy")
    await redis.zrem(keys.idle("career"), stuck_mentor.user_id, idle_mentor.user_id)
    await redis.hset(keys.mentee(mentee.user_id), mapping={"skill": "python", "ticket_id": "t_x"})
    await redis.set(keys.live_session("u_ghost"), "s_gone")
    await redis.sadd(keys.node_users("n_dead"), "u_ghost")
    await redis.sadd(keys.sockets("u_ghost"), "n_dead|abc")
    audit = server.services.reconciler._auditor
    found = {(v.kind, v.subject) for v in await audit.audit()}
    assert found == {
        ("end_deadline", sid),
        ("busy_mentor", stuck_mentor.user_id),
        ("idle_outside_pools", idle_mentor.user_id),
        ("ticket_in_session", mentee.user_id),
        ("stale_live", "u_ghost"),
        ("dead_node", "n_dead"),
    }
    repaired = await server.services.reconciler.run_once()
    assert {(v.kind, v.subject) for v in repaired} == found
    await redis.delete(keys.PREFIX + "reconciler-lock")
    assert await audit.audit() == []
    assert (await mentee.next("session:ended", timeout=5))["reason"] == "time_up"
    state = await redis.hget(keys.mentor(stuck_mentor.user_id), "state")
    assert state == "idle"


async def test_doctor_reports_violations_and_repairs_them(
    server: RunningServer, make_client: ClientFactory, redis: Redis, redis_url: str
) -> None:
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    to_mentor, _ = await matched_pair(mentor, mentee)
    await redis.zrem(keys.TIMERS, f"connect|{to_mentor['session_id']}")

    async def doctor(*flags: str) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server", "doctor", "--redis-url", redis_url, *flags,
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await process.communicate()
        return process.returncode or 0, out.decode()

    status, out = await doctor("--history")
    assert status == 1 and "connect_deadline" in out and to_mentor["session_id"] in out
    status, out = await doctor("--repair")
    assert status == 1 and "repaired 1 of 1" in out
    status, out = await doctor("--history")
    assert status == 0 and "0 violation(s)" in out
    ended = await mentee.next("session:ended", timeout=5)  # the repaired deadline fired
    assert ended["reason"] == "no_connection"


class Drop:
    """Drop-in load: mentees ask again and again; each match is declined, left at once, or run
    to its end (then rated, which wakes the mentor); some mentors go offline and back."""

    def __init__(self, url: str, seed: int) -> None:
        self.url, self.rng = url, random.Random(seed)
        self.http = http_session()
        self.mentors: list[WireClient] = []
        self.mentees: list[WireClient] = []
        self.matches = 0
        self.refused: Counter[str] = Counter()
        self.asking = True

    async def start(self, mentors: int, mentees: int) -> None:
        self.mentors = [
            await signed_in(self.http, self.url, f"Mentor {i}", self.mentor_heard)
            for i in range(mentors)
        ]
        self.mentees = [
            await signed_in(self.http, self.url, f"Mentee {i}", self.mentee_heard)
            for i in range(mentees)
        ]
        for i, mentor in enumerate(self.mentors):
            mentor.tag = SKILLS[i % len(SKILLS)]
            await must(mentor, "mentor:online", {"skills": [mentor.tag], "minutes": 30})
        for mentee in self.mentees:
            spawn(self.ask(mentee))

    async def ask(self, mentee: WireClient) -> None:
        await asyncio.sleep(self.rng.random() * 0.3)
        if not self.asking:
            return
        skill = self.rng.choice(SKILLS)
        await self.send(mentee, "mentee:join", {"skill": skill, "question": "How do I ...?"})

    async def send(self, client: WireClient, event: str, payload: dict[str, Any]) -> None:
        with contextlib.suppress(WireError):  # closed at the end of the test
            ack = await client.call(event, payload)
            if not ack.get("ok"):
                self.refused[ack["error"]["code"]] += 1

    def mentor_heard(self, mentor: WireClient, event: str, data: Any, _: float) -> None:
        if event == "session:matched":
            self.matches += 1
            roll = self.rng.random()
            if roll < 0.2:
                spawn(self.send(mentor, "session:decline", {"session_id": data["session_id"]}))
            elif roll < 0.5:
                spawn(self.send(mentor, "session:connected", {"session_id": data["session_id"]}))
        elif event == "session:ended" and data["reason"] == "time_up":
            spawn(self.send(mentor, "rate", {"session_id": data["session_id"], "stars": 5}))
        elif event == "mentor:update" and data.get("state") == "idle" and self.rng.random() < 0.1:
            if not self.asking:
                return
            spawn(self.come_back(mentor))

    async def come_back(self, mentor: WireClient) -> None:
        await self.send(mentor, "mentor:offline", {})
        await self.send(mentor, "mentor:online", {"skills": [mentor.tag], "minutes": 30})

    def mentee_heard(self, mentee: WireClient, event: str, data: Any, _: float) -> None:
        if event == "session:matched":
            sid = data["session_id"]
            if self.rng.random() < 0.5:
                spawn(self.send(mentee, "session:leave", {"session_id": sid}))
            else:
                spawn(self.send(mentee, "session:connected", {"session_id": sid}))
        elif event == "session:ended" and data["reason"] != "declined":
            spawn(self.ask(mentee))

    async def close(self) -> None:
        for client in self.mentors + self.mentees:
            await client.close()
        await self.http.close()


@pytest.mark.slow
async def test_the_audit_sees_no_violation_in_a_busy_flow_and_still_mends_a_real_one(
    start_server: ServerFactory, redis: Redis
) -> None:
    server = await start_server(session_seconds=1, connect_grace_seconds=1, decline_seconds=2)
    reconciler = server.services.reconciler
    auditor = reconciler._auditor
    load = Drop(server.url, seed=21)
    violations: list[Violation] = []
    repairs: list[Violation] = []
    passes = 0
    try:
        await load.start(mentors=12, mentees=48)
        until = time.monotonic() + 12
        while time.monotonic() < until:
            # Matches, ends and settles run concurrently with every audit and repair pass.
            violations += await auditor.audit()
            await redis.delete(keys.PREFIX + "reconciler-lock")
            repairs += await reconciler.run_once()
            passes += 1
        assert load.matches > 150 and passes > 20, (load.matches, passes)
        assert violations == [] and repairs == [], (violations, repairs)

        # A real one, once the load is over: an idle mentor taken out of its idle pool behind
        # the flow's back.
        load.asking = False
        for mentee in load.mentees:
            await load.send(mentee, "mentee:leave", {})
        for _ in range(100):  # the calls still running end (a call lasts a second)
            states = [await redis.hget(keys.mentor(m.user_id), "state") for m in load.mentors]
            if "idle" in states and not await redis.scard(keys.ACTIVE):
                break
            await asyncio.sleep(0.1)
        idle = load.mentors[states.index("idle")]
        await redis.zrem(keys.idle(idle.tag), idle.user_id)
        found = await auditor.audit()
        assert [(v.kind, v.subject) for v in found] == [("idle_outside_pools", idle.user_id)]
        await redis.delete(keys.PREFIX + "reconciler-lock")
        assert [(v.kind, v.subject) for v in await reconciler.run_once()] == [
            ("idle_outside_pools", idle.user_id)
        ]
        assert await redis.zscore(keys.idle(idle.tag), idle.user_id) is not None
        assert await auditor.audit() == []
    finally:
        await load.close()


async def test_a_mentor_going_online_waits_in_its_idle_pools_from_that_same_step(
    server: RunningServer, make_client: ClientFactory, redis: Redis
) -> None:
    mentor = await make_client("Grace")
    queue, clock = server.services.queue, server.services.clock
    # The burst script alone, as a node runs it before it looks for work for the mentor: a
    # reconciler pass in between must find nothing to mend, also when the skills change.
    for skills in (["python"], ["career", "devops"]):
        await queue.mentor_online(mentor.user_id, skills, clock.now_ms() + 600_000, None)
        assert await server.services.reconciler._auditor.audit() == []
        assert await redis.zrange(keys.idle(skills[-1]), 0, -1) == [mentor.user_id]
    assert await redis.zrange(keys.idle("python"), 0, -1) == []


async def test_a_mentor_whose_burst_ends_during_a_call_is_left_to_finish_it(
    start_server: ServerFactory, make_client: ClientFactory, redis: Redis
) -> None:
    server = await start_server(session_seconds=3)
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    to_mentor, _ = await matched_pair(mentor, mentee)
    sid = to_mentor["session_id"]
    await start_call(mentor, mentee, sid)
    # Its burst runs out now, mid-call: the burst deadline fires and has done its work (the
    # mentor goes offline when the call ends), so no pass re-arms it.
    now = server.services.clock.now_ms()
    await redis.hset(keys.mentor(mentor.user_id), "burst_ends_at", now)
    await redis.zadd(keys.TIMERS, {f"burst|{mentor.user_id}": now})
    for _ in range(50):
        if await timer(redis, f"burst|{mentor.user_id}") is None:
            break
        await asyncio.sleep(0.05)
    assert await redis.hget(keys.mentor(mentor.user_id), "leaving") == "1"
    assert await server.services.reconciler._auditor.audit() == []
    await mentor.next("session:ended", timeout=5)
    assert (await mentor.next("mentor:update", where=lambda u: u["state"] == "offline"))[
        "sessions_done"
    ] == 1
