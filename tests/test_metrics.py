"""An operator watches the service in Prometheus: /metrics tells what is happening, in numbers."""

from __future__ import annotations

import json

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ClientFactory, RunningServer, ServerFactory
from tests.helpers import ask, go_online, start_call


async def scrape(server: RunningServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``GET /metrics``: (name, sorted labels) -> value."""
    async with aiohttp.ClientSession() as http, http.get(server.url + "/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await response.text()
    samples = {}
    for family in text_string_to_metric_families(text):
        assert family.name.startswith("mentorburst_"), family.name
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_follow_a_drop_in_call_from_queue_to_time_up(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(session_seconds=2, warn_at=())
    before = await scrape(server)
    mentee = await make_client("Ada")
    mentor = await make_client("Grace")
    await ask(mentee, "python")

    waiting = await scrape(server)
    assert value(waiting, "mentorburst_waiting_mentees", skill="python") == 1
    assert value(waiting, "mentorburst_waiting_mentees", skill="javascript") == 0
    # Counters are per process (several test servers share one): compare with before.
    assert (
        value(waiting, "mentorburst_sockets_connected")
        - value(before, "mentorburst_sockets_connected")
        == 2
    )

    await go_online(mentor, "python")
    matched = await mentee.next("session:matched")
    await mentor.next("session:matched")
    during = await scrape(server)
    assert value(during, "mentorburst_matched_sessions") == 1
    assert value(during, "mentorburst_mentors_online", skill="python") == 1
    assert value(during, "mentorburst_mentors_busy") == 1
    assert value(during, "mentorburst_waiting_mentees", skill="python") == 0
    assert (
        value(during, "mentorburst_matches_total") - value(before, "mentorburst_matches_total") == 1
    )
    latency = "mentorburst_match_latency_seconds_count"
    assert value(during, latency) - value(before, latency) == 1
    assert value(during, "mentorburst_match_latency_seconds_bucket", le="+Inf") >= value(
        during, latency
    )

    await start_call(mentor, mentee, matched["session_id"])
    live = await scrape(server)
    assert value(live, "mentorburst_live_sessions") == 1
    assert value(live, "mentorburst_matched_sessions") == 0

    ended = await mentee.next("session:ended", timeout=6)
    assert ended["reason"] == "time_up"
    after = await scrape(server)
    ends = "mentorburst_session_ends_total"
    assert value(after, ends, reason="time_up") - value(before, ends, reason="time_up") == 1
    assert value(after, "mentorburst_live_sessions") == 0
    lateness = "mentorburst_deadline_lateness_seconds_count"
    assert value(after, lateness, kind="end") - value(before, lateness, kind="end") >= 1
    relayed = "mentorburst_socket_event_seconds_count"
    joins = value(after, relayed, event="mentee:join") - value(before, relayed, event="mentee:join")
    assert joins == 1
    events = "mentorburst_socket_events_total"
    assert (
        value(after, events, event="session:connected", result="ok")
        - value(before, events, event="session:connected", result="ok")
        == 2
    )


async def test_refused_events_are_counted_by_their_error_code(
    server: RunningServer, make_client: ClientFactory
) -> None:
    before = await scrape(server)
    mentee = await make_client("Ada")
    ack = await mentee.call("signal", {"session_id": "s_nope", "type": "offer", "data": {}})
    assert ack["error"]["code"] == "not_in_session"
    after = await scrape(server)
    key = {"event": "signal", "result": "not_in_session"}
    assert (
        value(after, "mentorburst_socket_events_total", **key)
        - value(before, "mentorburst_socket_events_total", **key)
        == 1
    )


async def get_metrics(server: RunningServer, headers: dict[str, str]) -> tuple[int, str, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(server.url + "/metrics", headers=headers) as response,
    ):
        return response.status, response.headers["Content-Type"], await response.text()


async def test_metrics_are_for_this_machine_or_a_scraper_holding_the_token(
    start_server: ServerFactory,
) -> None:
    public = {"X-Forwarded-For": "203.0.113.9"}  # a client on the internet, through our proxy
    plain = await start_server(trusted_proxies=("127.0.0.1",))
    assert value(await scrape(plain), "mentorburst_nodes") == 1  # loopback: served
    status, kind, body = await get_metrics(plain, public)
    assert (status, kind.split(";")[0]) == (403, "application/json"), body
    assert json.loads(body)["error"]["code"] == "metrics_forbidden"
    assert "mentorburst_" not in body

    # nginx on this machine but no --trusted-proxies: the peer is loopback, the asker is not.
    unconfigured = await start_server()
    status, _, body = await get_metrics(unconfigured, public)
    assert status == 403 and "mentorburst_" not in body

    guarded = await start_server(trusted_proxies=("127.0.0.1",), metrics_token="s3cret-token")
    for headers in (public, {**public, "Authorization": "Bearer wrong"}):
        status, _, body = await get_metrics(guarded, headers)
        assert status == 401 and json.loads(body)["error"]["code"] == "unauthorized", body
    status, kind, body = await get_metrics(
        guarded, {**public, "Authorization": "Bearer s3cret-token"}
    )
    assert status == 200 and kind.startswith("text/plain; version=0.0.4"), body
    names = {family.name for family in text_string_to_metric_families(body)}
    assert {"mentorburst_waiting_mentees", "mentorburst_live_sessions"} <= names
    assert value(await scrape(guarded), "mentorburst_nodes") >= 1  # loopback needs no token
