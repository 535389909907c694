"""Redis goes away for a moment: people hear "unavailable" (never a 500 or a traceback), and
service resumes by itself when it is back, across nodes, with nothing lost from the AOF."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from server.store.embedded import EmbeddedRedis
from tests.conftest import ClientFactory, ServerFactory, Tracebacks
from tests.helpers import ask, go_online


@pytest.fixture
async def own_redis(tmp_path: Path) -> AsyncIterator[EmbeddedRedis]:
    redis = EmbeddedRedis(tmp_path / "redis")
    await redis.start()
    yield redis
    await redis.stop()


async def status_of(
    http: aiohttp.ClientSession, method: str, url: str, **kw: object
) -> tuple[int, dict]:  # type: ignore[type-arg]
    async with http.request(method, url, **kw) as response:  # type: ignore[arg-type]
        return response.status, await response.json()


async def test_while_redis_is_down_everyone_hears_unavailable_and_service_resumes_by_itself(
    own_redis: EmbeddedRedis,
    start_server: ServerFactory,
    make_client: ClientFactory,
    tracebacks: Tracebacks,
) -> None:
    one = await start_server(redis_url=own_redis.url)
    two = await start_server(redis_url=own_redis.url)
    mentee = await make_client("Ada", url=one.url)
    mentor = await make_client("Grace", url=two.url)
    await ask(mentee, "career")  # kept in the AOF through the outage

    await own_redis.stop()
    async with aiohttp.ClientSession() as http:
        status, body = await status_of(http, "POST", one.url + "/api/login", json={"name": "Bo"})
        assert status == 503 and body["error"]["code"] == "unavailable"
        status, body = await status_of(http, "GET", two.url + "/healthz")
        assert status == 503 and body == {"ok": False, "redis": "down"}
        status, body = await status_of(http, "GET", one.url + "/api/skills")
        assert status == 503 and body["error"]["code"] == "unavailable"
    for event, payload in [
        ("mentor:online", {"skills": ["career"], "minutes": 30}),
        ("signal", {"session_id": "s_x", "type": "offer", "data": {}}),
        ("mentee:leave", {}),
    ]:
        ack = await mentor.call(event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == "unavailable", event

    await own_redis.start()
    back = time.monotonic()
    async with aiohttp.ClientSession() as http:
        # The very first request after Redis returns is served: pooled connections that died
        # with the old Redis are replaced and the command retried, not answered with a 500.
        status, body = await status_of(http, "POST", one.url + "/api/login", json={"name": "Bo"})
        assert status == 200, body
        status, _ = await status_of(http, "GET", two.url + "/healthz")
        assert status == 200
    # Across nodes: the mentor on node two goes online and both hear the match, so both nodes'
    # Socket.IO pub/sub listeners came back, and the mentee's place survived in the AOF.
    await go_online(mentor, "career")
    to_mentee = await mentee.next("session:matched", timeout=10)
    assert to_mentee["peer"]["id"] == mentor.user_id
    assert (await mentor.next("session:matched", timeout=10))["peer"]["id"] == mentee.user_id
    recovered = time.monotonic() - back
    print(f"service back {recovered:.2f} s after Redis")
    assert [r.getMessage() for r in tracebacks.records if r.exc_info] == []
