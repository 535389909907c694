"""The profile a person keeps (name, headline, expertise, skills) and how others see it.

The matching issue's directory reads ``headline`` and ``expertise``; ``skills`` here are the ones
a person says they can help with, used where no burst says otherwise.
"""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta, Struct

from server.accounts.store import Account, AccountStore
from server.clock import Clock
from server.errors import InvalidPayload, NotFound
from server.payloads import Slug, trimmed
from server.queue import SkillQueue
from server.ratings import Ratings
from server.skills import SkillCatalog


class ProfileUpdate(Struct, forbid_unknown_fields=True):
    headline: Annotated[str, Meta(max_length=120)] = ""
    expertise: Annotated[str, Meta(max_length=1000)] = ""
    skills: Annotated[list[Slug], Meta(max_length=20)] = []
    name: Annotated[str, Meta(max_length=200)] | None = None


def profile_of(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "name": account.name,
        "headline": account.headline,
        "expertise": account.expertise,
        "skills": account.skills,
    }


class Profiles:
    def __init__(
        self,
        store: AccountStore,
        catalog: SkillCatalog,
        queue: SkillQueue,
        ratings: Ratings,
        clock: Clock,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._queue = queue
        self._ratings = ratings
        self._clock = clock

    async def update(self, account: Account, msg: ProfileUpdate) -> dict[str, Any]:
        unknown = [s for s in msg.skills if s not in self._catalog.slugs]
        if unknown:
            raise InvalidPayload(f"skills: unknown skill {unknown[0]!r}", code="unknown_skill")
        values = {
            "headline": msg.headline.strip(),
            "expertise": msg.expertise.strip(),
            "profile_skills": ",".join(dict.fromkeys(msg.skills)),
            "updated_at": str(self._clock.now_ms()),
        }
        if msg.name is not None:
            values["name"] = trimmed(msg.name, "name", 1, 60)
        await self._store.update_profile(account.id, values)
        updated = await self._store.get(account.id)
        if updated is None:
            raise NotFound("No such account.")
        return profile_of(updated)

    async def public(self, user_id: str) -> dict[str, Any]:
        """``GET /api/users/{id}``: what anyone may see of a person."""
        account = await self._store.get(user_id)
        if account is None:
            raise NotFound("No such user.")
        burst = await self._queue.mentor(user_id)
        burst_skills = [x for x in burst.get("skills", "").split(",") if x]
        return {
            "id": user_id,
            "name": account.name,
            "headline": account.headline,
            "expertise": account.expertise,
            "skills": account.skills or burst_skills,
            "rating": (await self._ratings.reputation(user_id)).as_dict(),
            "sessions": await self._ratings.sessions_count(user_id),
        }
