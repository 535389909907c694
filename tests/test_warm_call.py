"""A mentee's page builds its call connection while the question is written (web/js/warm.js): the
offer a mentor receives already carries the mentee's candidates, none of them is relayed twice,
and the call connects; after a decline the next mentor gets a fresh one that connects too."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiortc import AudioStreamTrack, VideoStreamTrack
from av import VideoFrame
from playwright.async_api import Browser, Page, expect

from peer.call import CallPeer
from peer.client import MentorburstClient
from tests.browser import launch
from tests.conftest import ClientFactory, ServerFactory
from tests.helpers import go_online
from tests.test_web_journeys import ask, open_page, sign_in, wait_for_video


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async for running in launch():
        yield running


async def signals_until_answered(mentor: MentorburstClient, session_id: str) -> list[Any]:
    """The mentee's signals for this session as relayed so far, read without taking them (the
    mentor's CallPeer takes them), once the offer is among them."""
    for _ in range(200):
        mine = [m for m in mentor.received("signal") if m["session_id"] == session_id]
        if any(m["type"] == "offer" for m in mine):
            await asyncio.sleep(0.3)  # the candidates that trail the offer, if any
            return [m for m in mentor.received("signal") if m["session_id"] == session_id]
        await asyncio.sleep(0.05)
    raise AssertionError("no offer from the mentee")


def assert_offer_carries_candidates(signals: list[Any]) -> None:
    assert signals[0]["type"] == "offer", [m["type"] for m in signals]
    sdp = signals[0]["data"]["sdp"]
    inline = [line for line in sdp.split("\r\n") if line.startswith("a=candidate:")]
    assert inline, "the warm connection's gathered candidates should be in its offer"
    relayed = [m["data"]["candidate"] for m in signals[1:] if m["type"] == "candidate"]
    for candidate in relayed:
        if candidate:
            assert "a=" + candidate.split(" ufrag ")[0] not in inline, candidate


@contextlib.asynccontextmanager
async def answering(
    mentor: MentorburstClient, matched: dict[str, Any], page: Page
) -> AsyncIterator[CallPeer]:
    """The mentor's aiortc peer answers; yields once media connected and the page shows video,
    and closes the peer however the test ends."""
    peer = CallPeer(mentor, matched, [VideoStreamTrack(), AudioStreamTrack()])
    try:
        await peer.start()
        await asyncio.wait_for(peer.connected.wait(), 20)
        await wait_for_video(page)
        yield peer
    finally:
        await peer.close()


async def mentee_on_the_form(browser: Browser, server: Any) -> Page:
    page = await open_page(browser, server)
    await sign_in(page, "Ada", "mentee")
    # Host candidates gather in milliseconds; the person is still typing their question.
    await page.wait_for_timeout(1000)
    return page


async def test_the_offer_a_mentor_receives_was_made_before_join_and_connects(
    start_server: ServerFactory, make_client: ClientFactory, browser: Browser
) -> None:
    server = await start_server(session_seconds=60, connect_grace_seconds=20)
    mentor = await make_client("Grace")
    await go_online(mentor)
    page = await mentee_on_the_form(browser, server)
    await ask(page)
    matched = await mentor.next("session:matched")
    assert_offer_carries_candidates(await signals_until_answered(mentor, matched["session_id"]))
    async with answering(mentor, matched, page):
        pass


async def test_back_in_line_after_a_decline_the_next_mentor_gets_a_fresh_connection(
    start_server: ServerFactory, make_client: ClientFactory, browser: Browser
) -> None:
    server = await start_server(session_seconds=60, connect_grace_seconds=20, decline_seconds=10)
    first = await make_client("Grace")
    await go_online(first)
    page = await mentee_on_the_form(browser, server)
    await ask(page)
    declined = await first.next("session:matched")
    await signals_until_answered(first, declined["session_id"])
    await first.must("session:decline", {"session_id": declined["session_id"]})
    await expect(page.locator("#view-waiting")).to_be_visible(timeout=10_000)
    await page.wait_for_timeout(1000)

    second = await make_client("Linus")
    await go_online(second)
    matched = await second.next("session:matched")
    assert matched["peer"]["name"] == "Ada"
    assert_offer_carries_candidates(await signals_until_answered(second, matched["session_id"]))
    async with answering(second, matched, page):
        pass


async def test_a_camera_that_stopped_while_waiting_is_restarted_for_the_call(
    start_server: ServerFactory, make_client: ClientFactory, browser: Browser
) -> None:
    """An unplugged camera ends the warm connection's tracks: the call does not send them but
    starts the camera again, and the mentor sees video."""
    server = await start_server(session_seconds=60, connect_grace_seconds=20)
    mentor = await make_client("Grace")
    page = await mentee_on_the_form(browser, server)
    await page.evaluate(
        "() => document.querySelector('#preview').srcObject.getTracks().forEach((t) => t.stop())"
    )
    await ask(page)
    await go_online(mentor)
    matched = await mentor.next("session:matched")
    async with answering(mentor, matched, page) as peer:
        while (track := await asyncio.wait_for(peer.remote_tracks.get(), 10)).kind != "video":
            pass
        for _ in range(3):
            frame = await asyncio.wait_for(track.recv(), 10)
        assert isinstance(frame, VideoFrame) and frame.width > 0
        live = (
            "() => document.querySelector('#local-video').srcObject.getVideoTracks()[0].readyState"
        )
        assert await page.evaluate(live) == "live"
