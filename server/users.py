"""User records: a display name and when the user first appeared."""

from __future__ import annotations

import secrets

from redis.asyncio import Redis

from server import keys
from server.auth import Identity


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(9)}"


class Users:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def create(self, name: str, now_ms: int) -> Identity:
        identity = Identity(new_id("u"), name)
        await self._redis.hset(
            keys.user(identity.user_id), mapping={"name": name, "created_at": now_ms}
        )
        return identity

    async def name(self, user_id: str) -> str | None:
        value = await self._redis.hget(keys.user(user_id), "name")
        return str(value) if value is not None else None

    async def names(self, user_ids: list[str]) -> dict[str, str]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for uid in user_ids:
                pipe.hget(keys.user(uid), "name")
            values = await pipe.execute()
        return {uid: v or "" for uid, v in zip(user_ids, values, strict=True)}
