"""A mentor who declines passes on a question, not on the person who asked it: the same question
is never offered to it again in that burst, a new one from the same person is. A call that could
not connect is about the pair: that pair is not matched again in the burst, whatever is asked."""

from __future__ import annotations

import asyncio
from typing import Any

from peer.client import MentorburstClient
from tests.conftest import ClientFactory
from tests.helpers import ask, go_online, start_call

BACKEND = "Backend developer: Python, Django, PostgreSQL, APIs and testing."
OPEN_QUESTION = "My side project's database and API are a mess; how do I organise the backend code?"
PYTHON_QUESTION = "Why does my asyncio task never run when I call it from a thread?"


async def backend_mentor(make_client: ClientFactory, name: str = "Sam") -> MentorburstClient:
    """A Python mentor whose own words fit backend questions asked as "Something else"."""
    mentor = await make_client(name)
    body = {"headline": "Django developer", "expertise": BACKEND, "skills": ["python"]}
    await mentor.rest("PUT", "/api/me/profile", body, auth=True)
    await go_online(mentor, "python")
    return mentor


def flagged(updates: list[dict[str, Any]], question: str, flag: str) -> bool:
    """Did any of these mentor:update lists show ``question`` with ``flag`` set?"""
    return any(
        q["question"] == question and q.get(flag)
        for update in updates
        for q in update.get("questions", [])
    )


async def decline(mentor: MentorburstClient, mentee: MentorburstClient) -> str:
    """The mentor declines the call it was just offered; the mentee is back at the front."""
    sid: str = (await mentor.next("session:matched"))["session_id"]
    await mentee.next("session:matched")
    await mentor.must("session:decline", {"session_id": sid})
    assert (await mentee.next("session:ended"))["reason"] == "declined"
    await mentee.next("queue:update", where=lambda u: u["position"] == 1)
    return sid


async def test_a_new_question_after_a_declined_one_reaches_the_only_idle_mentor_at_once(
    make_client: ClientFactory,
) -> None:
    sam = await backend_mentor(make_client)
    noor = await make_client("Noor")
    await ask(noor, "other", OPEN_QUESTION)
    await decline(sam, noor)
    # His list says he declined her "Something else" question, which waits at the front.
    await sam.next(
        "mentor:update", where=lambda u: flagged([u], OPEN_QUESTION, "declined"), timeout=5
    )

    await noor.must("mentee:leave", {})
    joined = await ask(noor, "python", PYTHON_QUESTION)
    # Sam is the only Python mentor and idle: the new question (a new ticket) is his at once.
    assert joined["position"] == 0 and joined["session_id"]
    offered = await sam.next("session:matched")
    assert offered["peer"]["id"] == noor.user_id and offered["question"] == PYTHON_QUESTION
    await asyncio.sleep(0.5)  # any list update the ask and the match caused has arrived
    assert not flagged(sam.drain("mentor:update"), PYTHON_QUESTION, "declined")


async def test_a_mentors_list_does_not_mark_a_new_question_from_someone_it_declined(
    make_client: ClientFactory,
) -> None:
    sam = await backend_mentor(make_client)
    noor, cy = await make_client("Noor"), await make_client("Cy")
    first_question = "How do I profile asyncio code?"
    await ask(noor, "python", first_question)
    await decline(sam, noor)
    await noor.must("mentee:leave", {})
    await ask(cy, "python", "How do I package a CLI tool?")
    cy_sid = (await sam.next("session:matched"))["session_id"]
    await cy.next("session:matched")

    # Sam is in a call: Noor's new question waits, and his list shows it as not declined.
    await ask(noor, "python", PYTHON_QUESTION)
    listed = await sam.next(
        "mentor:update",
        where=lambda u: any(q["question"] == PYTHON_QUESTION for q in u.get("questions", [])),
        timeout=5,
    )
    new = next(q for q in listed["questions"] if q["question"] == PYTHON_QUESTION)
    assert new["declined"] is False and new["connect_failed"] is False
    assert not flagged(sam.received("mentor:update"), PYTHON_QUESTION, "declined")

    # He declines Cy too: Cy is back at the front, ahead of Noor, yet he takes Noor's question,
    # and Cy's (declined) question is not his.
    await sam.must("session:decline", {"session_id": cy_sid})
    offered = await sam.next("session:matched")
    assert offered["peer"]["id"] == noor.user_id and offered["question"] == PYTHON_QUESTION
    await cy.next("queue:update", where=lambda u: u["position"] == 1)


async def test_a_declined_question_is_never_offered_again_to_that_mentor_in_its_burst(
    make_client: ClientFactory,
) -> None:
    sam = await backend_mentor(make_client)
    noor, cy = await make_client("Noor"), await make_client("Cy")
    await ask(noor, "python", PYTHON_QUESTION)
    await decline(sam, noor)
    # Nobody else may take it: her place says so, and Sam, idle, is not offered it.
    waiting = await noor.next(
        "queue:update", where=lambda u: u.get("eta_reason") == "no_other_mentor", timeout=5
    )
    assert waiting["position"] == 1

    # Sam takes a call with Cy, who asked after her, and finishes it: idle again (he rates),
    # with Noor still first in line, he is still not offered her question.
    await ask(cy, "python", "How do I package a CLI tool?")
    to_sam = await sam.next("session:matched")
    assert to_sam["peer"]["id"] == cy.user_id
    await cy.next("session:matched")
    call = to_sam["session_id"]
    await start_call(sam, cy, call)
    await sam.next("session:ended", where=lambda e: e["session_id"] == call, timeout=5)
    await sam.must("rate", {"session_id": call, "stars": 5})
    idle = await sam.next(
        "mentor:update",
        where=lambda u: u["state"] == "idle" and u["sessions_done"] == 1,
        timeout=5,
    )
    assert flagged([idle], PYTHON_QUESTION, "declined")
    await asyncio.sleep(0.5)
    assert not sam.received("session:matched") and not noor.received("session:matched")

    helper = await make_client("Helper")
    await go_online(helper, "python")
    assert (await noor.next("session:matched"))["peer"]["id"] == helper.user_id


async def test_a_pair_that_could_not_connect_is_not_matched_again_even_for_a_new_question(
    make_client: ClientFactory,
) -> None:
    sam = await backend_mentor(make_client)
    noor = await make_client("Noor")
    await ask(noor, "python", "How do I profile asyncio code?")
    sid = (await noor.next("session:matched"))["session_id"]
    await noor.must("signal", {"session_id": sid, "type": "offer", "data": {"sdp": "v=0"}})
    await sam.must("signal", {"session_id": sid, "type": "answer", "data": {"sdp": "v=0"}})
    ended = await noor.next("session:ended", timeout=5)
    assert ended["reason"] == "no_connection" and ended["no_show"] == []

    # The network between these two failed; a new question would meet the same network.
    await noor.must("mentee:leave", {})
    joined = await ask(noor, "python", PYTHON_QUESTION)
    assert joined["position"] == 1 and "session_id" not in joined
    listed = await sam.next(
        "mentor:update", where=lambda u: flagged([u], PYTHON_QUESTION, "connect_failed"), timeout=5
    )
    assert listed["state"] == "idle"
    assert not flagged([listed], PYTHON_QUESTION, "declined")
    helper = await make_client("Helper")
    await go_online(helper, "python")
    assert (await noor.next("session:matched"))["peer"]["id"] == helper.user_id
