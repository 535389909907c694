"""No input can crash a handler: lone surrogates, NaN, numbers thousands of digits long, broken
JSON and broken packets all get a clean error, an ack, and no traceback in the server's log."""

from __future__ import annotations

import aiohttp
import pytest

from bench.fuzz import RawSocket, fuzz
from tests.conftest import ClientFactory, RunningServer, Tracebacks

HOSTILE = [
    ('["mentee:join",{"skill":"python","question":"\\ud800"}]', "invalid_payload"),
    ('["session:leave",{"session_id":"s_\\udfff"}]', "invalid_payload"),
    ('["event:join",{"code":"\\ud800AB12","role":"mentee"}]', "invalid_payload"),
    ('["clock",{"t0":NaN}]', "invalid_payload"),
    ('["clock",{"t0":Infinity}]', "invalid_payload"),
    ('["clock",{"t0":1e999}]', "invalid_payload"),
    ('["clock",{"t0":' + "9" * 150 + "}]", "invalid_payload"),
    ('["clock",{"t0":' + "9" * 5000 + "}]", "invalid_payload"),
    ('["rate",{"session_id":"s_x","stars":18446744073709551616}]', "invalid_payload"),
    (
        '["signal",{"session_id":"s_x","type":"offer","data":{"n":' + "1" * 40 + "}}]",
        "invalid_payload",
    ),
    ('["signal",{"session_id":"s_x","type":"offer","data":{"sdp":"\\ud800"}}]', "invalid_payload"),
    (
        '["signal",{"session_id":"s_x","type":"offer","data":' + "[" * 60 + "]" * 60 + "}]",
        "invalid_payload",
    ),
    ('["clock",{"t0":1}', "invalid_payload"),
    ('{"not":"a list"}', "invalid_payload"),
    ("[]", "invalid_payload"),
    ("[42,{}]", "invalid_payload"),
]


@pytest.mark.parametrize(("frame", "code"), HOSTILE)
async def test_hostile_frames_get_a_clean_error_and_an_ack(
    server: RunningServer, make_client: ClientFactory, tracebacks: Tracebacks, frame: str, code: str
) -> None:
    client = await make_client("Fuzz")
    async with aiohttp.ClientSession() as http:
        raw = await RawSocket.open(http, server.url, client.token or "")
        ack = await raw.call(frame)
        assert isinstance(ack, dict) and ack["ok"] is False
        assert ack["error"]["code"] == code and ack["error"]["message"]
        follow = await raw.call('["clock",{"t0":1}]')  # the socket is still fine
        assert isinstance(follow, dict) and follow["ok"] is True and follow["t0"] == 1
        await raw.close()
    assert tracebacks.records == []


BAD_BODIES = [
    b'{"name": "\\ud800"}',
    b'{"name": "Ada", "x": ' + b"9" * 5000 + b"}",
    b'{"name": NaN}',
    b'{"name": "Ada"',
    b"\xff\xfe",
]


@pytest.mark.parametrize("body", BAD_BODIES)
async def test_hostile_rest_bodies_get_400_json(
    server: RunningServer, tracebacks: Tracebacks, body: bytes
) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(server.url + "/api/login", data=body) as response,
    ):
        assert response.status == 400
        assert (await response.json())["error"]["code"] == "invalid_payload"
    assert tracebacks.records == []


async def test_an_ack_id_no_reader_can_hold_gets_an_error_event_not_a_traceback(
    server: RunningServer, make_client: ClientFactory, tracebacks: Tracebacks
) -> None:
    client = await make_client("Fuzz")
    async with aiohttp.ClientSession() as http:
        raw = await RawSocket.open(http, server.url, client.token or "")
        await raw.send("42" + "7" * 150 + '["clock",{"t0":1}]')
        event, data = await raw.next_event()
        assert event == "error" and data["code"] == "invalid_payload"
        await raw.close()
    assert tracebacks.records == []


async def test_thousands_of_random_payloads_over_every_event_and_endpoint(
    server: RunningServer, tracebacks: Tracebacks
) -> None:
    found = await fuzz(server.url, seed=7, n_socket=2400, n_rest=600)
    assert found.sent == 3000
    assert found.examples == []
    assert found.missing_acks == 0
    assert found.internal_errors == 0
    assert found.server_errors == 0
    assert found.codes["invalid_payload"] > 1000  # the generator really is hostile
    assert [r.getMessage() for r in tracebacks.records] == []
