"""The signal relay remembers who is in a call on each node, and that memory never outlives the
truth: nothing is relayed once a person has heard the call end, and a partner who reconnects on
another node keeps receiving, across nodes."""

from __future__ import annotations

from tests.conftest import ClientFactory, ServerFactory
from tests.helpers import ask, go_online, start_call


async def test_once_the_end_is_heard_nothing_more_is_relayed_on_any_node(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    one = await start_server(session_seconds=30)
    two = await start_server(session_seconds=30)
    mentor = await make_client("Grace", url=one.url)
    mentee = await make_client("Ada", url=two.url)
    await go_online(mentor, "python")
    await ask(mentee)
    sid = (await mentee.next("session:matched"))["session_id"]
    await mentor.next("session:matched")
    candidate = {"session_id": sid, "type": "candidate", "data": {"candidate": "c"}}
    for _ in range(3):  # both nodes now know the pair
        await mentee.must("signal", candidate)
        await mentor.must("signal", candidate)
    for _ in range(3):  # each crossed nodes; an ack does not wait for the partner's receipt
        await mentor.next("signal")
        await mentee.next("signal")
    assert mentor.drain("signal") == [] and mentee.drain("signal") == []
    await mentee.must("session:leave", {"session_id": sid})  # ended on node two
    await mentor.next("session:ended")
    ack = await mentor.call("signal", candidate)  # node one heard it before telling Grace
    assert ack["error"]["code"] == "not_in_session"
    await mentee.next("session:ended")
    assert (await mentee.call("signal", candidate))["error"]["code"] == "not_in_session"
    assert mentee.received("signal") == []


async def test_a_partner_who_reconnects_on_another_node_keeps_receiving(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    one = await start_server(session_seconds=30, connect_grace_seconds=10)
    two = await start_server(session_seconds=30, connect_grace_seconds=10)
    mentor = await make_client("Grace", url=one.url)
    mentee = await make_client("Ada", url=one.url)
    await go_online(mentor, "python")
    await ask(mentee)
    sid = (await mentee.next("session:matched"))["session_id"]
    await mentor.next("session:matched")
    await start_call(mentor, mentee, sid)
    candidate = {"session_id": sid, "type": "candidate", "data": {"candidate": "c"}}
    await mentor.must("signal", candidate)  # node one caches Ada's socket there
    await mentee.next("signal")
    token = mentee.token
    await mentee.close()
    again = await make_client("Ada again", url=two.url, connect=False)
    again.token, again.user = token, mentee.user
    await again.connect()
    await again.next("session:matched", where=lambda m: m.get("resumed"))
    await mentor.must("signal", candidate)
    assert (await again.next("signal"))["from"] == mentor.user_id
