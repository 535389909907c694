"""The admin role: who may read program analytics and everyone's no-show counts.

Granted and revoked only from the command line on a machine that reaches the Redis
(``mentorburst admin grant USER_ID``, ``revoke``, ``list``), so no web request can make an
admin. Kept in ``mb:admins`` (permanent, as small as the number of admins).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from redis.asyncio import Redis

from server.protocol.errors import Forbidden
from server.store import keys
from server.store.embedded import running_redis


class Admins:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def is_admin(self, user_id: str) -> bool:
        return bool(await self._redis.sismember(keys.ADMINS, user_id))

    async def require(self, user_id: str) -> None:
        """403 ``not_admin`` for anyone but an admin."""
        if not await self.is_admin(user_id):
            raise Forbidden("Only admins can see program analytics.", code="not_admin")


async def admin_command(
    action: str,
    user_id: str | None,
    redis_url: str | None,
    data_dir: Path,
    say: Callable[[str], None],
) -> int:
    """``mentorburst admin grant|revoke|list``; exit status 1 for an unknown account."""
    async with running_redis(redis_url, data_dir) as redis:
        if action == "list":
            admins = sorted(await redis.smembers(keys.ADMINS))
            for uid in admins:
                say(f"{uid}\t{await redis.hget(keys.user(uid), 'name') or '(account gone)'}")
            return 0
        assert user_id is not None
        if action == "grant":
            name = await redis.hget(keys.user(user_id), "name")
            if name is None:
                say(f"mentorburst admin: no account {user_id!r}")
                return 1
            await redis.sadd(keys.ADMINS, user_id)
            say(f"{user_id} ({name}) is an admin")
        else:
            removed = await redis.srem(keys.ADMINS, user_id)
            say(f"{user_id} is {'no longer' if removed else 'not'} an admin")
        return 0
