"""User records: a display name, the kind of account, and when the user first appeared.

The rest of an account (profile, passkeys, organisation identity, token epoch) is owned by
``server.domain.accounts``; this module stays the small read path the domain uses for names.
"""

from __future__ import annotations

import secrets

from redis.asyncio import Redis

from server.domain.accounts.signer import Identity
from server.store import keys

# What others' histories show for a person whose account is gone (deleted, or an expired guest).
DELETED_NAME = "Deleted user"


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(9)}"


class Users:
    def __init__(self, redis: Redis, guest_ttl_seconds: float = 24 * 3600) -> None:
        self._redis = redis
        self._guest_ttl_ms = round(guest_ttl_seconds * 1000)

    async def create(self, name: str, now_ms: int, kind: str = "guest") -> Identity:
        """A new account. A guest who never uses the product is forgotten after the guest TTL;
        using it (asking, mentoring, an event) keeps it for the history retention."""
        identity = Identity(new_id("u"), name)
        key = keys.user(identity.user_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"name": name, "created_at": now_ms, "kind": kind, "epoch": 0})
            if kind == "guest":
                pipe.pexpire(key, self._guest_ttl_ms)
            await pipe.execute()
        return identity

    async def name(self, user_id: str) -> str | None:
        value = await self._redis.hget(keys.user(user_id), "name")
        return str(value) if value is not None else None

    async def cards(self, user_ids: list[str]) -> dict[str, dict[str, str]]:
        """Name, headline and what they won't cover, for peer cards, in one round trip."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for uid in user_ids:
                pipe.hmget(keys.user(uid), "name", "headline", "wont_cover")
            values = await pipe.execute()
        return {
            uid: {
                "name": name or DELETED_NAME,
                "headline": headline or "",
                "wont_cover": wont or "",
            }
            for uid, (name, headline, wont) in zip(user_ids, values, strict=True)
        }

    async def names(self, user_ids: list[str]) -> dict[str, str]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for uid in user_ids:
                pipe.hget(keys.user(uid), "name")
            values = await pipe.execute()
        return {uid: v or DELETED_NAME for uid, v in zip(user_ids, values, strict=True)}
