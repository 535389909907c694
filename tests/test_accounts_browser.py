"""The web client and the account's life: it renews its token without anyone noticing, leaves
cleanly when the account is signed out elsewhere, and deletes an account from the account page."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, expect
from redis.asyncio import Redis

from server.store import keys
from tests.accounts_helpers import api
from tests.browser import launch, screenshot
from tests.conftest import RunningServer, ServerFactory


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async for running in launch():
        yield running


async def guest_page(browser: Browser, server: RunningServer, width: int = 1280) -> Page:
    context = await browser.new_context(viewport={"width": width, "height": 860})
    page = await context.new_page()
    await page.goto(server.services.config.origin)
    await page.get_by_label("Your name").fill("Ada")
    await page.get_by_role("button", name="Get help now").click()
    await expect(page.locator("#view-setup")).to_be_visible()
    return page


async def stored_token(page: Page) -> str:
    return str(await page.evaluate("localStorage.getItem('mentorburst.token')"))


async def test_the_web_client_renews_its_token_and_leaves_when_signed_out_elsewhere(
    start_server: ServerFactory, browser: Browser
) -> None:
    server = await start_server(token_ttl_seconds=4)
    page = await guest_page(browser, server)
    first = await stored_token(page)
    await asyncio.sleep(5)  # past the first token's expiry: renewed at half-life
    renewed = await stored_token(page)
    assert renewed != first
    status, me = await api(server.url, "GET", "/api/me", token=renewed)
    assert status == 200 and me["name"] == "Ada"
    await expect(page.locator("#whoami")).to_have_text("Signed in as Ada")
    await expect(page.locator("#notice")).to_be_hidden()  # nobody was told anything

    await api(server.url, "POST", "/api/me/signout-all", token=renewed)  # e.g. from a phone
    await expect(page.locator("#view-landing")).to_be_visible()
    await expect(page.locator("#notice")).to_contain_text("You were signed out")
    await expect(page.locator("#whoami")).to_have_text("")
    assert await page.evaluate("localStorage.getItem('mentorburst.token')") is None
    await screenshot(page, "account-desktop-signed-out-elsewhere")


async def test_every_open_tab_keeps_its_connection_when_one_tab_renews_the_token(
    start_server: ServerFactory, browser: Browser, redis: Redis
) -> None:
    """A renewal moves on only the socket that sends it (a socket opened with a stolen token
    must not ride on it), so each tab renews its own when another tab renewed the shared
    token."""
    server = await start_server(token_ttl_seconds=4)
    page = await guest_page(browser, server)
    other = await page.context.new_page()  # the same login, another tab
    await other.goto(server.services.config.origin)
    await expect(other.locator("#whoami")).to_have_text("Signed in as Ada")
    user = str(await page.evaluate("JSON.parse(localStorage.getItem('mentorburst.user')).id"))
    # The page shows the name from storage before its socket is up: wait for both sockets.
    for _ in range(50):
        sockets = await redis.smembers(keys.sockets(user))
        if len(sockets) == 2:
            break
        await asyncio.sleep(0.1)
    assert len(sockets) == 2
    await asyncio.sleep(5)  # past the first token's expiry: one tab renewed it at half-life
    assert await redis.smembers(keys.sockets(user)) == sockets  # neither socket was closed
    for tab in (page, other):
        await expect(tab.locator("#whoami")).to_have_text("Signed in as Ada")
        await expect(tab.locator("#notice")).to_be_hidden()


@pytest.mark.parametrize("width", [1280, 390])
async def test_a_person_deletes_their_account_from_the_account_page(
    start_server: ServerFactory, browser: Browser, width: int
) -> None:
    server = await start_server()
    page = await guest_page(browser, server, width)
    token = await stored_token(page)
    name = "desktop" if width > 600 else "phone"
    await page.get_by_role("button", name="Account", exact=True).click()
    await page.get_by_label("Headline").fill("Student, learning Python")
    await page.get_by_role("button", name="Save profile").click()
    await expect(page.locator("#notice")).to_have_text("Profile saved.")
    await page.get_by_role("button", name="Delete my account").click()
    await expect(page.get_by_role("button", name="Yes, delete everything")).to_be_visible()
    await expect(page.locator("#delete-kept")).to_contain_text("kept for moderation")
    await page.get_by_role("button", name="Yes, delete everything").scroll_into_view_if_needed()
    await screenshot(page, f"account-{name}-delete-confirm")
    await page.get_by_role("button", name="Yes, delete everything").click()
    await expect(page.locator("#view-landing")).to_be_visible()
    await expect(page.locator("#notice")).to_contain_text("Your account is deleted")
    await screenshot(page, f"account-{name}-deleted")
    status, answer = await api(server.url, "GET", "/api/me", token=token)
    assert (status, answer["error"]["code"]) == (401, "token_revoked")
