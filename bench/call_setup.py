"""call_setup: bot mentee ``mentee:join`` (mentor idle) -> first received video frame, split into
phases (match, offer/answer, ICE+DTLS, first frame), beside two bare aiortc peers connected
directly in one process in the same run; and the CPU seconds one bot<->bot call at 640x480
costs per minute (both peers, this process). A sample near 5 s would mean a peer waited on an
unreachable STUN server; the server hands out none unless configured."""

from __future__ import annotations

import asyncio
import time

from aiortc import MediaStreamTrack, RTCPeerConnection

from bench.harness import figure, server_process
from peer.bot import Bot, BotOptions
from peer.call import rtc_configuration
from peer.media import open_media


def quiet(_: str) -> None:
    pass


PHASES = ("offer_answer", "ice_dtls", "first_frame")


def split(marks: dict[str, float], start: float, first_frame: float) -> dict[str, float]:
    """Phase durations (ms) from step times: offer/answer until the offerer applied the answer,
    ICE+DTLS until connected, then the first frame."""
    answer, connected = marks["answer_applied"], marks["connected"]
    return {
        "offer_answer": (answer - start) * 1000,
        "ice_dtls": (connected - answer) * 1000,
        "first_frame": (first_frame - connected) * 1000,
    }


async def bare_pair_first_frame() -> tuple[float, dict[str, float]]:
    """Two aiortc peers in one process, SDP handed over directly: the floor for call setup.
    (seconds to the first frame, phases in ms)."""
    media = open_media("test-pattern")
    a, b = RTCPeerConnection(rtc_configuration([])), RTCPeerConnection(rtc_configuration([]))
    first: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    readers: list[asyncio.Task[None]] = []
    marks: dict[str, float] = {}
    start = time.perf_counter()

    @a.on("connectionstatechange")
    def on_state() -> None:
        if a.connectionState == "connected":
            marks.setdefault("connected", time.perf_counter())

    @b.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        async def read() -> None:
            await track.recv()
            if not first.done():
                first.set_result(time.perf_counter())

        if track.kind == "video":
            readers.append(asyncio.create_task(read()))

    try:
        for track in media.tracks:
            a.addTrack(track)
        await a.setLocalDescription(await a.createOffer())
        await b.setRemoteDescription(a.localDescription)
        await b.setLocalDescription(await b.createAnswer())
        await a.setRemoteDescription(b.localDescription)
        marks["answer_applied"] = time.perf_counter()
        first_frame = await asyncio.wait_for(first, 10)
        return first_frame - start, split(marks, start, first_frame)
    finally:
        await a.close()
        await b.close()
        media.stop()


async def one_call(url: str, i: int) -> tuple[float, float, float, dict[str, float]]:
    """(join -> first frame s, call seconds, CPU seconds of both bots during the call,
    the mentee's phases in ms)."""
    mentor = Bot(BotOptions("mentor", "python", url=url, name=f"m{i}"), say=quiet)
    mentee = Bot(BotOptions("mentee", "python", url=url, name=f"e{i}"), say=quiet)
    mentor_task = asyncio.create_task(mentor.run())
    await mentor.client.next("mentor:update", timeout=10)  # online and idle
    cpu0, wall0 = time.process_time(), time.perf_counter()
    (report,), _ = await asyncio.gather(mentee.run(), mentor_task)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    assert report.first_frame_s is not None, "no video arrived"
    marks = report.phases
    phases = {"match": marks["matched"] * 1000} | split(
        marks, marks["matched"], report.first_frame_s
    )
    return report.first_frame_s, wall, cpu, phases


async def run(runs: int = 20, call_seconds: int = 30) -> list[str]:
    join_ms: list[float] = []
    bare_ms: list[float] = []
    phases: dict[str, list[float]] = {"match": [], **{p: [] for p in PHASES}}
    bare_phases: dict[str, list[float]] = {p: [] for p in PHASES}
    async with server_process(
        "--session-seconds", "1", "--warn-at", "", "--mentor-cooldown-seconds", "0"
    ) as node:
        for i in range(runs + 1):
            first, _, _, call_phases = await one_call(node.url, i)
            bare, bare_split = await bare_pair_first_frame()
            if i:  # the first call warms up codecs and connections
                join_ms.append(first * 1000)
                bare_ms.append(bare * 1000)
                for name, ms in call_phases.items():
                    phases[name].append(ms)
                for name, ms in bare_split.items():
                    bare_phases[name].append(ms)
    cpu_per_minute: list[float] = []
    async with server_process("--session-seconds", str(call_seconds), "--warn-at", "") as node:
        for i in range(3 if runs > 5 else 1):
            _, wall, cpu, _ = await one_call(node.url, 100 + i)
            cpu_per_minute.append(cpu / wall * 60)
    slow = sum(1 for ms in join_ms if ms > 4000)
    lines = [
        figure(
            "call_setup_join_to_frame",
            join_ms,
            "ms",
            f"mentee:join -> first video frame, bot<->bot; samples over 4 s: {slow}; max {max(join_ms):.0f} ms",
            baseline=bare_ms,
            baseline_label="two bare aiortc peers in one process",
            target="p50 <= 1000 ms, none near 5 s",
        ),
        figure("call_setup_match", phases["match"], "ms", "mentee:join -> session:matched"),
    ]
    for name in PHASES:
        lines.append(
            figure(
                f"call_setup_{name}",
                phases[name],
                "ms",
                baseline=bare_phases[name],
                baseline_label="bare pair",
            )
        )
    lines.append(
        figure(
            "bot_call_cpu",
            cpu_per_minute,
            "CPU s/min",
            f"one 640x480 bot<->bot call, both peers, {call_seconds} s calls",
        )
    )
    return lines
