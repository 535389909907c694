"""Venue Wi-Fi drops two people at once, a re-pair lands as the round ends, someone arrives
straight from a drop-in call: event booking stays one atomic step, so nobody is in two calls and
every call of a round ends with it."""

from __future__ import annotations

import asyncio
from collections import Counter

from redis.asyncio import Redis

from server.domain.accounts.users import new_id
from server.store import keys
from tests.conftest import ClientFactory, RunningServer, ServerFactory
from tests.helpers import ask, go_online, start_call
from tests.test_speed_rounds import host_event, join


async def live_sessions_per_user(redis: Redis) -> Counter[str]:
    counts: Counter[str] = Counter()
    async for key in redis.scan_iter(match=f"{keys.PREFIX}session:*"):
        state, mentor, mentee = await redis.hmget(key, "state", "mentor", "mentee")
        if state in ("matched", "live"):
            counts.update([mentor, mentee])
    return counts


async def test_two_people_leaving_a_round_at_once_never_double_book_the_one_sitting_out(
    start_server: ServerFactory, make_client: ClientFactory, redis: Redis
) -> None:
    server = await start_server(connect_grace_seconds=5)
    for attempt in range(3):
        host, event_id, code = await host_event(make_client, rounds=1, round_seconds=6)
        mentors = [await join(make_client, code, "mentor", f"M{attempt}{i}") for i in range(2)]
        mentees = [await join(make_client, code, "mentee", f"E{attempt}{i}") for i in range(3)]
        await host.must("event:start", {"event_id": event_id})
        rounds = {c.user_id: await c.next("event:round") for c in mentees}
        leavers = [c for c in mentees if not rounds[c.user_id]["sitting_out"]]
        spare = next(c for c in mentees if rounds[c.user_id]["sitting_out"])
        assert len(leavers) == 2
        await asyncio.gather(*(c.must("event:leave", {"event_id": event_id}) for c in leavers))
        repaired = await spare.next("event:round", where=lambda r: not r["sitting_out"])
        await asyncio.sleep(0.3)
        counts = await live_sessions_per_user(redis)
        assert counts[spare.user_id] == 1 and max(counts.values()) == 1
        # The round records every call it booked, the re-pair included, so all end with it.
        booked = await redis.hkeys(keys.round_pairs(event_id, 1))
        assert repaired["session_id"] in booked
        await host.must("event:end", {"event_id": event_id})
        repaired_sid = repaired["session_id"]
        ended = await spare.next(
            "session:ended", where=lambda e, sid=repaired_sid: e["session_id"] == sid
        )
        assert ended["reason"] == "event_round_over"
        assert not await live_sessions_per_user(redis)
        for client in mentors + mentees + [host]:
            await client.close()
    assert await server.services.reconciler._auditor.audit() == []


async def test_a_re_pair_that_lands_after_the_round_ended_books_nothing(
    server: RunningServer, make_client: ClientFactory, redis: Redis
) -> None:
    host, event_id, code = await host_event(make_client, rounds=2, round_seconds=30)
    mentor = await join(make_client, code, "mentor", "Mentor")
    mentee = await join(make_client, code, "mentee", "Mentee")
    spare = await join(make_client, code, "mentee", "Spare")
    await host.must("event:start", {"event_id": event_id})
    await mentor.next("session:started")
    await host.must("event:next", {"event_id": event_id})  # round 1 ends: a break
    lua = server.services.lua
    late = await lua(
        lua.scripts.event_book_call,
        event_id, 1, mentor.user_id, spare.user_id, new_id("s"), "event", "late re-pair",
    )  # fmt: skip
    assert late == ["refused", "round_over"]
    assert not await live_sessions_per_user(redis)
    assert mentee.user_id


async def test_someone_still_in_a_drop_in_call_sits_the_round_out_and_keeps_the_call(
    start_server: ServerFactory, make_client: ClientFactory, redis: Redis
) -> None:
    await start_server(session_seconds=30)
    host, event_id, code = await host_event(make_client, rounds=1, round_seconds=5)
    drop_in_mentor, busy = await make_client("Drop-in mentor"), await make_client("Busy")
    await go_online(drop_in_mentor, "python")
    await ask(busy)
    matched = await busy.next("session:matched")
    await start_call(drop_in_mentor, busy, matched["session_id"])
    # Joining an event while in a call is allowed; the call goes on.
    await busy.must("event:join", {"code": code, "role": "mentee"})
    mentor = await join(make_client, code, "mentor", "Event mentor")
    other = await join(make_client, code, "mentee", "Other")
    await host.must("event:start", {"event_id": event_id})
    assert (await busy.next("event:round"))["sitting_out"] is True
    assert (await other.next("event:round"))["sitting_out"] is False
    counts = await live_sessions_per_user(redis)
    assert counts[busy.user_id] == 1 and max(counts.values()) == 1
    assert await redis.get(keys.live_session(busy.user_id)) == matched["session_id"]
    assert mentor.user_id


async def test_joining_an_event_takes_a_person_out_of_drop_in(
    make_client: ClientFactory, redis: Redis
) -> None:
    host, _, code = await host_event(make_client)
    waiting, mentor = await make_client("Waiting"), await make_client("Mentoring")
    await ask(waiting, "career")
    await go_online(mentor, "career")
    await waiting.next("session:matched")  # matched with each other: end that first
    await waiting.must(
        "session:leave", {"session_id": (await mentor.next("session:matched"))["session_id"]}
    )
    await mentor.next("session:ended")
    await waiting.must("event:join", {"code": code, "role": "mentee"})
    await mentor.must("event:join", {"code": code, "role": "mentor"})
    skills = {s["slug"]: s for s in await waiting.rest("GET", "/api/skills")}
    assert skills["career"]["mentors_online"] == 0 and skills["career"]["waiting"] == 0
    refused = await mentor.call("mentor:online", {"skills": ["career"], "minutes": 30})
    assert refused["error"]["code"] == "in_event"
    refused = await waiting.call("mentee:join", {"skill": "career", "question": "Again?"})
    assert refused["error"]["code"] == "in_event"
    assert host.user_id
