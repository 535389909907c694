"""Chat in a call and the session record: what two people said stays with their session."""

from __future__ import annotations

import base64
import itertools

import aiohttp
import pycrdt
from markdown_it import MarkdownIt
from markdown_it.token import Token
from redis.asyncio import Redis

from peer.client import MentorburstClient
from server.store import keys
from tests.conftest import ClientFactory, ServerFactory
from tests.helpers import ask, go_online, matched_pair, start_call

TRACEBACK = 'Traceback (most recent call last):\n  File "app.py", line 3\n    await loop()\n'
CODE = f"It stalls here:\n```python\n{TRACEBACK}```\nsee https://docs.python.org/3/library/asyncio-dev.html"


async def get(client: MentorburstClient, path: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    headers = {"Authorization": f"Bearer {client.token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.get(client.base_url + path, headers=headers) as response,
    ):
        return response.status, await response.json()


async def test_both_people_chat_and_every_tab_of_both_hears_it_in_order(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(session_seconds=60)
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    to_mentor, _ = await matched_pair(mentor, mentee)
    sid = to_mentor["session_id"]
    second_tab = MentorburstClient(mentee.base_url)
    second_tab.token, second_tab.user = mentee.token, mentee.user
    await second_tab.connect()
    try:
        # Chat works from the match on: the mentor may say hello before media flows.
        ack = await mentor.must("chat:send", {"session_id": sid, "text": "Hi Ada, reading now"})
        assert ack["message"]["from"] == mentor.user_id and ack["message"]["id"]
        await start_call(mentor, mentee, sid)
        await mentee.must("chat:send", {"session_id": sid, "text": CODE})
        for n in range(5):
            await mentee.must("chat:send", {"session_id": sid, "text": f"line {n}"})
        for client in (mentor, mentee, second_tab):
            got = [await client.next("chat:message") for _ in range(7)]
            assert [m["text"] for m in got] == [
                "Hi Ada, reading now",
                CODE,
                *[f"line {n}" for n in range(5)],
            ]
            assert [m["seq"] for m in got] == list(range(1, 8))
            assert all(m["session_id"] == sid for m in got)
        assert got[1]["text"] == CODE  # kept exactly as typed: code indentation included
    finally:
        await second_tab.close()


async def test_outsiders_and_unknown_sessions_are_refused_alike(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(session_seconds=60)
    mentor, mentee, eve = (
        await make_client("Grace"),
        await make_client("Ada"),
        await make_client("Eve"),
    )
    to_mentor, _ = await matched_pair(mentor, mentee)
    sid = to_mentor["session_id"]
    foreign = await eve.call("chat:send", {"session_id": sid, "text": "let me in"})
    unknown = await eve.call("chat:send", {"session_id": "s_nope", "text": "hello?"})
    assert foreign["error"]["code"] == unknown["error"]["code"] == "not_in_session"
    assert foreign["error"]["message"] == unknown["error"]["message"]
    for bad in ("", "   \n ", "x" * 4001):
        refused = await mentee.call("chat:send", {"session_id": sid, "text": bad})
        assert refused["error"]["code"] == "invalid_payload", bad
    status, body = await get(eve, f"/api/sessions/{sid}")
    status_unknown, body_unknown = await get(eve, "/api/sessions/s_nope")
    assert status == status_unknown == 404
    assert body == body_unknown and body["error"]["code"] == "not_found"
    assert eve.received("chat:message") == []


async def test_the_session_record_keeps_the_chat_after_the_call(
    start_server: ServerFactory, make_client: ClientFactory, redis: Redis
) -> None:
    await start_server(session_seconds=2)
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    await go_online(mentor, "python")
    await ask(mentee, "python", "Why does my asyncio service stall?")
    sid = (await mentor.next("session:matched"))["session_id"]
    await start_call(mentor, mentee, sid)
    await mentee.must("chat:send", {"session_id": sid, "text": CODE})
    await mentor.must("chat:send", {"session_id": sid, "text": "Run it with PYTHONASYNCIODEBUG=1"})
    ended = await mentee.next("session:ended", timeout=5)
    assert ended["reason"] == "time_up"
    late = await mentee.call("chat:send", {"session_id": sid, "text": "thanks!"})
    assert late["error"]["code"] == "not_in_session"  # the call is over
    # Kept as long as the session's record, and no longer.
    assert 0 < await redis.ttl(keys.chat(sid)) <= await redis.ttl(keys.session(sid)) + 1

    for client in (mentee, mentor):
        status, record = await get(client, f"/api/sessions/{sid}")
        assert status == 200
        assert record["session_id"] == sid and record["state"] == "ended"
        assert record["question"] == "Why does my asyncio service stall?"
        assert record["mentor"] == {"id": mentor.user_id, "name": "Grace"}
        assert record["mentee"] == {"id": mentee.user_id, "name": "Ada"}
        assert record["reason"] == "time_up" and record["started_at"] and record["ended_at"]
        assert [(m["from"], m["text"]) for m in record["chat"]] == [
            (mentee.user_id, CODE),
            (mentor.user_id, "Run it with PYTHONASYNCIODEBUG=1"),
        ]
        assert record["duration_s"] == 2 and record["extended_s"] == 0

    headers = {"Authorization": f"Bearer {mentee.token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{mentee.base_url}/api/sessions/{sid}?format=markdown", headers=headers
        ) as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/markdown")
        assert "attachment" in response.headers["Content-Disposition"]
        text = await response.text()
    assert text.startswith("# Mentoring session: Python")
    assert "> Why does my asyncio service stall?" in text
    assert f"```python\n{TRACEBACK}```" in text  # code blocks stay fenced
    assert "**Grace**" in text and "PYTHONASYNCIODEBUG=1" in text


async def test_the_record_needs_a_login(start_server: ServerFactory) -> None:
    server = await start_server()
    async with (
        aiohttp.ClientSession() as http,
        http.get(server.url + "/api/sessions/s_anything") as response,
    ):
        assert response.status == 401


ADA = "Ada <img src=x onerror=alert(1)>"
FORGED = "I agree, you should give me 5 stars"
REPLY = "Don't click anything Ada sends."


def document(text: str) -> list[Token]:
    """The Markdown as a CommonMark renderer reads it. Links are not vetted here (markdown-it
    drops javascript: ones itself; other renderers do not): the document must hold none."""
    parser = MarkdownIt("commonmark")
    parser.validateLink = lambda url: True
    return parser.parse(text)


def every(tokens: list[Token]) -> list[Token]:
    return [t for token in tokens for t in (token, *every(token.children or []))]


def turns(tokens: list[Token]) -> list[tuple[str, str]]:
    """(speaker, what follows) of every top-level paragraph that opens with bold text."""
    found = []
    for opening, inline in itertools.pairwise(tokens):
        children = [t for t in inline.children or [] if t.type != "text" or t.content]
        if opening.type == "paragraph_open" and opening.level == 0 and children:
            if children[0].type == "strong_open":
                end = next(i for i, t in enumerate(children) if t.type == "strong_close")
                speaker = "".join(t.content for t in children[1:end])
                found.append((speaker, "".join(t.content for t in children[end + 1 :])))
    return found


async def test_chat_cannot_forge_the_markdown_record(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(session_seconds=60)
    mentor, mentee = await make_client("Grace"), await make_client(ADA)
    await go_online(mentor, "python")
    await ask(mentee, "python", "How do I <b>stop</b> this?\n# Not a heading")
    sid = (await mentor.next("session:matched"))["session_id"]
    await start_call(mentor, mentee, sid)
    # Notes that end in an open fence, which would swallow the chat after them.
    synced = await mentee.must("notes:sync", {"session_id": sid})
    doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    notes = doc.get("notes", type=pycrdt.Text)
    doc.apply_update(base64.b64decode(synced["update"]))
    before = doc.get_state()
    notes += "```\n<iframe src=javascript:alert(1)></iframe>"
    update = base64.b64encode(doc.get_update(before)).decode()
    await mentee.must("notes:update", {"session_id": sid, "update": update})
    for text in (
        f"I think so.\n\n**Grace** (09:15): {FORGED}",
        "<script>alert(1)</script>\n<img src=x onerror=alert(2)>",
        "[click](javascript:alert(1)) <javascript:alert(2)>\n[x]: javascript:alert(3)\n\n[x]",
        "Here is my code:\n````js\nwhile (true) {}",  # never closed
    ):
        await mentee.must("chat:send", {"session_id": sid, "text": text})
    await mentor.must("chat:send", {"session_id": sid, "text": REPLY})
    await mentor.must("session:leave", {"session_id": sid})

    headers = {"Authorization": f"Bearer {mentor.token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{mentor.base_url}/api/sessions/{sid}?format=markdown", headers=headers
        ) as response,
    ):
        assert response.status == 200
        tokens = document(await response.text())

    headings = [b.content for a, b in itertools.pairwise(tokens) if a.type == "heading_open"]
    assert headings == ["Mentoring session: Python", "Question", "Next step", "Notes", "Chat"]
    speakers = turns(tokens)
    assert [who for who, _ in speakers] == [ADA] * 4 + ["Grace"]  # the forged turn is not one
    assert {t.type for t in every(tokens)}.isdisjoint({"html_block", "html_inline", "image"})
    assert [t.attrGet("href") for t in every(tokens) if t.type == "link_open"] == []
    shown = ["".join(t.content for t in x.children or []) for x in tokens if x.type == "inline"]
    assert f"**Grace** (09:15): {FORGED}" in shown  # as typed, as text of Ada's turn
    assert "<script>alert(1)</script><img src=x onerror=alert(2)>" in shown
    # The open fence is closed before the mentor's reply, which stays a paragraph of its own.
    fences = [t for t in tokens if t.type == "fence"]
    assert [(f.info, f.content) for f in fences] == [
        ("", "<iframe src=javascript:alert(1)></iframe>\n"),
        ("js", "while (true) {}\n"),
    ]
    paragraphs = [b.content for a, b in itertools.pairwise(tokens) if a.type == "paragraph_open"]
    assert paragraphs[-1] == REPLY
