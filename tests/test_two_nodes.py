"""A second `mentorburst serve` on the same Redis just adds capacity: no double-booking, and a
node's death loses no countdown."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis

from server.client import MentorburstClient
from server.embedded_redis import free_port

NodeFactory = Callable[..., Awaitable[tuple[str, subprocess.Popen[bytes]]]]


@pytest.fixture
async def start_node(redis: Redis, redis_url: str, tmp_path: Path) -> AsyncIterator[NodeFactory]:
    processes: list[subprocess.Popen[bytes]] = []

    async def start(*flags: str) -> tuple[str, subprocess.Popen[bytes]]:
        port = free_port()
        env = {**os.environ, "MB_SECRET": "two-node-secret", "MB_LOG_LEVEL": "WARNING"}
        process = subprocess.Popen(  # noqa: ASYNC220
            [
                sys.executable,
                "-m",
                "server",
                "serve",
                "--port",
                str(port),
                "--redis-url",
                redis_url,
                "--data-dir",
                str(tmp_path / "data"),
                *flags,
            ],
            env=env,
        )
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            for _ in range(200):
                try:
                    async with http.get(url + "/healthz") as response:
                        if response.status == 200:
                            return url, process
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError("node did not come up")

    yield start
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def client_of(url: str, name: str) -> MentorburstClient:
    client = MentorburstClient(url)
    await client.login(name)
    await client.connect()
    return client


async def test_thirty_mentees_and_ten_mentors_at_once_across_two_nodes_never_double_book(
    start_node: NodeFactory,
) -> None:
    (url_a, _), (url_b, _) = await start_node(), await start_node()
    mentees = [await client_of((url_a, url_b)[i % 2], f"mentee{i}") for i in range(30)]
    mentors = [await client_of((url_b, url_a)[i % 2], f"mentor{i}") for i in range(10)]
    try:
        acks = await asyncio.gather(
            *(
                m.call("mentee:join", {"skill": "python", "question": f"q{i}"})
                for i, m in enumerate(mentees)
            ),
            *(m.call("mentor:online", {"skills": ["python"], "minutes": 60}) for m in mentors),
        )
        assert all(ack["ok"] for ack in acks), acks

        mentor_sessions = [await m.next("session:matched", timeout=10) for m in mentors]
        sessions = {s["session_id"] for s in mentor_sessions}
        assert len(sessions) == 10
        matched_mentees = Counter(s["peer"]["id"] for s in mentor_sessions)
        assert all(n == 1 for n in matched_mentees.values()) and len(matched_mentees) == 10
        assert not set(matched_mentees) & {m.user_id for m in mentors}

        await asyncio.sleep(0.5)  # let any second (wrong) match surface
        assert all(m.received("session:matched") == [] for m in mentors)
        waiting = [m for m in mentees if m.user_id not in matched_mentees]
        assert len(waiting) == 20
        assert all(m.received("session:matched") == [] for m in waiting)
        positions = []
        for mentee in waiting:
            updates = mentee.received("queue:update")
            assert updates, f"{mentee.user['name']} heard nothing"
            positions.append(updates[-1]["position"])
        assert sorted(positions) == list(range(1, 21))
    finally:
        for client in mentees + mentors:
            await client.close()


async def test_a_countdown_created_on_a_node_that_dies_still_ends_the_call(
    start_node: NodeFactory,
) -> None:
    (url_a, node_a), (url_b, _) = (
        await start_node("--session-seconds", "2", "--warn-at", ""),
        await start_node("--session-seconds", "2", "--warn-at", ""),
    )
    mentor_a, mentee_a = await client_of(url_a, "Grace"), await client_of(url_a, "Ada")
    # The same two people also have a tab on node B, which is all that will survive.
    mentor_b, mentee_b = MentorburstClient(url_b), MentorburstClient(url_b)
    for tab, original in ((mentor_b, mentor_a), (mentee_b, mentee_a)):
        tab.token, tab.user = original.token, original.user
        await tab.connect()
    try:
        await mentor_a.must("mentor:online", {"skills": ["python"], "minutes": 30})
        await mentee_a.must("mentee:join", {"skill": "python", "question": "Will this survive?"})
        sid = (await mentee_a.next("session:matched"))["session_id"]
        await mentee_a.must("session:connected", {"session_id": sid})
        await mentor_a.must("session:connected", {"session_id": sid})
        started = await mentee_b.next("session:started")

        node_a.kill()  # no cleanup, no goodbye: the node that created the deadline is gone
        node_a.wait()

        ended = await mentee_b.next("session:ended", timeout=10)
        assert ended["reason"] == "time_up" and ended["session_id"] == sid
        assert (await mentor_b.next("session:ended", timeout=5))["reason"] == "time_up"
        assert ended["rate_until"] >= started["ends_at"]
        await mentee_b.must("rate", {"session_id": sid, "stars": 5})
    finally:
        for client in (mentor_a, mentee_a, mentor_b, mentee_b):
            try:
                await client.close()
            except Exception:
                pass
