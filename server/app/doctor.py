"""``mentorburst doctor``: the invariants audit, from the command line (read-only by default).

Finds the Redis to audit the way ``serve`` does (``server.store.embedded.tool_redis_url``):
``--redis-url`` / ``REDIS_URL``, else the embedded Redis of a server running on ``--data-dir``,
else that data dir's AOF, loaded into an embedded Redis for the time of the audit.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from server.domain.audit.invariants import Auditor, Violation
from server.domain.audit.reconciler import repair
from server.runtime.clock import ClusterClock
from server.store.embedded import running_redis, tool_redis_url
from server.store.scripts import SETTINGS_KEY, Lua


async def doctor(
    redis_url: str | None, data_dir: Path, *, fix: bool, history: bool, say: Callable[[str], None]
) -> int:
    """Print the audit; exit status 1 when it found violations (before any repair)."""
    async with tool_redis_url(redis_url, data_dir) as url, running_redis(url, data_dir) as redis:
        clock = ClusterClock()
        await clock.sync(redis)
        lua = Lua(redis, clock, await redis.get(SETTINGS_KEY))
        auditor = Auditor(redis, lua)
        found: list[Violation] = await auditor.audit()
        if history:
            found += await auditor.overlaps()
        say(f"mentorburst doctor: {url}: {len(found)} violation(s)")
        for violation in found:
            say(f"  {violation}")
        if fix and found:
            mended = [v for v in found if await repair(lua, v)]
            say(f"repaired {len(mended)} of {len(found)}")
        return 1 if found else 0
