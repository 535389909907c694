"""One side of a mentorburst call on aiortc, negotiated over the server's ``signal`` relay.

The mentee offers, the mentor answers. aiortc gathers its candidates before the description is
set, so ours travel inside the SDP; candidates the other side trickles (browsers do) are added
as they arrive. ICE servers are exactly those the server handed out: never a public default.
An offer from a new connection of the other side (it moved the call to another tab, or its page
reloaded: a new DTLS fingerprint) is answered from a new connection of ours, with the same media.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.sdp import candidate_from_sdp
from av.frame import Frame
from av.packet import Packet

from peer.client import MentorburstClient

log = logging.getLogger(__name__)

_FINGERPRINT = re.compile(r"a=fingerprint:\S+ (\S+)")


def fingerprint(sdp: str) -> str | None:
    """The DTLS certificate fingerprint a description offers: a new one means a new connection."""
    found = _FINGERPRINT.search(sdp or "")
    return found.group(1) if found else None


class LentTrack(MediaStreamTrack):
    """One connection's handle on a track of the call. aiortc stops a sender's track when its
    connection closes; a call that starts over on a new connection sends the same media, so
    each connection gets a handle of its own and stops only that."""

    def __init__(self, track: MediaStreamTrack) -> None:
        super().__init__()
        self.kind = track.kind
        self._track = track

    async def recv(self) -> Frame | Packet[Any]:
        return await self._track.recv()


def rtc_configuration(
    ice_servers: list[dict[str, Any]], *, relay_only: bool = False
) -> RTCConfiguration:
    """An explicit list, possibly empty: aiortc falls back to a public STUN server on None.
    ``relay_only`` gathers only TURN candidates (a browser's ``iceTransportPolicy: "relay"``),
    as a peer behind a symmetric NAT effectively does."""
    servers = [
        RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
        for s in ice_servers
    ]
    policy = RTCIceTransportPolicy.RELAY if relay_only else RTCIceTransportPolicy.ALL
    return RTCConfiguration(iceServers=servers, iceTransportPolicy=policy)


class CallPeer:
    def __init__(
        self,
        client: MentorburstClient,
        matched: dict[str, Any],
        tracks: list[MediaStreamTrack],
        *,
        relay_only: bool = False,
    ) -> None:
        self.client = client
        self.session_id: str = matched["session_id"]
        self.offerer: bool = matched["offerer"]
        self._configuration = rtc_configuration(
            matched.get("ice_servers") or [], relay_only=relay_only
        )
        self._tracks = tracks
        self.remote_tracks: asyncio.Queue[MediaStreamTrack] = asyncio.Queue()
        self.connected = asyncio.Event()
        self.failed = asyncio.Event()
        self._signals: asyncio.Task[None] | None = None
        self._closed = False
        # time.perf_counter() when negotiation reached each step, for call-setup benchmarks.
        self.marks: dict[str, float] = {}
        self.pc = self._connection()

    def _connection(self) -> RTCPeerConnection:
        pc = RTCPeerConnection(self._configuration)
        for track in self._tracks:
            pc.addTrack(LentTrack(track))
        pc.on("track", self.remote_tracks.put_nowait)
        pc.on("connectionstatechange", self._state_changed)
        return pc

    async def _state_changed(self) -> None:
        state = self.pc.connectionState
        log.debug("%s: connection %s", self.session_id, state)
        if state == "connected" and not self.connected.is_set():
            self.marks["connected"] = time.perf_counter()
            self.connected.set()
            with contextlib.suppress(Exception):
                await self.client.call("session:connected", {"session_id": self.session_id})
        elif state == "failed":
            self.failed.set()

    async def start(self) -> None:
        """Negotiate: the offerer sends its offer now; both then follow the relay."""
        self._signals = asyncio.create_task(
            self._follow_signals(), name=f"signals-{self.session_id}"
        )
        if self.offerer:
            await self.pc.setLocalDescription(await self.pc.createOffer())
            await self._send("offer", self._local())

    def _local(self) -> dict[str, str]:
        description = self.pc.localDescription
        return {"type": description.type, "sdp": description.sdp}

    async def _send(self, kind: str, data: dict[str, Any]) -> None:
        await self.client.must(
            "signal", {"session_id": self.session_id, "type": kind, "data": data}
        )

    async def _follow_signals(self) -> None:
        mine = self.session_id
        while not self._closed:
            message = await self.client.next(
                "signal", timeout=3600, where=lambda m: m["session_id"] == mine
            )
            try:
                await self._handle(message["type"], message["data"])
            except Exception:
                log.exception("%s: bad %s from peer", mine, message["type"])

    async def _handle(self, kind: str, data: dict[str, Any]) -> None:
        remote = self.pc.remoteDescription
        if kind == "offer" and remote and fingerprint(remote.sdp) != fingerprint(data["sdp"]):
            # The other side offers from a new connection: start over with it, same media.
            log.info(
                "%s: the peer reconnected from a new connection; renegotiating", self.session_id
            )
            old, self.pc = self.pc, self._connection()
            await old.close()
        if kind in ("offer", "answer"):
            await self.pc.setRemoteDescription(
                RTCSessionDescription(sdp=data["sdp"], type=data["type"])
            )
            self.marks.setdefault(f"{kind}_applied", time.perf_counter())
            if kind == "offer":
                await self.pc.setLocalDescription(await self.pc.createAnswer())
                await self._send("answer", self._local())
        elif kind == "candidate":
            line = (data or {}).get("candidate")
            if not line:
                return  # end of candidates
            candidate = candidate_from_sdp(line.removeprefix("candidate:"))
            candidate.sdpMid = data.get("sdpMid")
            candidate.sdpMLineIndex = data.get("sdpMLineIndex")
            await self.pc.addIceCandidate(candidate)

    async def close(self) -> None:
        """Idempotent: stop following signals, close the peer connection and stop the media
        (as closing a connection that sent the tracks themselves would)."""
        if self._closed:
            return
        self._closed = True
        if self._signals is not None:
            self._signals.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._signals
        await self.pc.close()
        for track in self._tracks:
            track.stop()


async def precall_check(
    client: MentorburstClient, tracks: list[MediaStreamTrack], frames: int = 5
) -> dict[str, Any]:
    """Run the server's pre-call echo: send ``tracks``, get ``frames`` of our own video back,
    and the first ``stats`` report. Returns that report plus ``echoed_frames``."""
    pc = RTCPeerConnection(
        rtc_configuration((await client.rest("GET", "/api/ice", auth=True))["iceServers"])
    )
    stats: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
    echoed: asyncio.Queue[MediaStreamTrack] = asyncio.Queue()
    pc.on("track", echoed.put_nowait)
    channel = pc.createDataChannel("stats")

    @channel.on("message")
    def on_stats(message: str) -> None:
        if not stats.done():
            stats.set_result(json.loads(message))

    for track in tracks:
        pc.addTrack(track)
    try:
        await pc.setLocalDescription(await pc.createOffer())
        answer = await client.rest(
            "POST", "/api/precall", {"sdp": pc.localDescription.sdp, "type": "offer"}, auth=True
        )
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))
        video = None
        while video is None:
            track = await echoed.get()
            video = track if track.kind == "video" else None
        for _ in range(frames):
            await video.recv()
        return {**await stats, "echoed_frames": frames}
    finally:
        await pc.close()
