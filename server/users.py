"""User records: a display name, the kind of account, and when the user first appeared.

The rest of an account (profile, passkeys, organisation identity, token epoch) is owned by
``server.accounts``; this module stays the small read path the domain uses for names.
"""

from __future__ import annotations

import secrets

from redis.asyncio import Redis

from server import keys
from server.auth import Identity

# What others' histories show for a person whose account is gone (deleted, or an expired guest).
DELETED_NAME = "Deleted user"


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(9)}"


class Users:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def create(self, name: str, now_ms: int, kind: str = "guest") -> Identity:
        """A new account. ``kind`` says whether it may expire: only guests may (issue 11)."""
        identity = Identity(new_id("u"), name)
        await self._redis.hset(
            keys.user(identity.user_id),
            mapping={"name": name, "created_at": now_ms, "kind": kind, "epoch": 0},
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
        return {uid: v or DELETED_NAME for uid, v in zip(user_ids, values, strict=True)}
