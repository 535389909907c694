""" "Ask Jamie": a personal request waits for that mentor only, comes first in the mentor's
list and in its next match, and follows the same atomic claim and burst rules on every node."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from tests.conftest import ClientFactory, ServerFactory
from tests.helpers import ask, go_online


async def test_personal_requests_across_two_nodes_book_the_mentor_once_and_come_first(
    start_server: ServerFactory, make_client: ClientFactory, redis: Redis
) -> None:
    node_a, node_b = await start_server(), await start_server()
    jamie = await make_client("Jamie", url=node_a.url)
    await go_online(jamie, "python")
    mentees = [await make_client(f"m{i}", url=(node_a, node_b)[i % 2].url) for i in range(6)]
    acks = await asyncio.gather(
        *(
            m.call(
                "mentee:join",
                {
                    "skill": "career",
                    "question": f"Can we go over my offer #{i}?",
                    "mentor_id": jamie.user_id,
                },
            )
            for i, m in enumerate(mentees)
        )
    )
    assert all(a["ok"] for a in acks), acks
    assert sorted(a["position"] for a in acks) == [0, 1, 2, 3, 4, 5]
    first = next(m for m, a in zip(mentees, acks, strict=True) if a["position"] == 0)
    matched = await jamie.next("session:matched")
    assert matched["peer"]["id"] == first.user_id and matched["skill"] == "career"
    assert await redis.get(f"mb:live:{jamie.user_id}") == matched["session_id"]
    booked = [await redis.get(f"mb:live:{m.user_id}") for m in mentees]
    assert booked.count(matched["session_id"]) == 1 and booked.count(None) == 5

    queued = await make_client("Pat", url=node_b.url)
    assert (await ask(queued, "python", "How do I profile asyncio code?"))["position"] == 1
    update = await jamie.next(
        "mentor:update",
        where=lambda u: u.get("personal_waiting") == 5 and len(u["questions"]) == 6,
        timeout=5,
    )
    assert [q.get("personal", False) for q in update["questions"]] == [True] * 5 + [False]
    assert update["questions"][0]["skill"] == "career"
    waiting = await mentees[1 if first is not mentees[1] else 2].next("queue:update")
    assert waiting["mentor"]["id"] == jamie.user_id

    await first.must("session:leave", {"session_id": matched["session_id"]})
    second = await jamie.next("session:matched")
    assert second["peer"]["id"] != queued.user_id  # the personal request before Pat's older one
    assert second["question"].startswith("Can we go over my offer")


async def test_asking_a_mentor_who_is_offline_waits_and_asking_oneself_is_refused(
    make_client: ClientFactory,
) -> None:
    jamie, ada = await make_client("Jamie"), await make_client("Ada")
    ack = await ada.must(
        "mentee:join",
        {"skill": "python", "question": "A quick review?", "mentor_id": jamie.user_id},
    )
    assert ack["eta_s"] is None and ack["eta_reason"] == "mentor_offline"
    await go_online(jamie, "writing")  # any skills: personal requests are its own
    assert (await ada.next("session:matched"))["peer"]["id"] == jamie.user_id
    self_ask = await jamie.call(
        "mentee:join", {"skill": "python", "question": "Me?", "mentor_id": jamie.user_id}
    )
    assert self_ask["error"]["code"] in ("invalid_payload", "mentor_online", "in_session")
    nobody = await ada.call(
        "mentee:join", {"skill": "python", "question": "Anyone?", "mentor_id": "u_nobody"}
    )
    assert nobody["error"]["code"] in ("not_found", "in_session")
