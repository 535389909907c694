"""A socket lives as long as its login and acts only as the user it signed in as: a client
cannot forge Socket.IO's own events (``connect``, ``disconnect``, ...), and a stolen token's
socket does not ride on its victim's renewal."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from peer.client import MentorburstClient
from server.store import keys
from server.transport.sio import RESERVED_EVENTS
from tests.accounts_helpers import api
from tests.conftest import ClientFactory, RunningServer, ServerFactory, Tracebacks


async def closed_with(client: MentorburstClient, code: str) -> None:
    """The server said why (an ``error`` event) and closed the socket."""
    error = await client.next("error", timeout=5)
    assert error["code"] == code, error
    for _ in range(50):
        if not client.sio.connected:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the socket stayed open")


async def socket_members(redis: Redis, user_id: str) -> set[str]:
    return set(await redis.smembers(keys.sockets(user_id)))


@pytest.mark.parametrize("name", sorted(RESERVED_EVENTS))
async def test_a_client_cannot_send_a_reserved_event_name(
    make_client: ClientFactory, name: str, tracebacks: Tracebacks
) -> None:
    ada = await make_client("Ada")
    ack = await ada.call(name, {"anything": 1})
    assert ack["ok"] is False and ack["error"]["code"] == "reserved_event", ack
    assert name in ack["error"]["message"]
    assert ada.sio.connected
    assert (await ada.must("clock", {"t0": 7}))["t0"] == 7  # the socket works as before
    assert tracebacks.records == []


@pytest.mark.parametrize("ending", ["signout-all", "delete", "expiry"])
async def test_a_forged_disconnect_does_not_hide_a_socket_from_the_end_of_its_login(
    start_server: ServerFactory, redis: Redis, ending: str
) -> None:
    """The attack: emit ``disconnect`` so the server forgets the socket (presence, the socket
    guard) while it stays open, then outlive sign-out, deletion or expiry and keep acting."""
    server = await start_server(token_ttl_seconds=3 if ending == "expiry" else 3600)
    ada = await MentorburstClient.signed_in(server.url, "Ada")
    tab = MentorburstClient(server.url)  # another socket of the same login
    tab.token, tab.user = ada.token, dict(ada.user)
    await tab.connect()
    before = await socket_members(redis, ada.user_id)
    assert len(before) == 2

    ack = await ada.call("disconnect")
    assert ack["ok"] is False and ack["error"]["code"] == "reserved_event", ack
    assert await socket_members(redis, ada.user_id) == before  # still known to be open

    if ending == "signout-all":
        status, _ = await api(server.url, "POST", "/api/me/signout-all", token=ada.token)
        assert status == 200
    elif ending == "delete":
        status, _ = await api(server.url, "DELETE", "/api/me", token=ada.token)
        assert status == 200
    code = "token_expired" if ending == "expiry" else "token_revoked"
    for socket in (ada, tab):  # every socket of the user closes, the forger's too
        await closed_with(socket, code)
    if ending == "delete":
        assert not await redis.exists(keys.mentor(ada.user_id), keys.user(ada.user_id))
    for socket in (ada, tab):
        await socket.close()


async def test_a_forged_connect_with_another_token_does_not_switch_the_sockets_user(
    make_client: ClientFactory, redis: Redis, tracebacks: Tracebacks
) -> None:
    """The attack: emit ``connect`` with someone else's token (as python-socketio would call the
    connect handler: environ, then auth) and act as them on the same socket."""
    ada, grace = await make_client("Ada"), await make_client("Grace")
    grace_sockets = await socket_members(redis, grace.user_id)

    for forged in (({}, {"token": grace.token}), {"token": grace.token}, None):
        ack = await ada.call("connect", forged)
        assert ack["ok"] is False and ack["error"]["code"] == "reserved_event", (forged, ack)

    await ada.must("mentor:online", {"skills": ["python"], "minutes": 30})
    assert await redis.exists(keys.mentor(ada.user_id))
    assert not await redis.exists(keys.mentor(grace.user_id))  # Ada acted as Ada
    assert await socket_members(redis, grace.user_id) == grace_sockets
    assert len(await socket_members(redis, ada.user_id)) == 1
    assert tracebacks.records == []


async def test_a_socket_opened_with_a_stolen_token_closes_when_the_victim_signs_that_token_out(
    server: RunningServer, redis: Redis
) -> None:
    """The attack: open a second socket with a copied token. The victim renews on its own
    socket (``auth:renew``), then signs the old token out: the thief's socket must close, not
    take the victim's renewed identity."""
    victim = await MentorburstClient.signed_in(server.url, "Ada")
    await redis.hset(keys.user(victim.user_id), "kind", "passkey")  # a kept account
    stolen = str(victim.token)
    thief = MentorburstClient(server.url)
    thief.token, thief.user = stolen, dict(victim.user)
    await thief.connect()

    await victim.refresh()  # a fresh token, and auth:renew on the victim's socket only
    assert victim.token != stolen
    status, _ = await api(server.url, "POST", "/api/me/signout", token=stolen)
    assert status == 200

    await closed_with(thief, "token_revoked")
    await asyncio.sleep(0.5)  # the victim's socket, renewed, is not closed with it
    assert victim.sio.connected and victim.received("error") == []
    assert (await victim.must("clock", {"t0": 1}))["t0"] == 1
    await victim.close()
    await thief.close()
