"""Two real aiortc peers hold a call brokered by the server's signaling relay."""

from __future__ import annotations

import asyncio

from aiortc import AudioStreamTrack, MediaStreamTrack, VideoStreamTrack

from peer.call import CallPeer
from tests.conftest import ClientFactory, ServerFactory
from tests.helpers import matched_pair


async def frames(peer: CallPeer, kind: str, count: int) -> int:
    """Receive ``count`` frames of ``kind`` from the remote side."""
    while True:
        track: MediaStreamTrack = await peer.remote_tracks.get()
        if track.kind == kind:
            break
    for _ in range(count):
        await track.recv()
    return count


async def test_two_aiortc_peers_complete_a_call_through_the_relay(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(session_seconds=4, connect_grace_seconds=15)
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    to_mentor, to_mentee = await matched_pair(mentor, mentee)
    mentor_peer = CallPeer(mentor, to_mentor, [VideoStreamTrack(), AudioStreamTrack()])
    mentee_peer = CallPeer(mentee, to_mentee, [VideoStreamTrack(), AudioStreamTrack()])
    try:
        await mentor_peer.start()
        await mentee_peer.start()
        await asyncio.wait_for(
            asyncio.gather(mentor_peer.connected.wait(), mentee_peer.connected.wait()), 15
        )
        # Media flowing both ways is what starts the server's countdown.
        started = await mentee.next("session:started", timeout=5)
        assert started["ends_at"] - started["started_at"] == 4000
        assert await asyncio.wait_for(frames(mentor_peer, "video", 5), 10) == 5
        assert await asyncio.wait_for(frames(mentee_peer, "video", 5), 10) == 5
        assert (await mentor.next("session:ended", timeout=8))["reason"] == "time_up"
    finally:
        await mentor_peer.close()
        await mentee_peer.close()
        await mentee_peer.close()  # closing twice is harmless
