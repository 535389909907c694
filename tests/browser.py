"""Headless Debian Chromium for the browser stories, with fake camera and microphone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, async_playwright

from bench.harness import CHROMIUM as CHROMIUM_PATH
from bench.harness import CHROMIUM_ARGS, FAKE_MEDIA

CHROMIUM = Path(CHROMIUM_PATH)
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
        )


async def launch(
    *, fake_media: bool = True, extra: list[str] | None = None
) -> AsyncIterator[Browser]:
    require_chromium()
    async with async_playwright() as playwright:
        args = (
            CHROMIUM_ARGS
            + (FAKE_MEDIA if fake_media else ["--use-fake-device-for-media-stream"])
            + (extra or [])
        )
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        violations = _watch_csp(browser)
        try:
            yield browser
        finally:
            await browser.close()
        # Every page the test opened ran under the server's Content-Security-Policy.
        assert violations == [], violations


def _watch_csp(browser: Browser) -> list[str]:
    """Collect Content-Security-Policy violations from every page of every context."""
    violations: list[str] = []
    new_context = browser.new_context

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    async def watched_context(**options: Any) -> BrowserContext:
        context = await new_context(**options)
        context.on("console", on_console)
        return context

    async def watched_page(**options: Any) -> Page:
        context = await watched_context(**options)
        page = await context.new_page()
        page.on("close", lambda _page: asyncio.ensure_future(context.close()))
        return page

    browser.new_context = watched_context  # type: ignore[method-assign]
    browser.new_page = watched_page  # type: ignore[method-assign]
    return violations


async def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
