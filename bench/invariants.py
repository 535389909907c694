"""The invariants audit beside a benchmark's load, so its figures say the load left nothing wrong.

Two audits run during the load and after it: the bench's own (read-only, ``server/domain/audit/invariants.py``,
every ``every`` seconds), and each server's reconciler (``RECONCILE``: passes every 10 s, a
third of the default interval and as often as its lock allows), which repairs what it finds.
At the end the bench waits for one more reconciler pass, then reads every node's ``/metrics``:
passes, violations found and repairs made.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
from redis.asyncio import Redis

from bench.harness import progress
from server.domain.audit.invariants import Auditor
from server.runtime.clock import ClusterClock
from server.store.scripts import SETTINGS_KEY, Lua

RECONCILE = ("--reconcile-seconds", "10")
_METRIC = re.compile(
    r"^mentorburst_(reconciler_passes|audit_violations|reconciler_repairs)_total"
    r"(?:\{[^}]*\})? (\S+)$",
    re.M,
)


@dataclass
class Tally:
    passes: int = 0
    violations: Counter[str] = field(default_factory=Counter)
    reconciler: Counter[str] = field(default_factory=Counter)  # passes, violations, repairs

    def note(self, every: float) -> str:
        found = sum(self.violations.values())
        kinds = f" {dict(self.violations)}" if found else ""
        return (
            f"audit during and after the load (every {every:g} s): {self.passes} passes, "
            f"{found} violations{kinds}; reconciler (every {RECONCILE[1]} s): "
            f"{self.reconciler['reconciler_passes']} passes, "
            f"{self.reconciler['audit_violations']} violations, "
            f"{self.reconciler['reconciler_repairs']} repairs"
        )


class AuditWatch:
    """``async with AuditWatch(redis_url) as watch: <load>; tally = await watch.final(urls)``."""

    def __init__(self, redis_url: str, every: float = 2.0) -> None:
        self.every = every
        self.tally = Tally()
        self._redis = Redis.from_url(redis_url, decode_responses=True)
        self._task: asyncio.Task[None] | None = None
        self._seconds: list[float] = []

    async def __aenter__(self) -> AuditWatch:
        clock = ClusterClock()
        await clock.sync(self._redis)
        self._auditor = Auditor(
            self._redis, Lua(self._redis, clock, await self._redis.get(SETTINGS_KEY))
        )
        self._task = asyncio.create_task(self._watch())
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._stop()
        await self._redis.aclose()

    async def _stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _audit(self) -> None:
        started = time.monotonic()
        found = await self._auditor.audit()
        self._seconds.append(time.monotonic() - started)
        self.tally.passes += 1
        self.tally.violations.update(v.kind for v in found)
        for violation in found[:5]:
            progress(f"audit: {violation}")

    async def _watch(self) -> None:
        while True:
            await self._audit()
            await asyncio.sleep(self.every)

    async def final(self, urls: list[str], wait: float = 30) -> Tally:
        """The load is over: one more audit, one more reconciler pass on some node, then what
        every node's reconciler counted."""
        await self._stop()
        await self._audit()
        before = (await self._scrape(urls))["reconciler_passes"]
        deadline = time.monotonic() + wait
        while True:
            counts = await self._scrape(urls)
            if counts["reconciler_passes"] > before or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        self.tally.reconciler = counts
        if self._seconds:
            progress(
                f"audit pass: median {sorted(self._seconds)[len(self._seconds) // 2]:.3f} s, "
                f"longest {max(self._seconds):.3f} s; {self.tally.note(self.every)}"
            )
        return self.tally

    async def _scrape(self, urls: list[str]) -> Counter[str]:
        counts: Counter[str] = Counter()
        async with aiohttp.ClientSession() as http:
            for url in urls:
                async with http.get(url + "/metrics") as response:
                    text = await response.text()
                for name, value in _METRIC.findall(text):
                    counts[name] += int(float(value))
        return counts
