"""A person with two tabs open is in a call once: one socket holds their side of it, only that
socket hears the partner's signals, another tab is told and may take the call over ("Use here"),
and a tab that reloads or reconnects gets its call back."""

from __future__ import annotations

import asyncio
from typing import Any

from peer.client import MentorburstClient
from tests.conftest import ClientFactory, ServerFactory, Tracebacks
from tests.helpers import matched_pair, start_call


def tab_of(client: MentorburstClient) -> MentorburstClient:
    """Another tab of the same person: the same login, a socket of its own."""
    tab = MentorburstClient(client.base_url)
    tab.token, tab.user = client.token, dict(client.user)
    return tab


def sid_of(client: MentorburstClient) -> str:
    return str(client.sio.get_sid("/"))


async def signal(client: MentorburstClient, session_id: str, kind: str, n: int = 0) -> Any:
    data = {"candidate": f"candidate:{n} 1 udp 1 127.0.0.1 {9000 + n} typ host"}
    if kind != "candidate":
        data = {"type": kind, "sdp": f"v=0 {n}"}
    return await client.call("signal", {"session_id": session_id, "type": kind, "data": data})


async def heard_only_by(holder: MentorburstClient, other: MentorburstClient, n: int) -> None:
    """The partner's candidate ``n`` reached ``holder``; ``other`` heard no signal at all."""
    got = await holder.next(
        "signal", where=lambda m: m["data"].get("candidate", "").startswith(f"candidate:{n} ")
    )
    assert got["type"] == "candidate"
    await asyncio.sleep(0.3)  # what would reach the other tab has had time to arrive
    assert other.drain("signal") == []


async def test_only_the_tab_holding_the_call_hears_the_partner_and_another_tab_can_take_it_here(
    make_client: ClientFactory, tracebacks: Tracebacks
) -> None:
    mentor, laptop = await make_client("Grace"), await make_client("Ada")
    second = tab_of(laptop)
    await second.connect()
    to_mentor, to_mentee = await matched_pair(mentor, laptop)
    assert (await second.next("session:matched"))["session_id"] == to_mentee["session_id"]
    session = to_mentor["session_id"]

    # Both tabs were matched; the first to speak (the offer) holds the call, the other is told.
    assert (await signal(laptop, session, "offer"))["ok"] is True
    assert (await second.next("session:moved", timeout=5)) == {"session_id": session}
    refused = await signal(second, session, "offer", 1)
    assert refused["ok"] is False and refused["error"]["code"] == "call_elsewhere", refused
    assert "another tab" in refused["error"]["message"]
    offered = await mentor.next("signal")
    assert offered["type"] == "offer" and offered["data"]["sdp"] == "v=0 0"  # not the second tab's

    assert (await signal(mentor, session, "answer"))["ok"] is True
    assert (await laptop.next("signal"))["type"] == "answer"
    assert (await signal(mentor, session, "candidate", 2))["ok"] is True
    await heard_only_by(laptop, second, 2)
    await start_call(mentor, laptop, session)
    await second.next("session:started")  # the countdown still reaches every tab

    # "Use here" in the second tab: the call moves; the first tab is told and can no longer speak.
    assert (await second.must("session:take", {"session_id": session}))["ok"] is True
    assert (await laptop.next("session:moved", timeout=5)) == {"session_id": session}
    assert (await signal(mentor, session, "candidate", 3))["ok"] is True
    await heard_only_by(second, laptop, 3)
    refused = await signal(laptop, session, "candidate", 4)
    assert refused["error"]["code"] == "call_elsewhere", refused
    assert (await signal(second, session, "offer", 5))["ok"] is True  # a brief renegotiation
    assert (await mentor.next("signal"))["data"]["sdp"] == "v=0 5"
    assert mentor.received("session:matched") == [] and mentor.received("session:ended") == []
    assert second.received("session:moved") == []  # the tab that took it is not told it moved
    assert tracebacks.records == []
    await second.close()


async def test_a_tab_opened_during_the_call_is_told_it_is_held_elsewhere_and_a_reload_takes_it_back(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await start_server(connect_grace_seconds=5, session_seconds=30)
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    to_mentor, _ = await matched_pair(mentor, mentee)
    session = to_mentor["session_id"]
    assert (await signal(mentee, session, "offer"))["ok"] is True
    await start_call(mentor, mentee, session)

    late = tab_of(mentee)  # a tab opened mid-call
    await late.connect()
    resumed = await late.next("session:matched")
    assert resumed["resumed"] is True and resumed["held_elsewhere"] is True
    assert (await signal(late, session, "offer", 1))["error"]["code"] == "call_elsewhere"
    # Taking it "only from my old socket" fails: this tab never held it.
    ack = await late.call("session:take", {"session_id": session, "replaces": "not-my-socket"})
    assert ack["error"]["code"] == "call_elsewhere"
    await late.close()

    # The holding tab reloads: its old socket is gone, so the new one is not told "elsewhere" and
    # its first signal takes the call back.
    await mentee.close()
    reloaded = tab_of(mentee)
    await reloaded.connect()
    back = await reloaded.next("session:matched")
    assert back["resumed"] is True and back["held_elsewhere"] is False
    assert (await signal(reloaded, session, "offer", 2))["ok"] is True
    assert (await mentor.next("signal", where=lambda m: m["type"] == "offer"))["data"]["sdp"] == (
        "v=0 0"
    )
    assert (await mentor.next("signal", where=lambda m: m["type"] == "offer"))["data"]["sdp"] == (
        "v=0 2"
    )
    await reloaded.close()


async def test_a_reconnecting_tab_takes_its_call_back_from_its_own_lingering_socket(
    make_client: ClientFactory,
) -> None:
    """A dropped network: the page reconnects on a new socket before the server noticed the old
    one is gone. Taking the call "from my old socket" (``replaces``) works; from anyone else's
    it does not."""
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    to_mentor, _ = await matched_pair(mentor, mentee)
    session = to_mentor["session_id"]
    assert (await signal(mentee, session, "offer"))["ok"] is True
    other_tab = tab_of(mentee)
    await other_tab.connect()
    again = tab_of(mentee)  # the same tab, reconnected; its old socket still looks open
    await again.connect()
    assert (await again.next("session:matched"))["held_elsewhere"] is True

    ack = await other_tab.call("session:take", {"session_id": session, "replaces": sid_of(again)})
    assert ack["error"]["code"] == "call_elsewhere"
    await again.must("session:take", {"session_id": session, "replaces": sid_of(mentee)})
    assert (await mentee.next("session:moved", timeout=5)) == {"session_id": session}
    assert (await other_tab.next("session:moved", timeout=5)) == {"session_id": session}
    assert (await signal(mentor, session, "candidate", 7))["ok"] is True
    await heard_only_by(again, other_tab, 7)
    assert mentee.drain("signal") == []
    for tab in (other_tab, again):
        await tab.close()


async def test_the_call_moves_between_tabs_on_different_nodes(
    start_server: ServerFactory,
) -> None:
    first, second = await start_server(), await start_server()
    mentor = await MentorburstClient.signed_in(first.url, "Grace")
    here = await MentorburstClient.signed_in(first.url, "Ada")
    there = MentorburstClient(second.url)  # Ada's other tab, served by the other node
    there.token, there.user = here.token, dict(here.user)
    await there.connect()
    to_mentor, _ = await matched_pair(mentor, here)
    session = to_mentor["session_id"]
    assert (await signal(here, session, "offer"))["ok"] is True
    assert (await there.next("session:moved", timeout=5)) == {"session_id": session}
    assert (await signal(mentor, session, "candidate", 1))["ok"] is True
    await heard_only_by(here, there, 1)

    await there.must("session:take", {"session_id": session})
    assert (await here.next("session:moved", timeout=5)) == {"session_id": session}
    assert (await signal(mentor, session, "candidate", 2))["ok"] is True
    await heard_only_by(there, here, 2)
    assert (await signal(here, session, "candidate", 3))["error"]["code"] == "call_elsewhere"
    assert there.received("session:moved") == []
    assert (await signal(there, session, "answer", 4))["ok"] is True
    assert (await mentor.next("signal", where=lambda m: m["type"] == "answer"))["from"] == (
        here.user_id
    )
    for client in (mentor, here, there):
        await client.close()


async def test_taking_a_call_needs_a_call_of_ones_own(make_client: ClientFactory) -> None:
    mentor, mentee, outsider = (
        await make_client("Grace"), await make_client("Ada"), await make_client("Eve"),
    )  # fmt: skip
    to_mentor, _ = await matched_pair(mentor, mentee)
    session = to_mentor["session_id"]
    for probe in (session, "s_doesnotexist"):
        ack = await outsider.call("session:take", {"session_id": probe})
        assert ack["error"]["code"] == "not_in_session", ack
    ack = await mentee.call("session:take", {"session_id": session, "replaces": 5})
    assert ack["error"]["code"] == "invalid_payload", ack
    await mentee.must("session:take", {"session_id": session})
    await mentee.must("session:take", {"session_id": session})  # already here: harmless
    assert mentee.received("session:moved") == []
    await mentee.must("session:leave", {"session_id": session})
    ack = await mentee.call("session:take", {"session_id": session})
    assert ack["error"]["code"] == "not_in_session", ack
