"""Server-owned countdowns and the deadlines that drive them.

Every deadline is a member ``"<kind>|<arg>"`` of one Redis ZSET scored by its due time, so any
node can fire it. A node claims due members atomically (``claim_timers.lua``) by moving them to
``now + lease``; it removes them once handled. If a node dies mid-way, the lease runs out and
another node fires the deadline again: handlers are idempotent (session ends are guarded in Lua),
which gives exactly-once effects across nodes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from server import keys, metrics
from server.clock import Clock
from server.scripts import Scripts
from server.worker import Worker

log = logging.getLogger(__name__)

TimerHandler = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class Countdown:
    """A fixed call length, started by the server at ``started_at``."""

    started_at: int
    duration_ms: int

    @property
    def ends_at(self) -> int:
        return self.started_at + self.duration_ms

    def warnings(self, marks: Iterable[float]) -> list[tuple[float, int]]:
        """(remaining seconds, when) for each mark that falls inside the call."""
        out = []
        for remaining in marks:
            at = self.ends_at - round(remaining * 1000)
            if self.started_at < at < self.ends_at:
                out.append((remaining, at))
        return out


class Timers(Worker):
    name = "timers"

    def __init__(
        self,
        redis: Redis,
        scripts: Scripts,
        clock: Clock,
        *,
        lease_ms: int = 10_000,
        poll_seconds: float = 0.05,
        batch: int = 200,
    ) -> None:
        self._redis = redis
        self._scripts = scripts
        self._clock = clock
        self._lease_ms = lease_ms
        self._poll = poll_seconds
        self._batch = batch
        self._handlers: dict[str, TimerHandler] = {}
        super().__init__()

    def on(self, kind: str, handler: TimerHandler) -> None:
        self._handlers[kind] = handler

    async def schedule(self, kind: str, arg: str, due_ms: int) -> None:
        await self.schedule_many([(kind, arg, due_ms)])

    async def schedule_many(self, entries: Iterable[tuple[str, str, int]]) -> None:
        mapping = {f"{kind}|{arg}": due for kind, arg, due in entries}
        if not mapping:
            return
        await self._redis.zadd(keys.TIMERS, mapping)
        self.wake()

    async def cancel(self, kind: str, *args: str) -> None:
        await self.cancel_many([(kind, arg) for arg in args])

    async def cancel_many(self, entries: Iterable[tuple[str, str]]) -> None:
        """Drop deadlines in one round trip: (kind, arg) pairs."""
        members = [f"{kind}|{arg}" for kind, arg in entries]
        if members:
            await self._redis.zrem(keys.TIMERS, *members)

    async def fire_due(self) -> int:
        """Claim and run every deadline due now; returns how many fired."""
        now = self._clock.now_ms()
        claimed = await self._scripts.claim_timers(
            keys=[keys.TIMERS], args=[now, self._lease_ms, self._batch]
        )
        triples = [claimed[i : i + 3] for i in range(0, len(claimed), 3)]
        for member, _lease, due in triples:
            metrics.deadline_fired(member.partition("|")[0], now - float(due))
        await asyncio.gather(*(self._fire(member, lease) for member, lease, _due in triples))
        return len(triples)

    async def _fire(self, member: str, lease: str) -> None:
        kind, _, arg = member.partition("|")
        handler = self._handlers.get(kind)
        try:
            if handler is None:
                log.warning("no handler for timer %s", member)
            else:
                await handler(arg)
        except RedisConnectionError:
            log.exception("timer %s failed on Redis; it fires again after its lease", member)
            return
        except Exception:
            log.exception("timer %s failed", member)
        await self._scripts.complete_timer(keys=[keys.TIMERS], args=[member, lease])

    async def _next_due_in(self) -> float:
        head = await self._redis.zrange(keys.TIMERS, 0, 0, withscores=True)
        if not head:
            return self._poll
        due_in = (float(head[0][1]) - self._clock.now_ms()) / 1000
        return max(0.0, min(self._poll, due_in))

    async def run(self) -> None:
        while not self.stopping:
            try:
                fired = await self.fire_due()
                if fired >= self._batch:
                    continue
                delay = await self._next_due_in()
            except RedisConnectionError:
                log.warning("timers: Redis unreachable, retrying")
                delay = 0.5
            if delay > 0:
                await self.pause(delay)
