"""Abuse limits and retention, measured against a server with its default limits on.

- ``login_flood``: one address sends 1,000 logins at once; how many got through and how many
  were refused (429): about the login bucket's 300, and 5 a second after. Beside it, a room of
  300 people behind one address logging in over a minute (paced; --quick compresses it): how
  many were refused (should be none).
- ``event_join_flood``: one account sends 1,000 ``event:join`` with wrong codes as fast as it
  can: how many were answered ``unknown_code`` before the guesses budget stopped it.
- ``guest_retention``: Redis keys and memory after 2,000 guest logins, and again once the guest
  TTL has passed. The TTL is shortened (30 s) to stand in for the default 24 h: the same rule
  fires, only sooner, so "25 h later" is a little over 30 s later here.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
from redis.asyncio import Redis

from bench.harness import bench_redis, figure, server_process
from bench.wire import WireClient, http_session, login


async def _logins(http: aiohttp.ClientSession, url: str, names: list[str]) -> list[int]:
    async def one(name: str) -> int:
        async with http.post(url + "/api/login", json={"name": name}) as response:
            await response.read()
            return response.status

    return list(await asyncio.gather(*(one(n) for n in names)))


async def run(quick: bool, out: str) -> list[str]:
    lines = []
    room_seconds = 3 if quick else 60
    per_second = 10 if quick else 5  # --quick: 30 people over 3 s; else 300 over a minute
    async with (
        bench_redis() as redis_url,
        server_process("--rate-limits", "on", redis_url=redis_url) as node,
    ):
        async with http_session() as http:
            user_id, token = await login(http, node.url, "Guesser")  # before the flood below
            guesser = WireClient(user_id)
            await guesser.connect(http, node.url, token)
            room: list[int] = []
            for second in range(room_seconds):
                room += await _logins(
                    http, node.url, [f"Room {second}-{i}" for i in range(per_second)]
                )
                await asyncio.sleep(1)
            lines.append(
                figure(
                    "login_room_refused",
                    [room.count(429)],
                    "logins",
                    f"of {len(room)} from one address over {room_seconds} s",
                )
            )
            await asyncio.sleep(10)  # the login bucket refills meanwhile (5 a second by default)
            flood = await _logins(http, node.url, [f"Flood {i}" for i in range(1000)])
            lines.append(
                figure(
                    "login_flood_through",
                    [flood.count(200)],
                    "logins",
                    f"of 1000 at once; {flood.count(429)} refused with 429",
                )
            )
            acks = await asyncio.gather(
                *(
                    guesser.call("event:join", {"code": f"ZZ{i:04d}", "role": "mentee"})
                    for i in range(1000)
                )
            )
            codes = [a["error"]["code"] for a in acks]
            lines.append(
                figure(
                    "event_join_flood_through",
                    [codes.count("unknown_code")],
                    "guesses",
                    f"of 1000 wrong codes from one account; {codes.count('rate_limited')} rate_limited",
                )
            )
            await guesser.close()
    guests = 200 if quick else 2000
    ttl = 3 if quick else 30
    async with (
        bench_redis() as redis_url,
        server_process("--guest-ttl-seconds", str(ttl), redis_url=redis_url) as node,
    ):
        redis = Redis.from_url(redis_url)
        try:
            before_keys, before_mem = await _size(redis)
            async with http_session() as http:
                started = time.monotonic()
                for start in range(0, guests, 100):
                    await _logins(http, node.url, [f"Guest {i}" for i in range(start, start + 100)])
                took = time.monotonic() - started
            after_keys, after_mem = await _size(redis)
            await asyncio.sleep(ttl + 1)
            later_keys, later_mem = await _size(redis)
        finally:
            await redis.aclose()
    note = f"before: {before_keys} keys, {before_mem / 1024:.0f} KiB"
    lines.append(
        figure("guest_logins_keys", [after_keys], "keys",
               f"after {guests} guest logins in {took:.1f} s ({after_mem / 1024:.0f} KiB); {note}")
    )  # fmt: skip
    lines.append(
        figure("guest_logins_keys_later", [later_keys], "keys",
               f"once the guest TTL ({ttl} s here, 24 h by default) passed ({later_mem / 1024:.0f} KiB)")
    )  # fmt: skip
    return lines


async def _size(redis: Redis) -> tuple[int, int]:
    info = await redis.info("memory")
    return int(await redis.dbsize()), int(info["used_memory"])
