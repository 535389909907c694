"""A mentee who needs help now meets a mentor who has a free half hour."""

from __future__ import annotations

import asyncio

from peer.client import MentorburstClient, ProtocolError
from tests.conftest import ClientFactory, RunningServer, ServerFactory
from tests.helpers import ask, finished_call, go_online, matched_pair, start_call


async def test_a_mentee_and_a_mentor_meet_talk_and_rate_each_other(
    server: RunningServer, make_client: ClientFactory
) -> None:
    mentor = await make_client("Grace")
    mentee = await make_client("Ada")

    online = await go_online(mentor, "python", minutes=30)
    assert online["burst_ends_at"] > 0
    joined = await ask(mentee, "python", "  How do I profile asyncio code?  ")
    assert joined["ok"] is True and joined["ticket_id"].startswith("t_")
    assert joined["position"] == 0 and joined["session_id"].startswith("s_")

    to_mentor = await mentor.next("session:matched")
    to_mentee = await mentee.next("session:matched")
    assert to_mentor["session_id"] == to_mentee["session_id"] == joined["session_id"]
    sid = to_mentee["session_id"]
    assert to_mentee["role"] == "mentee" and to_mentee["offerer"] is True
    assert to_mentor["role"] == "mentor" and to_mentor["offerer"] is False
    assert to_mentor["peer"]["id"] == mentee.user_id and to_mentor["peer"]["name"] == "Ada"
    assert to_mentee["peer"]["name"] == "Grace"
    assert set(to_mentee["peer"]["rating"]) == {"mean", "count", "score"}
    assert to_mentor["question"] == "How do I profile asyncio code?"
    assert to_mentor["skill"] == "python" and to_mentor["duration_s"] == 2
    assert to_mentee["ice_servers"] == [] and isinstance(to_mentee["server_now"], int)

    # The relay carries the offer to the one peer, tagged with who sent it.
    await mentee.must("signal", {"session_id": sid, "type": "offer", "data": {"sdp": "v=0..."}})
    relayed = await mentor.next("signal")
    assert relayed == {
        "session_id": sid,
        "from": mentee.user_id,
        "type": "offer",
        "data": {"sdp": "v=0..."},
    }

    started = await start_call(mentor, mentee, sid)
    assert started["ends_at"] - started["started_at"] == 2000
    warning = await mentee.next("session:warning")
    assert warning["remaining_s"] == 1
    ended = await mentee.next("session:ended", timeout=5)
    assert ended["reason"] == "time_up"
    assert (await mentor.next("session:ended"))["rate_until"] == ended["rate_until"]

    await mentee.must(
        "rate",
        {
            "session_id": sid,
            "stars": 5,
            "tags": ["clear"],
            "follow_up": True,
            "note": "private",
            "reflection": "Try py-spy tomorrow",
        },
    )
    await mentor.must("rate", {"session_id": sid, "stars": 4, "tags": ["prepared"]})

    profile = await mentee.rest("GET", f"/api/users/{mentor.user_id}")
    assert profile["rating"]["count"] == 1 and profile["rating"]["mean"] == 5
    assert profile["sessions"] == 1 and profile["skills"] == ["python"]

    history = await mentee.rest("GET", "/api/me/history", auth=True)
    assert [h["session_id"] for h in history] == [sid]
    entry = history[0]
    assert entry["question"] == "How do I profile asyncio code?" and entry["skill"] == "python"
    assert entry["reason"] == "time_up" and entry["duration_s"] == 2
    assert (
        entry["rating_given"]["stars"] == 5
        and entry["rating_given"]["reflection"] == "Try py-spy tomorrow"
    )
    assert entry["rating_received"]["stars"] == 4 and "note" not in entry["rating_received"]


async def test_waiting_mentees_see_their_place_and_move_up(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(session_seconds=600)  # ten-minute calls: the ETA's unit below
    first, second, third = [await make_client(n) for n in ("A", "B", "C")]
    assert (await ask(first))["position"] == 1
    assert (await ask(second))["position"] == 2
    third_ack = await ask(third)
    assert third_ack["position"] == 3 and third_ack["eta_s"] is None
    assert third_ack["eta_reason"] == "no_mentors_online"
    update = await third.next("queue:update")
    assert (
        update["position"] == 3
        and update["waiting"] == 3
        and update["ticket_id"] == third_ack["ticket_id"]
    )

    await first.must("mentee:leave", {})
    moved = await third.next("queue:update", where=lambda u: u["position"] == 2)
    assert moved["waiting"] == 2 and moved["skill"] == "python"

    mentor = await make_client("Grace")
    await go_online(mentor, "python")
    assert (await mentor.next("session:matched"))["peer"]["id"] == second.user_id
    update = await third.next("queue:update", where=lambda u: u["position"] == 1)
    # Next in line for the one mentor, who is in a call of 600 s (no call has ended yet, so that
    # is the service time), half done on average: 300 s.
    assert update["eta_s"] == 300 and "eta_reason" not in update


async def test_joining_twice_keeps_one_place_and_other_skills_are_refused(
    make_client: ClientFactory,
) -> None:
    mentee = await make_client()
    first = await ask(mentee, "python")
    again = await ask(mentee, "python")
    assert again["ticket_id"] == first["ticket_id"] and again["position"] == 1
    other = await mentee.call("mentee:join", {"skill": "devops", "question": "k8s?"})
    assert other["ok"] is False and other["error"]["code"] == "already_waiting"
    skills = {s["slug"]: s for s in await mentee.rest("GET", "/api/skills")}
    assert skills["python"]["waiting"] == 1 and skills["devops"]["waiting"] == 0


async def test_a_declined_mentee_goes_back_to_the_front_and_is_not_offered_again(
    make_client: ClientFactory,
) -> None:
    picky, mentee = await make_client("Picky"), await make_client("Ada")
    to_mentor, _ = await matched_pair(picky, mentee)
    later = await make_client("Later")
    assert (await ask(later))["position"] == 1

    await picky.must("session:decline", {"session_id": to_mentor["session_id"]})
    assert (await mentee.next("session:ended"))["reason"] == "declined"
    # The declining mentor takes the next mentee, never the one it declined.
    again = await picky.next("session:matched")
    assert again["peer"]["id"] == later.user_id
    update = await mentee.next("queue:update", where=lambda u: u["position"] == 1)
    assert update["waiting"] == 1

    helper = await make_client("Helper")
    await go_online(helper, "python")
    assert (await mentee.next("session:matched"))["peer"]["id"] == helper.user_id


async def test_declining_after_the_window_is_refused(
    start_server, make_client: ClientFactory
) -> None:  # type: ignore[no-untyped-def]
    server = await start_server(decline_seconds=0.2)
    mentor = await make_client("Grace", url=server.url)
    mentee = await make_client("Ada", url=server.url)
    to_mentor, _ = await matched_pair(mentor, mentee)
    await asyncio.sleep(0.3)
    ack = await mentor.call("session:decline", {"session_id": to_mentor["session_id"]})
    assert ack["error"]["code"] == "decline_closed"
    ack = await mentee.call("session:decline", {"session_id": to_mentor["session_id"]})
    assert ack["error"]["code"] == "not_mentor"


async def test_a_mentee_who_never_offers_does_not_cost_the_mentors_their_burst(
    make_client: ClientFactory,
) -> None:
    mentors = [await make_client(f"Mentor {i}") for i in range(3)]
    for mentor in mentors:
        await go_online(mentor, "python")
    absent = await make_client("Closed the tab")
    await ask(absent)
    matched = await absent.next("session:matched")
    ended = await absent.next("session:ended", timeout=5)
    assert ended["reason"] == "no_connection" and ended["no_show"] == [absent.user_id]
    # Not requeued: nobody waits, and every mentor is still online and idle.
    skills = {s["slug"]: s for s in await absent.rest("GET", "/api/skills")}
    assert skills["python"]["waiting"] == 0 and skills["python"]["mentors_online"] == 3
    abandoned = next(m for m in mentors if m.user_id == matched["peer"]["id"])
    assert (await abandoned.next("session:ended"))["no_show"] == [absent.user_id]
    await abandoned.next("mentor:update", where=lambda u: u["state"] == "idle")
    # The absent mentee sees its no-show in its history.
    history = await absent.rest("GET", "/api/me/history", auth=True)
    assert history[0]["no_show"] == [absent.user_id]
    # The mentor it abandoned is matched again at once, with no cooldown.
    other = await make_client("Next")
    await ask(other)
    assert (await other.next("session:matched"))["peer"]["id"]


async def test_a_mentor_who_never_answers_goes_offline_and_the_mentee_goes_back_first(
    make_client: ClientFactory,
) -> None:
    ghost, mentee = await make_client("Ghost"), await make_client("Ada")
    _, to_mentee = await matched_pair(ghost, mentee)
    sid = to_mentee["session_id"]
    await mentee.must("signal", {"session_id": sid, "type": "offer", "data": {"sdp": "v=0"}})
    behind = await make_client("Behind")
    await ask(behind)
    ended = await mentee.next("session:ended", timeout=5)
    assert ended["reason"] == "no_connection" and ended["no_show"] == [ghost.user_id]
    update = await mentee.next("queue:update", where=lambda u: u["position"] == 1)
    assert update["ticket_id"]
    state = await ghost.next("mentor:update", where=lambda u: u["state"] == "offline")
    assert state["sessions_done"] == 0
    skills = {s["slug"]: s for s in await mentee.rest("GET", "/api/skills")}
    assert skills["python"]["mentors_online"] == 0 and skills["python"]["waiting"] == 2


async def test_when_both_showed_but_media_never_flowed_nobody_is_penalised(
    make_client: ClientFactory,
) -> None:
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    _, to_mentee = await matched_pair(mentor, mentee)
    sid = to_mentee["session_id"]
    await mentee.must("signal", {"session_id": sid, "type": "offer", "data": {"sdp": "v=0"}})
    await mentor.must("signal", {"session_id": sid, "type": "answer", "data": {"sdp": "v=0"}})
    ended = await mentee.next("session:ended", timeout=5)
    assert ended["reason"] == "no_connection" and ended["no_show"] == []
    # The mentee is first in line again, the mentor idle, and the pair is not matched again.
    update = await mentee.next("queue:update", where=lambda u: u["position"] == 1)
    assert update["ticket_id"]
    await mentor.next("mentor:update", where=lambda u: u["state"] == "idle")
    await asyncio.sleep(0.5)
    assert not mentee.received("session:matched")
    other = await make_client("Ben")
    await go_online(other, "python")
    assert (await mentee.next("session:matched"))["peer"]["id"] == other.user_id


async def test_one_side_connected_when_the_grace_ran_out_starts_the_countdown(
    make_client: ClientFactory,
) -> None:
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    _, to_mentee = await matched_pair(mentor, mentee)
    await mentee.must("session:connected", {"session_id": to_mentee["session_id"]})
    started = await mentor.next("session:started", timeout=5)
    assert started["ends_at"] - started["started_at"] == 2000
    assert (await mentee.next("session:ended", timeout=5))["reason"] == "time_up"


async def test_a_mentor_whose_burst_ends_before_the_call_would_is_not_matched(
    start_server,
    make_client: ClientFactory,  # type: ignore[no-untyped-def]
) -> None:
    server = await start_server(session_seconds=600)
    short = await make_client("Short", url=server.url)
    mentee = await make_client("Ada", url=server.url)
    await go_online(short, "python", minutes=5)
    ack = await ask(mentee)
    assert ack["position"] == 1
    long = await make_client("Long", url=server.url)
    await go_online(long, "python", minutes=15)
    assert (await mentee.next("session:matched"))["peer"]["id"] == long.user_id
    assert short.received("session:matched") == []


async def test_a_mentor_stops_at_max_sessions_and_goes_offline(make_client: ClientFactory) -> None:
    mentor = await make_client("Grace")
    await go_online(mentor, "python", max_sessions=1)
    mentee = await make_client("Ada")
    await ask(mentee)
    sid = (await mentor.next("session:matched"))["session_id"]
    await mentee.next("session:matched")
    await start_call(mentor, mentee, sid)
    await mentee.next("session:ended", timeout=5)
    state = await mentor.next("mentor:update", where=lambda u: u["state"] == "offline", timeout=5)
    assert state["sessions_done"] == 1
    second = await make_client("Bob")
    assert (await ask(second))["position"] == 1
    await asyncio.sleep(0.2)
    assert mentor.received("session:matched") == []


async def test_a_multi_skill_mentor_takes_whoever_waited_longest(
    make_client: ClientFactory,
) -> None:
    early = await make_client("Early")
    await ask(early, "devops", "How do I shrink my Docker image?")
    late = await make_client("Late")
    await ask(late, "python")
    mentor = await make_client("Grace")
    await go_online(mentor, "python", "devops")
    assert (await mentor.next("session:matched"))["peer"]["id"] == early.user_id


async def test_a_new_mentee_gets_the_mentor_idle_longest(make_client: ClientFactory) -> None:
    first, second = await make_client("First"), await make_client("Second")
    await go_online(first, "python")
    await asyncio.sleep(0.01)
    await go_online(second, "python")
    mentee = await make_client("Ada")
    await ask(mentee)
    assert (await mentee.next("session:matched"))["peer"]["id"] == first.user_id


async def test_after_a_call_the_mentor_is_matchable_again_once_it_rated(
    make_client: ClientFactory,
) -> None:
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    sid = await finished_call(mentor, mentee)
    next_mentee = await make_client("Bob")
    await ask(next_mentee)
    await asyncio.sleep(0.2)
    assert mentor.received("session:matched") == []  # cooldown: rating comes first
    await mentor.must("rate", {"session_id": sid, "stars": 5})
    assert (await mentor.next("session:matched"))["peer"]["id"] == next_mentee.user_id


async def test_a_mentor_is_matchable_again_after_the_cooldown(
    start_server, make_client: ClientFactory
) -> None:  # type: ignore[no-untyped-def]
    server = await start_server(mentor_cooldown_seconds=0.5)
    mentor = await make_client("Grace", url=server.url)
    mentee = await make_client("Ada", url=server.url)
    to_mentor, _ = await matched_pair(mentor, mentee)
    await start_call(mentor, mentee, to_mentor["session_id"])
    await mentor.next("session:ended", timeout=5)
    bob = await make_client("Bob", url=server.url)
    await ask(bob)
    assert (await mentor.next("session:matched", timeout=5))["peer"]["id"] == bob.user_id


async def test_leaving_mid_call_ends_it_for_both(make_client: ClientFactory) -> None:
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    to_mentor, _ = await matched_pair(mentor, mentee)
    sid = to_mentor["session_id"]
    await start_call(mentor, mentee, sid)
    await mentee.must("session:leave", {"session_id": sid})
    assert (await mentor.next("session:ended"))["reason"] == "left"
    again = await mentee.call("session:leave", {"session_id": sid})
    assert again["ok"] is True  # a double click is harmless


async def test_only_the_two_participants_may_signal(make_client: ClientFactory) -> None:
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    to_mentor, _ = await matched_pair(mentor, mentee)
    outsider = await make_client("Eve")
    ack = await outsider.call(
        "signal", {"session_id": to_mentor["session_id"], "type": "offer", "data": {}}
    )
    assert ack["error"]["code"] == "not_in_session"
    await mentee.must("session:leave", {"session_id": to_mentor["session_id"]})
    ack = await mentee.call(
        "signal", {"session_id": to_mentor["session_id"], "type": "offer", "data": {}}
    )
    assert ack["error"]["code"] == "not_in_session"
    assert mentor.received("signal") == []


async def test_nobody_is_matched_with_themselves(make_client: ClientFactory) -> None:
    both = await make_client("Both")
    await go_online(both, "python")
    ack = await both.call("mentee:join", {"skill": "python", "question": "?"})
    assert ack["error"]["code"] == "mentor_online"
    await both.must("mentor:offline", {})
    await ask(both)
    ack = await both.call("mentor:online", {"skills": ["python"], "minutes": 30})
    assert ack["error"]["code"] == "mentee_waiting"


async def test_clock_sync_answers_with_server_time(make_client: ClientFactory) -> None:
    client: MentorburstClient = await make_client()
    ack = await client.must("clock", {"t0": 123.5})
    assert ack["t0"] == 123.5 and isinstance(ack["server_now"], int)


async def test_a_mentor_hears_it_is_idle_again_after_rating(make_client: ClientFactory) -> None:
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    sid = await finished_call(mentor, mentee)
    await mentor.next("mentor:update", where=lambda u: u["state"] == "cooldown")
    mentor.drain("mentor:update")
    await mentor.must("rate", {"session_id": sid, "stars": 5})
    update = await mentor.next("mentor:update", where=lambda u: u["state"] == "idle")
    assert update["sessions_done"] == 1


async def test_a_rating_can_arrive_over_http_when_the_socket_is_gone(
    make_client: ClientFactory,
) -> None:
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    sid = await finished_call(mentor, mentee)
    await mentee.close()
    path = f"/api/sessions/{sid}/rating"
    assert (await mentee.rest("POST", path, {"stars": 5, "reflection": "ship it"}, auth=True)) == {
        "ok": True
    }
    try:
        await mentee.rest("POST", path, {"stars": 4}, auth=True)
    except ProtocolError as exc:
        assert "409" in str(exc) and "already_rated" in str(exc)
    else:
        raise AssertionError("a second rating was accepted")
    profile = await mentor.rest("GET", f"/api/users/{mentor.user_id}")
    assert profile["rating"]["count"] == 1
