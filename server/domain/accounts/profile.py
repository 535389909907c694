"""The profile a person keeps (name, headline, expertise, skills) and how others see it.

The matching issue's directory reads ``headline`` and ``expertise``; ``skills`` here are the ones
a person says they can help with, used where no burst says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.domain.accounts.store import Account, AccountStore
from server.domain.calls.ratings import Ratings
from server.domain.matching.catalog import SkillCatalog
from server.protocol.errors import InvalidPayload, NotFound
from server.queue import SkillQueue
from server.runtime.clock import Clock
from server.runtime.hooks import Hook


def profile_of(account: Account) -> dict[str, Any]:
    """The contract's profile; (ext) ``wont_cover`` only once the person wrote one."""
    profile: dict[str, Any] = {
        "id": account.id,
        "name": account.name,
        "headline": account.headline,
        "expertise": account.expertise,
        "skills": account.skills,
    }
    if account.wont_cover:
        profile["wont_cover"] = account.wont_cover
    return profile


@dataclass(frozen=True)
class ProfileChanged:
    """A person saved their profile; ``describes_help`` when it now says what they can help
    with (a headline, expertise or skills)."""

    user_id: str
    describes_help: bool


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
        # The matcher re-embeds their expertise; the directory lists them.
        self.changed: Hook[ProfileChanged] = Hook("profiles.changed")

    async def update(
        self,
        account: Account,
        headline: str,
        expertise: str,
        skills: list[str],
        name: str | None = None,
        wont_cover: str | None = None,
    ) -> dict[str, Any]:
        """Replace the profile (text already checked at the edge); ``name`` and ``wont_cover``
        only when given."""
        unknown = [s for s in skills if s not in self._catalog.slugs]
        if unknown:
            raise InvalidPayload(f"skills: unknown skill {unknown[0]!r}", code="unknown_skill")
        values = {
            "headline": headline,
            "expertise": expertise,
            "profile_skills": ",".join(dict.fromkeys(skills)),
            "updated_at": str(self._clock.now_ms()),
        }
        if name is not None:
            values["name"] = name
        if wont_cover is not None:
            values["wont_cover"] = wont_cover
        await self._store.update_profile(account.id, values)
        describes = bool(values["headline"] or values["expertise"] or values["profile_skills"])
        await self.changed(ProfileChanged(account.id, describes))
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
        } | ({"wont_cover": account.wont_cover} if account.wont_cover else {})
