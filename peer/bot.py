"""``mentorburst bot``: a Python mentor or mentee that takes real calls.

It speaks the whole protocol like a browser would: goes online or asks, negotiates an aiortc
call over the relay with PyAV media, reports media flowing, follows the server's countdown, and
rates when the call ends. Useful to demo the site alone and to drive load tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from peer.call import CallPeer
from peer.client import MentorburstClient
from peer.media import open_media
from peer.token_file import TokenFile

Say = Callable[[str], None]


@dataclass(frozen=True)
class BotOptions:
    role: Literal["mentor", "mentee"]
    skill: str
    url: str = "http://127.0.0.1:8080"
    media: str = "test-pattern"
    sessions: int = 1
    rate: int = 5
    name: str | None = None
    question: str = "I'm a bot checking that calls work end to end. Can you see and hear me?"
    minutes: int = 60
    wait_seconds: float = 3600
    token_file: Path | None = None  # keep one account across runs (peer/token_file.py)


@dataclass
class CallReport:
    session_id: str
    peer_name: str
    reason: str = ""
    started: bool = False
    frames: dict[str, int] = field(default_factory=lambda: {"video": 0, "audio": 0})
    first_frame_s: float | None = None
    # Seconds from asking (mentee) or from the match (mentor) to each negotiation step.
    phases: dict[str, float] = field(default_factory=dict)


class FrameCounter:
    """Reads every remote track of a call to its end, counting frames by kind."""

    def __init__(self, peer: CallPeer, report: CallReport, since: float) -> None:
        self._report = report
        self._since = since
        self._tasks: list[asyncio.Task[None]] = []
        self._feeder = asyncio.create_task(self._feed(peer))

    async def _feed(self, peer: CallPeer) -> None:
        while True:
            track = await peer.remote_tracks.get()
            self._tasks.append(asyncio.create_task(self._count(track)))

    async def _count(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()
                self._report.frames[track.kind] += 1
                if track.kind == "video" and self._report.first_frame_s is None:
                    self._report.first_frame_s = time.perf_counter() - self._since

    async def stop(self) -> None:
        for task in [self._feeder, *self._tasks]:
            task.cancel()
        await asyncio.gather(self._feeder, *self._tasks, return_exceptions=True)


class Bot:
    def __init__(self, options: BotOptions, say: Say = print) -> None:
        self.options = options
        self.client = MentorburstClient(options.url)
        self._say = say
        self.reports: list[CallReport] = []

    def say(self, text: str) -> None:
        name = self.client.user.get("name", self.options.name or "bot")
        self._say(f"{time.strftime('%H:%M:%S')} {self.options.role} {name}: {text}")

    async def run(self) -> list[CallReport]:
        opts = self.options
        name = opts.name or f"{opts.role.title()} bot"
        renewing: asyncio.Task[None] | None = None
        if opts.token_file is None:
            await self.client.login(name)
        else:
            saved = TokenFile(opts.token_file)
            await saved.sign_in(self.client, name)
            renewing = asyncio.create_task(saved.keep_renewed(self.client))
        await self.client.connect()
        try:
            if opts.role == "mentor":
                ack = await self.client.must(
                    "mentor:online", {"skills": [opts.skill], "minutes": opts.minutes}
                )
                left = (ack["burst_ends_at"] - int(time.time() * 1000)) // 60_000
                self.say(f"online for {opts.skill}, {left} min burst")
            for _ in range(opts.sessions):
                joined = time.perf_counter()
                if opts.role == "mentee":
                    ack = await self.client.must(
                        "mentee:join", {"skill": opts.skill, "question": opts.question}
                    )
                    where = (
                        "matched at once"
                        if ack.get("session_id")
                        else f"number {ack['position']} in line"
                    )
                    self.say(f"asked for help with {opts.skill}: {where}")
                matched = await self.client.next("session:matched", timeout=opts.wait_seconds)
                matched_at = time.perf_counter()
                report = await self.take_call(matched, joined)
                report.phases["matched"] = matched_at - joined
                self.reports.append(report)
            if opts.role == "mentor":
                await self.client.must("mentor:offline", {})
                self.say("offline")
        finally:
            if renewing is not None:
                renewing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewing
            await self.client.close()
        return self.reports

    async def take_call(self, matched: dict[str, Any], since: float) -> CallReport:
        sid = matched["session_id"]
        report = CallReport(sid, matched["peer"]["name"])
        self.say(f"matched with {report.peer_name}: {matched['question']!r}")
        media = open_media(self.options.media)
        peer = CallPeer(self.client, matched, media.tracks)
        counter = FrameCounter(peer, report, since)
        mine = lambda data: data["session_id"] == sid  # noqa: E731
        try:
            await peer.start()
            while True:
                event, data = await self.client.next_of(
                    ("session:ended", "session:started", "session:warning"),
                    timeout=3600,
                    where=mine,
                )
                if event == "session:started":
                    report.started = True
                    minutes, seconds = divmod((data["ends_at"] - data["started_at"]) // 1000, 60)
                    self.say(f"media flowing; countdown {minutes:02d}:{seconds:02d} started")
                elif event == "session:warning":
                    self.say(f"{data['remaining_s']} s left")
                else:
                    report.reason = data["reason"]
                    break
        finally:
            await peer.close()
            await counter.stop()
            media.stop()
        report.phases.update({step: at - since for step, at in peer.marks.items()})
        first = (
            f", first frame after {report.first_frame_s * 1000:.0f} ms"
            if report.first_frame_s
            else ""
        )
        self.say(
            f"call ended ({report.reason}): {report.frames['video']} video and "
            f"{report.frames['audio']} audio frames received{first}"
        )
        if report.started:
            await self.client.must("rate", {"session_id": sid, "stars": self.options.rate})
            self.say(f"rated {self.options.rate} stars")
        return report
