"""Matching that understands the question: open questions go to the mentor whose own words fit,
fit and per-skill reputation choose among idle mentors within the fairness bound, and a mentee
is moved to a wider skill only once it accepts."""

from __future__ import annotations

import asyncio
import time

from redis.asyncio import Redis

from peer.client import MentorburstClient
from server.domain.matching.ranking import Candidate, rank_in_skill, rank_open
from server.runtime.clock import ManualClock
from tests.conftest import ClientFactory, ServerFactory
from tests.helpers import ask, go_online, start_call

SOUND = (
    "Live sound engineer for fifteen years: I mix bands in clubs and at festivals, set up PA "
    "systems and stage monitors, and tame microphones."
)
DJANGO = "Backend developer: Python, Django, PostgreSQL, APIs and testing."
BAKER = "I run a small bakery: bread, sourdough, pastry and running a food business."
FEEDBACK = (
    "There's a painful whine of feedback from a drum mic every time the band plays loud; how "
    "do I find it and stop it?"
)


async def describe(client: MentorburstClient, headline: str, expertise: str, *skills: str) -> None:
    body = {"headline": headline, "expertise": expertise, "skills": list(skills)}
    await client.rest("PUT", "/api/me/profile", body, auth=True)


async def test_a_live_sound_question_reaches_the_live_sound_mentor(
    make_client: ClientFactory,
) -> None:
    mentors = {}
    for name, text in (("Sam", DJANGO), ("Jamie", SOUND), ("Bo", BAKER)):
        mentors[name] = await make_client(name)
        await describe(mentors[name], name, text)
        await go_online(mentors[name], "python", "startups")
    mentee = await make_client("Ada")
    ack = await ask(mentee, "other", FEEDBACK)
    assert ack["position"] == 0
    matched = await mentee.next("session:matched")
    assert matched["peer"]["name"] == "Jamie" and matched["skill"] == "other"


async def test_an_open_question_nobody_idle_fits_waits_and_fitting_mentors_see_it(
    make_client: ClientFactory,
) -> None:
    jamie, sam = await make_client("Jamie"), await make_client("Sam")
    await describe(jamie, "Sound engineer", SOUND)
    await describe(sam, "Django developer", DJANGO)
    busy_with = await make_client("Cy")
    await go_online(jamie, "writing")
    await ask(busy_with, "writing", "How do I structure a conference talk proposal?")
    await jamie.next("session:matched")  # Jamie is busy now
    await go_online(sam, "python")
    mentee = await make_client("Ada")
    ack = await ask(mentee, "other", FEEDBACK)
    assert ack["position"] == 1 and ack["eta_s"] is None and ack["eta_reason"] == "open_question"

    def listed(update: dict[str, object]) -> bool:
        return any(q["question"] == FEEDBACK for q in update.get("questions", []))  # type: ignore[attr-defined]

    seen = await jamie.next("mentor:update", where=listed, timeout=5)
    assert next(q for q in seen["questions"] if q["question"] == FEEDBACK)["skill"] == "other"
    await asyncio.sleep(0.3)  # the same flush reached Sam: his list does not show it
    assert sam.received("mentor:update") and not any(
        listed(u) for u in sam.received("mentor:update")
    )


async def test_fit_chooses_among_idle_mentors_and_the_fairness_bound_wins(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    clock = ManualClock(int(time.time() * 1000))
    await start_server(clock=clock, fair_idle_seconds=60)
    waiting_long, fitting = await make_client("Lee"), await make_client("Sam")
    await describe(waiting_long, "Data pipelines", "Airflow, pandas and data warehouses.")
    await describe(fitting, "Django developer", DJANGO)
    await go_online(waiting_long, "python")
    clock.advance(5)
    await go_online(fitting, "python")
    first = await make_client("Ada")
    await ask(first, "python", "My Django view runs 300 SQL queries per page; how do I fix it?")
    assert (await first.next("session:matched"))["peer"]["name"] == "Sam"  # fit beats idle time

    clock.advance(61)  # Lee has now been idle past the fairness bound
    third = await make_client("Max")
    await describe(third, "Django and Postgres", DJANGO)
    await go_online(third, "python")
    second = await make_client("Bea")
    await ask(second, "python", "How do I add a Django admin page for my Postgres models?")
    assert (await second.next("session:matched"))["peer"]["name"] == "Lee"


def test_ranking_prefers_reputation_in_this_skill_and_never_skips_past_the_bound() -> None:
    now, fair = 1_000_000, 300_000
    strong = Candidate("strong", idle_since=now - 10_000, fit=0.3, ratings=20, stars_sum=100)
    weak = Candidate("weak", idle_since=now - 20_000, fit=0.3, ratings=20, stars_sum=40)
    assert rank_in_skill([weak, strong], now, fair) == ["strong", "weak"]
    overdue = Candidate("overdue", idle_since=now - fair, fit=0.0, ratings=20, stars_sum=20)
    assert rank_in_skill([strong, weak, overdue], now, fair)[0] == "overdue"
    assert rank_open([strong, weak], threshold=0.35) == []


async def test_a_mentee_is_offered_wider_skills_and_moves_only_when_it_accepts(
    start_server: ServerFactory, make_client: ClientFactory, redis: Redis
) -> None:
    await start_server(widen_after_seconds=0.5)
    mentor, other_mentee = await make_client("Grace"), await make_client("Cy")
    await go_online(mentor, "system-design")
    await ask(other_mentee, "system-design", "How do I shard a table of two billion rows?")
    sid = (await mentor.next("session:matched"))["session_id"]
    await start_call(mentor, other_mentee, sid)  # Grace is busy: whoever asks now waits
    ada, bea = await make_client("Ada"), await make_client("Bea")
    joined = await ask(ada, "devops", "How do we keep our job queue running through an outage?")
    assert joined["eta_reason"] == "no_mentors_online"
    later = await ask(bea, "system-design", "Which database suits an activity feed?")
    assert later["position"] == 1

    offer = await ada.next("queue:widen", timeout=5)
    assert [o["slug"] for o in offer["options"]] == ["system-design", "other"]
    await asyncio.sleep(0.3)
    assert await redis.hget(f"mb:mentee:{ada.user_id}", "skill") == "devops"  # not without consent
    refused = await ada.call("mentee:widen", {"skill": "startups"})
    assert refused["error"]["code"] == "not_offered"

    accepted = await ada.must("mentee:widen", {"skill": "system-design"})
    assert accepted["skill"] == "system-design" and accepted["position"] == 1  # her place in time
    assert (await bea.next("queue:update", where=lambda u: u["position"] == 2))["skill"] == (
        "system-design"
    )
    assert (await ada.call("mentee:widen", {"skill": "other"}))["error"]["code"] == "not_offered"
