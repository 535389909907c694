"""The skills catalog: which slugs exist and what they are called."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class Skill:
    slug: str
    name: str


class SkillCatalog:
    def __init__(self, skills: list[Skill]) -> None:
        if not skills:
            raise ValueError("the skills catalog is empty")
        self.skills = skills
        self._by_slug = {skill.slug: skill for skill in skills}

    @classmethod
    def load(cls, path: Path | None) -> SkillCatalog:
        text = (
            path.read_text(encoding="utf-8")
            if path
            else resources.files("server").joinpath("skills.json").read_text(encoding="utf-8")
        )
        skills = []
        for entry in json.loads(text):
            slug, name = str(entry["slug"]), str(entry.get("name") or entry["slug"])
            if not SLUG.match(slug):
                raise ValueError(f"bad skill slug {slug!r}: lowercase letters, digits and '-'")
            skills.append(Skill(slug, name))
        return cls(skills)

    def __contains__(self, slug: object) -> bool:
        return slug in self._by_slug

    @property
    def slugs(self) -> list[str]:
        return [skill.slug for skill in self.skills]

    def name(self, slug: str) -> str:
        """The skill's display name; the slug itself for one no longer in the catalog."""
        skill = self._by_slug.get(slug)
        return skill.name if skill else slug
