"""Media for Python peers, made with PyAV: a test pattern whose counter shows the seconds
running, a 440 Hz tone, or any file PyAV can read (via aiortc's MediaPlayer)."""

from __future__ import annotations

import asyncio
import fractions
import time
from dataclasses import dataclass, field

import av
import av.filter
from aiortc import MediaStreamTrack, VideoStreamTrack
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamError

AUDIO_RATE = 48_000
AUDIO_PTIME = 0.020


def _source(description: str, args: str, sink: str) -> av.filter.Graph:
    graph = av.filter.Graph()
    head = graph.add(description, args)
    if description == "testsrc":
        tail = graph.add("format", "yuv420p")
        head.link_to(tail)
    else:
        tail = head
    tail.link_to(graph.add(sink))
    graph.configure()
    return graph


class PatternVideoTrack(VideoStreamTrack):
    """libavfilter's ``testsrc``: colour bars, a moving wedge and a running seconds counter."""

    def __init__(self, width: int = 640, height: int = 480, fps: int = 30) -> None:
        super().__init__()
        self._graph = _source("testsrc", f"size={width}x{height}:rate={fps}", "buffersink")

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = self._graph.pull()
        assert isinstance(frame, av.VideoFrame)
        frame.pts = pts
        frame.time_base = time_base
        return frame


class ToneAudioTrack(MediaStreamTrack):
    """A steady sine tone in 20 ms Opus-sized frames, paced in real time."""

    kind = "audio"

    def __init__(self, frequency: int = 440) -> None:
        super().__init__()
        samples = int(AUDIO_RATE * AUDIO_PTIME)
        self._graph = _source(
            "sine",
            f"frequency={frequency}:sample_rate={AUDIO_RATE}:samples_per_frame={samples}",
            "abuffersink",
        )
        self._samples = samples
        self._start: float | None = None
        self._timestamp = 0

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.time()
        else:
            self._timestamp += self._samples
            await asyncio.sleep(self._start + self._timestamp / AUDIO_RATE - time.time())
        frame = self._graph.pull()
        assert isinstance(frame, av.AudioFrame)
        frame.pts = self._timestamp
        frame.sample_rate = AUDIO_RATE
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        return frame


@dataclass
class LocalMedia:
    """The tracks a Python peer sends, and the player behind them if any."""

    tracks: list[MediaStreamTrack]
    player: MediaPlayer | None = field(default=None)

    def stop(self) -> None:
        for track in self.tracks:
            track.stop()


def open_media(spec: str) -> LocalMedia:
    """``test-pattern`` (video + tone), ``tone`` (audio only), or a path PyAV can read."""
    if spec == "test-pattern":
        return LocalMedia([PatternVideoTrack(), ToneAudioTrack()])
    if spec == "tone":
        return LocalMedia([ToneAudioTrack()])
    player = MediaPlayer(spec, loop=True)
    tracks = [t for t in (player.video, player.audio) if t is not None]
    return LocalMedia(tracks, player)
