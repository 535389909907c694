"""Self-healing: one node at a time audits the invariants and repairs what it finds.

Each repair is a branch of ``server/store/lua/repair.lua`` that re-runs the audit's own judge of its
subject (``server/store/lua/judges.lua``) in the same step and acts only while it still finds the
violation, so a repair racing the normal flow changes nothing. Every pass, violation found and
repair is counted; every repair is logged.
"""

from __future__ import annotations

import logging
from collections import Counter

from redis.asyncio import Redis

from server.domain.audit.invariants import Auditor, Violation
from server.protocol.errors import log_failure
from server.runtime import metrics
from server.runtime.hooks import Hook
from server.runtime.loops import BackgroundLoop
from server.store import keys
from server.store.scripts import Lua

log = logging.getLogger(__name__)

LOCK = f"{keys.PREFIX}reconciler-lock"


async def repair(lua: Lua, violation: Violation) -> bool:
    """Mend one violation; False when it was gone by the time the script looked."""
    if violation.kind == "overlap":
        return False  # history: nothing to undo, only to report
    return bool(await lua(lua.scripts.repair, violation.kind, violation.subject))


class Reconciler(BackgroundLoop):
    name = "reconciler"

    def __init__(
        self,
        redis: Redis,
        lua: Lua,
        node_id: str,
        *,
        interval: float = 30.0,
    ) -> None:
        super().__init__()
        self._redis = redis
        self._lua = lua
        self._node_id = node_id
        self._interval = interval
        self._auditor = Auditor(redis, lua)
        # A violation was mended (a freed mentor may be matched at once).
        self.repaired: Hook[Violation] = Hook("reconciler.repaired")
        self.repairs: Counter[str] = Counter()

    async def run_once(self) -> list[Violation]:
        """Audit and repair under the lock; returns what was repaired (nothing without the lock)."""
        lock_ms = round(max(self._interval, 10) * 1000)
        if not await self._redis.set(LOCK, self._node_id, nx=True, px=lock_ms):
            return []
        repaired = []
        found = await self._auditor.audit()
        metrics.RECONCILER_PASSES.inc()
        for violation in found:
            metrics.AUDIT_VIOLATIONS.labels(violation.kind).inc()
            if await repair(self._lua, violation):
                log.warning("reconciler repaired %s", violation)
                self.repairs[violation.kind] += 1
                metrics.RECONCILER_REPAIRS.labels(violation.kind).inc()
                repaired.append(violation)
                await self.repaired(violation)
        return repaired

    async def run(self) -> None:
        while not self.stopping:
            await self.pause(self._interval)
            if self.stopping:
                return
            try:
                await self.run_once()
            except Exception as exc:
                log_failure(log, "reconciler pass", exc)
