"""What people call themselves and their things is shown as text everywhere: a name cannot write
lines of its own into a calendar feed, nor read in another order than it was stored. Every name,
title, intro and label is cleaned where it comes in (NFC, one line, no control or bidi-override
characters, trimmed), and refused where nothing is left."""

from __future__ import annotations

from typing import Any

import aiohttp
from icalendar import Calendar
from redis.asyncio import Redis

from server.store import keys
from tests.accounts_helpers import api, software_passkey
from tests.conftest import ClientFactory, RunningServer

WEEKLY = {"kind": "weekly", "weekday": 1, "time": "18:00", "minutes": 60, "tz": "Europe/Paris"}
# Right-to-left override, a bell, a line break and an isolate around a name whose é is decomposed (e, U+0301).
DIRTY = "\u202eAme\u0301lie\u0007 \r\n  Durand\u2066"
CLEAN = "Amélie Durand"
NOTHING_LEFT = "\u202e\u2069\r\n\t\u0000 "


async def feed(url: str, user_id: str) -> tuple[int, bytes]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{url}/api/users/{user_id}/office-hours.ics") as response,
    ):
        return response.status, await response.read()


def lines_and_events(body: bytes) -> tuple[list[bytes], list[Any]]:
    """The feed's content lines (unfolded) and its parsed events."""
    unfolded = body.replace(b"\r\n ", b"").replace(b"\r\n\t", b"")
    return unfolded.split(b"\r\n"), list(Calendar.from_ical(body).walk("VEVENT"))


async def test_a_name_with_line_breaks_cannot_write_its_own_lines_into_the_calendar_feed(
    server: RunningServer, redis: Redis
) -> None:
    injected = "Mal\r\nURL:https://e.example\r\nATTACH:https://e.example/x"
    status, login = await api(server.url, "POST", "/api/login", body={"name": injected})
    assert (
        status == 200
        and login["user"]["name"] == "Mal URL:https://e.example ATTACH:https://e.example/x"
    )
    user_id, token = login["user"]["id"], login["token"]
    note = "Bring code\nLOCATION:https://e.example"
    body = {"hours": [{**WEEKLY, "note": note}]}
    status, _ = await api(server.url, "PUT", "/api/me/office-hours", token=token, body=body)
    assert status == 200
    # Then names stored before names were cleaned on the way in (the feed answered 500 to a
    # line feed); a lone CR is a line break to some calendar apps.
    for stored in (None, "Mal\nURL:https://e.example", "Mal\rURL:https://e.example"):
        if stored is not None:
            await redis.hset(keys.user(user_id), "name", stored)
        status, ics = await feed(server.url, user_id)
        assert status == 200
        lines, events = lines_and_events(ics)
        assert not [line for line in lines if b"\r" in line or b"\n" in line]
        names = {line.split(b":", 1)[0].split(b";", 1)[0] for line in lines if line}
        assert not names & {b"URL", b"ATTACH", b"LOCATION"}, names
        assert len(events) == 1 and not {"URL", "ATTACH", "LOCATION"} & set(events[0])
        summary = str(events[0]["SUMMARY"])
        assert summary.startswith("Office hours with Mal URL:https://e.example")
        assert summary.endswith(": Bring code LOCATION:https://e.example")


async def test_a_name_with_control_and_bidi_characters_is_cleaned_at_login(
    server: RunningServer,
) -> None:
    status, login = await api(server.url, "POST", "/api/login", body={"name": DIRTY})
    assert status == 200 and login["user"]["name"] == CLEAN
    _, public = await api(server.url, "GET", f"/api/users/{login['user']['id']}")
    assert public["name"] == CLEAN
    status, refused = await api(server.url, "POST", "/api/login", body={"name": NOTHING_LEFT})
    assert (status, refused["error"]["code"]) == (400, "invalid_payload")


async def test_profile_names_and_headlines_are_cleaned(server: RunningServer) -> None:
    _, login = await api(server.url, "POST", "/api/login", body={"name": "Ada"})
    token = login["token"]
    body = {"name": DIRTY, "headline": "\u202bSenior\nengineer\u202c", "wont_cover": "a\u0000b"}
    status, profile = await api(server.url, "PUT", "/api/me/profile", token=token, body=body)
    assert status == 200
    assert (profile["name"], profile["headline"], profile["wont_cover"]) == (
        CLEAN,
        "Senior engineer",
        "ab",
    )
    status, refused = await api(
        server.url, "PUT", "/api/me/profile", token=token, body={"name": NOTHING_LEFT}
    )
    assert (status, refused["error"]["code"]) == (400, "invalid_payload")
    _, me = await api(server.url, "GET", "/api/me", token=token)
    assert me["name"] == CLEAN


async def test_event_titles_and_intros_are_cleaned(make_client: ClientFactory) -> None:
    host = await make_client("Host")
    body = {"title": "\u202eFriday\r\nmentoring\u2069", "round_seconds": 60, "rounds": 1}
    event = await host.rest("POST", "/api/events", {**body, "break_seconds": 0}, auth=True)
    public = await host.rest("GET", f"/api/events/{event['event_id']}")
    assert public["title"] == "Friday mentoring"
    status, refused = await api(
        host.base_url,
        "POST",
        "/api/events",
        token=host.token,
        body={**body, "title": NOTHING_LEFT, "break_seconds": 0},
    )
    assert (status, refused["error"]["code"]) == (400, "invalid_payload")

    guest = await make_client("Guest")
    await guest.must(
        "event:join", {"code": event["code"], "role": "mentee", "intro": f"I build\n{DIRTY}"}
    )
    summary = await host.rest("GET", f"/api/events/{event['event_id']}/summary", auth=True)
    assert [person["intro"] for person in summary["attendance"]] == [f"I build {CLEAN}"]


async def test_passkey_labels_are_cleaned(server: RunningServer) -> None:
    origin = server.services.config.origin
    _, login = await api(server.url, "POST", "/api/login", body={"name": "Ada"})
    token = login["token"]
    for label, kept in (("\u202eWork\nlaptop\u2066", "Work laptop"), (NOTHING_LEFT, "Passkey 2")):
        _, begun = await api(server.url, "POST", "/api/passkeys/register/options", token=token)
        body = {
            "ceremony_id": begun["ceremony_id"],
            "credential": software_passkey(begun["options"], origin),
            "label": label,
        }
        status, answer = await api(
            server.url, "POST", "/api/passkeys/register", token=token, body=body
        )
        assert status == 201, answer
        assert answer["passkey"]["label"] == kept
    _, me = await api(server.url, "GET", "/api/me", token=token)
    assert [passkey["label"] for passkey in me["passkeys"]] == ["Work laptop", "Passkey 2"]
