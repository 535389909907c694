"""A node's short-lived copy of what ranking reads about each idle mentor: the text it wrote about
its expertise and its reputation per skill.

A join ranks up to 50 idle mentors; reading both for each from Redis was a 100-command pipeline
per join and a third of a saturated node's time (py-spy, 550 joins/s). A copy lives ``TTL_S`` and
is dropped on every node at once when the mentor edits its profile or is rated (an invalidation
through ``Notifier.invalidate("mentor", id)``). Ranking only orders candidates the claim script
re-checks, so a copy that is a few seconds old can change an order, never a booking.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from redis.asyncio import Redis

from server.domain.matching.expertise import expertise_text
from server.store import keys

TTL_S = 10.0
KEEP = 20_000  # copies kept before the expired ones are swept


@dataclass(frozen=True)
class Facts:
    text: str
    reputation: dict[str, tuple[int, int]] = field(default_factory=dict)  # skill -> count, sum

    def in_skill(self, skill: str) -> tuple[int, int]:
        return self.reputation.get(skill, (0, 0))


def _reputation(raw: dict[str, str]) -> dict[str, tuple[int, int]]:
    counts: dict[str, list[int]] = {}
    for name, value in raw.items():
        skill, _, kind = name.rpartition(":")
        pair = counts.setdefault(skill, [0, 0])
        pair[0 if kind == "count" else 1] = int(value)
    return {skill: (count, total) for skill, (count, total) in counts.items()}


class MentorFacts:
    def __init__(self, redis: Redis, clock: Callable[[], float] = time.monotonic) -> None:
        self._redis = redis
        self._clock = clock
        self._copies: dict[str, tuple[float, Facts]] = {}
        self._forgets = 0  # a read that overlapped a forget() may hold the old facts: not kept

    async def get(self, mentor_ids: list[str]) -> dict[str, Facts]:
        now = self._clock()
        found: dict[str, Facts] = {}
        missing: list[str] = []
        for mentor_id in mentor_ids:
            copy = self._copies.get(mentor_id)
            if copy is not None and copy[0] > now:
                found[mentor_id] = copy[1]
            else:
                missing.append(mentor_id)
        if not missing:
            return found
        forgets = self._forgets
        async with self._redis.pipeline(transaction=False) as pipe:
            for mentor_id in missing:
                pipe.hmget(keys.user(mentor_id), "headline", "expertise")
                pipe.hgetall(keys.skill_reputation(mentor_id))
            rows = await pipe.execute()
        keep = forgets == self._forgets
        if keep and len(self._copies) >= KEEP:
            self._copies = {m: c for m, c in self._copies.items() if c[0] > now}
        for i, mentor_id in enumerate(missing):
            facts = Facts(expertise_text(*rows[2 * i]), _reputation(rows[2 * i + 1]))
            found[mentor_id] = facts
            if keep:
                self._copies[mentor_id] = (now + TTL_S, facts)
        return found

    def forget(self, mentor_id: str) -> None:
        """The mentor's profile or reputation changed (heard from any node)."""
        self._forgets += 1
        self._copies.pop(mentor_id, None)
