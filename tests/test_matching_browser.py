"""In Chromium: the ask form suggests a skill as the mentee types, "Find a mentor" searches by
meaning and asks one mentor directly, and an admin sees the program's charts. Screenshots at
desktop size and on a 390x844 phone."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from server.domain.program.admin import admin_command
from server.runtime.clock import ManualClock
from tests.browser import launch, screenshot
from tests.conftest import ClientFactory, RunningServer, ServerFactory
from tests.helpers import ask, go_online, start_call
from tests.test_matching import BAKER, DJANGO, SOUND, describe

SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async for running in launch():
        yield running


async def signed_in(browser: Browser, server: RunningServer, size: str, name: str = "Ada") -> Page:
    width, height = SIZES[size]
    context = await browser.new_context(viewport={"width": width, "height": height})
    page = await context.new_page()
    await page.goto(server.services.config.origin)
    await page.get_by_label("Your name").fill(name)
    await page.get_by_role("button", name="Get help now").click()
    await expect(page.locator("#view-setup")).to_be_visible()
    return page


@pytest.mark.parametrize("size", list(SIZES))
async def test_the_ask_form_suggests_a_skill_and_nudges_as_the_mentee_types(
    start_server: ServerFactory, browser: Browser, size: str
) -> None:
    server = await start_server()
    page = await signed_in(browser, server, size)
    await expect(page.locator("#boundaries")).to_be_visible()  # the first time
    await page.get_by_role("button", name="Got it").click()
    await expect(page.locator("#boundaries")).to_be_hidden()
    await page.locator("#question").press_sequentially(
        "My pandas groupby takes minutes on 20 million rows. What can I do?", delay=5
    )
    first = page.locator("#suggest-chips .chip.suggested")
    await expect(first).to_have_text("Data science")
    await expect(page.locator("#prep-nudges li")).to_have_count(2)  # background, outcome
    await expect(page.locator("#prep-nudges")).to_contain_text("good outcome")
    await expect(page.locator("#mentee-skills label.suggested")).to_contain_text("Data science")
    await first.click()
    await expect(page.locator("#mentee-skills input[value='data-science']")).to_be_checked()
    await page.locator("#suggest-box").scroll_into_view_if_needed()
    await screenshot(page, f"suggest-{size}")


@pytest.mark.parametrize("size", list(SIZES))
async def test_find_a_mentor_by_meaning_and_ask_them_directly(
    start_server: ServerFactory, make_client: ClientFactory, browser: Browser, size: str
) -> None:
    server = await start_server()
    jamie, sam, bo = await make_client("Jamie"), await make_client("Sam"), await make_client("Bo")
    await describe(jamie, "Sound engineer, 15 years of live gigs", SOUND, "other")
    await jamie.rest(
        "PUT",
        "/api/me/office-hours",
        {
            "hours": [
                {
                    "kind": "weekly",
                    "weekday": 3,
                    "time": "19:00",
                    "minutes": 60,
                    "tz": "Europe/London",
                }
            ]
        },
        auth=True,
    )
    await describe(sam, "Django developer", DJANGO, "python")
    await describe(bo, "Baker and shop owner", BAKER, "startups")
    await go_online(jamie, "other")
    page = await signed_in(browser, server, size)
    await page.get_by_role("button", name="Find a mentor").click()
    await page.get_by_label("Describe what you need").fill(
        "our speakers squeal whenever the singer walks past them"
    )
    await page.get_by_role("button", name="Search").click()
    cards = page.locator("#directory-list .mentor-card")
    await expect(cards).to_have_count(3)
    await expect(cards.first).to_contain_text("Jamie")
    await expect(cards.first).to_contain_text("Online now")
    await expect(cards.first).to_contain_text("Next office hours")
    await screenshot(page, f"directory-{size}")
    await page.get_by_label("Online now").check()
    await expect(cards).to_have_count(1)
    await page.get_by_role("button", name="Ask Jamie").click()
    await expect(page.locator("#ask-direct")).to_contain_text("Jamie")
    await page.locator("#question").fill("How do I stop feedback from the drum mic?")
    await page.get_by_role("button", name="Join the queue").click()
    matched = await jamie.next("session:matched")
    assert matched["question"] == "How do I stop feedback from the drum mic?"


async def test_an_admin_sees_the_program_charts(
    start_server: ServerFactory,
    make_client: ClientFactory,
    browser: Browser,
    redis_url: str,
    tmp_path: Path,
) -> None:
    clock = ManualClock(int(time.time() * 1000))
    server = await start_server(clock=clock)
    mentor = await make_client("Mo")
    for i, skill in enumerate(("python", "career", "python")):
        mentee = await make_client(f"Mentee {i}")
        await ask(mentee, skill, "A question for the seeded history")
        clock.advance(20 * (i + 1))
        await go_online(mentor, "python", "career")
        sid = (await mentee.next("session:matched"))["session_id"]
        await start_call(mentor, mentee, sid)
        await mentee.must("session:leave", {"session_id": sid})
        await mentee.must("rate", {"session_id": sid, "stars": 3 + i % 3})
        await mentor.must("mentor:offline")
    for size in SIZES:
        page = await signed_in(browser, server, size, name="Admin")
        user = await page.evaluate("JSON.parse(localStorage.getItem('mentorburst.user')).id")
        await admin_command("grant", user, redis_url, tmp_path, lambda _line: None)
        await page.reload()
        await page.get_by_role("button", name="Program").click()
        await expect(page.locator("#view-admin")).to_be_visible()
        await expect(page.locator("#admin-kpis .kpi")).to_have_count(5)
        await expect(page.locator("#chart-waits rect")).to_have_count(4)  # 2 skills x p50/p90
        label = await page.locator("#chart-ratings").get_attribute("aria-label")
        assert label is not None and "4 stars: 1" in label
        await expect(page.locator("#admin-kpis")).to_contain_text("100%")
        await screenshot(page, f"admin-{size}")
