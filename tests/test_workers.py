"""An operator runs `mentorburst serve --workers 2` on one port: both workers take connections,
people on different workers meet, a worker that drains hands its clients to the other, and the
whole thing stops cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis

from peer.client import MentorburstClient
from server.store import keys
from tests.helpers import ask, go_online, start_call
from tests.processes import serve


def worker_pids(parent: int) -> list[int]:
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(pid) for pid in children]


async def nodes_of(redis: Redis, clients: list[MentorburstClient]) -> dict[str, str]:
    """user id -> the node (worker) holding its one socket."""
    found = {}
    for client in clients:
        members = await redis.smembers(keys.sockets(client.user_id))
        assert len(members) == 1, members
        found[client.user_id] = next(iter(members)).split("|", 1)[0]
    return found


async def scrape_text(url: str) -> str:
    async with aiohttp.ClientSession() as http, http.get(url + "/metrics") as response:
        return await response.text()


@pytest.mark.slow
async def test_two_workers_share_a_port_and_serve_one_story(
    redis: Redis, redis_url: str, tmp_path: Path
) -> None:
    async with serve(
        tmp_path, "--workers", "2", "--session-seconds", "8", "--warn-at", "", redis_url=redis_url
    ) as node:
        assert "serving on" in node.stdout() and ", 2 workers)" in node.stdout()
        assert len(worker_pids(node.process.pid)) == 2
        assert await redis.zcard(keys.NODES) == 2

        clients = await asyncio.gather(
            *(MentorburstClient.signed_in(node.url, f"person{i}") for i in range(40))
        )
        try:
            holders = await nodes_of(redis, clients)
            assert len(set(holders.values())) == 2, "one worker took every connection"
            # Connected sockets are summed over both workers' metric files.
            from prometheus_client.parser import text_string_to_metric_families

            samples = {
                s.name: s.value
                for f in text_string_to_metric_families(await scrape_text(node.url))
                for s in f.samples
            }
            assert samples["mentorburst_sockets_connected"] == 40

            # A mentee on one worker meets a mentor on the other.
            mentee = clients[0]
            mentor = next(c for c in clients if holders[c.user_id] != holders[mentee.user_id])
            await ask(mentee, "python")
            await go_online(mentor, "python")
            sid = (await mentee.next("session:matched"))["session_id"]
            await mentor.next("session:matched")
            started = await start_call(mentor, mentee, sid)

            # One worker drains (SIGTERM): exactly its sockets close; the parent starts a new one.
            before = set(worker_pids(node.process.pid))
            os.kill(min(before), signal.SIGTERM)
            for _ in range(200):
                dropped = [c for c in clients if not c.sio.connected]
                if dropped:
                    await asyncio.sleep(0.3)  # let the rest of that worker's sockets close
                    break
                await asyncio.sleep(0.05)
            dropped = [c for c in clients if not c.sio.connected]
            assert dropped and len({holders[c.user_id] for c in dropped}) == 1
            gone = holders[dropped[0].user_id]
            assert {c.user_id for c in dropped} == {u for u, n in holders.items() if n == gone}
            # They come back (a browser reconnects by itself) through the same port. (The Python
            # client takes 5 s to finish its side of the close; a browser's is immediate.)
            for client in dropped:
                while client.sio.eio.state != "disconnected":  # noqa: ASYNC110 - no event for it
                    await asyncio.sleep(0.02)
                await client.connect()
            ended = await mentee.next("session:ended", timeout=15)
            assert ended["reason"] == "time_up"
            assert (await mentor.next("session:ended", timeout=5))["reason"] == "time_up"
            assert ended["rate_until"] >= started["ends_at"]
            for _ in range(200):
                if len(set(worker_pids(node.process.pid)) - before) == 1:
                    break
                await asyncio.sleep(0.05)
            assert len(worker_pids(node.process.pid)) == 2, "the drained worker was not replaced"
        finally:
            for client in clients:
                await client.close()
        assert await node.stop(signal.SIGTERM) == 0
    assert await redis.zcard(keys.NODES) == 0, "stopped workers left their node heartbeat"
