"""The ranking's per-node copy of mentors' facts (server/domain/matching/facts.py): read once, kept for
a few seconds, dropped when told, and never kept from a read that a change overlapped."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from server.domain.matching.facts import TTL_S, MentorFacts
from server.store import keys


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_facts_are_read_once_then_kept_until_forgotten_or_expired(redis: Redis) -> None:
    await redis.hset(keys.user("m1"), mapping={"headline": "Async", "expertise": "asyncio"})
    await redis.hset(keys.skill_reputation("m1"), mapping={"python:count": 3, "python:sum": 14})
    clock = Clock()
    facts = MentorFacts(redis, clock)
    first = (await facts.get(["m1", "m2"]))["m1"]
    assert "asyncio" in first.text and first.in_skill("python") == (3, 14)
    assert first.in_skill("career") == (0, 0)
    assert (await facts.get(["m2"]))["m2"].text == ""

    await redis.hset(keys.skill_reputation("m1"), mapping={"python:count": 4, "python:sum": 19})
    assert (await facts.get(["m1"]))["m1"].in_skill("python") == (3, 14)  # the copy
    facts.forget("m1")
    assert (await facts.get(["m1"]))["m1"].in_skill("python") == (4, 19)

    await redis.hset(keys.skill_reputation("m1"), mapping={"python:count": 5, "python:sum": 24})
    clock.now += TTL_S + 0.1
    assert (await facts.get(["m1"]))["m1"].in_skill("python") == (5, 24)


async def test_a_read_that_overlapped_a_change_is_not_kept(redis: Redis) -> None:
    await redis.hset(keys.user("m1"), mapping={"expertise": "old words"})
    facts = MentorFacts(redis, Clock())
    reading = asyncio.create_task(facts.get(["m1"]))
    await asyncio.sleep(0)  # the read is in flight
    facts.forget("other")  # a change heard meanwhile
    assert "old words" in (await reading)["m1"].text
    await redis.hset(keys.user("m1"), mapping={"expertise": "new words"})
    assert "new words" in (await facts.get(["m1"]))["m1"].text
