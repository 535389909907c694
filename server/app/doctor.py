"""``mentorburst doctor``: the invariants audit, from the command line (read-only by default).

Finds the Redis to audit the way ``serve`` does: ``--redis-url`` / ``REDIS_URL``, else the
embedded Redis of a server running on ``--data-dir``, else that data dir's AOF, loaded into an
embedded Redis for the time of the audit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from redis.asyncio import Redis

from server.domain.audit.invariants import Auditor, Violation
from server.domain.audit.reconciler import repair
from server.runtime.clock import ClusterClock
from server.store.embedded import EmbeddedRedis
from server.store.scripts import SETTINGS_KEY, Lua


async def _running_embedded(data_dir: Path) -> str | None:
    url_file = EmbeddedRedis(data_dir).url_file
    if not url_file.exists():
        return None
    url = url_file.read_text().strip()
    client = Redis.from_url(url)
    try:
        await client.ping()
        return url
    except Exception:
        return None
    finally:
        await client.aclose()


@asynccontextmanager
async def _redis_url(redis_url: str | None, data_dir: Path) -> AsyncIterator[str]:
    """``--redis-url`` / ``REDIS_URL``, else the embedded Redis of a server running on
    ``data_dir``, else that data dir's AOF loaded into an embedded Redis for the time of the
    command."""
    embedded = None
    url = redis_url or await _running_embedded(data_dir)
    if url is None:
        embedded = EmbeddedRedis(data_dir)
        url = await embedded.start()
    try:
        yield url
    finally:
        if embedded is not None:
            await embedded.stop()


@asynccontextmanager
async def running_redis(redis_url: str | None, data_dir: Path) -> AsyncIterator[Redis]:
    """The Redis a command-line tool works on (see :func:`_redis_url`)."""
    async with _redis_url(redis_url, data_dir) as url:
        redis = Redis.from_url(url, decode_responses=True)
        try:
            yield redis
        finally:
            await redis.aclose()


async def doctor(
    redis_url: str | None, data_dir: Path, *, fix: bool, history: bool, say: Callable[[str], None]
) -> int:
    """Print the audit; exit status 1 when it found violations (before any repair)."""
    async with _redis_url(redis_url, data_dir) as url, running_redis(url, data_dir) as redis:
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
