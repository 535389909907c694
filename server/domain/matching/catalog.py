"""The skills catalog: which slugs exist, what they are called and what they cover.

Each skill carries a description and example questions (what suggestions and pointers are made
of). One skill may be ``open`` ("Something else"): a question asked there goes to the mentor
whose own words about their expertise fit it best, not to a skill queue's mentors.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class Skill:
    slug: str
    name: str
    description: str = ""
    examples: tuple[str, ...] = field(default_factory=tuple)
    open: bool = False


class SkillCatalog:
    def __init__(self, skills: list[Skill]) -> None:
        if not skills:
            raise ValueError("the skills catalog is empty")
        if sum(skill.open for skill in skills) > 1:
            raise ValueError("at most one skill may be open ('Something else')")
        self.skills = skills
        self._by_slug = {skill.slug: skill for skill in skills}

    @classmethod
    def load(cls, path: Path | None) -> SkillCatalog:
        text = (
            path.read_text(encoding="utf-8")
            if path
            else resources.files("server.domain.matching")
            .joinpath("skills.json")
            .read_text(encoding="utf-8")
        )
        skills = []
        for entry in json.loads(text):
            slug, name = str(entry["slug"]), str(entry.get("name") or entry["slug"])
            if not SLUG.match(slug):
                raise ValueError(f"bad skill slug {slug!r}: lowercase letters, digits and '-'")
            skills.append(
                Skill(
                    slug,
                    name,
                    str(entry.get("description", "")),
                    tuple(str(q) for q in entry.get("examples", [])),
                    bool(entry.get("open", False)),
                )
            )
        return cls(skills)

    def __contains__(self, slug: object) -> bool:
        return slug in self._by_slug

    @property
    def slugs(self) -> list[str]:
        return [skill.slug for skill in self.skills]

    @property
    def open_slug(self) -> str | None:
        """The "Something else" skill, if the catalog has one."""
        return next((skill.slug for skill in self.skills if skill.open), None)

    @property
    def topical(self) -> list[str]:
        """Every skill but the open one: the ones a question can be suggested into."""
        return [skill.slug for skill in self.skills if not skill.open]

    def get(self, slug: str) -> Skill | None:
        return self._by_slug.get(slug)

    def name(self, slug: str) -> str:
        """The skill's display name; the slug itself for one no longer in the catalog."""
        skill = self._by_slug.get(slug)
        return skill.name if skill else slug
