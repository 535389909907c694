"""Recovery from a Redis crash: Redis is SIGKILLed under two nodes for two seconds and restarted
from its AOF; how long until REST answers 200 again on both nodes, and until an event published
on one node reaches a socket held by the other (a mentor going online on node B, its match heard
by the mentee waiting on node A). No baseline: the figures are times from Redis accepting
connections again."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.harness import figure, server_process
from peer.client import MentorburstClient
from server.store.embedded import EmbeddedRedis


async def _until_ok(http: aiohttp.ClientSession, url: str) -> tuple[float, int]:
    """Seconds until a login answers 200, and how many answers before it were 5xx."""
    started, errors = time.monotonic(), 0
    while True:
        async with http.post(url + "/api/login", json={"name": "Probe"}) as response:
            if response.status == 200:
                return time.monotonic() - started, errors
            errors += response.status >= 500 and response.status != 503
        await asyncio.sleep(0.01)


async def run(runs: int = 5) -> list[str]:
    rest_ms: list[float] = []
    cross_ms: list[float] = []
    server_errors = 0
    with tempfile.TemporaryDirectory(prefix="mb-restart-") as scratch:
        redis = EmbeddedRedis(Path(scratch))
        url = await redis.start()
        flags = ("--redis-url", url)
        async with server_process(*flags) as one, server_process(*flags) as two:
            async with aiohttp.ClientSession() as http:
                for i in range(runs):
                    mentee = await MentorburstClient.signed_in(one.url, f"Mentee {i}")
                    mentor = await MentorburstClient.signed_in(two.url, f"Mentor {i}")
                    await mentee.must("mentee:join", {"skill": "python", "question": "Still here?"})
                    redis.kill()
                    await asyncio.sleep(2)
                    await redis.start()
                    back = time.monotonic()
                    for node in (one, two):
                        _, errors = await _until_ok(http, node.url)
                        server_errors += errors
                    rest_ms.append((time.monotonic() - back) * 1000)
                    for _attempt in range(1000):  # 'unavailable' until its node reaches Redis
                        online = {"skills": ["python"], "minutes": 30}
                        if (await mentor.call("mentor:online", online)).get("ok"):
                            break
                        await asyncio.sleep(0.01)
                    await mentee.next("session:matched", timeout=15)
                    cross_ms.append((time.monotonic() - back) * 1000)
                    await mentee.close()
                    await mentor.close()
        await redis.stop()
    note = f"{server_errors} answers other than 200/503 while recovering"
    return [
        figure(
            "redis_restart_rest_ok", rest_ms, "ms", f"Redis back -> login 200 on both nodes; {note}"
        ),
        figure(
            "redis_restart_cross_node",
            cross_ms,
            "ms",
            "Redis back -> a match made on node B heard on node A",
        ),
    ]
