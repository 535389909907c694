"""Who could take a question, ranked in Python before the claim script runs.

The claim itself stays one Lua step that re-checks every candidate (idle, burst rules, blocks,
declines): this module only reads and orders. For a catalog skill with fewer than two idle
mentors there is nothing to order and no extra read beyond the pool itself, so the common
drop-in path costs one round trip more than before this module existed (two with a choice to
make, plus the question's embedding when some candidate wrote about its expertise).
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from server.domain.accounts.profile import ProfileChanged
from server.domain.matching.catalog import SkillCatalog
from server.domain.matching.embeddings import Embedder
from server.domain.matching.expertise import Expertise
from server.domain.matching.facts import MentorFacts
from server.domain.matching.ranking import Candidate, rank_in_skill, rank_open
from server.domain.matching.skillmodel import SkillModel, Suggestion
from server.protocol.notifier import Invalidation, Notifier
from server.runtime.clock import Clock
from server.runtime.config import Config
from server.store import keys

# Candidates passed to a claim; the script falls back to the pool's own order after them.
RANKED = 50
# Open questions looked at when a mentor comes free.
OPEN_LOOK = 50


class Matcher:
    def __init__(
        self,
        *,
        redis: Redis,
        embedder: Embedder,
        skills: SkillModel,
        expertise: Expertise,
        facts: MentorFacts,
        catalog: SkillCatalog,
        config: Config,
        clock: Clock,
        notifier: Notifier,
    ) -> None:
        self._redis = redis
        self.facts = facts
        self._notifier = notifier
        self.embedder = embedder
        self.skills = skills
        self.expertise = expertise
        self._catalog = catalog
        self._clock = clock
        self._fair_ms = round(config.fair_idle_seconds * 1000)
        self.threshold = config.open_fit_threshold

    async def mentor_changed(self, mentor_id: str) -> None:
        """A mentor's reputation or profile changed: the ranking's copies of its facts go, on
        this node now and on every node soon (:meth:`heard`)."""
        self.facts.forget(mentor_id)
        await self._notifier.invalidate("mentor", mentor_id)

    async def profile_changed(self, change: ProfileChanged) -> None:
        """A saved profile: its expertise is embedded again when next needed."""
        self.expertise.forget(change.user_id)
        await self.mentor_changed(change.user_id)

    async def heard(self, news: Invalidation) -> None:
        """Node-to-node news, in channel order: another node saw a mentor's facts change."""
        if news.kind == "mentor":
            self.facts.forget(news.key)

    @property
    def open_skill(self) -> str | None:
        return self._catalog.open_slug

    async def suggest(self, question: str) -> list[Suggestion]:
        return self.skills.rank(await self.embedder.one(question))

    async def adjacent(self, question: str, skill: str, limit: int = 3) -> list[Suggestion]:
        """The catalog skills nearest the question in meaning, other than ``skill``."""
        return self.skills.rank(await self.embedder.one(question), exclude=(skill,))[:limit]

    async def for_skill(self, skill: str, question: str) -> list[str]:
        """Idle mentors of a catalog skill, fairness bound first, then fit and reputation."""
        pool = await self._redis.zrange(keys.idle(skill), 0, RANKED - 1, withscores=True)
        if len(pool) < 2:
            return []  # nothing to choose: the script takes the one idle longest
        facts = await self.facts.get([mentor_id for mentor_id, _ in pool])
        fits = await self._fits(question, {m: f.text for m, f in facts.items()})
        candidates = [
            Candidate(m, int(idle_since), fits.get(m, 0.0), *facts[m].in_skill(skill))
            for m, idle_since in pool
        ]
        return rank_in_skill(candidates, self._clock.now_ms(), self._fair_ms)

    async def for_open(self, question: str) -> list[str]:
        """Idle mentors in any skill whose expertise fits the open question, best first."""
        slugs = self._catalog.slugs
        async with self._redis.pipeline(transaction=False) as pipe:
            for slug in slugs:
                pipe.zrange(keys.idle(slug), 0, 199, withscores=True)
            pools = await pipe.execute()
        idle: dict[str, int] = {}
        for pool in pools:
            for mentor_id, since in pool:
                idle[mentor_id] = min(int(since), idle.get(mentor_id, int(since)))
        if not idle:
            return []
        texts = await self.expertise.texts(list(idle))
        fits = await self._fits(question, texts)
        candidates = [Candidate(m, idle[m], fits[m]) for m in idle if m in fits]
        return rank_open(candidates, self.threshold)[:RANKED]

    async def open_for_mentor(self, mentor_id: str) -> list[str]:
        """Waiting open questions that fit this mentor (a mentor coming free takes them in
        their order in time, with its skill queues)."""
        if not self.open_skill:
            return []
        waiting = await self._redis.zrange(keys.queue(self.open_skill), 0, OPEN_LOOK - 1)
        if not waiting:
            return []
        text = (await self.expertise.texts([mentor_id]))[mentor_id]
        if not text:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for mentee_id in waiting:
                pipe.hget(keys.mentee(mentee_id), "question")
            questions = await pipe.execute()
        asked = [(m, q) for m, q in zip(waiting, questions, strict=True) if q]
        if not asked:
            return []
        mentor = (await self.expertise.vectors({mentor_id: text}))[mentor_id]
        vectors = await self.embedder.embed([q for _, q in asked])
        return [
            m
            for (m, _), vector in zip(asked, vectors, strict=True)
            if float(vector @ mentor) >= self.threshold
        ]

    async def fitting_questions(
        self, mentor_texts: dict[str, str], questions: list[dict[str, Any]]
    ) -> dict[str, list[dict[str, Any]]]:
        """For each mentor, the open questions its expertise fits (for its waiting list)."""
        out: dict[str, list[dict[str, Any]]] = {m: [] for m in mentor_texts}
        if not questions:
            return out
        mentors = await self.expertise.vectors(mentor_texts)
        if not mentors:
            return out
        vectors = await self.embedder.embed([q["question"] for q in questions])
        for mentor_id, mentor in mentors.items():
            out[mentor_id] = [
                q
                for q, vector in zip(questions, vectors, strict=True)
                if float(vector @ mentor) >= self.threshold
            ]
        return out

    async def _fits(self, question: str, texts: dict[str, str]) -> dict[str, float]:
        if not any(texts.values()):
            return dict.fromkeys(texts, 0.0)
        return await self.expertise.fits(await self.embedder.one(question), texts)
