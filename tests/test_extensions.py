"""More time in a call: both people agree to extend it, or hear why not; time lost to a dropped
connection is given back."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from peer.client import MentorburstClient
from server.store import keys
from tests.conftest import ClientFactory, ServerFactory
from tests.helpers import ask, go_online, matched_pair, start_call


async def live_call(
    make_client: ClientFactory, *, minutes: int = 30
) -> tuple[MentorburstClient, MentorburstClient, str, dict]:  # type: ignore[type-arg]
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    await go_online(mentor, "python", minutes=minutes)
    await ask(mentee, "python")
    sid = (await mentor.next("session:matched"))["session_id"]
    await mentee.next("session:matched")
    started = await start_call(mentor, mentee, sid)
    return mentor, mentee, sid, started


async def refusal(client: MentorburstClient, sid: str, minutes: int = 5) -> str:
    """Why an ask was refused: the error's ``reason``, so no test reads the English sentence."""
    ack = await client.call("session:extend", {"session_id": sid, "minutes": minutes})
    assert ack["ok"] is False and ack["error"]["code"] == "extend_refused", ack
    assert ack["error"]["message"], ack
    return str(ack["error"]["reason"])


async def test_both_agree_and_the_shorter_ask_moves_the_end_for_both(
    start_server: ServerFactory, make_client: ClientFactory, redis: Redis
) -> None:
    await start_server(session_seconds=60, warn_at=(30, 10))
    mentor, mentee, sid, started = await live_call(make_client)

    first = await mentee.must("session:extend", {"session_id": sid, "minutes": 5})
    assert first["agreed"] is False
    for client in (mentor, mentee):
        asked = await client.next("session:extend_requested")
        assert asked == {"session_id": sid, "by": mentee.user_id, "minutes": 5}
    assert await redis.zscore(keys.TIMERS, f"end|{sid}") == started["ends_at"]

    second = await mentor.must("session:extend", {"session_id": sid, "minutes": 3})
    assert second["agreed"] is True
    new_end = started["ends_at"] + 3 * 60_000
    for client in (mentor, mentee):
        moved = await client.next("session:started", where=lambda s: "extended_s" in s)
        assert moved["ends_at"] == new_end and moved["extended_s"] == 180
        assert moved["started_at"] == started["started_at"]
    # The server's countdown moved with it: the end and each warning, in the same step.
    assert await redis.zscore(keys.TIMERS, f"end|{sid}") == new_end
    assert await redis.zscore(keys.TIMERS, f"warn|{sid}:30000") == new_end - 30_000

    assert await refusal(mentee, sid) == "limit"
    record = await mentee.rest("GET", f"/api/sessions/{sid}", auth=True)
    assert record["extended_s"] == 180 and record["ends_at"] == new_end


async def test_refused_while_someone_waits_for_the_mentor(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(session_seconds=60)
    mentor, mentee, sid, _ = await live_call(make_client)
    waiting = await make_client("Lin")
    await ask(waiting, "python")
    assert await refusal(mentee, sid) == "waiting"
    assert await refusal(mentor, sid) == "waiting"
    assert mentor.received("session:extend_requested") == []


async def test_only_a_personal_request_the_mentor_could_take_holds_its_call_to_the_end(
    start_server: ServerFactory, make_client: ClientFactory, redis: Redis
) -> None:
    await start_server(session_seconds=60)
    grace, eve = await make_client("Grace"), await make_client("Eve")
    first, _ = await matched_pair(grace, eve)
    await start_call(grace, eve, first["session_id"])
    await grace.must("report", {"session_id": first["session_id"], "reason": "rude"})
    await grace.next("session:ended")
    await grace.must("rate", {"session_id": first["session_id"], "stars": 1})  # idle again
    ada = await make_client("Ada")
    await ask(ada, "python")
    sid = (await grace.next("session:matched"))["session_id"]
    await ada.next("session:matched")
    await start_call(grace, ada, sid)

    personal = {"skill": "python", "question": "Can you review my parser?"}
    lin = await make_client("Lin")
    await lin.must("mentee:join", {**personal, "mentor_id": grace.user_id})
    assert await refusal(ada, sid) == "waiting"  # Lin really waits for Grace
    await lin.must("mentee:leave", {})
    # Eve, whom Grace reported, may ask, but Grace can never take her: that holds nothing. Nor
    # does an entry a crash left in Grace's personal queue with no ticket behind it.
    await eve.must("mentee:join", {**personal, "mentor_id": grace.user_id})
    await redis.zadd(keys.queue(keys.direct_queue(grace.user_id)), {lin.user_id: 1})
    assert (await ada.must("session:extend", {"session_id": sid, "minutes": 5}))["agreed"] is False
    assert (await grace.must("session:extend", {"session_id": sid, "minutes": 5}))["agreed"]


async def test_refused_when_the_burst_cannot_fit_it(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(session_seconds=60)
    _, mentee, sid, _ = await live_call(make_client, minutes=5)  # the burst ends in 5 minutes
    assert await refusal(mentee, sid, minutes=5) == "burst"
    ack = await mentee.must("session:extend", {"session_id": sid, "minutes": 2})
    assert ack["agreed"] is False  # two more minutes still fit in the burst


async def test_refused_before_the_call_runs_and_for_outsiders(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(session_seconds=60)
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    to_mentor, _ = await matched_pair(mentor, mentee)
    sid = to_mentor["session_id"]
    assert await refusal(mentee, sid) == "not_live"
    eve = await make_client("Eve")
    foreign = await eve.call("session:extend", {"session_id": sid, "minutes": 5})
    unknown = await eve.call("session:extend", {"session_id": "s_nope", "minutes": 5})
    assert foreign["error"] == unknown["error"]
    assert foreign["error"]["code"] == "not_in_session"
    bad = await mentee.call("session:extend", {"session_id": sid, "minutes": 11})
    assert bad["error"]["code"] == "invalid_payload"


async def test_event_round_calls_never_extend(make_client: ClientFactory) -> None:
    host = await make_client("Host")
    body = {"title": "Speed", "round_seconds": 30, "rounds": 1, "break_seconds": 0}
    created = await host.rest("POST", "/api/events", body, auth=True)
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    await mentor.must("event:join", {"code": created["code"], "role": "mentor"})
    await mentee.must("event:join", {"code": created["code"], "role": "mentee"})
    await host.must("event:start", {"event_id": created["event_id"]})
    sid = (await mentee.next("session:started"))["session_id"]
    assert await refusal(mentee, sid) == "event"


async def drop(client: MentorburstClient, seconds: float) -> None:
    """The connection goes away for ``seconds`` (the last socket closes), then comes back."""
    await client.sio.disconnect()
    await asyncio.sleep(seconds)
    await client.connect()


async def test_a_three_second_drop_is_given_back_to_both(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(session_seconds=60, connect_grace_seconds=10)
    mentor, mentee, sid, started = await live_call(make_client)
    await drop(mentee, 3)
    for client in (mentor, mentee):
        credited = await client.next("session:started", where=lambda s: "credited_s" in s)
        assert credited["session_id"] == sid and credited["credited_s"] == 3
        assert credited["ends_at"] == started["ends_at"] + 3000
    # The returning side caught up first (matched, then the countdown), then heard the credit.
    assert (await mentee.next("session:matched"))["resumed"] is True
    record = await mentee.rest("GET", f"/api/sessions/{sid}", auth=True)
    assert record["credited_s"] == 3 and record["ends_at"] == started["ends_at"] + 3000


async def test_the_credit_is_capped_per_call_and_a_second_tab_is_no_drop(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(session_seconds=60, connect_grace_seconds=10, max_credit_seconds=2)
    mentor, mentee, sid, started = await live_call(make_client)
    await drop(mentee, 3)
    for client in (mentor, mentee):
        credited = await client.next("session:started", where=lambda s: "credited_s" in s)
        assert credited["credited_s"] == 2  # capped
    await drop(mentor, 1.5)  # the call already had all the credit it may get
    second_tab = MentorburstClient(mentee.base_url)
    second_tab.token, second_tab.user = mentee.token, mentee.user
    await second_tab.connect()
    try:
        await drop(mentee, 1.5)  # one tab closed while another stayed: nobody was gone
        await mentee.next("session:matched")  # caught up
        await asyncio.sleep(0.3)
        for client in (mentor, mentee, second_tab):
            assert [s for s in client.received("session:started") if "credited_s" in s] == []
        record = await mentee.rest("GET", f"/api/sessions/{sid}", auth=True)
        assert record["credited_s"] == 2 and record["ends_at"] == started["ends_at"] + 2000
    finally:
        await second_tab.close()


async def test_no_credit_for_a_drop_before_the_call_ran(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(session_seconds=60, connect_grace_seconds=10)
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    to_mentor, _ = await matched_pair(mentor, mentee)
    sid = to_mentor["session_id"]
    await drop(mentee, 1.2)
    started = await start_call(mentor, mentee, sid)
    await asyncio.sleep(0.3)
    assert "credited_s" not in started
    assert [s for s in mentor.received("session:started") if "credited_s" in s] == []
