"""The call length is the server's: it starts when media flows and ends on the second."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from server.runtime.clock import ManualClock
from server.store.scripts import Lua, Scripts
from server.timer import Deadline, MissingDeadlines, Timers
from tests.conftest import ClientFactory
from tests.helpers import matched_pair, start_call


def scripts_for(redis: Redis, clock: ManualClock) -> Scripts:
    return Lua(redis, clock).scripts


async def test_a_deadline_fires_once_when_its_time_comes(redis: Redis) -> None:
    clock = ManualClock()
    timers = Timers(redis, scripts_for(redis, clock), clock)
    fired: list[str] = []

    async def record(arg: str) -> None:
        fired.append(arg)

    timers.route({Deadline.END: record})
    await timers.schedule("end", "s1", clock.now_ms() + 5_000)
    assert await timers.fire_due() == 0
    clock.advance(4.999)
    assert await timers.fire_due() == 0
    clock.advance(0.001)
    assert await timers.fire_due() == 1
    assert await timers.fire_due() == 0
    assert fired == ["s1"]


async def test_a_cancelled_deadline_never_fires(redis: Redis) -> None:
    clock = ManualClock()
    timers = Timers(redis, scripts_for(redis, clock), clock)
    fired: list[str] = []

    async def record(arg: str) -> None:
        fired.append(arg)

    timers.route({Deadline.WARN: record})
    await timers.schedule_many(
        [("warn", "a", clock.now_ms() + 1), ("warn", "b", clock.now_ms() + 1)]
    )
    await timers.cancel("warn", "a")
    clock.advance(1)
    await timers.fire_due()
    assert fired == ["b"]


async def test_the_timers_refuse_to_start_while_a_kind_of_deadline_has_no_handler(
    redis: Redis,
) -> None:
    clock = ManualClock()
    timers = Timers(redis, scripts_for(redis, clock), clock)

    async def handle(arg: str) -> None:
        pass

    timers.route({kind: handle for kind in Deadline if kind is not Deadline.WIDEN})
    with pytest.raises(MissingDeadlines, match="widen"):
        timers.start()
    timers.route({kind: handle for kind in Deadline})
    timers.start()
    await timers.stop()


async def test_a_deadline_claimed_by_a_node_that_died_fires_again_after_its_lease(
    redis: Redis,
) -> None:
    clock = ManualClock()
    scripts = scripts_for(redis, clock)
    dead_node = Timers(redis, scripts, clock, lease_ms=2_000)
    survivor = Timers(redis, scripts, clock, lease_ms=2_000)
    fired: list[str] = []

    async def crash(arg: str) -> None:
        raise ConnectionError("node died mid-handler")

    async def record(arg: str) -> None:
        fired.append(arg)

    dead_node.route({Deadline.END: crash})
    survivor.route({Deadline.END: record})
    await dead_node.schedule("end", "s1", clock.now_ms())
    # The dying node claims it but never completes it: simulate by claiming without handling.
    claimed = await scripts.claim_timers(keys=["mb:timers"], args=[clock.now_ms(), 2_000, 10])
    assert claimed[0] == "end|s1"
    assert await survivor.fire_due() == 0  # leased to the dead node
    clock.advance(2)
    assert await survivor.fire_due() == 1
    assert fired == ["s1"]


async def test_the_countdown_ends_the_call_even_when_both_have_gone_quiet(
    make_client: ClientFactory,
) -> None:
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    to_mentor, _ = await matched_pair(mentor, mentee)
    started = await start_call(mentor, mentee, to_mentor["session_id"])
    ended = await mentor.next("session:ended", timeout=5)
    assert ended["reason"] == "time_up"
    assert ended["rate_until"] >= started["ends_at"]
    assert mentor.received("session:warning")[0]["remaining_s"] == 1


async def test_time_up_arrives_on_time(start_server, make_client: ClientFactory) -> None:  # type: ignore[no-untyped-def]
    server = await start_server(session_seconds=1, warn_at=())
    mentor = await make_client("Grace", url=server.url)
    mentee = await make_client("Ada", url=server.url)
    to_mentor, _ = await matched_pair(mentor, mentee)
    started = await start_call(mentor, mentee, to_mentor["session_id"])
    await mentee.next("session:ended", timeout=5)
    arrived = server.services.clock.now_ms()
    # Behaviour, not a benchmark: it ends at ends_at, not a poll interval or a second later.
    assert started["ends_at"] <= arrived < started["ends_at"] + 500
    await asyncio.sleep(0)
