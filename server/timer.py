"""Server-owned countdowns and the deadlines that drive them.

Each kind of deadline is a member of :class:`Deadline`; ``server/app/wiring.py`` gives
:meth:`Timers.route` one table from every kind to its handler, and the timers refuse to start
while a kind has none.

Every deadline is a member ``"<kind>|<arg>"`` of one Redis ZSET scored by its due time, so any
node can fire it. The scripts that change state write the deadlines they imply in the same step
(``server/store/lua/lib.lua``). A node claims due members atomically (``claim_timers.lua``) by moving
them to ``now + lease``; it removes them once handled. If a node dies mid-way, or a handler
fails for any reason (Redis away, read-only during a failover, out of memory, a bug), the
deadline stays and fires again after its lease: handlers are idempotent (every transition is
guarded in Lua), which gives exactly-once effects across nodes and never a lost deadline.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from enum import StrEnum

from redis.asyncio import Redis

from server.protocol.errors import log_failure
from server.runtime import metrics
from server.runtime.clock import Clock
from server.runtime.loops import BackgroundLoop
from server.store import keys
from server.store.scripts import Scripts

log = logging.getLogger(__name__)

TimerHandler = Callable[[str], Awaitable[None]]


class Deadline(StrEnum):
    """Every kind of deadline, as stored in Redis (``"<kind>|<arg>"``) and written by the Lua."""

    CONNECT = "connect"  # a matched call's media must flow by now (arg: session id)
    WARN = "warn"  # a live call's warning mark ("<session id>:<ms left>")
    END = "end"  # a live call's countdown ran out (session id)
    SETTLE = "settle"  # an ended call's follow-ups, if nobody ran them yet (session id)
    COOLDOWN = "cooldown"  # a mentor that has not rated is matchable again (mentor id)
    BURST = "burst"  # a mentor's burst is over (mentor id)
    WIDEN = "widen"  # a mentee waited long enough to be offered wider skills (mentee id)
    PRESENCE = "presence"  # a user's reconnect grace ran out (user id)
    EVENT_ROUND = "event-round"  # an event's round is over ("<event id>:<round>")
    EVENT_BREAK = "event-break"  # an event's break is over ("<event id>:<round>")


class MissingDeadlines(RuntimeError):
    """The timers were asked to start while some kinds of deadline had no handler."""


class Timers(BackgroundLoop):
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
        self._handlers: dict[str, TimerHandler] = {}  # by kind (a Deadline is its string)
        super().__init__()

    def route(self, table: Mapping[Deadline, TimerHandler]) -> None:
        """Who handles each kind of deadline: the whole table at once."""
        self._handlers = {str(kind): handler for kind, handler in table.items()}

    @property
    def routes(self) -> dict[Deadline, TimerHandler]:
        """The table :meth:`route` was given."""
        return {Deadline(kind): handler for kind, handler in self._handlers.items()}

    def start(self) -> None:
        """Start firing deadlines; refused while any kind of deadline has no handler."""
        missing = [kind.value for kind in Deadline if kind not in self._handlers]
        if missing:
            raise MissingDeadlines(f"no handler for deadline kinds: {', '.join(missing)}")
        super().start()

    async def schedule(self, kind: Deadline, arg: str, due_ms: int) -> None:
        await self.schedule_many([(kind, arg, due_ms)])

    async def schedule_many(self, entries: Iterable[tuple[Deadline, str, int]]) -> None:
        mapping = {f"{kind}|{arg}": due for kind, arg, due in entries}
        if not mapping:
            return
        await self._redis.zadd(keys.TIMERS, mapping)
        self.wake()

    async def cancel(self, kind: Deadline, *args: str) -> None:
        await self.cancel_many([(kind, arg) for arg in args])

    async def cancel_many(self, entries: Iterable[tuple[Deadline, str]]) -> None:
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
            await self._scripts.complete_timer(keys=[keys.TIMERS], args=[member, lease])
        except Exception as exc:
            log_failure(log, f"timer {member} (it fires again after its lease)", exc)

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
            except Exception as exc:
                log_failure(log, "claiming deadlines (retrying)", exc)
                delay = 0.5
            if delay > 0:
                await self.pause(delay)
