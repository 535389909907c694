"""A mentor's office-hours burst ends on time, and never in the middle of a call."""

from __future__ import annotations

from server.runtime.clock import ManualClock
from tests.conftest import ClientFactory, ServerFactory
from tests.helpers import ask, go_online, matched_pair, start_call


async def test_an_idle_mentor_goes_offline_when_the_burst_ends(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    clock = ManualClock()
    await start_server(clock=clock)
    mentor = await make_client("Grace")
    ack = await go_online(mentor, "python", minutes=5)
    assert ack["burst_ends_at"] == clock.now_ms() + 5 * 60_000
    clock.advance(5 * 60)
    update = await mentor.next("mentor:update", where=lambda u: u["state"] == "offline", timeout=5)
    assert update["burst_ends_at"] == ack["burst_ends_at"]
    mentee = await make_client("Ada")
    assert (await ask(mentee))["eta_reason"] == "no_mentors_online"


async def test_a_burst_that_ends_during_a_call_lets_the_call_finish(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    clock = ManualClock()
    await start_server(clock=clock, session_seconds=240, connect_grace_seconds=120)
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    await go_online(mentor, "python", minutes=5)
    await ask(mentee)
    sid = (await mentor.next("session:matched"))["session_id"]
    await mentee.next("session:matched")
    clock.advance(100)  # they take their time to connect; the call now runs past the burst end
    await mentee.must("session:connected", {"session_id": sid})
    await mentor.must("session:connected", {"session_id": sid})
    started = await mentee.next("session:started")
    clock.advance(301 - 100)  # the burst is over, the call is not
    await mentor.must("signal", {"session_id": sid, "type": "answer", "data": {}})
    assert mentor.received("session:ended") == []
    clock.advance((started["ends_at"] - clock.now_ms()) / 1000)
    assert (await mentor.next("session:ended", timeout=5))["reason"] == "time_up"
    update = await mentor.next("mentor:update", where=lambda u: u["state"] == "offline", timeout=5)
    assert update["sessions_done"] == 1


async def test_going_offline_mid_call_keeps_the_call_and_then_stops_matching(
    make_client: ClientFactory,
) -> None:
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    to_mentor, _ = await matched_pair(mentor, mentee)
    await start_call(mentor, mentee, to_mentor["session_id"])
    await mentor.must("mentor:offline", {})
    waiting = await make_client("Bob")
    await ask(waiting)
    assert (await mentee.next("session:ended", timeout=5))["reason"] == "time_up"
    await mentor.next("mentor:update", where=lambda u: u["state"] == "offline", timeout=5)
    await mentor.must("rate", {"session_id": to_mentor["session_id"], "stars": 5})
    assert mentor.received("session:matched") == []
