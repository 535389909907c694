"""Which catalog skill a question belongs to, by meaning.

Each skill is its description plus its example questions (``server/domain/matching/skills.json``), embedded
once per process. A question's score for a skill is half the cosine to the skill's centroid
(what the skill is about overall) and half the cosine to its nearest example (a close
paraphrase wins even in a broad skill). On the labelled questions in
``tests/data/suggest_questions.json`` that mix beat the centroid alone, the nearest example
alone, the mean of the two nearest and a softmax regression on the same vectors.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from server.domain.matching.catalog import Skill, SkillCatalog
from server.domain.matching.embeddings import DIM, MODEL_ID, Embedder, Vector

CENTROID_WEIGHT = 0.5


@dataclass(frozen=True)
class Suggestion:
    slug: str
    name: str
    score: float

    def as_dict(self) -> dict[str, object]:
        return {"slug": self.slug, "name": self.name, "score": round(self.score, 4)}


@dataclass(frozen=True)
class _Vectors:
    slugs: list[str]
    centroids: Vector  # one row per skill
    examples: Vector  # every example and description, row i belongs to skill owner[i]
    owner: npt.NDArray[np.int64]
    texts: list[str]
    is_example: npt.NDArray[np.bool_]


# The catalog's vectors per process, by the catalog's text: tests start many servers.
_BUILT: dict[str, _Vectors] = {}


def _texts(skill: Skill) -> list[str]:
    """A catalog without descriptions (``--skills-file`` with slugs and names) still works,
    by name alone."""
    about = f"{skill.name}: {skill.description}" if skill.description else skill.name
    return [about, *skill.examples]


class SkillModel:
    def __init__(self, catalog: SkillCatalog, embedder: Embedder) -> None:
        self._catalog = catalog
        self._embedder = embedder
        self._skills = [s for s in catalog.skills if not s.open]
        self._vectors: _Vectors | None = None

    def build(self) -> None:
        """Embed the catalog (blocking: run it in the embedder's executor or at start-up)."""
        digest = hashlib.sha256(
            json.dumps([[s.slug, *_texts(s)] for s in self._skills]).encode()
        ).hexdigest()
        if digest not in _BUILT:
            texts, owner, is_example = [], [], []
            for i, skill in enumerate(self._skills):
                for n, text in enumerate(_texts(skill)):
                    texts.append(text)
                    owner.append(i)
                    is_example.append(n > 0)
            examples = self._cached(digest, texts)
            owners = np.array(owner, dtype=np.int64)
            centroids = np.zeros((len(self._skills), examples.shape[1]), dtype=np.float32)
            for i in range(len(self._skills)):
                mean = examples[owners == i].mean(axis=0)
                centroids[i] = mean / np.linalg.norm(mean)
            _BUILT[digest] = _Vectors(
                [s.slug for s in self._skills],
                centroids,
                examples,
                owners,
                texts,
                np.array(is_example, dtype=np.bool_),
            )
        self._vectors = _BUILT[digest]

    def _cached(self, digest: str, texts: list[str]) -> Vector:
        """The catalog's vectors, from a file in the temp dir when another process on this
        machine already made them for this catalog and model (each server process would
        otherwise spend ~1.5 s of a core at start-up)."""
        path = Path(tempfile.gettempdir()) / f"mentorburst-skills-{MODEL_ID}-{digest[:24]}.npy"
        try:
            found: Vector = np.load(path)
            if found.shape == (len(texts), DIM):
                return found
        except (OSError, ValueError):
            pass
        vectors = self._embedder.embed_now(texts)
        scratch = path.with_suffix(f".{os.getpid()}.tmp.npy")
        try:
            np.save(scratch, vectors)
            os.replace(scratch, path)
        except OSError:
            scratch.unlink(missing_ok=True)
        return vectors

    @property
    def vectors(self) -> _Vectors:
        if self._vectors is None:
            self.build()
        assert self._vectors is not None
        return self._vectors

    def scores(self, question: Vector) -> dict[str, float]:
        v = self.vectors
        to_examples = v.examples @ question
        nearest = np.full(len(v.slugs), -1.0, dtype=np.float32)
        np.maximum.at(nearest, v.owner, to_examples)
        mixed = CENTROID_WEIGHT * (v.centroids @ question) + (1 - CENTROID_WEIGHT) * nearest
        return {slug: float(score) for slug, score in zip(v.slugs, mixed, strict=True)}

    def rank(self, question: Vector, *, exclude: tuple[str, ...] = ()) -> list[Suggestion]:
        """Catalog skills, best first."""
        scores = self.scores(question)
        ranked = sorted((slug for slug in scores if slug not in exclude), key=lambda s: -scores[s])
        return [Suggestion(s, self._catalog.name(s), scores[s]) for s in ranked]

    def examples_near(self, question: Vector, skill: str, limit: int = 3) -> list[str]:
        """A skill's example questions nearest in meaning (pointers while waiting)."""
        v = self.vectors
        if skill not in v.slugs:
            return []
        rows = np.flatnonzero((v.owner == v.slugs.index(skill)) & v.is_example)
        ranked = sorted(rows, key=lambda i: -float(v.examples[i] @ question))
        return [v.texts[i] for i in ranked[:limit]]
