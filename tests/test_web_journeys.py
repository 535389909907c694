"""Two people on two laptops: one asks for help, one mentors, they meet on video, then rate."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from playwright.async_api import Browser, Page, expect

from peer.bot import Bot, BotOptions
from server.app.factory import SIO
from server.transport.notifier import user_room
from tests.browser import launch, screenshot
from tests.conftest import RunningServer, ServerFactory

QUESTION = "My asyncio service stalls under load. How do I find what blocks the event loop?"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async for running in launch():
        yield running


async def open_page(
    browser: Browser, server: RunningServer, width: int = 1280, height: int = 860
) -> Page:
    context = await browser.new_context(viewport={"width": width, "height": height})
    page = await context.new_page()
    page.on("pageerror", lambda error: print("page error:", error))
    await page.goto(server.url)
    return page


async def sign_in(page: Page, name: str, role: str) -> None:
    await page.get_by_label("Your name").fill(name)
    await page.get_by_role(
        "button", name="Get help now" if role == "mentee" else "Mentor now"
    ).click()
    await expect(page.locator("#view-setup")).to_be_visible()


async def go_online(page: Page, skill: str = "Python", minutes: str = "30 min") -> None:
    await page.locator("#mentor-skills label", has_text=skill).click()
    await page.get_by_label(minutes).check()
    await page.get_by_role("button", name="Go online").click()
    await expect(page.locator("#view-mentor")).to_be_visible()


async def ask(page: Page, skill: str = "Python", question: str = QUESTION) -> None:
    await page.locator("#mentee-skills label", has_text=skill).first.click()
    await page.get_by_label("Your question").fill(question)
    await page.get_by_role("button", name="Join the queue").click()


async def mentor_online_then_mentee_asks(
    browser: Browser, server: RunningServer
) -> tuple[Page, Page]:
    """Grace goes online for Python, then Ada asks a Python question; returns (mentor, mentee)."""
    mentor = await open_page(browser, server)
    await sign_in(mentor, "Grace", "mentor")
    await go_online(mentor)
    mentee = await open_page(browser, server)
    await sign_in(mentee, "Ada", "mentee")
    await ask(mentee)
    await take_call(mentor)
    return mentor, mentee


async def take_call(mentor: Page) -> None:
    """The mentor reads the question first, then takes the call."""
    await expect(mentor.locator("#view-offer")).to_be_visible(timeout=10_000)
    await mentor.get_by_role("button", name="Take the call").click()
    await expect(mentor.locator("#view-call")).to_be_visible()


async def frames_decoded(page: Page) -> int:
    return int(await page.locator("#remote-video").get_attribute("data-frames-decoded") or 0)


async def wait_for_video(page: Page) -> None:
    await page.wait_for_function(
        # A function, not an expression: the page's CSP allows no string evaluation.
        "() => Number(document.querySelector('#remote-video').dataset.framesDecoded || 0) > 0",
        timeout=20_000,
    )


async def user_id(page: Page) -> str:
    return str(await page.evaluate("JSON.parse(localStorage.getItem('mentorburst.user')).id"))


async def get_json(server: RunningServer, path: str) -> dict:  # type: ignore[type-arg]
    async with aiohttp.ClientSession() as http, http.get(server.url + path) as response:
        return await response.json()  # type: ignore[no-any-return]


async def test_a_mentee_and_a_mentor_meet_on_video_and_rate_each_other(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server(session_seconds=8, connect_grace_seconds=15, warn_at=(4,))
    mentee = await open_page(browser, server)
    await screenshot(mentee, "01-landing")
    await sign_in(mentee, "Ada", "mentee")
    await expect(mentee.locator("#mentee-skills label").first).to_be_visible()
    await expect(mentee.locator("#precall-status")).to_contain_text("Camera ok")
    await expect(mentee.locator("#precall-status")).to_contain_text(
        "connection ok: RTT", timeout=15_000
    )
    await mentee.locator("#mentee-skills label", has_text="Python").first.click()
    await mentee.get_by_label("Your question").fill(QUESTION)
    await screenshot(mentee, "02-mentee-setup")
    await mentee.get_by_role("button", name="Join the queue").click()
    await expect(mentee.locator("#view-waiting")).to_be_visible()
    await expect(mentee.locator("#wait-position")).to_have_text("First in line")
    await expect(mentee.locator("#wait-nomentor")).to_be_visible()
    await screenshot(mentee, "03-waiting-no-mentor")

    mentor = await open_page(browser, server)
    await sign_in(mentor, "Grace", "mentor")
    await mentor.locator("#mentor-skills label", has_text="Python").click()
    await screenshot(mentor, "04-mentor-setup")
    await mentor.get_by_role("button", name="Go online").click()

    await expect(mentor.locator("#offer-question")).to_have_text(QUESTION, timeout=10_000)
    await take_call(mentor)
    for page in (mentor, mentee):
        await expect(page.locator("#view-call")).to_be_visible(timeout=10_000)
    await expect(mentor.locator("#call-question")).to_have_text(QUESTION)
    await wait_for_video(mentee)
    await wait_for_video(mentor)
    assert await frames_decoded(mentee) > 0 and await frames_decoded(mentor) > 0
    await expect(mentee.locator("#timer-caption")).to_have_text("left", timeout=10_000)
    await expect(mentee.locator("#call-warning")).to_have_text("4 seconds left", timeout=10_000)
    await screenshot(mentor, "05-call-mentor")
    await screenshot(mentee, "06-call-mentee")

    for page in (mentee, mentor):
        await expect(page.locator("#view-rating")).to_be_visible(timeout=15_000)
    await expect(mentee.locator("#rating-reason")).to_contain_text("Time's up")
    await mentee.locator("label[for=star5]").click()
    await mentee.get_by_label("Actionable").check()
    await mentee.get_by_label("What will you do with this in the next 48 hours?").fill(
        "Run py-spy on staging"
    )
    await mentee.get_by_label("I'd like to follow up").check()
    await screenshot(mentee, "07-rating")
    await mentee.get_by_role("button", name="Send rating").click()
    await expect(mentee.locator("#rating-done")).to_be_visible()
    await mentor.locator("label[for=star4]").click()
    await mentor.get_by_role("button", name="Send rating").click()
    await expect(mentor.locator("#rating-done")).to_be_visible()
    await expect(mentor.locator("#after-again")).to_have_text("Back to my burst")

    profile = await get_json(server, f"/api/users/{await user_id(mentor)}")
    assert profile["rating"]["count"] == 1 and profile["rating"]["mean"] == 5

    await mentee.get_by_role("button", name="My sessions").first.click()
    await expect(mentee.locator("#history-list li")).to_have_count(1)
    await expect(mentee.locator("#history-list")).to_contain_text("Run py-spy on staging")
    await expect(mentee.locator("#history-list")).to_contain_text("Grace mentored you")
    await screenshot(mentee, "08-history")

    await mentor.get_by_role("button", name="Back to my burst").click()
    await expect(mentor.locator("#burst-done")).to_have_text("1")
    await screenshot(mentor, "09-mentor-online")


async def test_a_mentor_declines_and_the_mentee_is_first_in_line_again(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server(session_seconds=60, connect_grace_seconds=30, decline_seconds=30)
    mentor = await open_page(browser, server)
    await sign_in(mentor, "Grace", "mentor")
    await go_online(mentor)
    mentee = await open_page(browser, server)
    await sign_in(mentee, "Ada", "mentee")
    await ask(mentee)
    await expect(mentor.locator("#view-offer")).to_be_visible(timeout=10_000)
    await mentor.get_by_role("button", name="Decline").click()
    await expect(mentee.locator("#view-waiting")).to_be_visible()
    await expect(mentee.locator("#notice")).to_contain_text("Grace couldn't take this question")
    # Grace is still online, but not for Ada: the queue says so instead of "You're next".
    await expect(mentee.locator("#wait-position")).to_have_text("First in line")
    await expect(mentee.locator("#wait-nomentor")).to_contain_text("No other mentor")
    await expect(mentor.locator("#view-mentor")).to_be_visible()


async def test_a_mentee_cancels_while_waiting(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server()
    mentee = await open_page(browser, server)
    await sign_in(mentee, "Ada", "mentee")
    await ask(mentee)
    await expect(mentee.locator("#view-waiting")).to_be_visible()
    await mentee.get_by_role("button", name="Cancel and leave the queue").click()
    await expect(mentee.locator("#view-setup")).to_be_visible()
    skills = {s["slug"]: s for s in await get_json(server, "/api/skills")}  # type: ignore[attr-defined]
    assert skills["python"]["waiting"] == 0


async def test_hanging_up_mid_call_ends_it_for_both(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server(session_seconds=120, connect_grace_seconds=15)
    mentor, mentee = await mentor_online_then_mentee_asks(browser, server)
    await wait_for_video(mentee)
    await expect(mentee.locator("#timer-caption")).to_have_text("left", timeout=10_000)
    await mentee.get_by_role("button", name="Hang up").click()  # asks once
    await expect(mentee.locator("#hangup-confirm")).to_contain_text("End the call for both?")
    await mentee.get_by_role("button", name="End call").click()
    for page in (mentee, mentor):
        await expect(page.locator("#view-rating")).to_be_visible(timeout=10_000)
    await expect(mentee.locator("#rating-reason")).to_have_text("You ended the call.")
    await expect(mentor.locator("#rating-reason")).to_have_text(
        "Ada left the call. The call has ended."
    )


async def test_the_site_works_at_phone_width(start_server: ServerFactory, browser: Browser) -> None:
    server = await start_server()
    phone = await open_page(browser, server, width=390, height=844)
    await screenshot(phone, "10-phone-landing")
    await sign_in(phone, "Ada", "mentee")
    scroll_width = await phone.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 390
    await screenshot(phone, "11-phone-setup")


async def test_a_sign_in_at_a_busy_moment_says_busy_waits_and_gets_in(
    start_server: ServerFactory, browser: Browser
) -> None:
    # A venue's Wi-Fi after "join now": this address's login bucket holds one, refilled every 2 s,
    # and someone else in the room just took it.
    server = await start_server(rate_limits=True, limit_login_burst=1, limit_login_refill=0.5)
    async with aiohttp.ClientSession() as http:
        async with http.post(server.url + "/api/login", json={"name": "Quicker"}) as response:
            assert response.status == 200
        async with http.post(server.url + "/api/login", json={"name": "Probe"}) as response:
            assert response.status == 429  # the bucket is empty now: the page's first try waits
    page = await open_page(browser, server)
    refused: list[int] = []
    page.on(
        "response", lambda r: refused.append(r.status) if r.url.endswith("/api/login") else None
    )
    await page.get_by_label("Your name").fill("Ada")
    await page.get_by_role("button", name="Get help now").click()
    await expect(page.locator("#login-status")).to_have_text("Busy, retrying…")
    await expect(page.locator("#login-error")).to_be_empty()
    await expect(page.locator("#view-setup")).to_be_visible(timeout=10_000)
    await expect(page.locator("#login-status")).to_be_hidden()
    assert refused[0] == 429 and refused[-1] == 200, refused
    assert await page.evaluate("JSON.parse(localStorage.getItem('mentorburst.user')).name") == "Ada"


async def test_denied_camera_permission_is_explained_and_joining_still_works(
    start_server: ServerFactory,
) -> None:
    server = await start_server()
    async for browser in launch(fake_media=False, extra=["--deny-permission-prompts"]):
        page = await open_page(browser, server)
        await sign_in(page, "Ada", "mentee")
        message = page.locator("#media-message")
        await expect(message).to_be_visible(timeout=10_000)
        await expect(message).to_contain_text("blocked")
        await expect(page.get_by_role("button", name="Try again")).to_be_visible()
        await screenshot(page, "12-permission-denied")
        await ask(page)
        await expect(page.locator("#view-waiting")).to_be_visible()


async def test_a_rating_sent_while_offline_is_not_lost(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server(session_seconds=3, connect_grace_seconds=15, warn_at=())
    mentor, mentee = await mentor_online_then_mentee_asks(browser, server)
    await expect(mentee.locator("#view-rating")).to_be_visible(timeout=20_000)
    await mentee.locator("label[for=star5]").click()
    await mentee.context.set_offline(True)
    # Offline emulation may leave an open WebSocket alone; cut it from the server side too.
    sio = server.app[SIO]
    for sid, _ in list(sio.manager.get_participants("/", user_room(await user_id(mentee)))):
        await sio.disconnect(sid)
    await mentee.get_by_role("button", name="Send rating").click()
    await expect(mentee.locator("#rating-error")).to_contain_text("kept", timeout=15_000)
    await (
        mentee.close()
    )  # the tab is gone: a keepalive send on close, or the next visit, delivers it

    mentor_id = await user_id(mentor)
    await mentee.context.set_offline(False)
    again = await mentee.context.new_page()
    await again.goto(server.url)
    for _ in range(50):
        if (await get_json(server, f"/api/users/{mentor_id}"))["rating"]["count"] == 1:
            break
        await again.wait_for_timeout(100)
    profile = await get_json(server, f"/api/users/{mentor_id}")
    assert profile["rating"] == {"mean": 5.0, "count": 1, "score": profile["rating"]["score"]}
    for _ in range(50):  # nothing is left waiting once the server has it
        if await again.evaluate("localStorage.getItem('mentorburst.pendingRatings')") == "{}":
            break
        await again.wait_for_timeout(100)
    assert await again.evaluate("localStorage.getItem('mentorburst.pendingRatings')") == "{}"


@pytest.mark.parametrize("browser_role", ["mentee", "mentor"])
async def test_a_browser_and_a_python_bot_hold_a_call(
    start_server: ServerFactory, browser: Browser, browser_role: str
) -> None:
    server = await start_server(session_seconds=6, connect_grace_seconds=15, warn_at=())
    bot_role = "mentor" if browser_role == "mentee" else "mentee"
    bot = Bot(BotOptions(bot_role, "python", url=server.url, name="Bot"), say=lambda _: None)
    page = await open_page(browser, server)
    await sign_in(page, "Ada" if browser_role == "mentee" else "Grace", browser_role)
    if browser_role == "mentee":
        bot_task = asyncio.create_task(bot.run())
        for _ in range(100):
            skills = {s["slug"]: s for s in await get_json(server, "/api/skills")}  # type: ignore[attr-defined]
            if skills["python"]["mentors_online"]:
                break
            await asyncio.sleep(0.05)
        await ask(page)
    else:
        await go_online(page)
        bot_task = asyncio.create_task(bot.run())
        await take_call(page)
    await wait_for_video(page)
    (report,) = await asyncio.wait_for(bot_task, 30)
    assert (
        report.reason == "time_up" and report.frames["video"] > 0 and report.frames["audio"] > 0
    ), report
    await expect(page.locator("#view-rating")).to_be_visible()


async def test_an_event_round_in_the_browser_from_host_console_to_results(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server(connect_grace_seconds=15)
    host = await open_page(browser, server)
    await host.get_by_label("Your name").fill("Hosting Hana")
    await host.get_by_role("button", name="Host an event").click()
    await host.get_by_label("Title").fill("Friday speed mentoring")
    await host.get_by_label("Minutes per round").fill("0.1")
    await host.get_by_label("Rounds").fill("1")
    await host.get_by_label("Break minutes").fill("0")
    await host.get_by_role("button", name="Create event").click()
    await expect(host.locator("#view-event-host")).to_be_visible()
    code = (await host.locator("#host-code").text_content() or "").strip()
    assert len(code) == 6

    people = {}
    for name, role in (("Grace", "Mentor"), ("Ada", "Mentee")):
        page = await open_page(browser, server)
        await page.goto(f"{server.url}/?event={code}")
        await page.get_by_label("Your name").fill(name)
        await page.get_by_role("button", name="Join an event").click()
        await expect(page.get_by_label("Event code")).to_have_value(code)
        await page.get_by_label(role, exact=True).check()
        await page.get_by_role("button", name="Join", exact=True).click()
        await expect(page.locator("#view-event-lobby")).to_be_visible()
        people[name] = page
    await expect(host.locator("#host-people li")).to_have_count(2)
    await host.get_by_label("Announcement to everyone").fill("Welcome! One quick round.")
    await host.get_by_role("button", name="Announce").click()
    await expect(people["Ada"].locator("#lobby-announcement-text")).to_have_text(
        "Welcome! One quick round."
    )
    await screenshot(people["Ada"], "13-event-lobby")
    await screenshot(host, "14-event-host-lobby")

    await host.get_by_role("button", name="Start").click()
    for page in people.values():
        await wait_for_video(page)
        await expect(page.locator("#view-offer")).to_be_hidden()
    await expect(host.locator("#host-people")).to_contain_text("in a call")
    await screenshot(host, "15-event-host-round")
    for page in people.values():
        await expect(page.locator("#view-rating")).to_be_visible(timeout=15_000)
        await expect(page.locator("#rating-tags-box")).to_be_hidden()
        await page.locator("label[for=star5]").click()
        await page.get_by_label("I'd like to follow up").check()
        await page.get_by_role("button", name="Send rating").click()
        await expect(page.locator("#rating-done")).to_be_visible()
    await people["Ada"].get_by_role("button", name="Back to the event").click()
    await expect(people["Ada"].locator("#view-event-results")).to_be_visible(timeout=10_000)
    await expect(people["Ada"].locator("#results-mutual")).to_contain_text("Grace")
    await screenshot(people["Ada"], "16-event-results")


async def test_a_reload_mid_call_reconnects_the_video_and_keeps_the_countdown(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server(session_seconds=60, connect_grace_seconds=15)
    mentor, mentee = await mentor_online_then_mentee_asks(browser, server)
    await wait_for_video(mentee)
    await expect(mentee.locator("#timer-caption")).to_have_text("left", timeout=10_000)
    before = await mentee.locator("#timer-label").text_content()

    await mentee.reload()  # the same login comes back from localStorage
    await expect(mentee.locator("#view-call")).to_be_visible(timeout=10_000)
    await wait_for_video(mentee)
    await mentor.wait_for_function(
        # A function, not an expression: the page's CSP allows no string evaluation.
        "() => Number(document.querySelector('#remote-video').dataset.framesDecoded || 0) > 0",
        timeout=20_000,
    )
    after = await mentee.locator("#timer-label").text_content()
    assert after and before and after <= before  # the same countdown, not a fresh one
    await expect(mentor.locator("#view-call")).to_be_visible()


async def test_a_mentee_whose_mentor_never_answers_hears_it_and_is_first_in_line_again(
    start_server: ServerFactory,
    browser: Browser,
    make_client,  # type: ignore[no-untyped-def]
) -> None:
    server = await start_server(connect_grace_seconds=3)
    ghost = await make_client("Ghost", url=server.url)  # a mentor that never answers an offer
    await ghost.must("mentor:online", {"skills": ["python"], "minutes": 30})
    mentee = await open_page(browser, server)
    await sign_in(mentee, "Ada", "mentee")
    await ask(mentee)
    await expect(mentee.locator("#view-call")).to_be_visible()
    await expect(mentee.locator("#notice")).to_contain_text(
        "Ghost didn't answer in time. You're back at the front of the line.", timeout=10_000
    )
    await expect(mentee.locator("#view-waiting")).to_be_visible()
    await screenshot(mentee, "no-show-mentor-absent")
    skills = {s["slug"]: s for s in await ghost.rest("GET", "/api/skills")}
    assert skills["python"]["waiting"] == 1 and skills["python"]["mentors_online"] == 0
