"""Rate limits, kept in Redis so they hold across nodes, with the ``limits`` library (sliding
window counters: one small script per check, no hand-written buckets), and one token bucket
(``token_bucket.lua``) where a crowd arrives at once: logins per address.

Each budget is a ``limits`` string such as ``"10/second;120/minute"``; every rate in it must hold.
The defaults (documented in docs/protocol.md, each set by its own flag) let a person using the
product at a human pace never meet a limit, while a script doing 200 of the same call within a
few seconds does. A sliding window cannot tell a room from a script: 150 people signing in
within a second at a venue's Wi-Fi look like a flood. A bucket can: it holds a few hundred
tokens for that moment, then refills at a steady rate a flood soon outruns.

The signal budget is kept per node, not in Redis: a person's sockets are normally on one node,
and one Redis round trip per candidate would halve the relay (``server/domain/calls/relay.py``).
It is counted in plain fixed windows (:class:`LocalBudget`, a dozen lines) because the ``limits``
library's memory storage cost a tenth of the relay's CPU in a profile. Every other budget stays
in Redis.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from limits import RateLimitItem, parse_many
from limits.aio.storage import RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import ConnectionPool

from server.protocol.errors import RateLimited
from server.runtime import metrics
from server.runtime.config import Config
from server.store import keys
from server.store.scripts import Lua


@dataclass(frozen=True)
class Budget:
    """What a budget is for (said in the refusal) and the rates that must all hold."""

    name: str
    what: str
    rates: list[RateLimitItem] = field(hash=False)

    @classmethod
    def parse(cls, name: str, what: str, text: str) -> Budget:
        """An empty ``text`` is a budget with no rates: it never refuses."""
        return cls(name, what, parse_many(text) if text.strip() else [])


@dataclass(frozen=True)
class TokenBucket:
    """Room for ``capacity`` uses at once, refilled at ``per_second`` (Redis-side, per client)."""

    name: str
    what: str
    capacity: int
    per_second: float


@dataclass(frozen=True)
class Budgets:
    login: TokenBucket
    login_window: Budget
    event_create: Budget
    events: Budget
    signal: Budget
    chat: Budget
    rest_writes: Budget
    precall: Budget
    code_guesses: Budget
    ice: Budget
    suggest: Budget
    directory: Budget
    records: Budget

    @classmethod
    def from_config(cls, config: Config) -> Budgets:
        return cls(
            TokenBucket(
                "login",
                "logins from this address",
                config.limit_login_burst,
                config.limit_login_refill,
            ),
            Budget.parse("login_window", "logins from this address", config.limit_login),
            Budget.parse(
                "event_create", "events created from this address", config.limit_event_create
            ),
            Budget.parse("events", "requests", config.limit_events),
            Budget.parse("signal", "signalling messages", config.limit_signal),
            Budget.parse("chat", "messages", config.limit_chat),
            Budget.parse("rest_writes", "changes", config.limit_rest),
            Budget.parse("precall", "connection checks", config.limit_precall),
            Budget.parse("code_guesses", "wrong event codes", config.limit_code_guesses),
            Budget.parse("ice", "requests for relay credentials", config.limit_ice),
            Budget.parse("suggest", "skill suggestions from this address", config.limit_suggest),
            Budget.parse("directory", "directory pages from this address", config.limit_directory),
            Budget.parse("records", "session records read", config.limit_records),
        )


class LocalBudget:
    """A budget's rates counted in fixed windows in this process: (window start, count) per
    person and rate, forgotten once their window is over."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self._rates = [(rate.amount, rate.get_expiry()) for rate in budget.rates]
        self._windows: dict[tuple[str, int], tuple[float, int]] = {}
        self._swept = time.monotonic()

    def spend(self, who: str, now: float) -> int:
        """0 when allowed, else the seconds until the window that refused it ends."""
        if now - self._swept > 60:
            self._sweep(now)
        for index, (amount, seconds) in enumerate(self._rates):
            started, count = self._windows.get((who, index), (now, 0))
            if now - started >= seconds:
                started, count = now, 0
            if count >= amount:
                return max(1, round(started + seconds - now))
            self._windows[(who, index)] = (started, count + 1)
        return 0

    def _sweep(self, now: float) -> None:
        self._swept = now
        longest = max(seconds for _, seconds in self._rates)
        for key, (started, _) in list(self._windows.items()):
            if now - started >= longest:
                del self._windows[key]


class RateLimits:
    def __init__(self, pool: ConnectionPool, config: Config, lua: Lua) -> None:
        self.enabled = config.rate_limits
        self._lua = lua
        self.budgets = Budgets.from_config(config)
        storage = RedisStorage(
            "async+redis://", implementation="redispy", connection_pool=pool,
            key_prefix=f"{keys.PREFIX}rl",
        )  # fmt: skip
        self._limiter = SlidingWindowCounterRateLimiter(storage)
        self._signals = LocalBudget(self.budgets.signal)
        self.refusals = 0

    def spend_signal(self, who: str) -> None:
        """Count one ``signal`` for ``who`` in this node's own windows; refuse it when spent."""
        if not self.enabled:
            return
        wait = self._signals.spend(who, time.monotonic())
        if wait:
            self.refuse(self.budgets.signal, wait)

    async def spend(self, budget: Budget, *who: str) -> None:
        """Count one use against ``budget`` for ``who``; refuse it if a rate would be exceeded."""
        if not self.enabled:
            return
        for rate in budget.rates:
            if not await self._limiter.hit(rate, budget.name, *who):
                await self._refuse(budget, rate, who)

    async def take(self, bucket: TokenBucket, who: str) -> None:
        """Take a token from ``who``'s bucket; refuse, saying when one is back, if it is empty."""
        if not self.enabled:
            return
        granted, value = await self._lua(
            self._lua.scripts.token_bucket,
            bucket.name,
            who,
            bucket.capacity,
            bucket.per_second / 1000,
        )
        if not int(granted):
            self.refuse(bucket, max(1, math.ceil(int(value) / 1000)))

    async def check(self, budget: Budget, *who: str) -> None:
        """Refuse if ``budget`` is already spent for ``who``, without counting a use."""
        if not self.enabled:
            return
        for rate in budget.rates:
            if not await self._limiter.test(rate, budget.name, *who):
                await self._refuse(budget, rate, who)

    async def _refuse(self, budget: Budget, rate: RateLimitItem, who: tuple[str, ...]) -> None:
        stats = await self._limiter.get_window_stats(rate, budget.name, *who)
        self.refuse(budget, max(1, math.ceil(stats.reset_time - time.time())))

    def refuse(self, budget: Budget | TokenBucket, retry_after_s: int) -> None:
        """Count a refusal of ``budget`` (kept in Redis or, for the relay, per node) and raise."""
        self.refusals += 1
        metrics.RATE_LIMITED.labels(budget.name).inc()
        raise RateLimited(budget.what, retry_after_s)
