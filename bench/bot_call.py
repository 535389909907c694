"""Python call setup and cost: bot mentee ``mentee:join`` (mentor idle) -> first received video
frame, beside two bare aiortc peers connected directly in one process (same run); and the CPU
seconds one bot<->bot call at 640x480 costs per minute (both peers, this process)."""

from __future__ import annotations

import asyncio
import statistics
import time

from aiortc import MediaStreamTrack, RTCPeerConnection

from bench.harness import figure, server_process
from server.bot import Bot, BotOptions
from server.media import open_media
from server.peer import rtc_configuration


def quiet(_: str) -> None:
    pass


async def bare_pair_first_frame() -> float:
    """Two aiortc peers in one process, SDP handed over directly: the floor for call setup."""
    media = open_media("test-pattern")
    a, b = RTCPeerConnection(rtc_configuration([])), RTCPeerConnection(rtc_configuration([]))
    first: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    readers: list[asyncio.Task[None]] = []
    start = time.perf_counter()

    @b.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        async def read() -> None:
            await track.recv()
            if not first.done():
                first.set_result(time.perf_counter() - start)

        if track.kind == "video":
            readers.append(asyncio.create_task(read()))

    try:
        for track in media.tracks:
            a.addTrack(track)
        await a.setLocalDescription(await a.createOffer())
        await b.setRemoteDescription(a.localDescription)
        await b.setLocalDescription(await b.createAnswer())
        await a.setRemoteDescription(b.localDescription)
        return await asyncio.wait_for(first, 10)
    finally:
        await a.close()
        await b.close()
        media.stop()


async def one_call(url: str, i: int) -> tuple[float, float, float]:
    """(join -> first frame s, call seconds, CPU seconds of both bots during the call)."""
    mentor = Bot(BotOptions("mentor", "python", url=url, name=f"m{i}"), say=quiet)
    mentee = Bot(BotOptions("mentee", "python", url=url, name=f"e{i}"), say=quiet)
    mentor_task = asyncio.create_task(mentor.run())
    await mentor.client.next("mentor:update", timeout=10)  # online and idle
    cpu0, wall0 = time.process_time(), time.perf_counter()
    (report,), _ = await asyncio.gather(mentee.run(), mentor_task)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    assert report.first_frame_s is not None, "no video arrived"
    return report.first_frame_s, wall, cpu


async def run(runs: int = 20, call_seconds: int = 30) -> list[str]:
    join_ms: list[float] = []
    bare_ms: list[float] = []
    async with server_process(
        "--session-seconds", "1", "--warn-at", "", "--mentor-cooldown-seconds", "0"
    ) as node:
        for i in range(runs + 1):
            first, _, _ = await one_call(node.url, i)
            bare = await bare_pair_first_frame()
            if i:  # the first call warms up codecs and connections
                join_ms.append(first * 1000)
                bare_ms.append(bare * 1000)
    cpu_per_minute: list[float] = []
    async with server_process("--session-seconds", str(call_seconds), "--warn-at", "") as node:
        for i in range(3 if runs > 5 else 1):
            _, wall, cpu = await one_call(node.url, 100 + i)
            cpu_per_minute.append(cpu / wall * 60)
    ratio = statistics.median(join_ms) / statistics.median(bare_ms)
    return [
        figure(
            "bot_join_to_first_frame",
            join_ms,
            "ms",
            f"mentee:join -> first video frame; ratio {ratio:.1f}x bare pair",
        ),
        figure(
            "bot_bare_pair_first_frame",
            bare_ms,
            "ms",
            "two aiortc peers, SDP handed over in-process",
        ),
        figure(
            "bot_call_cpu",
            cpu_per_minute,
            "CPU s/min",
            f"one 640x480 bot<->bot call, both peers, {call_seconds} s calls",
        ),
    ]
