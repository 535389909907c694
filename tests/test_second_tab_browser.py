"""Ada is in a call and opens the app in a second tab: the second tab does not join the call, it
says the call is open in another tab and offers to move it there; moving it turns the first
tab's camera off and Grace sees Ada again after a moment, in the same call."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, expect
from redis.asyncio import Redis

from peer.bot import Bot, BotOptions
from server.store import keys
from tests.browser import launch, screenshot
from tests.conftest import ServerFactory
from tests.test_web_journeys import (
    ask,
    get_json,
    mentor_online_then_mentee_asks,
    open_page,
    sign_in,
    take_call,
    user_id,
    wait_for_video,
)

PHONE = {"width": 390, "height": 844}


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async for running in launch():
        yield running


async def stream_id(page: Page, video: str) -> str | None:
    return await page.evaluate(  # type: ignore[no-any-return]
        "(id) => { const s = document.querySelector(id).srcObject; return s ? s.id : null; }",
        video,
    )


async def camera_tracks(page: Page) -> int:
    return await page.evaluate(  # type: ignore[no-any-return]
        "() => { const s = document.querySelector('#local-video').srcObject;"
        " return s ? s.getTracks().filter((t) => t.readyState === 'live').length : 0; }"
    )


async def sees(page: Page, other: Page) -> None:
    """``page`` shows ``other``'s camera: the stream it receives is the one ``other`` sends."""
    sent = await stream_id(other, "#local-video")
    assert sent
    await page.wait_for_function(
        "(id) => { const v = document.querySelector('#remote-video');"
        " return v.srcObject && v.srcObject.id === id && Number(v.dataset.framesDecoded) > 0; }",
        arg=sent,
        timeout=20_000,
    )


async def stays_connected(page: Page, seconds: float) -> None:
    """The call state never says it is reconnecting (sampled every 200 ms)."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        state = await page.locator("#call-state").text_content() or ""
        assert state.startswith("Connected"), state
        await page.wait_for_timeout(200)


@pytest.mark.parametrize("who", ["mentee", "mentor"])
async def test_a_second_tab_does_not_join_the_call_and_use_here_moves_it(
    start_server: ServerFactory, browser: Browser, who: str
) -> None:
    server = await start_server(session_seconds=120, connect_grace_seconds=15)
    grace, ada = await mentor_online_then_mentee_asks(browser, server)
    mover, partner = (ada, grace) if who == "mentee" else (grace, ada)
    name = "Grace" if who == "mentee" else "Ada"
    await wait_for_video(mover)
    await sees(partner, mover)
    await expect(mover.locator("#timer-caption")).to_have_text("left", timeout=10_000)

    second = await mover.context.new_page()  # the same browser profile: the same login
    await second.goto(server.url)
    notice = second.locator("#view-elsewhere")
    await expect(notice).to_be_visible(timeout=10_000)
    await expect(notice.get_by_role("heading")).to_have_text("This call is open in another tab")
    await expect(second.locator("#elsewhere-peer")).to_have_text(
        f"You're in a call with {name} in another tab or window."
    )
    await expect(second.locator("#elsewhere-left")).to_contain_text("left")
    await expect(second.get_by_role("button", name="Use here")).to_be_visible()
    assert await camera_tracks(second) == 0  # its camera never started
    await screenshot(second, f"second-tab-{who}-call-elsewhere-desktop")
    # The call goes on undisturbed in the first tab: no renegotiation, no "Reconnecting…".
    await stays_connected(mover, 3)
    await stays_connected(partner, 0.5)
    await sees(partner, mover)

    await second.get_by_role("button", name="Use here").click()
    await expect(second.locator("#view-call")).to_be_visible()
    await wait_for_video(second)
    await sees(partner, second)  # the partner now sees (and hears) the second tab
    await expect(mover.locator("#view-elsewhere")).to_be_visible(timeout=10_000)
    assert await camera_tracks(mover) == 0  # the first tab stopped its camera and microphone
    assert await camera_tracks(second) == 2
    await expect(partner.locator("#view-call")).to_be_visible()  # the same call, not a new match
    await expect(partner.locator("#timer-caption")).to_have_text("left")
    await expect(second.locator("#timer-caption")).to_have_text("left", timeout=5_000)
    await screenshot(second, f"second-tab-{who}-call-moved-here-desktop")

    await mover.set_viewport_size(PHONE)
    await screenshot(mover, f"second-tab-{who}-call-elsewhere-phone")
    assert await mover.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    await mover.close()  # closing the tab that no longer holds the call costs the call nothing
    await stays_connected(partner, 3)
    await stays_connected(second, 0.5)


async def test_two_tabs_waiting_in_line_are_matched_once_and_the_other_tab_steps_aside(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server(session_seconds=120, connect_grace_seconds=15)
    ada = await open_page(browser, server)
    await sign_in(ada, "Ada", "mentee")
    await ask(ada)
    await expect(ada.locator("#view-waiting")).to_be_visible()
    second = await ada.context.new_page()
    await second.goto(server.url)
    await expect(second.locator("#view-waiting")).to_be_visible(timeout=10_000)  # in line too

    grace = await open_page(browser, server)
    await sign_in(grace, "Grace", "mentor")
    await grace.locator("#mentor-skills label", has_text="Python").click()
    await grace.get_by_role("button", name="Go online").click()
    await take_call(grace)
    await wait_for_video(grace)
    tabs = {"first": ada, "second": second}
    for _ in range(100):  # one tab holds the call, the other says so (either may win)
        shown = {
            name: await page.locator("#view-elsewhere").is_visible() for name, page in tabs.items()
        }
        if sum(shown.values()) == 1:
            break
        await ada.wait_for_timeout(100)
    assert sum(shown.values()) == 1, shown
    holder, aside = (second, ada) if shown["first"] else (ada, second)
    await expect(holder.locator("#view-call")).to_be_visible()
    await wait_for_video(holder)
    await sees(grace, holder)
    assert await camera_tracks(aside) == 0
    await stays_connected(holder, 2)


async def test_a_reloaded_tab_takes_its_call_back_from_its_own_lingering_socket(
    start_server: ServerFactory, browser: Browser, redis: Redis
) -> None:
    """The server has not yet seen the tab's old socket close (a dropped network looks like
    this for up to a minute): the reloaded page takes the call back from it, by its id."""
    server = await start_server(session_seconds=120, connect_grace_seconds=15)
    grace, ada = await mentor_online_then_mentee_asks(browser, server)
    await wait_for_video(ada)
    ada_id = await user_id(ada)
    session = await redis.get(keys.live_session(ada_id))
    (member,) = await redis.smembers(keys.sockets(ada_id))
    assert await redis.hget(keys.session(session), f"holder:{ada_id}") == member
    node = member.split("|", 1)[0]
    # The old socket lingers: it still holds the call, and this tab remembers holding it.
    await redis.sadd(keys.sockets(ada_id), f"{node}|lingering")
    await redis.hset(keys.session(session), f"holder:{ada_id}", f"{node}|lingering")
    await ada.evaluate(
        "(held) => { window.addEventListener('pagehide', () =>"
        " sessionStorage.setItem('mentorburst.held', held)); }",
        json.dumps({"session_id": session, "socket": "lingering"}),
    )

    await ada.reload()
    await expect(ada.locator("#view-call")).to_be_visible(timeout=10_000)
    await wait_for_video(ada)
    await sees(grace, ada)
    assert (await redis.hget(keys.session(session), f"holder:{ada_id}") or "").startswith(node)
    assert await redis.hget(keys.session(session), f"holder:{ada_id}") != f"{node}|lingering"
    await expect(ada.locator("#view-elsewhere")).to_be_hidden()

    fresh = await ada.context.new_page()  # a new tab remembers nothing: it is told, not handed it
    await fresh.goto(server.url)
    await expect(fresh.locator("#view-elsewhere")).to_be_visible(timeout=10_000)
    # A tab opened from the call's tab starts with a copy of its sessionStorage (as a duplicated
    # tab does): what it copied is not its own to take the call back with.
    async with ada.context.expect_page() as opened:
        await ada.evaluate("() => { window.open(location.href); }")
    copy = await opened.value
    assert await copy.evaluate("sessionStorage.getItem('mentorburst.held')")  # it was copied
    await expect(copy.locator("#view-elsewhere")).to_be_visible(timeout=10_000)
    await expect(ada.locator("#view-call")).to_be_visible()
    await stays_connected(ada, 1)


@pytest.mark.slow
async def test_a_python_bot_keeps_the_call_when_its_partner_moves_it_to_another_tab(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server(session_seconds=25, connect_grace_seconds=15, warn_at=())
    bot = Bot(BotOptions("mentor", "python", url=server.url, name="Bot"), say=lambda _: None)
    bot_task = asyncio.create_task(bot.run())
    ada = await open_page(browser, server)
    await sign_in(ada, "Ada", "mentee")
    for _ in range(100):
        skills = {s["slug"]: s for s in await get_json(server, "/api/skills")}  # type: ignore[attr-defined]
        if skills["python"]["mentors_online"]:
            break
        await asyncio.sleep(0.05)
    await ask(ada)
    await wait_for_video(ada)

    second = await ada.context.new_page()
    await second.goto(server.url)
    await second.get_by_role("button", name="Use here").click()
    await wait_for_video(second)  # the bot answered the new tab's offer from a new connection
    await stays_connected(second, 2)
    (report,) = await asyncio.wait_for(bot_task, 40)
    assert report.reason == "time_up" and report.frames["video"] > 0, report
