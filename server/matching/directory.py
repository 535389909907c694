"""The mentor directory ("Find a mentor"): search by meaning, filter by skill and "online now".

Everyone who has gone online as a mentor or written a profile (headline, expertise or skills)
is listed (``mb:mentors``; accounts that are gone are dropped as they are read). With ``q`` the
list is ranked by how well each mentor's own words fit it (cosine of the question and the
mentor's headline and expertise; see :mod:`server.matching.expertise`), then by rating; without,
mentors online come first, then by rating.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from server import keys
from server.clock import Clock
from server.matching.matcher import Matcher
from server.program.office_hours import OfficeHours
from server.ratings import Ratings, bayesian
from server.skills import SkillCatalog

LIMIT = 50


@dataclass(frozen=True)
class Query:
    q: str = ""
    skill: str | None = None
    online: bool = False
    limit: int = LIMIT


class Directory:
    def __init__(
        self,
        redis: Redis,
        matcher: Matcher,
        ratings: Ratings,
        hours: OfficeHours,
        catalog: SkillCatalog,
        clock: Clock,
    ) -> None:
        self._redis = redis
        self._matcher = matcher
        self._ratings = ratings
        self._hours = hours
        self._catalog = catalog
        self._clock = clock

    async def listed(self, user_id: str) -> None:
        """A profile now says what this person can help with: list them."""
        await self._redis.sadd(keys.MENTORS, user_id)

    async def search(self, query: Query) -> list[dict[str, Any]]:
        ids = sorted(await self._redis.smembers(keys.MENTORS))
        if not ids:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for uid in ids:
                pipe.hmget(
                    keys.user(uid),
                    "name",
                    "headline",
                    "expertise",
                    "profile_skills",
                    "wont_cover",
                    "office_hours",
                )
                pipe.hmget(keys.mentor(uid), "state", "skills")
                pipe.hgetall(keys.skill_reputation(uid))
            raw = await pipe.execute()
        people: dict[str, dict[str, Any]] = {}
        gone = []
        for i, uid in enumerate(ids):
            (name, headline, expertise, profile_skills, wont, hours), (state, burst), rep = raw[
                3 * i : 3 * i + 3
            ]
            if name is None:
                gone.append(uid)
                continue
            burst_skills = [s for s in (burst or "").split(",") if s]
            skills = [s for s in (profile_skills or "").split(",") if s] or burst_skills
            online = state not in (None, "offline")
            if query.online and not online:
                continue
            if query.skill and query.skill not in skills and query.skill not in burst_skills:
                continue
            people[uid] = {
                "id": uid,
                "name": name,
                "headline": headline or "",
                "expertise": expertise or "",
                "skills": skills,
                "online": online,
                "state": state or "offline",
                "online_skills": burst_skills if online else [],
                "wont_cover": wont or "",
                "skill_ratings": _skill_ratings(rep),
                "_hours": bool(hours),
            }
        if gone:
            await self._redis.srem(keys.MENTORS, *gone)
        if not people:
            return []
        reputations = await self._ratings.reputations(list(people))
        for uid, person in people.items():
            person["rating"] = reputations[uid].as_dict()
        if query.q:
            texts = {
                uid: ". ".join(x for x in (p["headline"], p["expertise"]) if x)
                for uid, p in people.items()
            }
            fits = await self._matcher.expertise.fits(
                await self._matcher.embedder.one(query.q), texts
            )
            for uid, person in people.items():
                person["fit"] = round(fits[uid], 4)
            order = sorted(people.values(), key=lambda p: (-p["fit"], -p["rating"]["score"]))
        else:
            order = sorted(
                people.values(), key=lambda p: (not p["online"], -p["rating"]["score"], p["name"])
            )
        found = order[: query.limit]
        with_hours = [p["id"] for p in found if p.pop("_hours")]
        hours = await self._hours.many(with_hours)
        now = self._clock.now_ms()
        for person in found:
            slots = hours.get(person["id"], [])
            person["next_office_hours"] = OfficeHours.next_of(slots, now) if slots else None
        return found


def _skill_ratings(rep: dict[str, str]) -> dict[str, dict[str, Any]]:
    """skill -> {"mean", "count", "score"} from the per-skill reputation hash."""
    out = {}
    for field, value in rep.items():
        skill, _, kind = field.rpartition(":")
        if kind == "count":
            total = float(rep.get(f"{skill}:sum", 0))
            out[skill] = bayesian(int(value), total, 4.0).as_dict()
    return out
