"""A host runs a room from the browser: the live console through a round in which one pair
never connects, the confirmations, the round prompt and intros in both calls, the results after
the end, and the hosted event in "My sessions"; a mentor online sees what is waiting. No page
logs a console error."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, expect

from peer.client import MentorburstClient
from tests.browser import launch, screenshot
from tests.conftest import ClientFactory, RunningServer, ServerFactory
from tests.test_web_journeys import wait_for_video

PHONE = {"width": 390, "height": 844}


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async for running in launch():
        yield running


class Pages:
    """Pages of one story, each watched for console errors and uncaught exceptions."""

    def __init__(self, browser: Browser, server: RunningServer) -> None:
        self.browser, self.server = browser, server
        self.errors: list[str] = []

    async def open(self, path: str = "/") -> Page:
        context = await self.browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        await page.goto(self.server.url + path)
        return page

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        # The missing /favicon.ico is fixed on the ops branch (issue 13's "quiet first run");
        # until that merges, this one 404 is the only console error let through.
        if message.location.get("url", "").endswith("/favicon.ico"):
            return
        self.errors.append(f"console error: {message.text} at {message.location}")

    def assert_quiet(self) -> None:
        assert self.errors == []


async def both_widths(page: Page, name: str) -> None:
    """Screenshots at desktop width and at a 390x844 phone, then back to desktop."""
    await screenshot(page, f"{name}-desktop")
    size = page.viewport_size
    await page.set_viewport_size(PHONE)
    scroll_width = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE["width"], f"{name}: the page is wider than a phone"
    await screenshot(page, f"{name}-phone")
    if size:
        await page.set_viewport_size(size)


async def join_by_code(
    make_client: ClientFactory, code: str, role: str, name: str, skills: list[str]
) -> MentorburstClient:
    client = await make_client(name)
    await client.must("event:join", {"code": code, "role": role, "skills": skills})
    return client


async def test_a_host_runs_a_round_live_and_reads_the_results(
    start_server: ServerFactory, make_client: ClientFactory, browser: Browser
) -> None:
    server = await start_server(connect_grace_seconds=15, warn_at=())
    pages = Pages(browser, server)
    host = await pages.open()
    await host.get_by_label("Your name").fill("Hana")
    await host.get_by_role("button", name="Host an event").click()
    await host.get_by_label("Title").fill("Friday speed mentoring")
    await host.get_by_label("Minutes per round").fill("3")
    await host.get_by_label("Rounds").fill("2")
    await host.get_by_label("Break minutes").fill("5")
    await host.get_by_role("button", name="Create event").click()
    await expect(host.locator("#view-event-host")).to_be_visible()
    code = (await host.locator("#host-code").text_content() or "").strip()
    await host.get_by_label("Prompt for round").select_option("1")
    await host.get_by_label("Shown in every call of that round").fill("Ask about a career move")
    await host.get_by_role("button", name="Set prompt").click()
    await expect(host.locator("#host-prompts")).to_contain_text("Round 1: Ask about a career move")

    # Ada keeps a profile; joining prefills her intro and topics from it.
    ada = await pages.open()
    await ada.get_by_label("Your name").fill("Ada")
    await ada.get_by_role("button", name="Get help now").click()
    await expect(ada.locator("#view-setup")).to_be_visible()
    await ada.get_by_role("button", name="Account", exact=True).click()
    await ada.get_by_label("Headline").fill("Data analyst moving into ML")
    await ada.locator("#profile-skills label", has_text="Python").click()
    await ada.get_by_role("button", name="Save profile").click()
    await expect(ada.locator("#notice")).to_have_text("Profile saved.")
    await ada.goto(f"{server.url}/?event={code}")
    await ada.get_by_role("button", name="Join an event").click()
    await expect(ada.get_by_label("One line about you")).to_have_value(
        "Data analyst moving into ML"
    )
    await expect(ada.locator("#event-skills input[value=python]")).to_be_checked()
    await ada.get_by_role("button", name="Join", exact=True).click()
    await expect(ada.locator("#view-event-lobby")).to_be_visible()

    grace = await pages.open(f"/?event={code}")
    await grace.get_by_label("Your name").fill("Grace")
    await grace.get_by_role("button", name="Join an event").click()
    await grace.get_by_label("Mentor", exact=True).check()
    await expect(grace.locator("#event-intro-hint")).to_contain_text("What you can help with")
    await grace.get_by_label("One line about you").fill("Ten years of Python backends")
    await grace.locator("#event-skills label", has_text="Python").click()
    await grace.get_by_role("button", name="Join", exact=True).click()
    await expect(grace.locator("#view-event-lobby")).to_be_visible()

    # A pair that will never connect (Socket.IO clients without media), one who sits out, one
    # who leaves before the start.
    await join_by_code(make_client, code, "mentor", "Quiet Mentor", ["ux-design"])
    await join_by_code(make_client, code, "mentee", "Quiet Mentee", ["ux-design"])
    await join_by_code(make_client, code, "mentee", "Sam", [])
    lee = await make_client("Lee")
    joined = await lee.must("event:join", {"code": code, "role": "mentor", "skills": ["career"]})
    await lee.must("event:leave", {"event_id": joined["event"]["event_id"]})
    people = host.locator("#host-people li")
    await expect(people).to_have_count(6)
    await expect(people.filter(has_text="Lee")).to_contain_text("left")
    grace_row = people.filter(has_text="Grace")
    await expect(grace_row).to_have_count(1)
    await expect(grace_row.locator(".role")).to_have_text("mentor")
    await expect(grace_row.locator(".name")).to_have_text("Grace")
    await expect(people.filter(has_text="Ada").locator(".intro")).to_have_text(
        "Data analyst moving into ML"
    )

    await host.get_by_label("Announcement to everyone").fill("Welcome! Round 1 starts now.")
    await host.get_by_role("button", name="Announce").click()
    await expect(ada.locator("#lobby-announcement-text")).to_have_text(
        "Welcome! Round 1 starts now."
    )
    await expect(ada.locator("#lobby-announcement-at")).to_contain_text("From the host at")
    await expect(ada.locator("#lobby-prompt")).to_have_text(
        "Next round's prompt: “Ask about a career move”"
    )
    await expect(host.locator("#host-announcement")).to_contain_text("Shown to everyone since")

    await host.get_by_role("button", name="Start").click()
    for page in (ada, grace):
        await expect(page.locator("#view-call")).to_be_visible(timeout=10_000)
        await expect(page.locator("#call-question")).to_have_text("Ask about a career move")
        await expect(page.locator("#call-question-title")).to_have_text("This round's prompt")
        await expect(page.locator("#call-shared")).to_have_text("You both listed Python.")
    await expect(ada.locator("#call-intro")).to_have_text("Grace: “Ten years of Python backends”")
    await expect(grace.locator("#call-intro")).to_have_text("Ada: “Data analyst moving into ML”")
    await expect(ada.locator("#call-peer")).to_contain_text("round 1 of 2 · Friday speed mentoring")
    await expect(host.locator("#host-announcement")).to_be_hidden()  # a new round clears it

    pairs = host.locator("#host-pairs li")
    await expect(pairs.filter(has_text="Grace with Ada").locator(".media")).to_have_text(
        "Connected", timeout=20_000
    )
    await expect(
        pairs.filter(has_text="Quiet Mentor with Quiet Mentee").locator(".media")
    ).to_have_text("Not connected yet")
    await expect(people.filter(has_text="Sam").locator(".status")).to_have_text(
        "sits out this round"
    )
    await join_by_code(make_client, code, "mentee", "Late Lou", ["python"])
    await expect(people.filter(has_text="Late Lou").locator(".status")).to_have_text(
        "joined late · plays next round"
    )
    await expect(host.locator("#host-clock-label")).to_have_text("Round ends in")

    await host.get_by_label("Shown in every call of that round").fill("Name one thing to try next")
    await host.get_by_role("button", name="Set prompt").click()
    await expect(ada.locator("#call-question")).to_have_text("Name one thing to try next")
    for page in (ada, grace):
        await wait_for_video(page)
    await both_widths(host, "host-during-round")
    await both_widths(ada, "round-call-with-context")

    await host.get_by_role("button", name="End this round now").click()
    await expect(host.locator("#host-confirm")).to_contain_text("End round 1 now for everyone?")
    await host.get_by_role("button", name="Keep going").click()
    await expect(host.locator("#host-confirm")).to_be_hidden()
    await expect(host.locator("#host-clock-label")).to_have_text("Round ends in")
    await host.get_by_role("button", name="End this round now").click()
    await host.get_by_role("button", name="End the round").click()
    await expect(host.locator("#host-clock-label")).to_have_text("Break ends in")
    await expect(pairs.filter(has_text="Quiet Mentor").locator(".media")).to_have_text(
        "Never connected"
    )
    stats = host.locator("#host-stats tr")
    await expect(stats).to_have_count(1)
    await expect(stats.first).to_contain_text("1 of 2 (50%)")
    await expect(host.locator("#host-chart rect.bar")).to_have_count(1)

    for page, stars in ((ada, 4), (grace, 5)):
        await expect(page.locator("#view-rating")).to_be_visible(timeout=10_000)
        await page.locator(f"label[for=star{stars}]").click()
        await page.get_by_label("I'd like to follow up").check()
        await page.get_by_role("button", name="Send rating").click()
        await expect(page.locator("#rating-done")).to_be_visible()
    await expect(stats.first).to_contain_text("4.5★ from 2 ratings")
    await expect(host.locator("#host-chart circle.dot")).to_have_count(1)

    await host.get_by_role("button", name="End event").click()
    await expect(host.locator("#host-confirm")).to_contain_text("End the event for everyone?")
    await host.get_by_role("button", name="End the event").click()
    results = host.locator("#host-results")
    await expect(results).to_be_visible()
    await expect(host.locator("#host-attendance")).to_have_text(
        "7 people came: 3 mentors, 4 mentees; 1 joined late; 1 left early."
    )
    await expect(host.locator("#host-ratings")).to_have_text("4.5★ on average from 2 ratings.")
    await expect(host.locator("#host-follow-ups")).to_have_text("Grace and Ada (round 1)")
    await expect(host.locator("#host-rounds")).to_contain_text("Round 1: 2 pairs, 1 connected")
    await expect(host.locator("#host-rounds")).to_contain_text("Sat out: Sam")
    await expect(host.locator("#host-rounds")).to_contain_text(
        "Quiet Mentor with Quiet Mentee · never connected"
    )
    for button in ("Start", "End this round now", "End event"):
        await expect(host.get_by_role("button", name=button, exact=True)).to_be_disabled()
    await expect(host.locator("#host-share")).to_have_class("hint closed")
    await expect(host.locator("#host-share")).to_contain_text("no longer lets anyone in")
    await expect(host.get_by_label("Announcement to everyone")).to_be_disabled()
    await expect(host.locator("#host-pairs-card")).to_be_hidden()
    await both_widths(host, "host-after-end")

    await host.get_by_role("button", name="My sessions").click()
    hosted = host.locator("#history-hosted-list li")
    await expect(hosted).to_have_count(1)
    await expect(hosted).to_contain_text("Friday speed mentoring")
    await host.get_by_role("button", name="Back").click()
    await expect(host.locator("#view-event-host")).to_be_visible()  # back where it came from
    await host.get_by_role("button", name="My sessions").click()
    link = await hosted.get_by_role("link", name="See the results").get_attribute("href")
    await hosted.get_by_role("link", name="See the results").click()
    await expect(results).to_be_visible()
    await expect(host.locator("#host-attendance")).to_contain_text("7 people came")
    again = await pages.open()  # the link works on its own, too
    await again.evaluate(
        "([token, user]) => { localStorage.setItem('mentorburst.token', token);"
        " localStorage.setItem('mentorburst.user', user); }",
        [
            await host.evaluate("localStorage.getItem('mentorburst.token')"),
            await host.evaluate("localStorage.getItem('mentorburst.user')"),
        ],
    )
    await again.goto(server.url + (link or ""))
    await expect(again.locator("#host-results")).to_be_visible()
    await expect(again.locator("#host-ratings")).to_have_text("4.5★ on average from 2 ratings.")
    pages.assert_quiet()


async def test_a_mentor_online_sees_the_questions_waiting_and_back_returns_to_the_burst(
    start_server: ServerFactory, make_client: ClientFactory, browser: Browser
) -> None:
    server = await start_server(session_seconds=900, decline_seconds=30, connect_grace_seconds=30)
    pages = Pages(browser, server)
    mentor = await pages.open()
    await mentor.get_by_label("Your name").fill("Grace")
    await mentor.get_by_role("button", name="Mentor now").click()
    fit = mentor.locator("#burst-fit")
    await expect(fit).to_have_text("Calls last 15 min; a 30-min burst fits up to 2 calls.")
    await mentor.get_by_label("15 min").check()
    await expect(fit).to_have_text("Calls last 15 min; a 15-min burst fits one call.")
    await screenshot(mentor, "mentor-setup-call-length")
    await mentor.get_by_label("60 min").check()
    await mentor.locator("#mentor-skills label", has_text="Python").click()
    await mentor.locator("#mentor-skills label", has_text="UX design").click()
    await mentor.get_by_role("button", name="Go online").click()
    await expect(mentor.locator("#view-mentor")).to_be_visible()
    await expect(mentor.locator("#burst-questions-empty")).to_be_visible()

    # Grace declines two questions; they wait (she is never offered them again this burst)
    # and she sees them, oldest first, without names.
    asks = (
        ("Noor", "python", "How do I find what blocks my asyncio event loop?"),
        ("Ivo", "ux-design", "How should a form announce its errors to screen readers?"),
    )
    for name, skill, question in asks:
        mentee = await make_client(name)
        await mentee.must("mentee:join", {"skill": skill, "question": question})
        await expect(mentor.locator("#view-offer")).to_be_visible(timeout=10_000)
        await mentor.get_by_role("button", name="Decline").click()
        await expect(mentor.locator("#view-mentor")).to_be_visible()
    questions = mentor.locator("#burst-questions li")
    await expect(questions).to_have_count(2)
    await expect(questions.nth(0)).to_contain_text(asks[0][2])
    await expect(questions.nth(0).locator(".chip")).to_have_text("Python")
    await expect(questions.nth(1)).to_contain_text(asks[1][2])
    await expect(questions.nth(0).locator(".since").first).to_have_text("waiting under a minute")
    await expect(questions.nth(0)).to_contain_text("you declined it")
    for name, _, _ in asks:
        await expect(mentor.locator("#burst-questions")).not_to_contain_text(name)
    await both_widths(mentor, "mentor-online-with-waiting-questions")

    await mentor.get_by_role("button", name="My sessions").click()
    await expect(mentor.locator("#view-history")).to_be_visible()
    await mentor.get_by_role("button", name="Back").click()
    await expect(mentor.locator("#view-mentor")).to_be_visible()
    await expect(questions).to_have_count(2)
    pages.assert_quiet()


async def test_back_from_my_sessions_returns_to_the_queue_and_to_the_event(
    start_server: ServerFactory, make_client: ClientFactory, browser: Browser
) -> None:
    server = await start_server()
    pages = Pages(browser, server)
    mentee = await pages.open()
    await mentee.get_by_label("Your name").fill("Ada")
    await mentee.get_by_role("button", name="Get help now").click()
    await mentee.locator("#mentee-skills label", has_text="Python").first.click()
    await mentee.get_by_label("Your question").fill("How do I profile asyncio code?")
    await mentee.get_by_role("button", name="Join the queue").click()
    await expect(mentee.locator("#view-waiting")).to_be_visible()
    await mentee.get_by_role("button", name="My sessions").click()
    await mentee.get_by_role("button", name="Back").click()
    await expect(mentee.locator("#view-waiting")).to_be_visible()
    await expect(mentee.locator("#wait-question")).to_have_text("How do I profile asyncio code?")

    host = await make_client("Hana")
    created = await host.rest(
        "POST",
        "/api/events",
        {"title": "Lunch mentoring", "round_seconds": 60, "rounds": 2, "break_seconds": 30},
        auth=True,
    )
    guest = await pages.open(f"/?event={created['code']}")
    await guest.get_by_label("Your name").fill("Omar")
    await guest.get_by_role("button", name="Join an event").click()
    await guest.get_by_role("button", name="Join", exact=True).click()
    await expect(guest.locator("#view-event-lobby")).to_be_visible()
    await host.must(
        "event:announce", {"event_id": created["event_id"], "text": "Starting at half past"}
    )
    await guest.get_by_role("button", name="My sessions").click()
    await expect(guest.locator("#history-empty")).to_be_visible()
    await guest.get_by_role("button", name="Back").click()
    await expect(guest.locator("#view-event-lobby")).to_be_visible()
    await expect(guest.locator("#lobby-announcement-text")).to_have_text("Starting at half past")
    pages.assert_quiet()
