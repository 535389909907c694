"""After the call both leave a rating; reputation is earned, not gamed."""

from __future__ import annotations

import asyncio
import json

from redis.asyncio import Redis

from peer.client import MentorburstClient
from server.domain.calls.ratings import bayesian
from server.store import keys
from server.store.scripts import REPORTS_MAX
from tests.conftest import ClientFactory, ServerFactory
from tests.helpers import ask, finished_call, go_online, matched_pair


async def two_after_a_call(
    make_client: ClientFactory,
) -> tuple[MentorburstClient, MentorburstClient, str]:
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    return mentor, mentee, await finished_call(mentor, mentee)


async def test_each_side_rates_once(make_client: ClientFactory) -> None:
    mentor, mentee, sid = await two_after_a_call(make_client)
    await mentee.must("rate", {"session_id": sid, "stars": 4})
    again = await mentee.call("rate", {"session_id": sid, "stars": 1})
    assert again["error"]["code"] == "already_rated"
    profile = await mentee.rest("GET", f"/api/users/{mentor.user_id}")
    assert profile["rating"] == {"mean": 4.0, "count": 1, "score": round((5 * 4.0 + 4) / 6, 3)}


async def test_outsiders_cannot_rate_and_nobody_rates_a_live_call(
    make_client: ClientFactory,
) -> None:
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    to_mentor, _ = await matched_pair(mentor, mentee)
    sid = to_mentor["session_id"]
    early = await mentee.call("rate", {"session_id": sid, "stars": 5})
    assert early["error"]["code"] == "session_live"
    await mentee.must("session:leave", {"session_id": sid})
    outsider = await make_client("Eve")
    ack = await outsider.call("rate", {"session_id": sid, "stars": 5})
    assert ack["error"]["code"] == "not_in_session"


async def test_the_rating_window_closes(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(rating_seconds=0.2)
    _, mentee, sid = await two_after_a_call(make_client)
    await asyncio.sleep(0.3)
    ack = await mentee.call("rate", {"session_id": sid, "stars": 5})
    assert ack["error"]["code"] == "rating_closed"


async def test_concurrent_double_submits_store_exactly_one_rating(
    make_client: ClientFactory,
) -> None:
    mentor, mentee, sid = await two_after_a_call(make_client)
    acks = await asyncio.gather(
        *(mentee.call("rate", {"session_id": sid, "stars": s}) for s in (5, 4, 3, 2, 1))
    )
    assert sum(1 for a in acks if a["ok"]) == 1
    profile = await mentee.rest("GET", f"/api/users/{mentor.user_id}")
    assert profile["rating"]["count"] == 1


def test_one_five_star_does_not_outrank_fifty_four_point_eights() -> None:
    lucky = bayesian(1, 5, 4.0)
    steady = bayesian(50, 50 * 4.8, 4.0)
    assert lucky.mean == 5 and steady.mean == 4.8
    assert steady.score > lucky.score


async def test_a_report_blocks_the_pair_for_good(make_client: ClientFactory) -> None:
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    to_mentor, _ = await matched_pair(mentor, mentee)
    sid = to_mentor["session_id"]
    await mentee.must("report", {"session_id": sid, "reason": "Rude and off-topic"})
    assert (await mentor.next("session:ended"))["reason"] == "left"
    await mentor.must("rate", {"session_id": sid, "stars": 1})
    await mentor.must("mentor:offline", {})
    await go_online(mentor, "python")
    await ask(mentee)
    await asyncio.sleep(0.3)
    assert mentor.received("session:matched") == []
    other = await make_client("Other")
    await go_online(other, "python")
    assert (await mentee.next("session:matched"))["peer"]["id"] == other.user_id


async def test_a_call_is_reported_once_per_person_however_often_they_click(
    make_client: ClientFactory, redis: Redis
) -> None:
    mentor, mentee, sid = await two_after_a_call(make_client)
    await mentee.must("report", {"session_id": sid, "reason": "Rude"})
    again = await mentee.call("report", {"session_id": sid, "reason": "Rude, and again"})
    assert again["error"]["code"] == "already_reported"
    acks = await asyncio.gather(
        *(mentor.call("report", {"session_id": sid, "reason": f"Spam {n}"}) for n in range(5))
    )
    assert sum(1 for ack in acks if ack["ok"]) == 1
    assert {ack["error"]["code"] for ack in acks if not ack["ok"]} == {"already_reported"}
    kept = await redis.hgetall(keys.session_reports(sid))
    assert sorted(kept) == sorted([mentor.user_id, mentee.user_id])
    assert json.loads(kept[mentee.user_id])["reason"] == "Rude"
    assert await redis.llen(keys.REPORTS) == 2
    assert await redis.zcard(keys.reports_about(mentor.user_id)) == 1


async def test_a_report_long_after_the_call_is_refused(
    start_server: ServerFactory, make_client: ClientFactory, redis: Redis
) -> None:
    await start_server(rating_seconds=0.5)
    mentor, mentee, sid = await two_after_a_call(make_client)
    await asyncio.sleep(0.6)
    late = await mentee.call("report", {"session_id": sid, "reason": "Remembered a grudge"})
    assert late["error"]["code"] == "report_closed"
    assert await redis.exists(keys.session_reports(sid), keys.REPORTS) == 0
    assert not await redis.sismember(keys.blocked(mentee.user_id), mentor.user_id)


async def test_reports_are_kept_for_the_history_retention_and_the_moderation_list_is_capped(
    make_client: ClientFactory, redis: Redis
) -> None:
    older = [json.dumps({"n": n}) for n in range(REPORTS_MAX)]
    await redis.rpush(keys.REPORTS, *older)  # a full moderation list
    mentor, mentee, sid = await two_after_a_call(make_client)
    await mentee.must("report", {"session_id": sid, "reason": "No-show after two minutes"})
    assert await redis.llen(keys.REPORTS) == REPORTS_MAX
    assert json.loads(await redis.lindex(keys.REPORTS, 0)) == {"n": 1}  # the oldest fell off
    newest = json.loads(await redis.lindex(keys.REPORTS, -1))
    assert (newest["by"], newest["about"]) == (mentee.user_id, mentor.user_id)
    year = 365 * 86400
    for key in (keys.session_reports(sid), keys.reports_about(mentor.user_id)):
        assert year - 60 < await redis.ttl(key) <= year, key


async def test_throwaway_guests_who_hang_up_at_once_cannot_sink_a_mentors_rating(
    make_client: ClientFactory, redis: Redis
) -> None:
    mentor = await make_client("Grace")
    await go_online(mentor, "python")
    for n in range(3):
        guest = await make_client(f"Throwaway {n}")
        await ask(guest)
        sid = (await guest.next("session:matched"))["session_id"]
        await guest.must("session:leave", {"session_id": sid})
        await guest.next("session:ended")
        await guest.must("rate", {"session_id": sid, "stars": 1})  # stored and acked ...
        assert json.loads(await redis.hget(keys.ratings(sid), guest.user_id))["stars"] == 1
        await mentor.next("mentor:update", where=lambda u: u.get("state") == "idle")
    profile = await mentor.rest("GET", f"/api/users/{mentor.user_id}")
    assert profile["rating"] == {"mean": None, "count": 0, "score": 4.0}  # ... but not counted
    assert await redis.hgetall(keys.skill_reputation(mentor.user_id)) == {}
    assert await redis.hgetall(keys.GLOBAL_REPUTATION) == {}

    mentee = await make_client("Ada")  # a call whose media connected counts, as ever
    await mentor.must("mentor:offline")
    mentor.drain("session:matched")
    sid = await finished_call(mentor, mentee)
    await mentee.must("rate", {"session_id": sid, "stars": 4})
    profile = await mentor.rest("GET", f"/api/users/{mentor.user_id}")
    assert profile["rating"]["mean"] == 4.0 and profile["rating"]["count"] == 1
    assert await redis.hgetall(keys.skill_reputation(mentor.user_id)) == {
        "python:count": "1",
        "python:sum": "4",
    }
