"""The pre-call check: a server-side aiortc peer that echoes the caller's camera and microphone
back and reports round-trip time and packet loss on the caller's ``stats`` data channel.

Each check closes itself after ``precall_seconds``; at most ``precall_capacity`` run at once on
a node (a node-local resource, like its sockets), at most ``precall_per_address`` of them for
one client address, and one per person on any node. The peer contacts only the requester and
our TURN relay (``server/domain/calls/candidates.py``): an offer cannot point it at anyone else."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from math import ceil
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from redis.asyncio import Redis

from server.domain.calls.candidates import (
    Reach,
    RelayAddresses,
    address,
    filter_offer,
    this_machine,
)
from server.protocol.errors import InvalidPayload, MentorburstError, RateLimited, Unavailable
from server.store import keys

log = logging.getLogger(__name__)


def link_stats(report: Any) -> dict[str, Any]:
    """RTT from the caller's receiver reports, loss over everything received from the caller."""
    rtts: list[float] = []
    received = lost = 0
    for entry in report.values():
        kind = getattr(entry, "type", "")
        if kind == "remote-inbound-rtp" and entry.roundTripTime is not None:
            rtts.append(entry.roundTripTime)
        elif kind == "inbound-rtp":
            received += entry.packetsReceived or 0
            lost += max(0, entry.packetsLost or 0)
    return {
        "rtt_ms": round(1000 * min(rtts)) if rtts else None,
        "loss": round(lost / (received + lost), 4) if received + lost else 0.0,
        "packets_received": received,
        "packets_lost": lost,
    }


class PrecallService:
    """Echo peers for the pre-call check. Each decodes and re-encodes the caller's media in this
    process, so ``capacity`` (per node) protects the node's CPU, and so every call it brokers,
    from a crowd of checks; one person runs at most one check at a time, on any node (a Redis
    key, so one script cannot hold every slot)."""

    def __init__(
        self,
        capacity: int,
        seconds: float,
        redis: Redis,
        *,
        per_address: int,
        relays: RelayAddresses,
    ) -> None:
        self._capacity = capacity
        self._seconds = seconds
        self._redis = redis
        self._per_address = per_address
        self._relays = relays
        self._owners: dict[RTCPeerConnection, str] = {}
        # Each running check's client address and when it began (monotonic seconds).
        self._started: dict[RTCPeerConnection, tuple[str, float]] = {}
        self._peers: set[RTCPeerConnection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._relay = MediaRelay()

    @property
    def active(self) -> int:
        return len(self._peers)

    def _admit(self, client: str) -> None:
        """Refuse when this node's checks are all taken, or when this client address already
        holds its share of them (so accounts made in bulk from one address cannot take every
        slot; the refusal says when its oldest check ends)."""
        if len(self._peers) >= self._capacity:
            raise Unavailable(
                "All connection checks are busy; try again in a few seconds.", code="precall_busy"
            )
        begun = sorted(at for who, at in self._started.values() if who == client)
        if len(begun) >= self._per_address:
            ends_in = begun[0] + self._seconds - time.monotonic()
            raise RateLimited("connection checks from this address at once", max(1, ceil(ends_in)))

    async def answer(self, sdp: str, user_id: str, client: str | None) -> RTCSessionDescription:
        self._admit(client or "")
        requester = address(client)
        on_this_machine = requester is not None and requester.is_loopback
        reach = Reach(
            requester,
            relays=await self._relays.get(),
            machine=this_machine() if on_this_machine else frozenset(),
        )
        sdp, cut = filter_offer(sdp, reach)
        if cut:
            log.info("pre-call offer: %d candidates naming other hosts were left out", cut)
        hold = keys.precall(user_id)
        if not await self._redis.set(hold, 1, nx=True, ex=round(self._seconds) + 5):
            ttl = await self._redis.ttl(hold)
            raise RateLimited("connection checks at once", max(1, int(ttl)))
        try:
            self._admit(client or "")  # again: other checks may have begun while we waited
        except MentorburstError:
            await self._redis.delete(hold)
            raise
        # Host candidates are all a loopback or LAN check needs; never a public STUN default.
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self._peers.add(pc)
        self._owners[pc] = user_id
        self._started[pc] = (client or "", time.monotonic())

        @pc.on("track")
        def echo(track: Any) -> None:
            pc.addTrack(self._relay.subscribe(track))

        @pc.on("datachannel")
        def on_channel(channel: Any) -> None:
            if channel.label == "stats":
                self._spawn(self._report(pc, channel))

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self._close(pc)

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            await self._close(pc)
            raise InvalidPayload(f"That offer could not be used: {exc}", code="bad_offer") from None
        self._spawn(self._expire(pc))
        return pc.localDescription

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _report(self, pc: RTCPeerConnection, channel: Any) -> None:
        while pc in self._peers and channel.readyState in ("connecting", "open"):
            await asyncio.sleep(1)
            if channel.readyState != "open":
                continue
            with contextlib.suppress(Exception):
                channel.send(json.dumps(link_stats(await pc.getStats())))

    async def _expire(self, pc: RTCPeerConnection) -> None:
        await asyncio.sleep(self._seconds)
        await self._close(pc)

    async def _close(self, pc: RTCPeerConnection) -> None:
        if pc in self._peers:
            self._peers.discard(pc)
            self._started.pop(pc, None)
            owner = self._owners.pop(pc, None)
            await pc.close()
            if owner is not None:
                with contextlib.suppress(Exception):  # else the key's own expiry frees it
                    await self._redis.delete(keys.precall(owner))

    async def close(self) -> None:
        for pc in list(self._peers):
            await self._close(pc)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
