"""The call as a workspace, in two browsers: the mentor reads the question first, they share a
screen, chat with code and links, type notes together, agree on more time, get a drop back, and
keep a record of it all. Also the call page on a phone."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, expect

from server.app.factory import SIO
from server.transport.notifier import user_room
from tests.browser import launch, screenshot
from tests.conftest import ClientFactory, RunningServer, ServerFactory
from tests.helpers import ask as ask_over_socket
from tests.test_web_journeys import (
    QUESTION,
    ask,
    go_online,
    open_page,
    sign_in,
    take_call,
    user_id,
    wait_for_video,
)

LINK = "https://docs.python.org/3/library/asyncio-dev.html"
QUESTION_WITH_LINK = f"My asyncio service stalls under load; I read {LINK}. What blocks the loop?"
TRACEBACK = 'Traceback (most recent call last):\n  File "svc.py", line 12, in handle\n    data = json.loads(body)'


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async for running in launch():
        yield running


async def call_between(
    browser: Browser,
    server: RunningServer,
    *,
    question: str = QUESTION,
    mentor_size: tuple[int, int] = (1280, 860),
    mentee_size: tuple[int, int] = (1280, 860),
) -> tuple[Page, Page]:
    """Grace mentors, Ada asks, Grace takes the call; both see video. Returns (mentor, mentee)."""
    mentor = await open_page(browser, server, *mentor_size)
    await sign_in(mentor, "Grace", "mentor")
    await go_online(mentor)
    mentee = await open_page(browser, server, *mentee_size)
    await sign_in(mentee, "Ada", "mentee")
    await ask(mentee, question=question)
    await take_call(mentor)
    await wait_for_video(mentee)
    await wait_for_video(mentor)
    return mentor, mentee


async def test_the_mentor_reads_the_question_before_any_camera_starts(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server(session_seconds=60, connect_grace_seconds=20, decline_seconds=4)
    mentor = await open_page(browser, server)
    await sign_in(mentor, "Grace", "mentor")
    await go_online(mentor)
    await screenshot(mentor, "20-mentor-waiting-camera-off")
    mentee = await open_page(browser, server)
    await sign_in(mentee, "Ada", "mentee")
    await ask(mentee, question=QUESTION_WITH_LINK)

    await expect(mentor.locator("#view-offer")).to_be_visible(timeout=10_000)
    await expect(mentor.locator("#offer-peer")).to_have_text("Ada asks about Python")
    link = mentor.locator("#offer-question a")
    await expect(link).to_have_attribute("href", LINK)
    await expect(link).to_have_attribute("rel", "noopener noreferrer")
    await expect(link).to_have_attribute("target", "_blank")
    left = int(await mentor.locator("#offer-left").text_content() or 0)
    assert 1 <= left <= 4
    # No camera or microphone while reading: nothing is captured yet.
    assert (
        await mentor.evaluate("document.querySelector('#local-video').srcObject.getTracks().length")
        == 0
    )
    await expect(mentee.locator("#placeholder-text")).to_have_text(
        "Grace is reading your question…"
    )
    await screenshot(mentor, "21-mentor-reads-question")
    await screenshot(mentee, "22-mentee-while-mentor-reads")

    # Nobody clicked: when the window runs out the call is taken and the camera starts.
    await expect(mentor.locator("#view-call")).to_be_visible(timeout=10_000)
    await wait_for_video(mentee)
    await wait_for_video(mentor)
    await expect(mentee.locator("#remote-placeholder")).to_be_hidden(timeout=10_000)
    await expect(mentee.locator("#call-question a")).to_have_attribute("href", LINK)


async def test_a_mentor_who_chose_auto_take_goes_straight_into_the_call(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server(session_seconds=60, connect_grace_seconds=20, decline_seconds=30)
    mentor = await open_page(browser, server)
    await sign_in(mentor, "Grace", "mentor")
    await mentor.get_by_label("Take calls automatically").check()
    await go_online(mentor)
    mentee = await open_page(browser, server)
    await sign_in(mentee, "Ada", "mentee")
    await ask(mentee)
    await expect(mentor.locator("#view-call")).to_be_visible(timeout=10_000)
    await expect(mentor.locator("#view-offer")).to_be_hidden()
    await wait_for_video(mentee)


async def test_a_shared_screen_reaches_the_other_side_sharp(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server(session_seconds=120, connect_grace_seconds=20)
    mentor, mentee = await call_between(browser, server)
    await mentee.get_by_role("button", name="Share screen").click()
    share = mentor.locator("#share-video")
    await expect(share).to_be_visible(timeout=15_000)
    await mentor.wait_for_function(
        "() => Number(document.querySelector('#share-video').dataset.framesDecoded) > 30",
        timeout=20_000,
    )
    await expect(mentee.locator("#call-share")).to_have_attribute("data-content-hint", "detail")
    await expect(mentee.locator("#call-share")).to_have_attribute(
        "data-degradation", "maintain-resolution"
    )
    await expect(mentor.locator(".stage")).to_have_class(re.compile(r"\bsharing\b"))
    # The camera keeps running beside it: two inbound videos, both decoding.
    assert int(await mentor.locator("#remote-video").get_attribute("data-frames-decoded") or 0)
    await mentor.wait_for_timeout(3000)
    size = await share.evaluate(
        "v => [Number(v.dataset.frameWidth), Number(v.dataset.frameHeight), Number(v.dataset.fps)]"
    )
    print(f"shared 1920x1080 screen received at {size[0]}x{size[1]}, {size[2]} fps")
    assert size[0] >= 1280 and size[1] >= 720, size  # kept sharp, not scaled down to a thumbnail
    await screenshot(mentor, "23-receiving-a-shared-screen")

    await mentee.get_by_role("button", name="Stop sharing").click()
    await expect(mentor.locator(".stage")).not_to_have_class(re.compile(r"\bsharing\b"))
    await expect(share).to_be_hidden(timeout=10_000)
    await expect(mentee.get_by_role("button", name="Share screen")).to_be_visible()


async def test_chat_with_code_and_links_both_ways_and_after_a_reload(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server(session_seconds=120, connect_grace_seconds=20)
    mentor, mentee = await call_between(browser, server)
    box = mentee.get_by_label("Message", exact=True)
    await box.fill(f"Here's where it stalls:\n```python\n{TRACEBACK}\n```")
    await box.press("Enter")
    await mentee.get_by_label("Message", exact=True).fill(
        "<img src=x onerror=alert(1)> is that it?"
    )
    await mentee.get_by_role("button", name="Send").click()
    # The mentor answers what it has read: both of the mentee's messages are in before it types.
    await expect(mentor.locator("#chat-log li")).to_have_count(2)
    await mentor.get_by_label("Message", exact=True).fill(f"Try debug mode: {LINK}.")
    await mentor.get_by_label("Message", exact=True).press("Enter")

    for page in (mentor, mentee):
        log = page.locator("#chat-log")
        await expect(log.locator("li")).to_have_count(3)
        await expect(log.locator(".code-block pre")).to_have_text(TRACEBACK)
        await expect(log.locator(".code-block .lang")).to_have_text("python")
        await expect(log.locator(".code-block button")).to_have_text("Copy")
        link = log.locator("a")
        await expect(link).to_have_attribute("href", LINK)  # the sentence's "." is not part of it
        await expect(link).to_have_attribute("rel", "noopener noreferrer")
        await expect(link).to_have_attribute("target", "_blank")
        await expect(log.locator("img")).to_have_count(0)  # text, never HTML
        await expect(log.locator("li").nth(1)).to_contain_text("<img src=x onerror=alert(1)>")
    await expect(mentor.locator("#chat-log li").first).to_contain_text("Ada")
    await screenshot(mentor, "24-chat-with-code")

    await mentee.reload()
    await expect(mentee.locator("#view-call")).to_be_visible(timeout=10_000)
    await expect(mentee.locator("#chat-log li")).to_have_count(3)
    await expect(mentee.locator("#chat-log .code-block pre")).to_have_text(TRACEBACK)
    await mentee.get_by_label("Message", exact=True).fill("back after a reload")
    await mentee.get_by_label("Message", exact=True).press("Enter")
    await expect(mentor.locator("#chat-log li")).to_have_count(4)
    await expect(mentor.locator("#chat-log li").last).to_contain_text("back after a reload")


async def test_two_people_type_into_the_notes_at_once(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server(session_seconds=120, connect_grace_seconds=20)
    mentor, mentee = await call_between(browser, server)
    for page in (mentor, mentee):
        await page.get_by_role("tab", name="Shared notes").click()
        await expect(page.locator("#notes-text")).to_have_value(
            re.compile(r"^Question: My asyncio service stalls"), timeout=10_000
        )
    # Grace types under "Notes:", Ada after "Next step:", at the same time, key by key.
    await mentor.locator("#notes-text").evaluate(
        "a => { const i = a.value.indexOf('Notes:\\n') + 7; a.focus(); a.setSelectionRange(i, i); }"
    )
    await mentee.locator("#notes-text").evaluate(
        "a => { const i = a.value.indexOf('Next step: ') + 11; a.focus(); a.setSelectionRange(i, i); }"
    )
    await asyncio.gather(
        mentor.keyboard.type("py-spy dump shows json.loads on the loop", delay=15),
        mentee.keyboard.type("profile the parser on staging", delay=15),
    )
    for page in (mentor, mentee):
        area = page.locator("#notes-text")
        await expect(area).to_have_value(
            re.compile(r"Notes:\npy-spy dump shows json\.loads on the loop"), timeout=10_000
        )
        await expect(area).to_have_value(re.compile(r"Next step: profile the parser on staging"))
    assert (
        await mentor.locator("#notes-text").input_value()
        == await mentee.locator("#notes-text").input_value()
    )
    await screenshot(mentee, "25-shared-notes")


async def test_more_time_is_refused_while_someone_waits_then_agreed(
    start_server: ServerFactory, browser: Browser, make_client: ClientFactory
) -> None:
    server = await start_server(session_seconds=40, connect_grace_seconds=20, warn_at=(37,))
    mentor, mentee = await call_between(browser, server)
    ask_more = mentee.get_by_role("button", name="+5 min")
    await expect(ask_more).to_be_visible(timeout=15_000)  # from the first warning on
    waiting = await make_client("Lin", url=server.url)
    await ask_over_socket(waiting, "python")
    await ask_more.click()
    await expect(mentee.locator("#extend-text")).to_contain_text("Someone is waiting")
    await waiting.must("mentee:leave", {})

    await ask_more.click()
    await expect(mentee.locator("#extend-text")).to_contain_text("Waiting for Grace to agree")
    agree = mentor.get_by_role("button", name="Agree to 5 more minutes")
    await expect(mentor.locator("#extend-text")).to_have_text("Ada asks for 5 more minutes.")
    await screenshot(mentor, "26-extension-asked")
    await agree.click()
    for page in (mentor, mentee):
        await expect(page.locator("#extend-text")).to_contain_text("+5 min")
        await expect(page.locator("#timer-label")).to_have_text(re.compile(r"^0[45]:\d\d$"))
    await expect(ask_more).to_be_hidden()


async def test_time_lost_to_a_drop_is_given_back(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server(session_seconds=120, connect_grace_seconds=30)
    mentor, mentee = await call_between(browser, server)
    await expect(mentee.locator("#timer-caption")).to_have_text("left", timeout=10_000)
    await mentee.context.set_offline(True)
    sio = server.app[SIO]
    for sid, _ in list(sio.manager.get_participants("/", user_room(await user_id(mentee)))):
        await sio.disconnect(sid)
    await mentee.wait_for_timeout(3000)
    await mentee.context.set_offline(False)
    for page in (mentor, mentee):
        await expect(page.locator("#call-note")).to_have_text(
            re.compile(r"^\+\d+ s credited for the time the connection dropped\.$"), timeout=15_000
        )
    credited = int(re.findall(r"\d+", await mentor.locator("#call-note").text_content() or "")[0])
    assert 3 <= credited <= 15  # gone 3 s, plus however long Socket.IO took to reconnect
    await expect(mentee.locator("#view-call")).to_be_visible()


async def test_the_call_fits_a_phone_and_says_who_left(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server(session_seconds=120, connect_grace_seconds=20)
    mentor, mentee = await call_between(browser, server, mentee_size=(390, 844))
    await expect(mentee.locator("#timer-caption")).to_have_text("left", timeout=10_000)
    assert await mentee.evaluate("scrollY") == 0
    for selector in ("#remote-video", "#timer-label", "#call-mic", "#hangup"):
        box = await mentee.locator(selector).bounding_box()
        assert box is not None, selector
        assert box["y"] >= 0 and box["y"] + box["height"] <= 844, (selector, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (selector, box)
    assert await mentee.evaluate("document.documentElement.scrollWidth") <= 390
    await screenshot(mentee, "27-phone-call")

    # The partner turns the camera off: a placeholder with their name, not a black box.
    await mentor.get_by_role("button", name="Camera off").click()
    await expect(mentee.locator("#placeholder-text")).to_have_text(
        "Grace's camera is off", timeout=10_000
    )
    await screenshot(mentee, "28-phone-partner-camera-off")
    await mentor.get_by_label("Message", exact=True).fill(
        f"Look here:\n```\n{TRACEBACK}\n```\n{LINK}"
    )
    await mentor.get_by_label("Message", exact=True).press("Enter")
    await expect(mentee.locator("#chat-log .code-block")).to_be_visible()
    await mentee.locator("#chat-log").scroll_into_view_if_needed()
    await screenshot(mentee, "39-phone-chat")
    await mentee.get_by_role("tab", name="Shared notes").click()
    await expect(mentee.locator("#notes-text")).to_have_value(re.compile("^Question:"))
    await screenshot(mentee, "40-phone-notes")
    await mentor.get_by_role("button", name="Camera on").click()
    await expect(mentee.locator("#remote-placeholder")).to_be_hidden(timeout=10_000)

    await mentor.get_by_role("button", name="Hang up").click()
    await expect(mentor.get_by_role("button", name="Hang up")).to_be_hidden()
    await mentor.get_by_role("button", name="Keep talking").click()  # changed its mind
    await expect(mentor.locator("#view-call")).to_be_visible()
    await mentor.get_by_role("button", name="Hang up").click()
    await mentor.get_by_role("button", name="End call").click()
    await expect(mentee.locator("#rating-reason")).to_have_text(
        "Grace left the call. The call has ended.", timeout=10_000
    )
    await screenshot(mentee, "29-phone-rating")


async def test_a_matched_mentee_in_another_tab_is_alerted(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server(session_seconds=60, connect_grace_seconds=20, decline_seconds=30)
    context = await browser.new_context(
        viewport={"width": 1280, "height": 860}, permissions=["notifications"]
    )
    # Count the notifications the page shows (the real constructor still runs). Headless Chromium
    # keeps every tab visible, so the page is told it is hidden the way a browser tells it.
    await context.add_init_script(
        "window.__shown = []; const Real = window.Notification;"
        "window.Notification = class extends Real { constructor(t, o) { super(t, o);"
        " window.__shown.push(t); } };"
        "let hidden = false; Object.defineProperty(document, 'visibilityState',"
        " { get: () => (hidden ? 'hidden' : 'visible') });"
        "Object.defineProperty(document, 'hidden', { get: () => hidden });"
        "window.__hide = (h) => { hidden = h; document.dispatchEvent(new Event('visibilitychange')); };"
    )
    mentee = await context.new_page()
    await mentee.goto(server.url)
    await sign_in(mentee, "Ada", "mentee")
    await ask(mentee)
    await expect(mentee.locator("#view-waiting")).to_be_visible()
    await mentee.evaluate("window.__hide(true)")  # Ada switched to another tab

    mentor = await open_page(browser, server)
    await sign_in(mentor, "Grace", "mentor")
    await mentor.locator("#mentor-skills label", has_text="Python").click()
    await mentor.get_by_role("button", name="Go online").click()
    await expect(mentor.locator("#view-offer")).to_be_visible(timeout=10_000)
    await mentee.wait_for_function("() => window.__shown.length === 1", timeout=10_000)
    assert await mentee.evaluate("window.__shown") == ["Grace is taking your question"]
    assert await mentee.title() == "● Grace is taking your question · mentorburst"
    await mentee.evaluate("window.__hide(false)")  # back to the tab: the title is plain again
    await mentee.wait_for_function("() => !document.title.startsWith('●')")
    assert await mentee.evaluate("window.__shown.length") == 1


async def test_the_question_survives_a_reload_while_waiting(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server()
    mentee = await open_page(browser, server, 390, 844)
    await sign_in(mentee, "Ada", "mentee")
    await ask(mentee, question=QUESTION_WITH_LINK)
    await expect(mentee.locator("#view-waiting")).to_be_visible()
    await mentee.reload()
    await expect(mentee.locator("#view-waiting")).to_be_visible(timeout=10_000)
    await expect(mentee.locator("#wait-question")).to_have_text(QUESTION_WITH_LINK)
    await expect(mentee.locator("#wait-question a")).to_have_attribute("href", LINK)
    await expect(mentee.locator("#wait-position")).to_have_text("First in line")
    await screenshot(mentee, "30-phone-waiting-after-reload")


async def test_the_record_is_kept_in_my_sessions_and_downloads_as_markdown(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server(session_seconds=8, connect_grace_seconds=20, warn_at=())
    _, mentee = await call_between(browser, server)
    await mentee.get_by_label("Message", exact=True).fill(f"```\n{TRACEBACK}\n```")
    await mentee.get_by_label("Message", exact=True).press("Enter")
    await mentee.get_by_role("tab", name="Shared notes").click()
    notes = mentee.locator("#notes-text")
    await expect(notes).to_have_value(re.compile("Next step: "), timeout=10_000)
    await notes.evaluate(
        "a => { a.focus(); a.setSelectionRange(a.value.length - 1, a.value.length - 1); }"
    )
    await mentee.keyboard.type("run py-spy on staging")
    await expect(mentee.locator("#view-rating")).to_be_visible(timeout=20_000)
    record = mentee.locator("#rating-record")
    await expect(record).to_be_visible(timeout=10_000)
    await expect(record.locator(".next-step")).to_have_text("run py-spy on staging")
    await expect(record.locator(".code-block pre")).to_have_text(TRACEBACK)
    await screenshot(mentee, "31-rating-with-record")

    await mentee.get_by_role("button", name="My sessions").first.click()
    await mentee.get_by_role("button", name="Show the record").click()
    await expect(mentee.locator("#history-list .next-step")).to_have_text("run py-spy on staging")
    async with mentee.expect_download() as download_info:
        await (
            mentee.locator("#history-list")
            .get_by_role("button", name="Download as Markdown")
            .click()
        )
    download = await download_info.value
    assert download.suggested_filename.endswith(".md")
    text = (await download.path()).read_text()  # type: ignore[union-attr]
    assert text.startswith("# Mentoring session: Python")
    assert "## Next step\n\nrun py-spy on staging" in text
    assert f"```\n{TRACEBACK}\n```" in text
    await screenshot(mentee, "32-history-with-record")
    await mentee.set_viewport_size({"width": 390, "height": 844})
    await screenshot(mentee, "33-phone-history-with-record")


async def test_after_a_decline_on_a_phone_the_queue_says_nobody_else_is_online(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server(session_seconds=60, connect_grace_seconds=20, decline_seconds=30)
    mentor = await open_page(browser, server, 390, 844)
    await sign_in(mentor, "Grace", "mentor")
    await mentor.locator("#mentor-skills label", has_text="Python").click()
    await screenshot(mentor, "38-phone-mentor-setup")
    await mentor.get_by_role("button", name="Go online").click()
    await expect(mentor.locator("#view-mentor")).to_be_visible()
    mentee = await open_page(browser, server, 390, 844)
    await sign_in(mentee, "Ada", "mentee")
    await ask(mentee, question=QUESTION_WITH_LINK)
    await expect(mentor.locator("#view-offer")).to_be_visible(timeout=10_000)
    for selector in ("#offer-question", "#offer-left", "#offer-take", "#offer-decline"):
        box = await mentor.locator(selector).bounding_box()
        assert box is not None and box["y"] + box["height"] <= 844, selector
    await screenshot(mentor, "34-phone-mentor-reads-question")
    await screenshot(mentee, "35-phone-mentee-while-mentor-reads")
    await mentor.get_by_role("button", name="Decline").click()
    await expect(mentee.locator("#wait-nomentor")).to_have_text(
        "No other mentor for Python is online right now. You keep your place; we'll connect you"
        " as soon as one comes online.",
        timeout=10_000,
    )
    await expect(mentee.locator("#wait-position")).to_have_text("First in line")
    await screenshot(mentee, "36-phone-waiting-after-decline")
    await expect(mentor.locator("#view-mentor")).to_be_visible()
    await screenshot(mentor, "37-phone-mentor-after-decline")


async def test_a_phone_that_cannot_share_a_screen_says_so(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server()
    context = await browser.new_context(viewport={"width": 390, "height": 844})
    # Phone browsers have no getDisplayMedia; desktop Chromium does, so take it away.
    await context.add_init_script("delete MediaDevices.prototype.getDisplayMedia")
    phone = await context.new_page()
    await phone.goto(server.url)
    await expect(phone.locator("#share-unsupported")).to_have_text(
        "Screen sharing needs a computer's browser; phones can't share their screen from a web page."
    )
    assert await phone.locator("#share-unsupported").get_attribute("hidden") is None
    assert await phone.locator("#call-share").get_attribute("hidden") is not None
