"""A call between two people whose networks allow no direct path: both peers may only use the
TURN relay (coturn, with the REST credentials the server issues), and media still flows."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aioice.stun import TransactionFailed
from aioice.turn import create_turn_endpoint
from aiortc import AudioStreamTrack, VideoStreamTrack

from bench.turn import CONFIG, Coturn, binary, coturn
from peer.call import CallPeer
from server.domain.calls.ice import ice_servers
from server.runtime.config import Config
from tests.conftest import ClientFactory, ServerFactory
from tests.helpers import matched_pair
from tests.test_webrtc_call import frames


@pytest.fixture
async def turn() -> AsyncIterator[Coturn]:
    if binary() is None:
        pytest.skip("needs Debian's coturn (turnserver); .ci/run installs it")
    async with coturn() as running:
        yield running


def nominated(peer: CallPeer) -> Any:
    """The ICE candidate pair carrying this peer's media (aioice's, through aiortc)."""
    transport = peer.pc.getTransceivers()[0].receiver.transport.transport
    return transport._connection._nominated[1]


async def test_two_peers_forced_to_relay_hold_a_call_through_coturn(
    start_server: ServerFactory, make_client: ClientFactory, turn: Coturn
) -> None:
    await start_server(
        session_seconds=4,
        connect_grace_seconds=15,
        turn_urls=(turn.url,),
        turn_secret=turn.secret,
        turn_ttl_seconds=300,
    )
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    to_mentor, to_mentee = await matched_pair(mentor, mentee)
    (server,) = to_mentee["ice_servers"]
    expiry, user = server["username"].split(":")
    assert user == mentee.user_id and int(expiry) > time.time()
    peers = [
        CallPeer(mentor, to_mentor, [VideoStreamTrack(), AudioStreamTrack()], relay_only=True),
        CallPeer(mentee, to_mentee, [VideoStreamTrack(), AudioStreamTrack()], relay_only=True),
    ]
    try:
        for peer in peers:
            await peer.start()
        await asyncio.wait_for(asyncio.gather(*(p.connected.wait() for p in peers)), 20)
        for peer in peers:
            pair = nominated(peer)
            assert (pair.local_candidate.type, pair.remote_candidate.type) == ("relay", "relay")
            assert await asyncio.wait_for(frames(peer, "video", 5), 10) == 5
        assert (await mentee.next("session:started", timeout=5))["session_id"]
        assert (await mentor.next("session:ended", timeout=8))["reason"] == "time_up"
    finally:
        for peer in peers:
            await peer.close()


async def allocate(turn: Coturn, credentials: dict[str, Any]) -> tuple[str, int]:
    """A TURN allocation with these credentials: the relayed address coturn gave."""
    transport, _ = await create_turn_endpoint(
        asyncio.DatagramProtocol,
        ("127.0.0.1", turn.port),
        credentials["username"],
        credentials["credential"],
    )
    try:
        relayed: tuple[str, int] = transport.get_extra_info("sockname")
        return relayed
    finally:
        transport.close()


async def test_expired_or_forged_turn_credentials_are_refused(turn: Coturn) -> None:
    config = Config(turn_urls=(turn.url,), turn_secret=turn.secret, turn_ttl_seconds=60)
    now = round(time.time() * 1000)
    (fresh,) = ice_servers(config, "u_fresh", now)
    assert (await allocate(turn, fresh))[0] == "127.0.0.1"

    (expired,) = ice_servers(config, "u_late", now - 120_000)  # expired a minute ago
    with pytest.raises(TransactionFailed) as refused:
        await allocate(turn, expired)
    assert refused.value.response.attributes["ERROR-CODE"][0] == 401

    (forged,) = ice_servers(config.replace(turn_secret="not-the-secret"), "u_forger", now)
    with pytest.raises(TransactionFailed) as refused:
        await allocate(turn, forged)
    assert refused.value.response.attributes["ERROR-CODE"][0] == 401


def test_the_documented_coturn_config_is_no_open_relay() -> None:
    lines = {line.strip() for line in CONFIG.read_text().splitlines()}
    assert {"use-auth-secret", "no-multicast-peers"} <= lines
    for private in ("10.0.0.0-10.255.255.255", "127.0.0.0-127.255.255.255", "::1"):
        assert f"denied-peer-ip={private}" in lines
    assert "allow-loopback-peers" not in lines
