"""The mentor directory ("Find a mentor"): search by meaning, filter by skill and "online now".

Everyone who has gone online as a mentor or written a profile (headline, expertise or skills)
is listed (``mb:mentors``; accounts that are gone are dropped as they are read). With ``q`` the
list is ranked by how well each mentor's own words fit it (cosine of the question and the
mentor's headline and expertise; see :mod:`server.domain.matching.expertise`), then by rating. Without
``q`` it is browsed a page at a time: each request walks on from a cursor through at most
``BROWSE_READS`` entries (``SSCAN``), so no request reads the whole set; each page lists its
mentors online first, then by rating.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from server.domain.accounts.profile import ProfileChanged
from server.domain.calls.ratings import Ratings, bayesian
from server.domain.matching.catalog import SkillCatalog
from server.domain.matching.matcher import Matcher
from server.domain.program.office_hours import OfficeHours
from server.runtime.clock import Clock
from server.store import keys

LIMIT = 50
# Directory entries one browsing request looks at, at most (filters may skip most of them): a
# page costs a bounded number of Redis reads whatever the size of the directory.
BROWSE_READS = 200
_CURSOR = re.compile(r"^(\d{1,20})\.(\d{1,6})$")


class BadCursor(ValueError):
    """A cursor this server did not hand out."""


@dataclass(frozen=True)
class Cursor:
    """Where browsing goes on: an ``SSCAN`` cursor and how many of that scan step's entries
    were already looked at. Opaque to clients (``"<scan>.<skip>"``)."""

    scan: int = 0
    skip: int = 0

    @classmethod
    def parse(cls, text: str) -> Cursor:
        if not text:
            return cls()
        found = _CURSOR.match(text)
        if not found:
            raise BadCursor(text)
        return cls(int(found[1]), int(found[2]))

    def __str__(self) -> str:
        return f"{self.scan}.{self.skip}"


@dataclass(frozen=True)
class Query:
    q: str = ""
    skill: str | None = None
    online: bool = False
    limit: int = LIMIT
    cursor: Cursor = Cursor()


@dataclass(frozen=True)
class Page:
    mentors: list[dict[str, Any]]
    next_cursor: str | None = None


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

    async def profile_changed(self, change: ProfileChanged) -> None:
        """A saved profile that says what its person can help with lists them."""
        if change.describes_help:
            await self.listed(change.user_id)

    async def listed(self, user_id: str) -> None:
        """A profile now says what this person can help with: list them."""
        await self._redis.sadd(keys.MENTORS, user_id)

    async def search(self, query: Query) -> Page:
        """With ``q``: the best ``limit`` mentors by fit, in one page. Without: the next page."""
        if not query.q:
            return await self._browse(query)
        ids = sorted(await self._redis.smembers(keys.MENTORS))
        people = await self._read(ids, query, drop_gone=True)
        if not people:
            return Page([])
        texts = {
            uid: ". ".join(x for x in (p["headline"], p["expertise"]) if x)
            for uid, p in people.items()
        }
        fits = await self._matcher.expertise.fits(await self._matcher.embedder.one(query.q), texts)
        for uid, person in people.items():
            person["fit"] = round(fits[uid], 4)
        await self._rate(people)
        order = sorted(people.values(), key=lambda p: (-p["fit"], -p["rating"]["score"]))
        return Page(await self._finish(order[: query.limit]))

    async def _browse(self, query: Query) -> Page:
        """Walk on from the cursor until the page is full or ``BROWSE_READS`` entries were looked
        at. Gone accounts are skipped, not removed here: removing would shift the entries of a
        scan step that a cursor counts into."""
        scan, skip = query.cursor.scan, query.cursor.skip
        found: dict[str, dict[str, Any]] = {}
        looked = 0
        while True:
            after, batch = await self._redis.sscan(keys.MENTORS, scan, count=query.limit)
            while skip < len(batch) and len(found) < query.limit and looked < BROWSE_READS:
                n = min(len(batch) - skip, query.limit - len(found), BROWSE_READS - looked)
                found.update(await self._read(batch[skip : skip + n], query, drop_gone=False))
                skip, looked = skip + n, looked + n
            if skip < len(batch):
                next_cursor: str | None = str(Cursor(scan, skip))
                break
            if int(after) == 0:
                next_cursor = None
                break
            scan, skip = int(after), 0
            if len(found) >= query.limit or looked >= BROWSE_READS:
                next_cursor = str(Cursor(scan, 0))
                break
        await self._rate(found)
        order = sorted(
            found.values(), key=lambda p: (not p["online"], -p["rating"]["score"], p["name"])
        )
        return Page(await self._finish(order), next_cursor)

    async def _read(
        self, ids: list[str], query: Query, *, drop_gone: bool
    ) -> dict[str, dict[str, Any]]:
        """These people as directory entries, those the filters keep, in one round trip."""
        if not ids:
            return {}
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
        if gone and drop_gone:
            await self._redis.srem(keys.MENTORS, *gone)
        return people

    async def _rate(self, people: dict[str, dict[str, Any]]) -> None:
        if not people:
            return
        reputations = await self._ratings.reputations(list(people))
        for uid, person in people.items():
            person["rating"] = reputations[uid].as_dict()

    async def _finish(self, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Office hours for the people shown."""
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
