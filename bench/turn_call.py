"""turn_call: a call's setup when both peers may only use the TURN relay (a real coturn with the
server's REST credentials), against the same call allowed to connect directly, in the same run:
``session:matched`` -> first decoded video frame on the mentee's side, and the ICE+DTLS part of
it (until the peer connection is connected)."""

from __future__ import annotations

import asyncio
import time

from aiortc import MediaStreamTrack

from bench.harness import figure, progress, server_process
from bench.turn import binary, coturn
from peer.call import CallPeer
from peer.client import MentorburstClient
from peer.media import open_media


async def first_video_frame(peer: CallPeer) -> None:
    while True:
        track: MediaStreamTrack = await peer.remote_tracks.get()
        if track.kind == "video":
            await track.recv()
            return


async def one_call(url: str, relay_only: bool, n: int) -> tuple[float, float]:
    """(ms matched -> first frame, ms matched -> connected) for one bot pair."""
    mentor = await MentorburstClient.signed_in(url, f"turn-mentor{n}")
    mentee = await MentorburstClient.signed_in(url, f"turn-mentee{n}")
    peers: list[CallPeer] = []
    try:
        await mentor.must("mentor:online", {"skills": ["python"], "minutes": 30})
        await mentee.must("mentee:join", {"skill": "python", "question": "relay?"})
        to_mentee = await mentee.next("session:matched")
        start = time.perf_counter()
        to_mentor = await mentor.next("session:matched")
        for client, matched in ((mentor, to_mentor), (mentee, to_mentee)):
            media = open_media("test-pattern")
            peers.append(CallPeer(client, matched, media.tracks, relay_only=relay_only))
        for peer in peers:
            await peer.start()
        await asyncio.wait_for(first_video_frame(peers[1]), 30)
        frame = time.perf_counter()
        connected = peers[1].marks.get("connected", frame)
        await mentee.must("session:leave", {"session_id": to_mentee["session_id"]})
        return (frame - start) * 1000, (connected - start) * 1000
    finally:
        for peer in peers:
            await peer.close()
        await mentor.close()
        await mentee.close()


async def run(quick: bool = False, out: str | None = None) -> list[str]:
    runs = 2 if quick else 10
    if binary() is None:
        progress("turn_call: coturn (turnserver) is not installed; skipped")
        return []
    relayed: list[float] = []
    relayed_ice: list[float] = []
    direct: list[float] = []
    direct_ice: list[float] = []
    async with coturn() as turn:
        flags = ("--turn-urls", turn.url, "--turn-secret", turn.secret)
        async with server_process(*flags) as node:
            await one_call(node.url, True, -1)  # warm-up (imports, codecs)
            for n in range(runs):
                frame, ice = await one_call(node.url, True, n)
                relayed.append(frame)
                relayed_ice.append(ice)
                frame, ice = await one_call(node.url, False, runs + n)
                direct.append(frame)
                direct_ice.append(ice)
    return [
        figure(
            "turn_call_first_frame",
            relayed,
            "ms",
            "session:matched -> first video frame, both peers relay-only through coturn",
            baseline=direct,
            baseline_label="the same call connecting directly",
        ),
        figure(
            "turn_call_connected",
            relayed_ice,
            "ms",
            "session:matched -> peer connection connected (offer/answer + ICE + DTLS), relayed",
            baseline=direct_ice,
            baseline_label="direct",
        ),
    ]
