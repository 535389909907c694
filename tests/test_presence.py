"""People close laptops and lose Wi-Fi; nobody stays a ghost, and a quick reconnect loses nothing."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
import socketio
from redis.asyncio import Redis

from bench import wire
from peer.client import MentorburstClient
from server.store import keys
from tests.conftest import ClientFactory, RunningServer, ServerFactory
from tests.helpers import ask, go_online, matched_pair, start_call


async def reconnect(client: MentorburstClient) -> MentorburstClient:
    again = MentorburstClient(client.base_url)
    again.token, again.user = client.token, client.user
    await again.connect()
    return again


async def test_a_mentee_who_vanishes_leaves_the_queue_after_the_grace(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(connect_grace_seconds=0.5)
    gone, staying = await make_client("Gone"), await make_client("Stays")
    await ask(gone)
    await ask(staying)
    await gone.close()
    update = await staying.next("queue:update", where=lambda u: u["position"] == 1, timeout=5)
    assert update["waiting"] == 1


async def test_a_reconnect_within_the_grace_keeps_the_place(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(connect_grace_seconds=1.5)
    first, second = await make_client("First"), await make_client("Second")
    await ask(first)
    ticket = (await ask(second))["ticket_id"]
    await second.close()
    await asyncio.sleep(0.3)
    back = await reconnect(second)
    try:
        resumed = await back.next("queue:update")
        assert resumed["ticket_id"] == ticket and resumed["position"] == 2
        await asyncio.sleep(1.6)  # past the grace: still queued
        skills = {s["slug"]: s for s in await back.rest("GET", "/api/skills")}
        assert skills["python"]["waiting"] == 2
    finally:
        await back.close()


async def test_a_second_tab_keeps_the_user_present(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(connect_grace_seconds=0.3)
    mentee = await make_client("Ada")
    tab = await reconnect(mentee)
    try:
        await ask(mentee)
        assert (await tab.next("queue:update"))["position"] == 1  # every tab hears it
        await mentee.close()
        await asyncio.sleep(0.6)
        skills = {s["slug"]: s for s in await tab.rest("GET", "/api/skills")}
        assert skills["python"]["waiting"] == 1
    finally:
        await tab.close()


async def test_a_mentor_who_vanishes_goes_offline(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(connect_grace_seconds=0.3)
    mentor = await make_client("Grace")
    await go_online(mentor, "python")
    await mentor.close()
    await asyncio.sleep(0.7)
    mentee = await make_client("Ada")
    ack = await ask(mentee)
    assert ack["position"] == 1 and ack["eta_reason"] == "no_mentors_online"


async def test_a_call_whose_partner_vanished_ends_as_disconnected(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(connect_grace_seconds=0.5, session_seconds=30)
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    to_mentor, _ = await matched_pair(mentor, mentee)
    await start_call(mentor, mentee, to_mentor["session_id"])
    await mentee.close()
    ended = await mentor.next("session:ended", timeout=5)
    assert ended["reason"] == "disconnected"
    # The mentor is free to rate and is not stuck busy.
    await mentor.must("rate", {"session_id": to_mentor["session_id"], "stars": 3})
    other = await make_client("Bob")
    await ask(other)
    assert (await mentor.next("session:matched"))["peer"]["id"] == other.user_id


async def test_a_reconnect_mid_call_gets_the_session_and_countdown_back(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(connect_grace_seconds=2, session_seconds=30)
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    to_mentor, _ = await matched_pair(mentor, mentee)
    started = await start_call(mentor, mentee, to_mentor["session_id"])
    await mentee.close()
    back = await reconnect(mentee)
    try:
        assert (await back.next("session:matched"))["session_id"] == to_mentor["session_id"]
        assert (await back.next("session:started"))["ends_at"] == started["ends_at"]
        await back.must(
            "signal", {"session_id": to_mentor["session_id"], "type": "offer", "data": {}}
        )
        assert (await mentor.next("signal"))["type"] == "offer"
    finally:
        await back.close()


async def test_a_missing_or_bad_token_is_refused_as_unauthorized(
    make_client: ClientFactory,
) -> None:
    client = await make_client(connect=False)
    assert client.token
    for auth in ({"token": "nope"}, {"token": client.token[:-2] + "xx"}, {}, None):
        raw = socketio.AsyncClient(reconnection=False)
        errors: list[object] = []
        raw.on("connect_error", errors.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await raw.connect(client.base_url, auth=auth, transports=["websocket"], wait_timeout=5)
        assert errors == [{"message": "unauthorized"}]
        await raw.disconnect()


async def test_a_node_swept_while_it_stalled_re_registers_its_sockets(
    make_client: ClientFactory, running: list[RunningServer], redis: Redis
) -> None:
    mentee = await make_client("Ada")
    await ask(mentee)
    presence = running[-1].services.presence
    # Our node stalled for longer than 20 s; another node took it for dead and swept it.
    lua = running[-1].services.lua
    await redis.zadd(keys.NODES, {presence.node_id: lua.now_ms() - 60_000})
    await lua(lua.scripts.presence_heartbeat, "n_other")
    assert await presence.socket_count(mentee.user_id) == 0
    await presence.heartbeat()  # the stalled node wakes up
    assert await presence.socket_count(mentee.user_id) == 1
    await asyncio.sleep(2.5)  # longer than the grace the sweep started
    skills = {s["slug"]: s for s in await mentee.rest("GET", "/api/skills")}
    assert skills["python"]["waiting"] == 1


async def test_a_socket_that_stops_answering_pings_is_dropped_and_the_grace_runs(
    start_server: ServerFactory, redis: Redis
) -> None:
    server = await start_server(ping_interval_seconds=0.5, ping_timeout_seconds=0.5)
    async with aiohttp.ClientSession() as http:
        user_id, token = await wire.login(http, server.url, "Silent")
        ws = await http.ws_connect(
            server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
        )
        await ws.receive_str()
        await ws.send_str('40{"token":"' + token + '"}')
        assert (await ws.receive_str()).startswith("40")
        assert await redis.scard(keys.sockets(user_id)) == 1
        pings = 0
        for _ in range(40):  # never answers: the server pings, then gives up on the socket
            try:
                frame = await ws.receive(timeout=0.25)
            except TimeoutError:
                continue
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            pings += frame.data == "2"
        assert pings >= 1 and (ws.closed or frame.type != aiohttp.WSMsgType.TEXT)
        for _ in range(40):
            if await redis.scard(keys.sockets(user_id)) == 0:
                break
            await asyncio.sleep(0.1)
        assert await redis.scard(keys.sockets(user_id)) == 0
        assert await redis.zscore(keys.TIMERS, f"presence|{user_id}") is not None
