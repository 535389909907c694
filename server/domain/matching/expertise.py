"""What mentors say they know, in their own words, as vectors.

A mentor's text is its profile headline and expertise (``PUT /api/me/profile``). Vectors are
cached per mentor together with the text they were made from: every read compares the text
Redis holds now, so a profile changed on another node is re-embedded at its next use, and
``forget`` drops a mentor at once when its profile changes on this node.
"""

from __future__ import annotations

from redis.asyncio import Redis

from server.domain.matching.embeddings import Embedder, Vector
from server.store import keys


def expertise_text(headline: str | None, expertise: str | None) -> str:
    parts = [(headline or "").strip(), (expertise or "").strip()]
    return ". ".join(part for part in parts if part)


class Expertise:
    def __init__(self, redis: Redis, embedder: Embedder) -> None:
        self._redis = redis
        self._embedder = embedder
        self._cache: dict[str, tuple[str, Vector]] = {}

    async def texts(self, mentor_ids: list[str]) -> dict[str, str]:
        """Each mentor's text (empty when it wrote none), in one round trip."""
        if not mentor_ids:
            return {}
        async with self._redis.pipeline(transaction=False) as pipe:
            for mentor_id in mentor_ids:
                pipe.hmget(keys.user(mentor_id), "headline", "expertise")
            rows = await pipe.execute()
        return {m: expertise_text(*row) for m, row in zip(mentor_ids, rows, strict=True)}

    async def vectors(self, texts: dict[str, str]) -> dict[str, Vector]:
        """Vectors of the mentors whose text is not empty; only changed texts are embedded."""
        stale = {
            m: text
            for m, text in texts.items()
            if text and (m not in self._cache or self._cache[m][0] != text)
        }
        if stale:
            fresh = await self._embedder.embed(list(stale.values()))
            for (mentor_id, text), vector in zip(stale.items(), fresh, strict=True):
                self._cache[mentor_id] = (text, vector)
        return {m: self._cache[m][1] for m, text in texts.items() if text}

    def forget(self, mentor_id: str) -> None:
        """The mentor's profile changed here: its next use embeds the new text."""
        self._cache.pop(mentor_id, None)

    async def fits(self, question: Vector, texts: dict[str, str]) -> dict[str, float]:
        """Cosine between the question and each mentor's text; 0 for a mentor who wrote none."""
        vectors = await self.vectors(texts)
        return {m: float(vectors[m] @ question) if m in vectors else 0.0 for m in texts}
