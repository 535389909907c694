"""Shared notes in a call: two people type at once and neither loses a keystroke; the notes
outlive the call in its record."""

from __future__ import annotations

import asyncio
import base64

import pycrdt
from redis.asyncio import Redis

from server import keys
from server.notes import COMPACT_AT
from server.peer.client import MentorburstClient
from tests.conftest import ClientFactory, ServerFactory
from tests.helpers import ask, go_online, start_call

QUESTION = "How do I find what blocks my asyncio event loop?"


class NotesPeer:
    """One person's copy of the notes, as the browser keeps it (a Y.Text named "notes")."""

    def __init__(self, client: MentorburstClient, sid: str) -> None:
        self.client, self.sid = client, sid
        self.doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
        self.text = self.doc.get("notes", type=pycrdt.Text)

    async def sync(self) -> None:
        state = base64.b64encode(self.doc.get_state()).decode()
        ack = await self.client.must("notes:sync", {"session_id": self.sid, "state_vector": state})
        self.doc.apply_update(base64.b64decode(ack["update"]))

    async def edit(self, index: int, words: str) -> None:
        before = self.doc.get_state()
        self.text.insert(index, words)
        update = base64.b64encode(self.doc.get_update(before)).decode()
        await self.client.must("notes:update", {"session_id": self.sid, "update": update})

    async def hear(self, count: int) -> None:
        for _ in range(count):
            relayed = await self.client.next("notes:update")
            assert relayed["session_id"] == self.sid
            self.doc.apply_update(base64.b64decode(relayed["update"]))

    def __str__(self) -> str:
        return str(self.text)


async def call(make_client: ClientFactory) -> tuple[NotesPeer, NotesPeer, str]:
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    await go_online(mentor, "python")
    await ask(mentee, "python", QUESTION)
    sid = (await mentor.next("session:matched"))["session_id"]
    await start_call(mentor, mentee, sid)
    return NotesPeer(mentor, sid), NotesPeer(mentee, sid), sid


async def test_two_people_type_at_once_and_both_edits_are_kept(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(session_seconds=60)
    mentor, mentee, sid = await call(make_client)
    await asyncio.gather(mentor.sync(), mentee.sync())
    first = str(mentee)
    assert first.startswith(f"Question: {QUESTION}\n") and "Next step:" in first
    assert str(mentor) == first  # seeded once, although both asked at the same moment

    notes_at = first.index("Notes:\n") + len("Notes:\n")
    step_at = first.index("Next step:") + len("Next step: ")
    # Both type before hearing the other: concurrent edits of one document.
    await asyncio.gather(
        mentor.edit(notes_at, "py-spy dump --pid shows the loop in json.loads"),
        mentee.edit(step_at, "profile the parser on staging"),
    )
    await asyncio.gather(mentor.hear(2), mentee.hear(2))  # each hears both changes
    assert str(mentor) == str(mentee)
    assert "py-spy dump --pid shows the loop in json.loads" in str(mentor)
    assert "Next step: profile the parser on staging" in str(mentor)

    latecomer = NotesPeer(mentee.client, sid)  # a reloaded tab starts empty and syncs
    await latecomer.sync()
    assert str(latecomer) == str(mentor)
    record = await mentee.client.rest("GET", f"/api/sessions/{sid}", auth=True)
    assert record["notes"] == str(mentor)
    assert record["next_step"] == "profile the parser on staging"


async def test_edits_made_offline_reach_the_server_on_the_next_sync(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(session_seconds=60)
    mentor, mentee, sid = await call(make_client)
    await mentee.sync()
    mentee.text.insert(0, "[typed while offline] ")
    ack = await mentee.client.must(
        "notes:sync",
        {"session_id": sid, "state_vector": base64.b64encode(mentee.doc.get_state()).decode()},
    )
    missing = mentee.doc.get_update(base64.b64decode(ack["state_vector"]))
    await mentee.client.must(
        "notes:update", {"session_id": sid, "update": base64.b64encode(missing).decode()}
    )
    await mentor.sync()
    assert str(mentor).startswith("[typed while offline] Question:")


async def test_many_changes_are_compacted_without_losing_any(
    start_server: ServerFactory, make_client: ClientFactory, redis: Redis
) -> None:
    await start_server(session_seconds=60)
    mentor, mentee, sid = await call(make_client)
    await mentee.sync()
    for n in range(COMPACT_AT + 5):
        await mentee.edit(len(str(mentee)), f"{n % 10}")
    assert await redis.llen(keys.notes(sid)) < COMPACT_AT
    assert await redis.ttl(keys.notes(sid)) > 0  # compaction keeps the record's retention
    await mentor.sync()
    assert str(mentor) == str(mentee)
    assert str(mentor).endswith("".join(str(n % 10) for n in range(COMPACT_AT + 5)))


async def test_outsiders_cannot_read_or_write_and_garbage_is_refused(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(session_seconds=60)
    _, mentee, sid = await call(make_client)
    eve = await make_client("Eve")
    for event, payload in (
        ("notes:sync", {"session_id": sid}),
        ("notes:update", {"session_id": sid, "update": base64.b64encode(b"\x00\x00").decode()}),
        ("notes:sync", {"session_id": "s_nope"}),
    ):
        ack = await eve.call(event, payload)
        assert ack["error"]["code"] == "not_in_session", (event, ack)
    for garbage in ("not base64!", base64.b64encode(b"garbage").decode()):
        ack = await mentee.client.call("notes:update", {"session_id": sid, "update": garbage})
        assert ack["error"]["code"] == "invalid_payload"
