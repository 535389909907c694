"""Safe on the public internet: floods meet rate limits (a room behind one address does not),
other sites cannot use a person's session, every answer carries its security headers, a
signed-out token stops working, ids cannot be probed, and nothing in Redis grows forever."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
import socketio
from redis.asyncio import Redis

from peer.client import MentorburstClient
from tests.conftest import ClientFactory, RunningServer, ServerFactory
from tests.helpers import finished_call, go_online


async def post(url: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    async with aiohttp.ClientSession() as http, http.post(url, json=body, headers=headers) as r:
        return r.status, await r.json(), r.headers


async def test_an_event_room_signing_in_at_once_behind_one_address_all_get_in(
    start_server: ServerFactory,
) -> None:
    server = await start_server(rate_limits=True)  # the default login bucket
    url = server.url + "/api/login"
    async with aiohttp.ClientSession() as http:

        async def login(i: int) -> tuple[int, str | None, Any]:
            async with http.post(url, json={"name": f"Guest {i}"}) as response:
                return response.status, response.headers.get("Retry-After"), await response.json()

        # The host says "join now": 150 people on the venue's Wi-Fi sign in at once.
        began = time.monotonic()
        room = await asyncio.gather(*(login(i) for i in range(150)))
        took = time.monotonic() - began
        assert [status for status, _, _ in room] == [200] * 150, took
        assert took < 5, took  # one burst, not spread over a minute

        # A script: 1,000 at once. The rest of the bucket passes, then it refills at 5 a second.
        flood = await asyncio.gather(*(login(1000 + i) for i in range(1000)))
        refused = [(after, body) for status, after, body in flood if status == 429]
        assert 500 < len(refused) < 1000 - 140, len(refused)
        for retry_after, body in refused:
            assert retry_after is not None and int(retry_after) >= 1
            error = body["error"]
            assert error["code"] == "rate_limited" and error["retry_after_s"] == int(retry_after)


async def test_the_login_bucket_is_shared_by_every_node(start_server: ServerFactory) -> None:
    settings = {"rate_limits": True, "limit_login_burst": 10, "limit_login_refill": 0.1}
    first, second = await start_server(**settings), await start_server(**settings)
    for _ in range(10):
        status, _, _ = await post(first.url + "/api/login", {"name": "Room"})
        assert status == 200
    status, body, headers = await post(second.url + "/api/login", {"name": "Room"})
    assert status == 429 and body["error"]["code"] == "rate_limited"
    assert 1 <= int(headers["Retry-After"]) <= 10  # one token back in 10 s at 0.1 a second


async def test_a_script_flooding_one_event_is_limited_a_person_is_not(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(rate_limits=True)
    person = await make_client("Person")
    for _ in range(5):  # a person, clicking
        assert (await person.call("mentee:leave", {}))["ok"]
        await asyncio.sleep(0.25)
    script = await make_client("Script")
    acks = await asyncio.gather(*(script.call("mentee:leave", {}) for _ in range(300)))
    limited = [a for a in acks if not a["ok"]]
    assert len(limited) >= 250
    assert {a["error"]["code"] for a in limited} == {"rate_limited"}
    assert all(a["error"]["retry_after_s"] >= 1 for a in limited)
    # Its other events have budgets of their own, and signal a generous one.
    assert (await script.call("clock", {"t0": 1}))["ok"]


async def test_a_flood_of_signals_is_limited_per_person(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(rate_limits=True, limit_signal="5/minute")
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    await go_online(mentor)
    await mentee.must("mentee:join", {"skill": "python", "question": "How do I profile asyncio?"})
    sid = (await mentee.next("session:matched"))["session_id"]
    candidate = {"session_id": sid, "type": "candidate", "data": {"candidate": "c"}}
    for _ in range(5):
        await mentee.must("signal", candidate)
    refused = await mentee.call("signal", candidate)
    assert refused["error"]["code"] == "rate_limited" and refused["error"]["retry_after_s"] >= 1
    await mentor.must("signal", candidate)  # the partner's budget is their own


async def test_guessing_event_codes_is_limited(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(rate_limits=True)
    guesser = await make_client("Guesser")
    codes = []
    for i in range(12):
        ack = await guesser.call("event:join", {"code": f"ZZZZ{i:02d}", "role": "mentee"})
        codes.append(ack["error"]["code"])
    assert codes[:10] == ["unknown_code"] * 10
    assert codes[10:] == ["rate_limited", "rate_limited"]


async def test_a_page_from_another_origin_cannot_use_a_persons_session(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(allowed_origins=("https://partner.example",))
    person = await make_client("Ada")
    headers = {"Authorization": f"Bearer {person.token}"}
    evil = {"Origin": "https://evil.example", **headers}
    body = {"title": "Stolen", "round_seconds": 60, "rounds": 1, "break_seconds": 0}
    status, answer, _ = await post(server.url + "/api/events", body, evil)
    assert status == 403 and answer["error"]["code"] == "forbidden_origin"
    for origin in (server.url, "https://partner.example"):
        status, _, _ = await post(server.url + "/api/events", body, {"Origin": origin, **headers})
        assert status == 201, origin
    status, _, _ = await post(server.url + "/api/events", body, headers)  # bots send none
    assert status == 201
    refused = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await refused.connect(
            server.url, auth={"token": person.token}, transports=["websocket"],
            headers={"Origin": "https://evil.example"}, wait_timeout=5,
        )  # fmt: skip
    welcome = socketio.AsyncClient(reconnection=False)
    await welcome.connect(
        server.url, auth={"token": person.token}, transports=["websocket"],
        headers={"Origin": server.url}, wait_timeout=5,
    )  # fmt: skip
    await welcome.disconnect()


@pytest.mark.parametrize("path", ["/", "/js/main.js", "/css/app.css", "/api/skills", "/nope"])
async def test_every_answer_carries_the_security_headers(server: RunningServer, path: str) -> None:
    async with aiohttp.ClientSession() as http, http.get(server.url + path) as response:
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]


async def test_signing_out_revokes_the_token_and_closes_its_sockets(
    make_client: ClientFactory, redis: Redis
) -> None:
    person = await make_client("Ada")
    await redis.hset(f"mb:user:{person.user_id}", "kind", "passkey")  # a kept account
    other_device = MentorburstClient(person.base_url)
    await other_device.login("Elsewhere")  # a token of its own, for another account
    await person.rest("POST", "/api/me/signout", auth=True)
    for _ in range(100):  # the node checks its sockets' tokens every few seconds
        if not person.sio.connected:
            break
        await asyncio.sleep(0.1)
    assert not person.sio.connected
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            person.base_url + "/api/me/history",
            headers={"Authorization": f"Bearer {person.token}"},
        ) as response,
    ):
        assert response.status == 401
        assert (await response.json())["error"]["code"] == "token_revoked"
    assert (await other_device.rest("GET", "/api/me/history", auth=True)) == []


async def test_unknown_and_foreign_sessions_read_the_same(make_client: ClientFactory) -> None:
    mentor, mentee, outsider = (
        await make_client("Grace"), await make_client("Ada"), await make_client("Eve"),
    )  # fmt: skip
    sid = await finished_call(mentor, mentee)
    for probe in (sid, "s_doesnotexist"):
        ack = await outsider.call("rate", {"session_id": probe, "stars": 5})
        assert ack["error"]["code"] == "not_in_session", probe
        with pytest.raises(Exception, match=r"404.*not_found"):
            await outsider.rest("POST", f"/api/sessions/{probe}/rating", {"stars": 5}, auth=True)


async def test_the_public_event_page_does_not_give_away_the_join_code(
    make_client: ClientFactory,
) -> None:
    host = await make_client("Host")
    body = {"title": "Private room", "round_seconds": 60, "rounds": 1, "break_seconds": 0}
    created = await host.rest("POST", "/api/events", body, auth=True)
    public = await host.rest("GET", f"/api/events/{created['event_id']}")
    assert public["title"] == "Private room" and "code" not in public
    assert created["code"] not in str(public)
    hosts_view = await host.rest("GET", f"/api/events/{created['event_id']}", auth=True)
    assert hosts_view["code"] == created["code"]


async def test_a_mentee_who_keeps_not_showing_up_must_wait_before_asking_again(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(connect_grace_seconds=0.5, no_show_limit=2)
    mentor, absent = await make_client("Grace"), await make_client("Gone")
    await go_online(mentor, "python")
    for _ in range(2):
        await absent.must("mentee:join", {"skill": "python", "question": "Hello?"})
        ended = await absent.next("session:ended", timeout=5)
        assert ended["no_show"] == [absent.user_id]
        await mentor.next("mentor:update", where=lambda u: u["state"] == "idle")
    ack = await absent.call("mentee:join", {"skill": "python", "question": "Hello?"})
    assert ack["error"]["code"] == "no_show_pause"
    assert 23 * 3600 < ack["error"]["retry_after_s"] <= 24 * 3600
    assert "paused" in ack["error"]["message"]


PERMANENT = (
    # Bounded global and per-skill state (docs/protocol.md "Retention").
    "mb:timers", "mb:nodes", "mb:active", "mb:txn-seq", "mb:queue-seq", "mb:settings",
    "mb:reports", "mb:reputation:*all*", "mb:service:", "mb:queue:", "mb:idle:", "mb:online:",
    "mb:qlast:",
    # The directory's index (read-side cleaned) and the admins (issue 15).
    "mb:mentors", "mb:admins", "mb:log:",
    # Live state the flow itself removes (and the reconciler audits).
    "mb:sockets:", "mb:node-users:", "mb:live:", "mb:mentee:",
)  # fmt: skip


async def test_nothing_in_redis_grows_forever(
    make_client: ClientFactory, redis: Redis, running: list[RunningServer]
) -> None:
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    sid = await finished_call(mentor, mentee)
    await mentee.must("rate", {"session_id": sid, "stars": 5, "follow_up": True})
    await mentor.must("report", {"session_id": sid, "reason": "testing retention"})
    host = await make_client("Host")
    body = {"title": "Retention", "round_seconds": 1, "rounds": 1, "break_seconds": 0}
    event = await host.rest("POST", "/api/events", body, auth=True)
    a, b = await make_client("A"), await make_client("B")
    await a.must("event:join", {"code": event["code"], "role": "mentor"})
    await b.must("event:join", {"code": event["code"], "role": "mentee"})
    await host.must("event:start", {"event_id": event["event_id"]})
    await b.next("session:ended", timeout=5)
    idle = await make_client("Never used")
    unused_ttl = await redis.ttl(f"mb:user:{idle.user_id}")
    assert 0 < unused_ttl <= 24 * 3600
    forever = []
    async for key in redis.scan_iter(match="mb:*"):
        if await redis.ttl(key) == -1 and not key.startswith(PERMANENT):
            forever.append(key)
    assert forever == []
    assert 300 * 86400 < await redis.ttl(f"mb:session:{sid}") <= 365 * 86400
    assert 80 * 86400 < await redis.ttl(f"mb:event:{event['event_id']}") <= 90 * 86400
    assert await redis.ttl("mb:reports") == -1  # kept for moderation
    assert running and time.time()


async def test_reading_session_records_in_a_loop_is_limited(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(rate_limits=True)
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    sid = await finished_call(mentor, mentee)

    async def read(client: MentorburstClient, query: str) -> tuple[int, str | None, Any]:
        headers = {"Authorization": f"Bearer {client.token}"}
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{client.base_url}/api/sessions/{sid}{query}", headers=headers) as response,
        ):
            body = await (response.json() if response.status != 200 else response.text())
            return response.status, response.headers.get("Retry-After"), body

    answers = await asyncio.gather(
        *(read(mentee, "?format=markdown" if n % 2 else "") for n in range(20))
    )
    statuses = [status for status, _, _ in answers]
    assert statuses.count(200) >= 5 and statuses.count(429) >= 10, statuses
    assert set(statuses) == {200, 429}
    for status, retry_after, body in answers:
        if status == 429:
            assert retry_after is not None and int(retry_after) >= 1
            assert body["error"]["code"] == "rate_limited"
    assert (await read(mentor, ""))[0] == 200  # the budget is the reader's own


async def test_the_old_login_window_flag_still_adds_a_ceiling(
    start_server: ServerFactory,
) -> None:
    """``--limit-login`` (the window the bucket replaced) still works, as an extra ceiling."""
    server = await start_server(rate_limits=True, limit_login="3/minute")
    async with aiohttp.ClientSession() as http:
        statuses = []
        for _ in range(4):
            async with http.post(f"{server.url}/api/login", json={"name": "Ada"}) as response:
                statuses.append(response.status)
    assert statuses == [200, 200, 200, 429]
