"""Redis high availability: the primary dies mid-call, Sentinel promotes the replica, and the call
still ends on time while new people still get matched."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bench.redis_ha import RedisHA, binaries, redis_ha
from peer.client import MentorburstClient
from server.store.connection import parse_sentinel_url
from tests.helpers import ask, go_online, start_call
from tests.processes import serve


@pytest.fixture
async def ha() -> AsyncIterator[RedisHA]:
    if binaries() is None:
        pytest.skip("needs Debian's redis-server and redis-sentinel; .ci/run installs them")
    async with redis_ha() as running:
        yield running


def test_a_sentinel_url_names_the_sentinels_the_db_and_the_service() -> None:
    target = parse_sentinel_url("redis+sentinel://:s3cret@h1:26379,h2:26380,h3/2/mymaster")
    assert target is not None
    assert target.sentinels == [("h1", 26379), ("h2", 26380), ("h3", 26379)]
    assert (target.db, target.service, target.password) == (2, "mymaster", "s3cret")
    assert parse_sentinel_url("redis://127.0.0.1:6379/0") is None
    with pytest.raises(ValueError):
        parse_sentinel_url("redis+sentinel://h1:26379/mymaster")


async def healthy(url: str) -> bool:
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1)) as http,
            http.get(url + "/healthz") as response,
        ):
            return response.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


@pytest.mark.slow
async def test_a_call_outlives_a_primary_failover_and_new_matches_follow(
    ha: RedisHA, tmp_path: Path
) -> None:
    async with serve(
        tmp_path, "--session-seconds", "10", "--warn-at", "", redis_url=ha.url
    ) as node:
        people = [await MentorburstClient.signed_in(node.url, n) for n in ("Grace", "Ada")]
        mentor, mentee = people
        try:
            await go_online(mentor, "python")
            await ask(mentee, "python")
            sid = (await mentee.next("session:matched"))["session_id"]
            await mentor.next("session:matched")
            started = await start_call(mentor, mentee, sid)
            await asyncio.sleep(1)  # let the call's deadlines reach the replica

            old_primary = ha.primary_port
            killed = time.monotonic()
            ha.kill(old_primary)
            while await healthy(node.url):  # noqa: ASYNC110 - polling a real endpoint
                await asyncio.sleep(0.05)
            while not await healthy(node.url):
                assert time.monotonic() - killed < 30, "no failover within 30 s"
                await asyncio.sleep(0.05)
            window = time.monotonic() - killed
            assert await ha.primary() == ha.replica_port
            print(f"failover window (primary killed -> /healthz 200 again): {window:.2f} s")

            ended = await mentee.next("session:ended", timeout=15)
            arrived = time.time() * 1000
            assert ended["session_id"] == sid and ended["reason"] == "time_up"
            assert (await mentor.next("session:ended", timeout=5))["reason"] == "time_up"
            # On time: the countdown's deadline survived on the promoted replica.
            assert started["ends_at"] - 50 <= arrived <= started["ends_at"] + 2000
            await mentee.must("rate", {"session_id": sid, "stars": 5})

            # New people are matched on the new primary.
            newcomers = [await MentorburstClient.signed_in(node.url, n) for n in ("Lin", "Bo")]
            people += newcomers
            await go_online(newcomers[0], "devops")
            await ask(newcomers[1], "devops", "How do I roll back a bad deploy?")
            matched = await newcomers[1].next("session:matched", timeout=10)
            assert matched["peer"]["id"] == newcomers[0].user_id
        finally:
            for person in people:
                await person.close()
