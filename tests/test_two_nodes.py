"""A second `mentorburst serve` on the same Redis just adds capacity: no double-booking, and a
node's death loses no countdown."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis

from bench.harness import Node, server_process
from peer.client import MentorburstClient

NodeFactory = Callable[..., Awaitable[Node]]


@pytest.fixture
async def start_node(redis: Redis, redis_url: str) -> AsyncIterator[NodeFactory]:
    """Real `mentorburst serve` processes sharing the test Redis."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(*flags: str) -> Node:
            return await stack.enter_async_context(server_process(*flags, redis_url=redis_url))

        yield start


async def test_thirty_mentees_and_ten_mentors_at_once_across_two_nodes_never_double_book(
    start_node: NodeFactory,
) -> None:
    url_a, url_b = (await start_node()).url, (await start_node()).url
    mentees = [
        await MentorburstClient.signed_in((url_a, url_b)[i % 2], f"mentee{i}") for i in range(30)
    ]
    mentors = [
        await MentorburstClient.signed_in((url_b, url_a)[i % 2], f"mentor{i}") for i in range(10)
    ]
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
        matched_at = time.monotonic()
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
        # Every shown place is true within 2 s of the matches that moved it (issue 17), on
        # both nodes: the last update each waiting mentee holds is its place now.
        positions: list[int] = []
        while time.monotonic() < matched_at + 2.0:
            last = [mentee.received("queue:update")[-1:] for mentee in waiting]
            positions = [update[0]["position"] for update in last if update]
            if sorted(positions) == list(range(1, 21)):
                break
            await asyncio.sleep(0.05)
        assert sorted(positions) == list(range(1, 21))
    finally:
        for client in mentees + mentors:
            await client.close()


async def test_a_countdown_created_on_a_node_that_dies_still_ends_the_call(
    start_node: NodeFactory,
) -> None:
    node_a = await start_node("--session-seconds", "2", "--warn-at", "")
    url_a, url_b = node_a.url, (await start_node("--session-seconds", "2", "--warn-at", "")).url
    mentor_a, mentee_a = (
        await MentorburstClient.signed_in(url_a, "Grace"),
        await MentorburstClient.signed_in(url_a, "Ada"),
    )
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

        node_a.process.kill()  # no cleanup, no goodbye: the node that created the deadline is gone
        await node_a.process.wait()

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
