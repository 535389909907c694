"""The pre-call check cannot be turned against anyone: an offer naming another host gets an
answer, but our echo peer sends that host nothing (a UDP socket listening there hears silence,
while the requester's own check echoes as before), and accounts made in bulk at one address
cannot take every check a node runs."""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from peer.client import MentorburstClient
from peer.media import open_media
from server.domain.calls.candidates import Reach, filter_offer
from tests.conftest import ClientFactory, ServerFactory

ELSEWHERE = "127.0.0.2"  # another host, as far as a requester on 127.0.0.1 is concerned


class Listener(asyncio.DatagramProtocol):
    """A UDP port on another host: it keeps every datagram that reaches it."""

    def __init__(self) -> None:
        self.heard: list[bytes] = []
        self.probed = asyncio.Event()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.heard.append(data)
        # A STUN binding request (type 0x0001, magic cookie 0x2112A442): an ICE check.
        if data[:2] == b"\x00\x01" and data[4:8] == b"\x21\x12\xa4\x42":
            self.probed.set()


@asynccontextmanager
async def listening(host: str = ELSEWHERE) -> AsyncIterator[tuple[Listener, int]]:
    loop = asyncio.get_running_loop()
    transport, listener = await loop.create_datagram_endpoint(Listener, local_addr=(host, 0))
    try:
        yield listener, transport.get_extra_info("sockname")[1]
    finally:
        transport.close()


def naming(sdp: str, host: str, port: int) -> str:
    """The offer with one more host candidate in every media section, ``host:port``, first and
    of the highest priority: an ICE agent that accepts it checks it before any other."""
    line = f"a=candidate:elsewhere 1 udp 4294967295 {host} {port} typ host\r\n"
    out, placed = [], set()
    for part in sdp.splitlines(keepends=True):
        if part.startswith("m="):
            placed.discard("here")
        if part.startswith("a=candidate:") and "here" not in placed:
            out.append(line)
            placed.add("here")
        out.append(part)
    forged = "".join(out)
    assert forged.count(line) == sdp.count("\r\nm="), forged
    return forged


async def offering(tracks: list[MediaStreamTrack]) -> tuple[RTCPeerConnection, Any]:
    """A caller's peer, as the pre-call check builds it: media and a ``stats`` channel."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    channel = pc.createDataChannel("stats")
    for track in tracks:
        pc.addTrack(track)
    await pc.setLocalDescription(await pc.createOffer())
    return pc, channel


async def post_offer(
    client: MentorburstClient,
    sdp: str,
    *,
    local_addr: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """POST /api/precall as the client, from ``local_addr`` (another address of this machine)."""
    connector = aiohttp.TCPConnector(local_addr=(local_addr, 0) if local_addr else None)
    sent = {"Authorization": f"Bearer {client.token}", **(headers or {})}
    async with (
        aiohttp.ClientSession(connector=connector) as http,
        http.post(
            client.base_url + "/api/precall", json={"sdp": sdp, "type": "offer"}, headers=sent
        ) as response,
    ):
        return response.status, await response.json()


async def echoed_frames(pc: RTCPeerConnection, answer: dict[str, Any], frames: int) -> int:
    """Set the answer and count our own video frames coming back."""
    echoed: asyncio.Queue[MediaStreamTrack] = asyncio.Queue()
    pc.on("track", echoed.put_nowait)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))
    video = None
    while video is None:
        track = await echoed.get()
        video = track if track.kind == "video" else None
    for _ in range(frames):
        await video.recv()
    return frames


async def test_an_offer_naming_another_host_is_answered_but_that_host_hears_nothing(
    make_client: ClientFactory,
) -> None:
    client = await make_client("Ada", connect=False)
    media = open_media("test-pattern")
    async with listening() as (elsewhere, port):
        # The listener hears an ICE agent that takes such an offer as it is: it would probe.
        bait, _ = await offering([])
        unguarded = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        try:
            await unguarded.setRemoteDescription(
                RTCSessionDescription(
                    sdp=naming(bait.localDescription.sdp, ELSEWHERE, port), type="offer"
                )
            )
            await unguarded.setLocalDescription(await unguarded.createAnswer())
            await asyncio.wait_for(elsewhere.probed.wait(), 5)
        finally:
            await unguarded.close()
            await bait.close()
        elsewhere.heard.clear()

        # Our echo peer gets the same kind of offer from a real caller: it answers, echoes the
        # caller's media back, and never sends a packet to the other host.
        pc, channel = await offering(media.tracks)
        stats: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        channel.on("message", lambda m: stats.done() or stats.set_result(json.loads(m)))
        try:
            forged = naming(pc.localDescription.sdp, ELSEWHERE, port)
            status, answer = await post_offer(client, forged)
            assert status == 200, answer
            assert await asyncio.wait_for(echoed_frames(pc, answer, 10), 20) == 10
            assert (await asyncio.wait_for(stats, 5))["packets_received"] > 0
            await asyncio.sleep(1)  # ICE checks of every candidate pair have long been sent
            assert elsewhere.heard == []
        finally:
            await pc.close()
            media.stop()


async def test_a_requester_on_the_internet_cannot_make_us_probe_private_addresses(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(trusted_proxies=("127.0.0.1",))
    client = await make_client("Mallory", connect=False)
    async with listening() as (elsewhere, port):
        pc, _ = await offering([])
        try:
            forged = naming(pc.localDescription.sdp, ELSEWHERE, port)
            # Through our proxy, from an internet address; its offer names only private hosts
            # (this machine's LAN addresses and a loopback one).
            status, answer = await post_offer(
                client, forged, headers={"X-Forwarded-For": "8.8.4.4"}
            )
            assert (status, answer["type"]) == (200, "answer"), answer
            await pc.setRemoteDescription(
                RTCSessionDescription(sdp=answer["sdp"], type=answer["type"])
            )
            await asyncio.sleep(3)
            assert elsewhere.heard == []
        finally:
            await pc.close()


def test_who_an_offer_may_point_the_echo_peer_at() -> None:
    ip = ipaddress.ip_address
    relay, private_relay = ip("198.18.0.0"), ip("10.0.0.7")
    public = Reach(ip("8.8.4.4"), relays=frozenset({ip("1.1.1.1"), private_relay}))
    assert public.allows(ip("8.8.4.4")) and public.allows(ip("1.1.1.1"))
    for elsewhere in ("8.8.8.8", "10.0.0.1", "127.0.0.1", "169.254.0.9", "100.64.0.1",
                      "192.168.1.10", "fd00::2", "fe80::1", "224.0.0.251", "0.0.0.0"):  # fmt: skip
        assert not public.allows(ip(elsewhere)), elsewhere
    assert not public.allows(private_relay)  # our relay, but on a private network
    lan = Reach(ip("10.0.0.20"), relays=frozenset({private_relay, relay}))
    assert lan.allows(ip("10.0.0.20")) and lan.allows(private_relay)
    assert not lan.allows(ip("10.0.0.21"))
    here = Reach(ip("127.0.0.1"), machine=frozenset({ip("127.0.0.1"), ip("192.0.2.2")}))
    assert here.allows(ip("192.0.2.2")) and not here.allows(ip("127.0.0.2"))
    # IPv4 in IPv6 clothing is the same address; a name (mDNS or DNS) is never resolved.
    offer = (
        "v=0\r\n"
        "a=candidate:1 1 udp 1 ::ffff:8.8.4.4 9 typ host\r\n"
        "a=candidate:2 1 udp 1 8.8.8.8 9 typ host\r\n"
        "a=candidate:3 1 udp 1 3f2a4b1c.local 9 typ host\r\n"
        "a=candidate:4 1 udp 1 turn.example.org 9 typ relay\r\n"
        "a=end-of-candidates\r\n"
    )
    kept, cut = filter_offer(offer, public)
    assert cut == 3 and "::ffff:8.8.4.4" in kept and "a=end-of-candidates" in kept


@asynccontextmanager
async def holding_a_check(
    client: MentorburstClient, tracks: list[MediaStreamTrack], local_addr: str | None = None
) -> AsyncIterator[tuple[int, Any]]:
    """A check from ``local_addr``, kept running (its echo flowing) until the block ends."""
    pc, _ = await offering(tracks)
    try:
        status, answer = await post_offer(client, pc.localDescription.sdp, local_addr=local_addr)
        if status == 200:
            await asyncio.wait_for(echoed_frames(pc, answer, 2), 20)
        yield status, answer
    finally:
        await pc.close()


async def test_accounts_made_in_bulk_at_one_address_cannot_take_every_check(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(precall_capacity=3, precall_per_address=2, precall_seconds=15)
    clients = [await make_client(f"Bulk {i}", connect=False) for i in range(5)]
    media = open_media("test-pattern")
    try:
        async with (
            holding_a_check(clients[0], media.tracks) as (first, _),
            holding_a_check(clients[1], media.tracks) as (second, _),
        ):
            assert (first, second) == (200, 200)
            status, refused = await post_offer(clients[2], "v=0")  # a third, same address
            assert status == 429 and refused["error"]["code"] == "rate_limited", refused
            assert 1 <= refused["error"]["retry_after_s"] <= 15
            assert server.services.precall.active == 2
            # Someone at another address still gets the node's last check, end to end.
            async with holding_a_check(clients[3], media.tracks, local_addr="127.0.0.2") as (
                other,
                answer,
            ):
                assert other == 200, answer
                status, busy = await post_offer(clients[4], "v=0", local_addr="127.0.0.3")
                assert (status, busy["error"]["code"]) == (503, "precall_busy")
    finally:
        media.stop()
