"""An event host runs speed-mentoring rounds: everyone starts and ends together, nobody meets
the same person twice, nobody is silently left out, and the host leaves with a report."""

from __future__ import annotations

import asyncio
import csv
import io
from collections import Counter
from typing import Any

import aiohttp
import pytest

from peer.client import MentorburstClient, ProtocolError
from tests.conftest import ClientFactory, RunningServer, ServerFactory


async def host_event(
    make_client: ClientFactory, **settings: Any
) -> tuple[MentorburstClient, str, str]:
    host = await make_client("Host")
    body = {
        "title": "Friday speed mentoring",
        "round_seconds": 2,
        "rounds": 2,
        "break_seconds": 1,
        **settings,
    }
    created = await host.rest("POST", "/api/events", body, auth=True)
    return host, created["event_id"], created["code"]


async def join(
    make_client: ClientFactory, code: str, role: str, name: str, **extra: Any
) -> MentorburstClient:
    client = await make_client(name)
    ack = await client.must("event:join", {"code": code, "role": role, **extra})
    assert ack["event"]["state"] in ("lobby", "round", "break")
    return client


@pytest.mark.slow
async def test_seven_mentors_and_eleven_mentees_through_four_rounds(
    make_client: ClientFactory,
) -> None:
    host, event_id, code = await host_event(make_client, rounds=4, round_seconds=2, break_seconds=1)
    mentors = [await join(make_client, code, "mentor", f"Mentor {i}") for i in range(7)]
    mentees = [await join(make_client, code, "mentee", f"Mentee {i}") for i in range(11)]
    everyone = mentors + mentees
    lobby = await host.next("event:update", where=lambda u: u["participants"] == 18)
    assert lobby["counts"] == {"mentor": 7, "mentee": 11} and lobby["state"] == "lobby"

    await host.must("event:start", {"event_id": event_id})
    met: set[tuple[str, str]] = set()
    sat_out: Counter[str] = Counter()
    previous_end = None
    for round_no in range(1, 5):
        rounds = {
            c.user_id: await c.next("event:round", where=lambda r, n=round_no: r["round"] == n)
            for c in everyone
        }
        playing = {uid: r for uid, r in rounds.items() if not r["sitting_out"]}
        assert len(playing) == 14, f"round {round_no}: 7 pairs"
        ends = set()
        pairs: dict[str, list[str]] = {}
        for client in everyone:
            if client.user_id not in playing:
                continue
            started = await client.next(
                "session:started",
                where=lambda s, sid=playing[client.user_id]["session_id"]: s["session_id"] == sid,
            )
            ends.add(started["ends_at"])
            pairs.setdefault(started["session_id"], []).append(client.user_id)
        assert len(ends) == 1, "one shared clock per round"
        (round_end,) = ends
        if previous_end is not None:
            started_at = round_end - 2000
            assert previous_end + 1000 <= started_at < previous_end + 1000 + 500, (
                "the break lasted its length"
            )
        previous_end = round_end
        for members in pairs.values():
            assert len(members) == 2
            mentor_id = next(m for m in members if m in {c.user_id for c in mentors})
            mentee_id = next(m for m in members if m != mentor_id)
            assert (mentor_id, mentee_id) not in met
            met.add((mentor_id, mentee_id))
        newly_out = [uid for uid, r in rounds.items() if r["sitting_out"]]
        assert len(newly_out) == 4 and all(uid in {c.user_id for c in mentees} for uid in newly_out)
        if any(sat_out[uid] >= 1 for uid in newly_out):
            assert all(sat_out[c.user_id] >= 1 or c.user_id in newly_out for c in mentees)
        sat_out.update(newly_out)
        for client in everyone:
            if client.user_id in playing:
                ended = await client.next(
                    "session:ended",
                    timeout=5,
                    where=lambda e, sid=playing[client.user_id]["session_id"]: (
                        e["session_id"] == sid
                    ),
                )
                assert ended["reason"] == "event_round_over"
    final = await host.next("event:update", where=lambda u: u["state"] == "ended", timeout=10)
    assert final["round"] == 4
    assert len(met) == 28 and set(sat_out.values()) <= {1, 2}


async def test_late_joiners_play_from_the_next_round_and_leavers_partners_are_re_paired(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(connect_grace_seconds=5)
    host, event_id, code = await host_event(make_client, rounds=2, round_seconds=3, break_seconds=1)
    mentor_a = await join(make_client, code, "mentor", "Mentor A")
    mentor_b = await join(make_client, code, "mentor", "Mentor B")
    mentee_a = await join(make_client, code, "mentee", "Mentee A")
    await host.must("event:start", {"event_id": event_id})
    first = {c.user_id: await c.next("event:round") for c in (mentor_a, mentor_b, mentee_a)}
    sitting = next(c for c in (mentor_a, mentor_b) if first[c.user_id]["sitting_out"])
    paired = mentor_b if sitting is mentor_a else mentor_a
    assert not first[mentee_a.user_id]["sitting_out"]

    late = await join(make_client, code, "mentee", "Late")
    await asyncio.sleep(0.2)
    assert late.received("event:round") == []  # not dropped into a round already running

    round_one_ends = (await mentee_a.next("session:started"))["ends_at"]
    await paired.must("event:leave", {"event_id": event_id})
    assert (await mentee_a.next("session:ended"))["reason"] == "left"
    again = await mentee_a.next("event:round", where=lambda r: r["round"] == 1)
    assert again["session_id"] and not again["sitting_out"]
    assert (
        await sitting.next("event:round", where=lambda r: r["round"] == 1 and not r["sitting_out"])
    )["session_id"] == again["session_id"]
    restarted = await mentee_a.next(
        "session:started", where=lambda s: s["session_id"] == again["session_id"]
    )
    assert restarted["ends_at"] == round_one_ends

    second = await late.next("event:round", timeout=10, where=lambda r: r["round"] == 2)
    assert second["sitting_out"] is False
    await asyncio.sleep(0.2)
    assert paired.received("event:round") == [] or all(
        r["round"] == 1 for r in paired.received("event:round")
    )


async def test_round_calls_get_the_same_warnings_as_any_call(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(warn_at=(1,))
    host, event_id, code = await host_event(make_client, rounds=1, round_seconds=2, break_seconds=0)
    mentor = await join(make_client, code, "mentor", "Grace")
    mentee = await join(make_client, code, "mentee", "Ada")
    await host.must("event:start", {"event_id": event_id})
    sid = (await mentee.next("event:round"))["session_id"]
    warning = await mentee.next("session:warning", timeout=5)
    assert warning == {"session_id": sid, "remaining_s": 1, "server_now": warning["server_now"]}
    assert (await mentor.next("session:warning"))["session_id"] == sid
    assert (await mentee.next("session:ended", timeout=5))["reason"] == "event_round_over"


async def test_only_the_host_runs_the_event(make_client: ClientFactory) -> None:
    host, event_id, code = await host_event(make_client)
    guest = await join(make_client, code, "mentee", "Guest")
    for event, payload in (
        ("event:start", {"event_id": event_id}),
        ("event:next", {"event_id": event_id}),
        ("event:end", {"event_id": event_id}),
        ("event:announce", {"event_id": event_id, "text": "I am the host now"}),
    ):
        ack = await guest.call(event, payload)
        assert ack["error"]["code"] == "not_host", event
    with pytest.raises(ProtocolError, match="403"):
        await guest.rest("GET", f"/api/events/{event_id}/summary", auth=True)
    ack = await host.call("event:start", {"event_id": event_id})
    assert ack["error"]["code"] == "not_enough_people"
    await host.must(
        "event:announce", {"event_id": event_id, "text": "Grab a coffee, we start at 10"}
    )
    update = await guest.next("event:update", where=lambda u: "announcement" in u)
    assert update["announcement"] == "Grab a coffee, we start at 10"


async def test_bad_event_requests_are_refused_clearly(make_client: ClientFactory) -> None:
    client = await make_client()
    for payload, code in (
        ({"code": "NOPE42", "role": "mentor"}, "unknown_code"),
        ({"code": "NOPE42", "role": "host"}, "invalid_payload"),
        ({"code": "X", "role": "mentor"}, "invalid_payload"),
    ):
        ack = await client.call("event:join", payload)
        assert ack["error"]["code"] == code
    assert (await client.call("event:start", {"event_id": "e_nope"}))["error"][
        "code"
    ] == "not_found"
    assert (await client.call("event:announce", {"event_id": "e_x", "text": "x" * 281}))["error"][
        "code"
    ] == "invalid_payload"
    for body in (
        {"title": "", "round_seconds": 60, "rounds": 3, "break_seconds": 10},
        {"title": "T", "round_seconds": 0, "rounds": 3, "break_seconds": 10},
        {"title": "T", "round_seconds": 60, "rounds": 51, "break_seconds": 10},
    ):
        with pytest.raises(ProtocolError, match="400"):
            await client.rest("POST", "/api/events", body, auth=True)
    with pytest.raises(ProtocolError, match="401"):
        await client.rest(
            "POST",
            "/api/events",
            {"title": "T", "round_seconds": 60, "rounds": 3, "break_seconds": 10},
        )
    with pytest.raises(ProtocolError, match="404"):
        await client.rest("GET", "/api/events/e_nope")


async def test_a_server_restart_during_a_break_resumes_the_event(
    start_server: ServerFactory, running: list[RunningServer]
) -> None:
    first = await start_server(connect_grace_seconds=10)
    people: list[MentorburstClient] = []

    async def client(name: str, url: str) -> MentorburstClient:
        c = MentorburstClient(url)
        await c.login(name)
        await c.connect()
        people.append(c)
        return c

    try:
        host = await client("Host", first.url)
        created = await host.rest(
            "POST",
            "/api/events",
            {"title": "Restart", "round_seconds": 1, "rounds": 2, "break_seconds": 2},
            auth=True,
        )
        players = [
            await client(f"{role} {i}", first.url) for role in ("Mentor", "Mentee") for i in (1, 2)
        ]
        for c in players:
            role = "mentor" if c.user["name"].startswith("Mentor") else "mentee"
            await c.must("event:join", {"code": created["code"], "role": role})
        await host.must("event:start", {"event_id": created["event_id"]})
        await players[-1].next("session:ended", timeout=5)
        await host.next("event:update", where=lambda u: u["state"] == "break")

        for c in people:
            await c.close()
        await first.runner.cleanup()  # the only server goes away mid-break
        running.remove(first)
        second = await start_server(connect_grace_seconds=10)
        for c in people:
            c.base_url = second.url
            await c.connect()
        round_two = [
            await c.next("event:round", timeout=10, where=lambda r: r["round"] == 2)
            for c in players
        ]
        assert all(r["session_id"] and not r["sitting_out"] for r in round_two)
        assert len({r["session_id"] for r in round_two}) == 2
    finally:
        for c in people:
            await c.close()


async def test_the_host_gets_a_summary_and_mutual_follow_ups_are_shown_to_both(
    make_client: ClientFactory,
) -> None:
    host, event_id, code = await host_event(make_client, rounds=1, round_seconds=1, break_seconds=0)
    mentor = await join(make_client, code, "mentor", "Grace")
    mentee = await join(make_client, code, "mentee", "Ada")
    other = await join(make_client, code, "mentee", "Bob")
    await host.must("event:start", {"event_id": event_id})
    sid = (await mentee.next("event:round")).get("session_id", "")
    if not sid:  # Ada sat out; Bob played
        mentee, other = other, mentee
        sid = (await mentee.next("event:round"))["session_id"]
    await mentee.next("session:ended", timeout=5)
    await mentee.must("rate", {"session_id": sid, "stars": 5, "follow_up": True})
    await mentor.must("rate", {"session_id": sid, "stars": 4, "follow_up": True, "note": "private"})

    summary = await host.rest("GET", f"/api/events/{event_id}/summary", auth=True)
    assert {p["name"] for p in summary["attendance"]} == {"Grace", "Ada", "Bob"}
    (round_one,) = summary["rounds"]
    (pair,) = round_one["pairs"]
    assert pair["mentor"]["name"] == "Grace" and pair["mutual_follow_up"] is True
    assert pair["ratings"]["mentee"]["stars"] == 5 and "note" not in pair["ratings"]["mentor"]
    assert [s["name"] for s in round_one["sitting_out"]] == [other.user["name"]]
    assert summary["ratings"] == {"count": 2, "mean": 4.5}
    assert len(summary["mutual_follow_ups"]) == 1

    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{host.base_url}/api/events/{event_id}/summary?format=csv",
            headers={"Authorization": f"Bearer {host.token}"},
        ) as response,
    ):
        assert response.status == 200 and response.content_type == "text/csv"
        (pair_row,) = list(csv.DictReader(io.StringIO(await response.text())))
    assert (
        pair_row["mentor_name"],
        pair_row["mentee_gave_stars"],
        pair_row["mutual_follow_up"],
    ) == (
        "Grace",
        "5",
        "yes",
    )

    mine = await mentee.rest("GET", f"/api/events/{event_id}/me", auth=True)
    assert mine["mutual_follow_ups"] == [{"id": mentor.user_id, "name": "Grace", "round": 1}]
    theirs = await mentor.rest("GET", f"/api/events/{event_id}/me", auth=True)
    assert theirs["mutual_follow_ups"][0]["id"] == mentee.user_id
    sat = await other.rest("GET", f"/api/events/{event_id}/me", auth=True)
    assert sat["pairs"] == [{"round": 1, "sitting_out": True}] and sat["mutual_follow_ups"] == []
    public = await other.rest("GET", f"/api/events/{event_id}")
    assert public["state"] == "ended" and public["title"] == "Friday speed mentoring"
