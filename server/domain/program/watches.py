""" "Tell me when Jamie (or any mentor of Python) comes online": one-shot watches.

A watch is kept 30 days at most (``WATCH_TTL_S``). When a mentor starts a burst, one script
takes every watch of that mentor and of its skills and ends them, so each watcher hears it once
(``notify`` with ``kind: "mentor_online"``), in the app and, where the person allowed it, as a
Web Notification.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from server.domain.accounts.users import Users
from server.domain.dropin.flow import CameOnline
from server.domain.matching.catalog import SkillCatalog
from server.protocol.errors import InvalidPayload, NotFound
from server.protocol.notifier import Notifier
from server.protocol.outbound import Notify, PersonRef, SkillRef, WatchRef
from server.store import keys
from server.store.scripts import Lua

WATCH_TTL_S = 30 * 86400
MAX_WATCHES = 50


class Watches:
    def __init__(
        self, redis: Redis, lua: Lua, users: Users, catalog: SkillCatalog, notifier: Notifier
    ) -> None:
        self._redis = redis
        self._lua = lua
        self._users = users
        self._catalog = catalog
        self._notifier = notifier

    async def _target(self, user_id: str, mentor_id: str | None, skill: str | None) -> str:
        if (mentor_id is None) == (skill is None):
            raise InvalidPayload("Give either mentor_id or skill.")
        if skill is not None:
            if skill not in self._catalog:
                raise InvalidPayload(f"skill: unknown skill {skill!r}", code="unknown_skill")
            return f"skill:{skill}"
        assert mentor_id is not None
        if mentor_id == user_id:
            raise InvalidPayload("mentor_id: that is you.")
        if await self._users.name(mentor_id) is None:
            raise NotFound("No such mentor.")
        return f"mentor:{mentor_id}"

    async def add(
        self, user_id: str, mentor_id: str | None, skill: str | None
    ) -> list[dict[str, Any]]:
        watch = await self._target(user_id, mentor_id, skill)
        if await self._redis.scard(keys.watching(user_id)) >= MAX_WATCHES:
            raise InvalidPayload(f"At most {MAX_WATCHES} watches at once.")
        kind, _, target = watch.partition(":")
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.sadd(keys.watchers(kind, target), user_id)
            pipe.expire(keys.watchers(kind, target), WATCH_TTL_S)
            pipe.sadd(keys.watching(user_id), watch)
            pipe.expire(keys.watching(user_id), WATCH_TTL_S)
            await pipe.execute()
        return await self.of(user_id)

    async def remove(
        self, user_id: str, mentor_id: str | None, skill: str | None
    ) -> list[dict[str, Any]]:
        watch = await self._target(user_id, mentor_id, skill)
        kind, _, target = watch.partition(":")
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.srem(keys.watchers(kind, target), user_id)
            pipe.srem(keys.watching(user_id), watch)
            await pipe.execute()
        return await self.of(user_id)

    async def of(self, user_id: str) -> list[dict[str, Any]]:
        watches = sorted(await self._redis.smembers(keys.watching(user_id)))
        mentors = [w.partition(":")[2] for w in watches if w.startswith("mentor:")]
        names = await self._users.names(mentors) if mentors else {}
        out: list[dict[str, Any]] = []
        for watch in watches:
            kind, _, target = watch.partition(":")
            if kind == "mentor":
                out.append({"kind": kind, "mentor": {"id": target, "name": names.get(target, "")}})
            else:
                out.append(
                    {"kind": kind, "skill": {"slug": target, "name": self._catalog.name(target)}}
                )
        return out

    async def mentor_online(self, online: CameOnline) -> None:
        """A mentor started a burst: tell (once) everyone watching it or its skills."""
        mentor_id, skills = online.mentor_id, online.skills
        fired = await self._lua(self._lua.scripts.watch_fire, mentor_id, ",".join(skills))
        if not fired:
            return
        name = await self._users.name(mentor_id) or ""
        told: set[str] = set()
        for i in range(0, len(fired), 3):
            watcher, kind, target = fired[i : i + 3]
            if watcher in told:
                continue  # watching the mentor and its skill: one notice
            told.add(watcher)
            notice = Notify(
                kind="mentor_online",
                mentor=PersonRef(mentor_id, name),
                skills=[SkillRef(s, self._catalog.name(s)) for s in skills],
                watch=WatchRef(kind, target),
            )
            await self._notifier.to_user(watcher, notice)
