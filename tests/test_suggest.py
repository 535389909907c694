"""The ask form suggests a skill as the mentee types: how often it is right, on questions we
wrote and labelled (tests/data/suggest_questions.json), and through the real endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.domain.matching.catalog import SkillCatalog
from server.domain.matching.embeddings import Embedder
from server.domain.matching.skillmodel import SkillModel
from tests.accounts_helpers import api
from tests.conftest import ClientFactory

DATA = json.loads((Path(__file__).parent / "data" / "suggest_questions.json").read_text())
# Floors the chosen model (all-MiniLM-L6-v2 int8) clears with margin: it scored 82% / 97% on
# the tuning part and 78% / 97% on the held-out part; WordLlama, the other candidate, scored
# 55-63% / 88-92% on the tuning part and would fail the first floor.
FLOORS = {"tune": (0.70, 0.90), "held_out": (0.65, 0.90)}


@pytest.fixture(scope="module")
def ranked() -> dict[str, list[tuple[str, list[str]]]]:
    embedder = Embedder()
    model = SkillModel(SkillCatalog.load(None), embedder)
    model.build()
    out = {}
    for part in FLOORS:
        questions = DATA[part]
        vectors = embedder.embed_now([q for _, q in questions])
        out[part] = [
            (label, [s.slug for s in model.rank(v)])
            for (label, _), v in zip(questions, vectors, strict=True)
        ]
    embedder.close()
    return out


@pytest.mark.parametrize("part", list(FLOORS))
def test_the_suggested_skill_is_usually_the_one_a_person_would_pick(
    ranked: dict[str, list[tuple[str, list[str]]]], part: str
) -> None:
    rows = ranked[part]
    top1 = sum(order[0] == label for label, order in rows) / len(rows)
    top3 = sum(label in order[:3] for label, order in rows) / len(rows)
    print(f"{part}: {len(rows)} questions, top-1 {top1:.0%}, top-3 {top3:.0%}")
    assert len(rows) >= (60 if part == "tune" else 30)
    assert top1 >= FLOORS[part][0] and top3 >= FLOORS[part][1], (part, top1, top3)


def test_every_catalog_skill_describes_itself_with_examples() -> None:
    catalog = SkillCatalog.load(None)
    for skill in catalog.skills:
        assert skill.description, skill.slug
        assert skill.open or len(skill.examples) >= 10, skill.slug
    assert catalog.open_slug == "other"
    labelled = {q for part in FLOORS for _, q in DATA[part]}
    assert not labelled & {q for s in catalog.skills for q in s.examples}  # none tuned on itself


async def test_typing_a_question_suggests_skills_and_what_to_add(
    make_client: ClientFactory,
) -> None:
    ada = await make_client("Ada", connect=False)
    answer = await ada.rest(
        "POST",
        "/api/skills/suggest",
        {"question": "My pandas groupby takes minutes on 20 million rows. What can I do?"},
    )
    skills = answer["skills"]
    assert len(skills) >= 3 and skills[0]["slug"] in ("data-science", "python")
    assert [s["score"] for s in skills] == sorted((s["score"] for s in skills), reverse=True)
    assert {"slug", "name", "score"} <= set(skills[0])
    prep = answer["preparation"]
    assert prep["parts"]["goal"] and not prep["parts"]["success"]
    assert any("outcome" in nudge for nudge in prep["nudges"])
    full = await ada.rest(
        "POST",
        "/api/skills/suggest",
        {
            "question": "I'm trying to speed up a nightly report. I have tried chunking the CSV "
            "and we use pandas 2. Success would be a plan to get it under ten minutes."
        },
    )
    assert full["preparation"]["parts"] == {"goal": True, "background": True, "success": True}
    for bad in ({"question": "   "}, {"question": "x" * 501}, {"q": "hi"}, ["no"]):
        status, refused = await api(ada.base_url, "POST", "/api/skills/suggest", body=bad)
        assert status == 400 and refused["error"]["code"] == "invalid_payload"
