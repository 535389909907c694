"""A host runs a room, not half blind: the console shows each pair as it connects (or never
does), who sits out, who joined late, who left, and each round's ratings as they arrive; people
meet with context (intros, shared skills, the host's prompt); the results come as tidy,
formula-safe tables."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from typing import Any

import aiohttp
from redis.asyncio import Redis

from peer.client import MentorburstClient
from server.store import keys
from tests.conftest import ClientFactory, ServerFactory


async def host_event(
    make_client: ClientFactory, **settings: Any
) -> tuple[MentorburstClient, str, str]:
    host = await make_client("Hana Host")
    body = {"title": "Friday speed mentoring", "round_seconds": 30, "rounds": 2,
            "break_seconds": 60, **settings}  # fmt: skip
    created = await host.rest("POST", "/api/events", body, auth=True)
    return host, created["event_id"], created["code"]


async def join(
    make_client: ClientFactory, code: str, role: str, name: str, **extra: Any
) -> MentorburstClient:
    client = await make_client(name)
    await client.must("event:join", {"code": code, "role": role, **extra})
    return client


def by_name(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in view["people"]}


def status_of(view: dict[str, Any], name: str) -> str | None:
    return by_name(view).get(name, {}).get("status")


def ratings_in(view: dict[str, Any]) -> int:
    return sum(stats["ratings"]["count"] for stats in view["stats"])


def pair_of(view: dict[str, Any], mentor: str) -> dict[str, Any]:
    return next((p for p in view["pairs"] if p["mentor"]["name"] == mentor), {})


async def test_the_host_console_follows_a_round_pair_by_pair_as_it_happens(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(connect_grace_seconds=5)
    host, event_id, code = await host_event(make_client)
    grace = await join(make_client, code, "mentor", "Grace", skills=["python"])
    ada = await join(make_client, code, "mentee", "Ada", skills=["python"])
    await join(make_client, code, "mentor", "Quiet Mentor", skills=["ux-design"])
    quiet_mentee = await join(make_client, code, "mentee", "Quiet Mentee", skills=["ux-design"])
    await join(make_client, code, "mentee", "Sam", skills=[])
    lee = await join(make_client, code, "mentor", "Lee", skills=["career"])
    await lee.must("event:leave", {"event_id": event_id})
    lobby = await host.next("event:console", where=lambda v: status_of(v, "Lee") == "left")
    assert by_name(lobby)["Grace"]["status"] == "lobby" and lobby["pairs"] == []

    await host.must("event:start", {"event_id": event_id})
    started = await host.next("event:console", where=lambda v: v["state"] == "round")
    assert {p["media"] for p in started["pairs"]} == {"not_yet"}
    assert started["ends_at"] and started["round"] == 1 and started["rounds"] == 2
    people = by_name(started)
    assert people["Sam"]["status"] == "sitting_out" and people["Lee"]["status"] == "left"
    assert people["Ada"]["status"] == "in_call" and people["Quiet Mentee"]["status"] == "in_call"

    sid = (await ada.next("event:round"))["session_id"]
    await ada.must("session:connected", {"session_id": sid})
    await grace.must("session:connected", {"session_id": sid})
    live = await host.next(
        "event:console", where=lambda v: pair_of(v, "Grace").get("media") == "connected"
    )
    assert pair_of(live, "Grace")["mentee"]["name"] == "Ada"
    assert pair_of(live, "Grace")["media_at"] is not None
    assert pair_of(live, "Quiet Mentor")["media"] == "not_yet"
    quiet_sid = (await quiet_mentee.next("event:round"))["session_id"]
    await quiet_mentee.must("session:connected", {"session_id": quiet_sid})
    await host.next(
        "event:console", where=lambda v: pair_of(v, "Quiet Mentor").get("media") == "one_side"
    )

    await join(make_client, code, "mentee", "Late Lou", skills=["python"])
    late = await host.next("event:console", where=lambda v: "Late Lou" in by_name(v))
    assert by_name(late)["Late Lou"]["status"] == "next_round"

    reconnected = MentorburstClient(host.base_url)
    reconnected.token, reconnected.user = host.token, host.user
    await reconnected.connect()
    try:  # a reloaded console catches up at once
        caught_up = await reconnected.next("event:console")
        assert pair_of(caught_up, "Grace")["media"] == "connected"
    finally:
        await reconnected.close()

    await host.must("event:next", {"event_id": event_id})
    ended = await host.next(
        "event:console",
        where=lambda v: v["state"] == "break" and all(p["state"] == "ended" for p in v["pairs"]),
    )
    assert pair_of(ended, "Quiet Mentor")["media"] == "never"
    assert pair_of(ended, "Grace")["media"] == "connected"
    (stats,) = ended["stats"]
    assert (stats["pairs"], stats["connected"], stats["connected_share"]) == (2, 1, 0.5)
    assert stats["sitting_out"] == 1 and stats["ratings"] == {"count": 0, "mean": None}

    await ada.must("rate", {"session_id": sid, "stars": 4})
    rated = await host.next("event:console", where=lambda v: ratings_in(v) == 1)
    assert rated["stats"][0]["ratings"] == {"count": 1, "mean": 4.0}
    assert pair_of(rated, "Grace")["stars"] == {"mentor": None, "mentee": 4}
    await grace.must("rate", {"session_id": sid, "stars": 5})
    both = await host.next("event:console", where=lambda v: ratings_in(v) == 2)
    assert both["stats"][0]["ratings"]["mean"] == 4.5
    people = by_name(both)
    assert (people["Ada"]["played"], people["Sam"]["sat_out"]) == (1, 1)
    assert ada.received("event:console") == [] and grace.received("event:console") == []


async def test_a_late_connected_report_after_the_round_ended_does_not_count_as_media(
    make_client: ClientFactory, redis: Redis
) -> None:
    host, event_id, code = await host_event(make_client)
    grace = await join(make_client, code, "mentor", "Grace", skills=["python"])
    ada = await join(make_client, code, "mentee", "Ada", skills=["python"])
    await host.must("event:start", {"event_id": event_id})
    sid = (await ada.next("event:round"))["session_id"]
    await ada.must("session:connected", {"session_id": sid})
    await host.next("event:console", where=lambda v: pair_of(v, "Grace").get("media") == "one_side")
    await host.must("event:next", {"event_id": event_id})  # the round ends with one side only
    await grace.next("session:ended")

    late = await grace.call("session:connected", {"session_id": sid})
    assert late["ok"] is False and late["error"]["code"] == "session_over", late
    assert await redis.hget(keys.session(sid), "mentor_connected") is None
    assert await redis.hget(keys.session(sid), "media_at") is None
    summary = await host.rest("GET", f"/api/events/{event_id}/summary", auth=True)
    (pair,) = summary["rounds"][0]["pairs"]
    assert pair["connected"] is False
    again = MentorburstClient(host.base_url)
    again.token, again.user = host.token, host.user
    await again.connect()
    try:  # the console, read afresh, still says the pair never connected
        console = await again.next("event:console")
        assert pair_of(console, "Grace")["media"] == "never"
        assert console["stats"][0]["connected"] == 0
    finally:
        await again.close()


async def test_people_meet_with_intros_shared_skills_and_the_rounds_prompt(
    make_client: ClientFactory,
) -> None:
    host, event_id, code = await host_event(make_client, rounds=1)
    ada = await make_client("Ada")
    await ada.rest(
        "PUT",
        "/api/me/profile",
        {"headline": "Data analyst moving into ML", "skills": ["python", "data-science"]},
        auth=True,
    )
    await ada.must("event:join", {"code": code, "role": "mentee"})  # intro and skills: profile
    grace = await join(
        make_client, code, "mentor", "Grace",
        intro="Ten years of Python backends;\nask me about on-call", skills=["python", "devops"],
    )  # fmt: skip
    await host.must(
        "event:prompt", {"event_id": event_id, "round": 1, "text": "Ask about a career move"}
    )
    await host.must("event:start", {"event_id": event_id})

    to_ada = await ada.next("session:matched")
    to_grace = await grace.next("session:matched")
    assert to_ada["peer"]["intro"] == "Ten years of Python backends; ask me about on-call"
    assert to_ada["peer"]["skills"] == ["python", "devops"]
    assert to_grace["peer"]["intro"] == "Data analyst moving into ML"
    assert to_grace["peer"]["skills"] == ["python", "data-science"]
    for matched in (to_ada, to_grace):
        assert matched["shared_skills"] == ["python"] and matched["skill"] == "python"
        assert matched["prompt"] == "Ask about a career move"
        assert (matched["round"], matched["rounds"]) == (1, 1)
        assert matched["event_title"] == "Friday speed mentoring"
        assert matched["peer"]["rating"] is not None  # the contract's card is kept

    ada_again = MentorburstClient(ada.base_url)  # a reload resumes the call with its context
    ada_again.token, ada_again.user = ada.token, ada.user
    await ada_again.connect()
    try:
        resumed = await ada_again.next("session:matched")
        assert resumed["resumed"] and resumed["prompt"] == "Ask about a career move"
        assert resumed["peer"]["intro"].startswith("Ten years")
    finally:
        await ada_again.close()

    console = await host.next("event:console", where=lambda v: v["state"] == "round")
    assert by_name(console)["Ada"]["intro"] == "Data analyst moving into ML"


async def test_an_intro_can_be_left_empty_and_must_stay_one_short_line(
    make_client: ClientFactory,
) -> None:
    host, _, code = await host_event(make_client)
    omar = await make_client("Omar")
    await omar.rest("PUT", "/api/me/profile", {"headline": "Staff engineer"}, auth=True)
    too_long = await omar.call("event:join", {"code": code, "role": "mentor", "intro": "x" * 141})
    assert too_long["error"]["code"] == "invalid_payload"
    assert "intro" in too_long["error"]["message"]
    await omar.must("event:join", {"code": code, "role": "mentor", "intro": "   "})
    view = await host.next("event:console", where=lambda v: "Omar" in by_name(v))
    assert by_name(view)["Omar"]["intro"] == ""


async def test_the_host_sets_a_prompt_per_round_and_calls_see_changes_at_once(
    make_client: ClientFactory,
) -> None:
    host, event_id, code = await host_event(make_client, rounds=2, break_seconds=60)
    grace = await join(make_client, code, "mentor", "Grace")
    ada = await join(make_client, code, "mentee", "Ada")
    for round_no, text in ((1, "What are you stuck on this week?"), (2, "Ask about a career move")):
        await host.must("event:prompt", {"event_id": event_id, "round": round_no, "text": text})
    lobby = await ada.next("event:update", where=lambda u: "prompt" in u)
    assert lobby["prompt"] == "What are you stuck on this week?"  # the next round's

    refused = await ada.call("event:prompt", {"event_id": event_id, "round": 1, "text": "Hi"})
    assert refused["error"]["code"] == "not_host"
    too_far = await host.call("event:prompt", {"event_id": event_id, "round": 3, "text": "x"})
    assert too_far["error"]["code"] == "invalid_payload"
    too_long = await host.call(
        "event:prompt", {"event_id": event_id, "round": 2, "text": "x" * 201}
    )
    assert too_long["error"]["code"] == "invalid_payload"

    await host.must("event:start", {"event_id": event_id})
    assert (await grace.next("session:matched"))["prompt"] == "What are you stuck on this week?"
    await host.must(
        "event:prompt", {"event_id": event_id, "round": 1, "text": "Name one thing to try next"}
    )
    changed = await grace.next(
        "event:update", where=lambda u: u.get("prompt") == "Name one thing to try next"
    )
    assert changed["state"] == "round"

    await host.must("event:next", {"event_id": event_id})
    pause = await ada.next("event:update", where=lambda u: u["state"] == "break")
    assert pause["prompt"] == "Ask about a career move"
    over = await host.call("event:prompt", {"event_id": event_id, "round": 1, "text": "late"})
    assert over["error"]["code"] == "round_over"
    await host.must("event:prompt", {"event_id": event_id, "round": 2, "text": ""})
    cleared = await ada.next("event:update", where=lambda u: "prompt" not in u)
    assert cleared["state"] == "break"
    console = await host.next(
        "event:console", where=lambda v: v["prompts"] == {"1": "Name one thing to try next"}
    )
    assert console["state"] == "break"

    await host.must("event:end", {"event_id": event_id})
    after = await host.call("event:prompt", {"event_id": event_id, "round": 2, "text": "x"})
    assert after["error"]["code"] == "event_over"


async def test_an_announcement_carries_its_time_and_is_cleared_when_a_round_begins(
    make_client: ClientFactory,
) -> None:
    host, event_id, code = await host_event(make_client)
    await join(make_client, code, "mentor", "Grace")
    ada = await join(make_client, code, "mentee", "Ada")
    before = await host.must("clock", {"t0": 0})
    await host.must("event:announce", {"event_id": event_id, "text": "We start in a minute"})
    shown = await ada.next("event:update", where=lambda u: "announcement" in u)
    assert shown["announcement"] == "We start in a minute"
    assert before["server_now"] <= shown["announcement_at"] <= before["server_now"] + 5000
    await host.must("event:start", {"event_id": event_id})
    running = await ada.next("event:update", where=lambda u: u["state"] == "round")
    assert "announcement" not in running and "announcement_at" not in running


async def csv_table(host: MentorburstClient, event_id: str, query: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{host.base_url}/api/events/{event_id}/summary?{query}",
            headers={"Authorization": f"Bearer {host.token}"},
        ) as response,
    ):
        return response.status, await response.text()


async def test_the_results_are_tidy_tables_and_typed_formulas_stay_text(
    make_client: ClientFactory,
) -> None:
    host, event_id, code = await host_event(make_client, rounds=1, round_seconds=1)
    mentor = await join(
        make_client, code, "mentor", '=HYPERLINK("http://evil.example","click")',
        intro="+SUM(1,2)", skills=["python"],
    )  # fmt: skip
    mentee = await join(make_client, code, "mentee", "@cmd", intro="-2+3", skills=["python"])
    await join(make_client, code, "mentee", "-sits out", skills=["career"])
    await host.must("event:start", {"event_id": event_id})
    sid = (await mentee.next("event:round"))["session_id"]
    await mentee.next("session:ended", timeout=5)
    await mentee.must("rate", {"session_id": sid, "stars": 5, "follow_up": True})
    await mentor.must("rate", {"session_id": sid, "stars": 4, "follow_up": False})

    status, text = await csv_table(host, event_id, "format=csv&table=pairs")
    assert status == 200
    (pair,) = list(csv.DictReader(io.StringIO(text)))
    assert pair == {
        "round": "1",
        "session_id": sid,
        "mentor_id": mentor.user_id,
        "mentor_name": '\'=HYPERLINK("http://evil.example","click")',
        "mentee_id": mentee.user_id,
        "mentee_name": "'@cmd",
        "connected": "no",
        "mentor_gave_stars": "4",
        "mentee_gave_stars": "5",
        "mentor_wants_follow_up": "no",
        "mentee_wants_follow_up": "yes",
        "mutual_follow_up": "no",
    }
    assert (await csv_table(host, event_id, "format=csv"))[1] == text  # pairs by default

    status, text = await csv_table(host, event_id, "format=csv&table=people")
    people = {row["user_id"]: row for row in csv.DictReader(io.StringIO(text))}
    assert len(people) == 3
    assert people[mentor.user_id]["intro"] == "'+SUM(1,2)"
    assert people[mentee.user_id]["intro"] == "'-2+3"
    sitter = next(r for r in people.values() if r["name"] == "'-sits out")
    assert (sitter["rounds_played"], sitter["rounds_sat_out"], sitter["sat_out_rounds"]) == (
        "0", "1", "1",
    )  # fmt: skip
    assert {r["left"] for r in people.values()} == {"no"}
    for row in people.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value

    status, text = await csv_table(host, event_id, "format=csv&table=secrets")
    assert status == 400 and json.loads(text)["error"]["code"] == "invalid_payload"


async def test_mentors_online_see_the_questions_waiting_in_their_skills(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    # A 5-minute burst never fits a 10-minute call: the questions stay waiting, visible.
    await start_server(session_seconds=600)
    mentor = await make_client("Grace")
    await mentor.must("mentor:online", {"skills": ["python", "ux-design"], "minutes": 5})
    asks = (
        ("Noor", "python", "How do I profile asyncio code?"),
        ("Ivo", "ux-design", "How do I test a form with screen readers?"),
        ("Kim", "career", "Should I take the staff role?"),  # not one of Grace's skills
        ("Bea", "python", "When is a dataclass better than a dict?"),
    )
    mentees = {}
    for name, skill, question in asks:
        mentees[name] = await make_client(name)
        await mentees[name].must("mentee:join", {"skill": skill, "question": question})
        await asyncio.sleep(0.01)
    update = await mentor.next("mentor:update", where=lambda u: len(u.get("questions", [])) == 3)
    assert [q["question"] for q in update["questions"]] == [
        "How do I profile asyncio code?",
        "How do I test a form with screen readers?",
        "When is a dataclass better than a dict?",
    ]
    assert all(
        set(q) == {"skill", "question", "since", "declined", "connect_failed"}
        for q in update["questions"]
    )
    assert not any(q["declined"] or q["connect_failed"] for q in update["questions"])
    assert [q["skill"] for q in update["questions"]] == ["python", "ux-design", "python"]
    since = [q["since"] for q in update["questions"]]
    assert since == sorted(since)
    text = json.dumps(update)
    assert not any(name in text or m.user_id in text for name, m in mentees.items())

    await mentees["Noor"].must("mentee:leave", {})
    fewer = await mentor.next("mentor:update", where=lambda u: len(u.get("questions", [])) == 2)
    assert fewer["questions"][0]["question"] == "How do I test a form with screen readers?"


async def test_a_host_finds_the_events_it_hosted(make_client: ClientFactory) -> None:
    host, first_id, _ = await host_event(make_client, title="Monday mentoring")
    await asyncio.sleep(0.01)
    second = await host.rest(
        "POST",
        "/api/events",
        {"title": "Friday mentoring", "round_seconds": 60, "rounds": 3, "break_seconds": 30},
        auth=True,
    )
    hosted = await host.rest("GET", "/api/me/events", auth=True)
    assert [e["event_id"] for e in hosted] == [second["event_id"], first_id]
    assert hosted[0] == {
        "event_id": second["event_id"],
        "title": "Friday mentoring",
        "code": second["code"],
        "state": "lobby",
        "round": 0,
        "rounds": 3,
        "created_at": hosted[0]["created_at"],
        "people": 0,
    }
    someone = await make_client("Someone")
    assert await someone.rest("GET", "/api/me/events", auth=True) == []


async def test_the_client_can_say_how_long_a_call_lasts(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(session_seconds=900, decline_seconds=15)
    client = await make_client()
    assert await client.rest("GET", "/api/settings") == {
        "session_seconds": 900,
        "decline_seconds": 15,
    }


async def test_a_question_the_mentor_declined_is_marked_so_in_its_list(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(decline_seconds=30, session_seconds=60)
    mentor = await make_client("Grace")
    await mentor.must("mentor:online", {"skills": ["python"], "minutes": 30})
    mentee = await make_client("Noor")
    await mentee.must("mentee:join", {"skill": "python", "question": "Why is my loop blocked?"})
    sid = (await mentor.next("session:matched"))["session_id"]
    await mentor.must("session:decline", {"session_id": sid})
    update = await mentor.next(
        "mentor:update", where=lambda u: [q["declined"] for q in u.get("questions", [])] == [True]
    )
    assert update["questions"][0]["question"] == "Why is my loop blocked?"
    assert update["state"] == "idle"
