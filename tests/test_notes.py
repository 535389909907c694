"""Shared notes in a call: two people type at once and neither loses a keystroke; the notes
outlive the call in its record."""

from __future__ import annotations

import asyncio
import base64
import json

import aiohttp
import pycrdt
from redis.asyncio import Redis

from peer.client import MentorburstClient
from server.domain.calls.notes import COMPACT_AT, MAX_BYTES
from server.store import keys
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
    assert await stored_bytes(redis, sid) == int(await redis.hget(keys.session(sid), "notes_bytes"))
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
    vector = base64.b64encode(b"\xff\xff\xff").decode()  # merged in the helper process
    ack = await mentee.client.call("notes:sync", {"session_id": sid, "state_vector": vector})
    assert ack["error"]["code"] == "invalid_payload"


async def stored_bytes(redis: Redis, sid: str) -> int:
    return sum(len(update) for update in await redis.lrange(keys.notes(sid), 0, -1))


async def test_a_flood_of_30_kb_notes_is_refused_at_the_cap_and_what_is_stored_stays_under_it(
    start_server: ServerFactory, make_client: ClientFactory, redis: Redis
) -> None:
    await start_server(session_seconds=60)
    _, mentee, sid = await call(make_client)
    await mentee.sync()
    codes = []
    for _ in range(60):  # the review sent 280 and stored 11 MB, kept for 365 days
        before = mentee.doc.get_state()
        mentee.text.insert(len(str(mentee)), "A" * 30_000)
        update = base64.b64encode(mentee.doc.get_update(before)).decode()
        ack = await mentee.client.call("notes:update", {"session_id": sid, "update": update})
        codes.append("ok" if ack["ok"] else ack["error"]["code"])
    taken = codes.index("notes_too_large")
    assert 0 < taken < 10 and codes[taken:] == ["notes_too_large"] * (60 - taken)
    stored = await stored_bytes(redis, sid)
    assert stored <= MAX_BYTES < stored + 40_000  # filled up to the cap, never past it
    assert int(await redis.hget(keys.session(sid), "notes_bytes")) == stored
    refusal = await mentee.client.call("notes:update", {"session_id": sid, "update": update})
    assert "KiB" in refusal["error"]["message"]


async def pasted_in_pieces(peer: NotesPeer, pieces: int = 900) -> dict[str, object]:
    """One update holding many separate small appends: a merge of such updates is what costs
    Yrs most to apply (quadratic in the appends), the shape to build a slow record from."""
    parts = []
    for n in range(pieces):
        before = peer.doc.get_state()
        peer.text.insert(len(str(peer)), f"w{n:03d} ")
        parts.append(peer.doc.get_update(before))
    update = base64.b64encode(pycrdt.merge_updates(*parts)).decode()
    return await peer.client.call("notes:update", {"session_id": peer.sid, "update": update})


async def test_building_the_record_of_a_full_session_leaves_the_server_responsive(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(session_seconds=120)
    _, mentee, sid = await call(make_client)
    await mentee.sync()
    while (ack := await pasted_in_pieces(mentee))["ok"]:
        pass
    assert ack["error"]["code"] == "notes_too_large"
    for _ in range(5):  # and a chat of 500 messages of 4,000 characters, also full
        await asyncio.gather(
            *(
                mentee.client.must("chat:send", {"session_id": sid, "text": "<b>x</b> " * 444})
                for _ in range(100)
            )
        )

    loop = asyncio.get_running_loop()
    lags: list[float] = []
    health: list[float] = []

    async def watch(done: asyncio.Event) -> None:
        while not done.is_set():  # the server runs on this very loop
            before = loop.time()
            await asyncio.sleep(0.005)
            lags.append(loop.time() - before - 0.005)

    async def healthz(done: asyncio.Event) -> None:
        async with aiohttp.ClientSession() as http:
            while not done.is_set():
                before = loop.time()
                async with http.get(server.url + "/healthz") as response:
                    assert response.status == 200
                health.append(loop.time() - before)
                await asyncio.sleep(0.005)

    async def build(done: asyncio.Event) -> list[str]:
        headers = {"Authorization": f"Bearer {mentee.client.token}"}
        bodies = []
        try:
            async with aiohttp.ClientSession() as http:
                for query in ("?format=markdown", "", "?format=markdown"):
                    url = f"{server.url}/api/sessions/{sid}{query}"
                    async with http.get(url, headers=headers) as response:
                        assert response.status == 200
                        bodies.append(await response.text())
            return bodies
        finally:
            done.set()

    done = asyncio.Event()
    records, _, _ = await asyncio.gather(build(done), watch(done), healthz(done))
    record = json.loads(records[1])
    assert "w899" in record["notes"] and len(record["chat"]) == 500
    assert "w899" in records[0] and len(records[0]) > 2_000_000
    assert max(lags) < 0.1, max(lags)
    assert max(health) < 0.15, max(health)
