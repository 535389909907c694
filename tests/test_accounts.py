"""Accounts that last: tokens renew and can be revoked everywhere, sockets close with their
login, the profile others see, and deleting an account."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

import pytest
import socketio
from redis.asyncio import Redis

from peer.client import MentorburstClient
from peer.token_file import TokenFile, TokenFileError
from server.store import keys
from tests.accounts_helpers import api
from tests.conftest import ClientFactory, RunningServer, ServerFactory
from tests.helpers import ask, finished_call


async def closed_with(client: MentorburstClient, code: str) -> None:
    """The server said why (an ``error`` event) and closed the socket."""
    error = await client.next("error", timeout=5)
    assert error["code"] == code, error
    for _ in range(50):
        if not client.sio.connected:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the socket stayed open")


async def test_a_guest_login_works_as_before_and_says_when_to_renew(
    server: RunningServer, redis: Redis
) -> None:
    status, answer = await api(server.url, "POST", "/api/login", body={"name": "  Ada "})
    assert status == 200
    assert answer["user"]["name"] == "Ada" and answer["token"]
    assert answer["expires_in_s"] == 24 * 3600
    stored = await redis.hgetall(keys.user(answer["user"]["id"]))
    assert stored["kind"] == "guest" and stored["epoch"] == "0"
    client = MentorburstClient(server.url)
    client.token, client.user = answer["token"], answer["user"]
    await client.connect()
    assert (await client.must("clock", {"t0": 1}))["t0"] == 1
    await client.close()


async def test_sign_out_everywhere_revokes_every_token_and_closes_sockets_on_every_node(
    start_server: ServerFactory,
) -> None:
    first, second = await start_server(), await start_server()
    laptop = MentorburstClient(first.url)
    await laptop.login("Ada")
    await laptop.connect()
    phone = MentorburstClient(second.url)  # the same account, on another node
    await phone.resume(str(laptop.token))
    await phone.connect()
    old = str(laptop.token)

    status, _ = await api(first.url, "POST", "/api/me/signout-all", token=old)
    assert status == 200
    await closed_with(laptop, "token_revoked")
    await closed_with(phone, "token_revoked")

    status, answer = await api(second.url, "GET", "/api/me", token=old)
    assert (status, answer["error"]["code"]) == (401, "token_revoked")
    status, answer = await api(first.url, "POST", "/api/token/refresh", token=old)
    assert (status, answer["error"]["code"]) == (401, "token_revoked")
    again = MentorburstClient(second.url)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await again.connect(old)


async def test_a_socket_is_closed_when_its_token_expires(start_server: ServerFactory) -> None:
    server = await start_server(token_ttl_seconds=1.5)
    client = MentorburstClient(server.url)
    await client.login("Ada")
    await client.connect()
    await closed_with(client, "token_expired")
    status, answer = await api(server.url, "GET", "/api/me", token=client.token)
    assert (status, answer["error"]["code"]) == (401, "token_expired")


async def test_renewing_keeps_the_socket_open_past_the_first_token_expiry(
    start_server: ServerFactory,
) -> None:
    server = await start_server(token_ttl_seconds=2)
    client = MentorburstClient(server.url)
    await client.login("Ada")
    await client.connect()
    first = client.token
    await asyncio.sleep(1)
    await client.refresh()  # REST renewal, then auth:renew on the socket
    assert client.token != first and client.user["name"] == "Ada"
    await asyncio.sleep(1.8)  # past the first token's expiry
    assert client.sio.connected
    assert (await client.must("clock", {"t0": 2}))["t0"] == 2
    await closed_with(client, "token_expired")  # the renewed one runs out too
    await client.close()


async def test_renew_refuses_someone_elses_token(make_client: ClientFactory) -> None:
    ada, grace = await make_client("Ada"), await make_client("Grace")
    ack = await ada.call("auth:renew", {"token": grace.token})
    assert ack["ok"] is False and ack["error"]["code"] == "unauthorized"
    ack = await ada.call("auth:renew", {"token": "nonsense"})
    assert ack["error"]["code"] == "unauthorized"


async def test_the_profile_is_kept_and_shown_to_others(server: RunningServer) -> None:
    _, login = await api(server.url, "POST", "/api/login", body={"name": "Sam"})
    token, uid = login["token"], login["user"]["id"]
    profile = {
        "headline": "Live sound engineer, 20 years of festivals",
        "expertise": "Mixing live bands, feedback control, stage monitors, small PA rigs.",
        "skills": ["career", "python"],
    }
    status, saved = await api(server.url, "PUT", "/api/me/profile", token=token, body=profile)
    assert status == 200
    assert saved == {"id": uid, "name": "Sam", **profile}
    status, public = await api(server.url, "GET", f"/api/users/{uid}")
    assert status == 200
    assert public["headline"] == profile["headline"]
    assert public["expertise"] == profile["expertise"]
    assert public["skills"] == ["career", "python"]
    assert public["rating"]["count"] == 0 and public["sessions"] == 0

    status, saved = await api(
        server.url, "PUT", "/api/me/profile", token=token, body={**profile, "name": " Sam K "}
    )
    assert saved["name"] == "Sam K"
    _, me = await api(server.url, "GET", "/api/me", token=token)
    assert me["kind"] == "guest" and me["kept"] is False and me["passkeys"] == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"headline": "x" * 121}, "invalid_payload"),
        ({"expertise": "x" * 1001}, "invalid_payload"),
        ({"skills": ["no-such-skill"]}, "unknown_skill"),
        ({"skills": "python"}, "invalid_payload"),
        ({"name": "   "}, "invalid_payload"),
        ({"role": "admin"}, "invalid_payload"),
    ],
)
async def test_a_bad_profile_is_refused(server: RunningServer, body: dict, code: str) -> None:  # type: ignore[type-arg]
    _, login = await api(server.url, "POST", "/api/login", body={"name": "Sam"})
    status, answer = await api(
        server.url, "PUT", "/api/me/profile", token=login["token"], body=body
    )
    assert (status, answer["error"]["code"]) == (400, code)


async def test_account_calls_need_a_valid_token(server: RunningServer) -> None:
    for method, path in [
        ("GET", "/api/me"),
        ("PUT", "/api/me/profile"),
        ("POST", "/api/token/refresh"),
        ("POST", "/api/me/signout-all"),
        ("DELETE", "/api/me"),
    ]:
        status, answer = await api(server.url, method, path, body={})
        assert (status, answer["error"]["code"]) == (401, "unauthorized"), path
        status, answer = await api(server.url, method, path, token="forged.token", body={})
        assert (status, answer["error"]["code"]) == (401, "unauthorized"), path


async def test_deleting_an_account_anonymises_what_others_see_and_keeps_reports(
    make_client: ClientFactory, redis: Redis, running: list[RunningServer]
) -> None:
    mentor, mentee = await make_client("Grace"), await make_client("Ada")
    sid = await finished_call(mentor, mentee)
    await mentee.must(
        "rate", {"session_id": sid, "stars": 5, "note": "private", "reflection": "mine"}
    )
    await mentor.must("report", {"session_id": sid, "reason": "test report"})
    url = running[-1].url

    await ask(mentee)  # waiting in a queue: deletion must wait
    status, answer = await api(url, "DELETE", "/api/me", token=mentee.token)
    assert (status, answer["error"]["code"]) == (409, "account_busy")
    await mentee.must("mentee:leave", {})

    status, answer = await api(url, "DELETE", "/api/me", token=mentee.token)
    assert status == 200 and "moderation" in answer["kept"]
    await closed_with(mentee, "token_revoked")

    status, answer = await api(url, "GET", "/api/me", token=mentee.token)
    assert (status, answer["error"]["code"]) == (401, "token_revoked")
    status, _ = await api(url, "GET", f"/api/users/{mentee.user_id}")
    assert status == 404
    status, history = await api(url, "GET", "/api/me/history", token=mentor.token)
    assert history[0]["peer"] == {"id": mentee.user_id, "name": "Deleted user"}
    assert history[0]["rating_received"]["stars"] == 5
    mine = json.loads(await redis.hget(keys.ratings(sid), mentee.user_id))
    assert mine["note"] == "" and mine["reflection"] == "" and mine["tags"] == []
    assert not await redis.exists(keys.user(mentee.user_id), keys.history(mentee.user_id))
    reports = [json.loads(r) for r in await redis.lrange(keys.REPORTS, 0, -1)]
    assert [(r["by"], r["about"]) for r in reports] == [(mentor.user_id, mentee.user_id)]


async def test_a_bot_keeps_its_account_across_runs_with_a_token_file(
    server: RunningServer, tmp_path: Path
) -> None:
    saved = TokenFile(tmp_path / "bot.token")
    first = MentorburstClient(server.url)
    await saved.sign_in(first, "Python bot")
    assert stat.S_IMODE((tmp_path / "bot.token").stat().st_mode) == 0o600
    written = saved.read()

    second = MentorburstClient(server.url)
    await saved.sign_in(second, "ignored on a resume")
    assert second.user == first.user
    assert saved.read() not in (None, written)  # renewed and rewritten

    await api(server.url, "POST", "/api/me/signout-all", token=second.token)
    with pytest.raises(TokenFileError, match="remove the file"):
        await saved.sign_in(MentorburstClient(server.url), "Python bot")
