"""Python peers speak the whole protocol: bots take real calls, and the pre-call check echoes."""

from __future__ import annotations

import asyncio
import sys

import pytest

from peer.bot import Bot, BotOptions
from peer.call import precall_check
from peer.client import MentorburstClient, ProtocolError
from peer.media import open_media
from tests.conftest import ClientFactory, RunningServer, ServerFactory


async def test_a_bot_mentor_and_a_bot_mentee_hold_a_whole_session(
    start_server: ServerFactory,
) -> None:
    server = await start_server(session_seconds=3, connect_grace_seconds=15, warn_at=(1,))
    lines: list[str] = []
    mentor = Bot(
        BotOptions("mentor", "python", url=server.url, name="Bot Grace", rate=4), say=lines.append
    )
    mentee = Bot(
        BotOptions("mentee", "python", url=server.url, name="Bot Ada", rate=5), say=lines.append
    )
    mentor_task = asyncio.create_task(mentor.run())
    await asyncio.sleep(0.3)  # the mentor is online first, so the mentee is matched at once
    (mentee_report,), (mentor_report,) = await asyncio.wait_for(
        asyncio.gather(mentee.run(), mentor_task), 30
    )

    for report in (mentee_report, mentor_report):
        assert report.reason == "time_up" and report.started
        assert report.frames["video"] > 10 and report.frames["audio"] > 10
        assert report.first_frame_s is not None
    assert mentee_report.session_id == mentor_report.session_id
    assert any("1 s left" in line for line in lines)
    assert sum("rated" in line for line in lines) == 2

    viewer = MentorburstClient(server.url)
    profile = await viewer.rest("GET", f"/api/users/{mentor.client.user_id}")
    assert profile["rating"]["count"] == 1 and profile["rating"]["mean"] == 5


async def test_the_bot_command_takes_calls_and_says_so(start_server: ServerFactory) -> None:
    server = await start_server(session_seconds=2, connect_grace_seconds=15)
    command = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server",
        "bot",
        "--role",
        "mentor",
        "--skill",
        "python",
        "--url",
        server.url,
        "--name",
        "CLI Grace",
        "--sessions",
        "1",
        stdout=asyncio.subprocess.PIPE,
    )
    viewer = MentorburstClient(server.url)
    for _ in range(100):  # wait until the bot mentor is online
        skills = {s["slug"]: s for s in await viewer.rest("GET", "/api/skills")}
        if skills["python"]["mentors_online"]:
            break
        await asyncio.sleep(0.05)
    mentee = Bot(BotOptions("mentee", "python", url=server.url, name="Bot Ada"), say=lambda _: None)
    await asyncio.wait_for(mentee.run(), 30)
    output, _ = await asyncio.wait_for(command.communicate(), 30)
    text = output.decode()
    assert command.returncode == 0
    for expected in (
        "online for python",
        "matched with Bot Ada",
        "countdown 00:02 started",
        "call ended (time_up)",
        "rated 5 stars",
        "offline",
    ):
        assert expected in text, text


async def test_the_pre_call_check_echoes_my_media_and_reports_the_link(
    make_client: ClientFactory,
) -> None:
    client = await make_client("Ada", connect=False)
    media = open_media("test-pattern")
    try:
        report = await asyncio.wait_for(precall_check(client, media.tracks, frames=10), 20)
    finally:
        media.stop()
    assert report["echoed_frames"] == 10
    assert report["rtt_ms"] is None or 0 <= report["rtt_ms"] < 1000
    assert 0 <= report["loss"] <= 1 and report["packets_received"] > 0


async def test_pre_call_checks_above_capacity_are_refused_clearly(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server: RunningServer = await start_server(precall_capacity=1, precall_seconds=5)
    first, second = await make_client("Ada", connect=False), await make_client("Bob", connect=False)
    media = open_media("test-pattern")

    async def hold_first() -> None:
        await precall_check(first, media.tracks, frames=1)

    holder = asyncio.create_task(hold_first())
    try:
        for _ in range(100):
            if server.services.precall.active == 1:
                break
            await asyncio.sleep(0.02)
        with pytest.raises(ProtocolError, match=r"503.*precall_busy"):
            await precall_check(second, open_media("tone").tracks, frames=1)
    finally:
        await holder
        media.stop()


async def test_a_pre_call_offer_must_be_a_real_offer(make_client: ClientFactory) -> None:
    client = await make_client("Ada", connect=False)
    with pytest.raises(ProtocolError, match=r"400.*bad_offer"):
        await client.rest(
            "POST", "/api/precall", {"sdp": "v=0 nonsense", "type": "offer"}, auth=True
        )
    with pytest.raises(ProtocolError, match=r"400.*invalid_payload"):
        await client.rest("POST", "/api/precall", {"sdp": "v=0", "type": "answer"}, auth=True)
    with pytest.raises(ProtocolError, match="401"):
        await client.rest("POST", "/api/precall", {"sdp": "v=0", "type": "offer"})
