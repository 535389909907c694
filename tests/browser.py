"""Headless Debian Chromium for the browser stories, with fake camera and microphone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

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
        try:
            yield browser
        finally:
            await browser.close()


async def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
