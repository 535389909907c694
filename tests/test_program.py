"""Around the calls: finding a mentor in the directory, office hours and being told when a
mentor comes online, following through after a call, and the program's analytics for admins."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import aiohttp
from icalendar import Calendar
from redis.asyncio import Redis

from server.domain.matching.directory import BROWSE_READS
from server.domain.program.admin import admin_command
from server.runtime.clock import ManualClock
from server.store import keys
from tests.accounts_helpers import api
from tests.conftest import ClientFactory, ServerFactory
from tests.helpers import ask, go_online, start_call
from tests.test_matching import BAKER, DJANGO, SOUND, describe

DAY = 86400


async def test_the_directory_finds_mentors_by_meaning_and_filters_them(
    make_client: ClientFactory,
) -> None:
    jamie, sam, bo = await make_client("Jamie"), await make_client("Sam"), await make_client("Bo")
    await describe(jamie, "Sound engineer", SOUND)
    await describe(sam, "Django developer", DJANGO, "python")
    await describe(bo, "Baker", BAKER, "startups")
    await jamie.rest(
        "PUT",
        "/api/me/profile",
        {"headline": "Sound engineer", "expertise": SOUND, "wont_cover": "Buying gear for you"},
        auth=True,
    )
    await go_online(sam, "python")
    found = await jamie.rest(
        "GET", "/api/mentors?q=" + "my speakers squeal whenever the singer walks past them"
    )
    names = [m["name"] for m in found["mentors"]]
    assert names[0] == "Jamie" and set(names) == {"Jamie", "Sam", "Bo"}
    first = found["mentors"][0]
    assert first["wont_cover"] == "Buying gear for you" and first["online"] is False
    assert {"id", "name", "headline", "skills", "rating", "online", "next_office_hours"} <= set(
        first
    )
    assert [
        m["name"] for m in (await jamie.rest("GET", "/api/mentors?online=true"))["mentors"]
    ] == ["Sam"]
    by_skill = await jamie.rest("GET", "/api/mentors?skill=startups")
    assert [m["name"] for m in by_skill["mentors"]] == ["Bo"]
    status, refused = await api(jamie.base_url, "GET", "/api/mentors?skill=nope")
    assert status == 400 and refused["error"]["code"] == "unknown_skill"


async def test_browsing_the_directory_pages_through_it_with_bounded_reads_and_a_budget(
    start_server: ServerFactory, make_client: ClientFactory, redis: Redis
) -> None:
    server = await start_server()
    async with aiohttp.ClientSession() as http:

        async def listed_mentor(i: int) -> str:
            async with http.post(server.url + "/api/login", json={"name": f"M{i:03}"}) as r:
                login = await r.json()
            profile = {"headline": f"Mentor {i}", "expertise": "", "skills": ["python"]}
            headers = {"Authorization": f"Bearer {login['token']}"}
            async with http.put(server.url + "/api/me/profile", json=profile, headers=headers):
                return str(login["user"]["id"])

        everyone = set()
        for start in range(0, 280, 40):  # more than a small set's compact encoding holds
            everyone |= set(
                await asyncio.gather(*(listed_mentor(i) for i in range(start, start + 40)))
            )
    online = [await make_client("Zed Online"), await make_client("Yan Online")]
    for mentor in online:
        await go_online(mentor, "python")
        everyone.add(mentor.user_id)
    viewer = await make_client("Viewer", connect=False)

    async def walk(query: str) -> list[dict[str, Any]]:
        """Every page from the first to the last; each costs bounded reads."""
        pages, cursor = [], ""
        while True:
            await redis.config_resetstat()
            page = await viewer.rest("GET", f"/api/mentors?{query}&cursor={cursor}")
            stats = await redis.info("commandstats")
            assert "cmdstat_smembers" not in stats  # never the whole set
            # Two reads per entry looked at, one per mentor shown (its rating); the whole set
            # would take two per mentor listed, more than that.
            reads = stats["cmdstat_hmget"]["calls"]
            assert reads <= 2 * BROWSE_READS + 20 < 2 * len(everyone), reads
            pages.append(page)
            if page["next_cursor"] is None:
                return pages
            cursor = page["next_cursor"]

    pages = await walk("limit=20")
    seen = [m["id"] for page in pages for m in page["mentors"]]
    assert len(seen) == len(set(seen)) and set(seen) == everyone  # each one once, nobody lost
    for page in pages:
        assert len(page["mentors"]) <= 20
        order = [(not m["online"], -m["rating"]["score"], m["name"]) for m in page["mentors"]]
        assert order == sorted(order)  # within a page: online first, then by rating
    # "Online now" in a big directory: pages may come back short, never a full read.
    online_pages = await walk("limit=20&online=true")
    assert {m["name"] for p in online_pages for m in p["mentors"]} == {"Zed Online", "Yan Online"}
    assert len(online_pages) >= len(everyone) // BROWSE_READS

    status, refused = await api(server.url, "GET", "/api/mentors?cursor=not-ours")
    assert (status, refused["error"]["code"]) == (400, "invalid_payload")


async def test_browsing_the_directory_has_a_budget_per_address(start_server: ServerFactory) -> None:
    server = await start_server(rate_limits=True, limit_directory="5/minute")
    answers = [await api(server.url, "GET", "/api/mentors") for _ in range(6)]
    assert [status for status, _ in answers] == [200] * 5 + [429]
    assert answers[-1][1]["error"]["code"] == "rate_limited"
    assert answers[-1][1]["error"]["retry_after_s"] >= 1


async def test_office_hours_publish_a_feed_and_watchers_hear_once_when_a_mentor_comes_online(
    make_client: ClientFactory,
) -> None:
    jamie, ada, cy = await make_client("Jamie"), await make_client("Ada"), await make_client("Cy")
    hours = {
        "hours": [
            {"kind": "weekly", "weekday": 1, "time": "18:00", "minutes": 60, "tz": "Europe/Paris"},
            {"kind": "once", "start": "2031-05-04T09:30", "minutes": 30, "tz": "America/New_York"},
        ]
    }
    view = await jamie.rest("PUT", "/api/me/office-hours", hours, auth=True)
    assert view["next"]["kind"] == "weekly" and view["next"]["next_at"] > time.time() * 1000
    once = view["hours"][1]
    assert once["next_at"] == 1935667800000  # 2031-05-04 13:30 UTC: 09:30 in New York (EDT)
    status, bad = await api(
        jamie.base_url,
        "PUT",
        "/api/me/office-hours",
        token=jamie.token,
        body={
            "hours": [
                {"kind": "weekly", "weekday": 1, "time": "18:00", "minutes": 60, "tz": "Mars/Base"}
            ]
        },
    )
    assert status == 400 and bad["error"]["code"] == "invalid_payload"
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{jamie.base_url}/api/users/{jamie.user_id}/office-hours.ics") as response,
    ):
        assert response.content_type == "text/calendar"
        feed = Calendar.from_ical(await response.read())
    events = [c for c in feed.walk("VEVENT")]
    assert len(events) == 2 and events[0]["RRULE"]["FREQ"] == ["WEEKLY"]
    assert str(events[0]["DTSTART"].dt.tzinfo) == "Europe/Paris"

    await ada.rest("POST", "/api/me/watches", {"mentor_id": jamie.user_id}, auth=True)
    await ada.rest("POST", "/api/me/watches", {"skill": "writing"}, auth=True)
    await cy.rest("POST", "/api/me/watches", {"skill": "writing"}, auth=True)
    watching = await ada.rest("GET", "/api/me/watches", auth=True)
    assert {w["kind"] for w in watching["watches"]} == {"mentor", "skill"}
    await go_online(jamie, "writing")
    told = await ada.next("notify")
    assert told["kind"] == "mentor_online" and told["mentor"]["name"] == "Jamie"
    assert (await cy.next("notify"))["skills"][0]["slug"] == "writing"
    assert (await ada.rest("GET", "/api/me/watches", auth=True))["watches"] == []
    await jamie.must("mentor:offline")
    await go_online(jamie, "writing")
    await jamie.next("mentor:update", where=lambda u: u.get("state") == "idle")
    assert ada.received("notify") == [] and cy.received("notify") == []  # once per watch


async def test_office_hours_at_the_edge_of_the_calendar_are_refused_and_break_no_page(
    make_client: ClientFactory, redis: Redis
) -> None:
    # A one-off slot ending after 9999-12-31 answered 500 and was saved anyway, after which
    # its owner's office hours, feed and the whole directory answered 500 to everyone.
    jamie = await make_client("Jamie")
    await jamie.rest("PUT", "/api/me/profile", {"headline": "Sound engineer"}, auth=True)
    edge = [{"kind": "once", "start": "9999-12-31T23:00", "minutes": 480, "tz": "UTC"}]
    status, refused = await api(
        jamie.base_url, "PUT", "/api/me/office-hours", token=jamie.token, body={"hours": edge}
    )
    assert status == 400 and refused["error"]["code"] == "invalid_payload"
    assert "too far" in refused["error"]["message"]
    ok = [{"kind": "once", "start": "9999-12-31T10:00", "minutes": 15, "tz": "Europe/Paris"}]
    view = await jamie.rest("PUT", "/api/me/office-hours", {"hours": ok}, auth=True)
    assert view["next"]["start"] == "9999-12-31T10:00"

    # One saved before the check existed is left out wherever it would be shown.
    await redis.hset(keys.user(jamie.user_id), "office_hours", json.dumps(edge))
    hours = await jamie.rest("GET", f"/api/users/{jamie.user_id}/office-hours")
    assert hours["hours"] == [] and hours["next"] is None
    (listed,) = (await jamie.rest("GET", "/api/mentors"))["mentors"]
    assert listed["next_office_hours"] is None
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{jamie.base_url}/api/users/{jamie.user_id}/office-hours.ics") as response,
    ):
        assert response.status == 200


async def test_48_hours_after_a_call_the_mentee_is_asked_how_it_applied_the_advice(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    clock = ManualClock(int(time.time() * 1000))
    await start_server(clock=clock, token_ttl_seconds=7 * DAY)
    grace, ada = await make_client("Grace"), await make_client("Ada")
    await go_online(grace, "python")
    await ask(ada, "python")
    sid = (await grace.next("session:matched"))["session_id"]
    await start_call(grace, ada, sid)
    await ada.must("session:leave", {"session_id": sid})
    await ada.must("rate", {"session_id": sid, "stars": 5, "follow_up": True})
    await grace.must("rate", {"session_id": sid, "stars": 5, "follow_up": True})
    mine = await ada.rest("GET", "/api/me/followups", auth=True)
    assert mine["apply_prompts"] == [] and [f["session_id"] for f in mine["follow_ups"]] == [sid]
    assert (await grace.rest("GET", "/api/me/followups", auth=True))["follow_ups"][0]["role"] == (
        "mentor"
    )
    clock.advance(47 * 3600)
    assert (await ada.rest("GET", "/api/me/followups", auth=True))["apply_prompts"] == []
    clock.advance(2 * 3600)
    due = await ada.rest("GET", "/api/me/followups", auth=True)
    assert [p["session_id"] for p in due["apply_prompts"]] == [sid]
    assert due["no_shows"] == {"total": 0, "last_30_days": 0}
    status, _ = await api(
        ada.base_url, "POST", f"/api/sessions/{sid}/applied", token=grace.token, body={"note": "x"}
    )
    assert status == 403
    note = "Added the profiler to CI; the slow endpoint went from 2 s to 300 ms."
    await ada.rest("POST", f"/api/sessions/{sid}/applied", {"note": note}, auth=True)
    assert (await ada.rest("GET", "/api/me/followups", auth=True))["apply_prompts"] == []
    history = await grace.rest("GET", "/api/me/history", auth=True)
    assert history[0]["applied"]["note"] == note and history[0]["mutual_follow_up"] is True
    status, again = await api(
        ada.base_url, "POST", f"/api/sessions/{sid}/applied", token=ada.token, body={"skip": True}
    )
    assert status == 409 and again["error"]["code"] == "already_answered"


async def test_admins_see_program_figures_from_the_history_and_nobody_else_does(
    start_server: ServerFactory,
    make_client: ClientFactory,
    redis_url: str,
    tmp_path: Path,
) -> None:
    clock = ManualClock(int(time.time() * 1000))
    await start_server(clock=clock)
    mentor, ada, bo, cy = [await make_client(n) for n in ("Mo", "Ada", "Bo", "Cy")]
    await ask(ada, "python")  # waits 30 s for a mentor
    clock.advance(30)
    await go_online(mentor, "python", minutes=120)
    first = (await ada.next("session:matched"))["session_id"]
    await start_call(mentor, ada, first)
    clock.advance(60)
    await ada.must("session:leave", {"session_id": first})
    await ada.must("rate", {"session_id": first, "stars": 5, "follow_up": True})
    await mentor.must("rate", {"session_id": first, "stars": 4})
    await ask(bo, "python", "Bo never turns up")
    missed = (await bo.next("session:matched"))["session_id"]
    clock.advance(3)  # past the connect grace: Bo never offered, so Bo did not show
    ended = await mentor.next("session:ended", where=lambda e: e["session_id"] == missed)
    assert ended["no_show"] == [bo.user_id]
    await ask(ada, "python", "And one more thing about asyncio")
    second = (await ada.next("session:matched"))["session_id"]
    await start_call(mentor, ada, second)
    await ada.must("session:leave", {"session_id": second})
    await ask(cy, "startups", "Nobody mentors startups today")
    await cy.must("mentee:leave")
    await mentor.must("mentor:offline")

    status, _ = await api(ada.base_url, "GET", "/api/admin/analytics")
    assert status == 401
    status, refused = await api(ada.base_url, "GET", "/api/admin/analytics", token=ada.token)
    assert status == 403 and refused["error"]["code"] == "not_admin"
    said: list[str] = []
    assert await admin_command("grant", cy.user_id, redis_url, tmp_path, said.append) == 0
    report = await cy.rest("GET", "/api/admin/analytics?weeks=4", auth=True)
    this_week = report["weeks"][-1]
    assert (this_week["participants"], this_week["sessions"]) == (3, 3)
    assert (this_week["asked"], this_week["matched"]) == (4, 3)
    assert report["matched_share"] == {"asked": 4, "matched": 3, "share": 0.75}
    assert report["wait_by_skill"] == [
        {"skill": "python", "name": "Python", "matches": 3, "p50_s": 0.0, "p90_s": 30.0}
    ]
    assert report["no_shows"] == {"calls": 3, "with_no_show": 1, "rate": 0.3333}
    assert report["ratings"]["by_mentees"]["5"] == 1 and report["ratings"]["by_mentors"]["4"] == 1
    assert report["repeat_use"] == {"mentees": 1, "returning": 1, "rate": 1.0}
    assert report["mentor_utilisation"]["call_minutes"] == 1.0
    assert report["follow_up_notes"]["calls_due"] == 0
    people = await cy.rest("GET", "/api/admin/no-shows", auth=True)
    assert people["people"] == [{"id": bo.user_id, "name": "Bo", "no_shows": 1}]
    csv_status, text = await _text(cy, "/api/admin/analytics?format=csv&table=skills")
    assert csv_status == 200 and text.splitlines()[1].startswith("python,Python,3,0.0,30.0")
    assert "Bo never turns up" not in str(report)  # aggregates only
    assert await admin_command("revoke", cy.user_id, redis_url, tmp_path, said.append) == 0
    status, _ = await api(cy.base_url, "GET", "/api/admin/analytics", token=cy.token)
    assert status == 403


async def _text(client: object, path: str) -> tuple[int, str]:
    import aiohttp

    base, token = client.base_url, client.token  # type: ignore[attr-defined]
    async with (
        aiohttp.ClientSession() as http,
        http.get(base + path, headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        return response.status, await response.text()


async def test_new_kinds_of_state_expire_or_are_documented_as_kept(
    make_client: ClientFactory, redis: Redis
) -> None:
    jamie, ada = await make_client("Jamie"), await make_client("Ada")
    await describe(jamie, "Sound engineer", SOUND, "python")
    await ada.rest("POST", "/api/me/watches", {"mentor_id": jamie.user_id}, auth=True)
    await ada.rest("POST", "/api/me/watches", {"skill": "writing"}, auth=True)
    await ada.must(
        "mentee:join", {"skill": "python", "question": "Mic?", "mentor_id": jamie.user_id}
    )
    await go_online(jamie, "python")
    sid = (await ada.next("session:matched"))["session_id"]
    await start_call(jamie, ada, sid)
    await ada.must("session:leave", {"session_id": sid})
    await ada.must("rate", {"session_id": sid, "stars": 5})
    await jamie.must("mentor:offline")
    kept = ("mb:mentors", "mb:admins", "mb:timers", "mb:nodes", "mb:txn-seq", "mb:queue-seq")
    kept += ("mb:settings", "mb:reputation:*all*", "mb:service:", "mb:sockets:", "mb:node-users:")
    kept += ("mb:qlast:", "mb:idle:", "mb:online:", "mb:queue:", "mb:active", "mb:log:")
    forever = [
        key
        async for key in redis.scan_iter(match="mb:*")
        if await redis.ttl(key) == -1 and not key.startswith(kept)
    ]
    assert forever == []
    assert 300 * DAY < await redis.ttl(f"mb:skillrep:{jamie.user_id}") <= 365 * DAY
    for log in ("sessions", "joins", "bursts"):  # kept, and trimmed to the retention
        assert await redis.zcard(f"mb:log:{log}") == 1, log
    assert 0 < await redis.ttl("mb:watchers:skill:writing") <= 30 * DAY
