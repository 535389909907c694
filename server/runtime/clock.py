"""Time sources. Services take a :class:`Clock` so tests can move time without sleeping.

Deadlines, ``ends_at`` and the ``clock`` reply must agree across nodes: a node whose own clock
ran fast would end calls early and teach its clients a wrong time. :class:`ClusterClock` reads
the one clock every node shares, Redis ``TIME``, and keeps the offset between it and the local
clock, so ``now_ms()`` stays a cheap local read that every node agrees on to within a
millisecond or two (the round trip of the sample it learned from).
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from redis.asyncio import Redis

log = logging.getLogger(__name__)


class Clock(Protocol):
    def now_ms(self) -> int: ...


class SystemClock:
    """This machine's epoch milliseconds."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self._now = start_ms

    def now_ms(self) -> int:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += round(seconds * 1000)


class SkewedClock:
    """The local clock off by ``skew_ms``: a node whose system clock is wrong, in tests."""

    def __init__(self, skew_ms: int, base: Clock | None = None) -> None:
        self._skew = skew_ms
        self._base = base or SystemClock()

    def now_ms(self) -> int:
        return self._base.now_ms() + self._skew


class ClusterClock:
    """Redis time, read through the local clock plus a learned offset."""

    SAMPLES = 5

    def __init__(self, local: Clock | None = None) -> None:
        self._local = local or SystemClock()
        self.offset_ms = 0.0
        self.error_ms: float | None = None  # half the round trip of the sample in use

    def now_ms(self) -> int:
        return self._local.now_ms() + round(self.offset_ms)

    async def sync(self, redis: Redis) -> None:
        """Learn the offset from the sample with the shortest round trip."""
        best: tuple[float, float] | None = None
        for _ in range(self.SAMPLES):
            sent = time.perf_counter()
            local_sent = self._local.now_ms()
            seconds, micros = await redis.time()
            rtt_ms = (time.perf_counter() - sent) * 1000
            redis_ms = seconds * 1000 + micros / 1000
            offset = redis_ms - (local_sent + rtt_ms / 2)
            if best is None or rtt_ms < best[0]:
                best = (rtt_ms, offset)
        assert best is not None
        if self.error_ms is not None and abs(best[1] - self.offset_ms) > 50:
            log.warning("local clock moved %.0f ms against Redis time", best[1] - self.offset_ms)
        self.offset_ms, self.error_ms = best[1], best[0] / 2


class ClockSync:
    """Keeps a :class:`ClusterClock` on Redis time: called once before a node serves, then on
    every presence heartbeat."""

    def __init__(self, clock: ClusterClock, redis: Redis) -> None:
        self._clock = clock
        self._redis = redis

    async def __call__(self, _beat: None = None) -> None:
        await self._clock.sync(self._redis)
