"""The site is served by the app, works offline, and never renders user text as HTML."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
from playwright.async_api import Response

from tests.browser import launch
from tests.conftest import RunningServer

WEB = Path(__file__).resolve().parent.parent / "web"


def web_files(suffix: str) -> list[Path]:
    return sorted(p for p in WEB.rglob(f"*{suffix}") if "vendor" not in p.parts)


async def test_the_page_and_every_module_it_imports_are_served(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(server.url + "/") as response:
            assert response.status == 200
            assert "mentorburst" in await response.text()
        wanted = {"/css/app.css", "/js/main.js"}
        for module in web_files(".js"):
            for target in re.findall(r'from "(\.{1,2}/[^"]+)"', module.read_text()):
                wanted.add("/" + str((module.parent / target).resolve().relative_to(WEB)))
        assert "/vendor/socket.io.esm.min.js" in wanted
        assert "/vendor/yjs.esm.min.js" in wanted
        for path in sorted(wanted):
            async with http.get(server.url + path) as response:
                assert response.status == 200, path


def test_the_socket_io_client_is_vendored_pinned_and_licensed() -> None:
    bundle = (WEB / "vendor" / "socket.io.esm.min.js").read_text()
    assert bundle.startswith("/*!\n * Socket.IO v4.8.4")
    assert "MIT" in (WEB / "vendor" / "socket.io-client.LICENSE").read_text()


def test_yjs_is_vendored_pinned_and_licensed() -> None:
    bundle = (WEB / "vendor" / "yjs.esm.min.js").read_text()
    assert bundle.startswith("/*! Yjs 13.6.33 (MIT, yjs.LICENSE) with lib0 0.2.120")
    assert not re.search(r"\bimport\s*[{*\"]", bundle)  # one self-contained module
    for licence in ("yjs.LICENSE", "lib0.LICENSE", "isomorphic.js.LICENSE"):
        assert "MIT" in (WEB / "vendor" / licence).read_text()


def test_nothing_is_loaded_from_the_internet() -> None:
    for path in web_files(".js") + web_files(".html") + web_files(".css"):
        assert not re.search(r"https?://", path.read_text()), path


def test_user_text_is_never_inserted_as_html() -> None:
    for path in web_files(".js"):
        source = path.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
            assert sink not in source, f"{path.name} uses {sink}"


async def test_the_page_names_an_icon_that_is_served_so_no_browser_logs_a_404(
    server: RunningServer,
) -> None:
    assert (
        '<link rel="icon" href="/favicon.svg" type="image/svg+xml">'
        in (WEB / "index.html").read_text()
    )
    async with aiohttp.ClientSession() as http:
        for path in ("/favicon.svg", "/favicon.ico"):
            async with http.get(server.url + path) as response:
                assert response.status == 200, path
                assert response.content_type == "image/svg+xml"
                assert (await response.text()).startswith("<svg")


async def test_the_home_page_loads_in_chromium_without_a_console_error(
    server: RunningServer,
) -> None:
    errors: list[str] = []

    def failed_response(response: Response) -> None:
        if response.status >= 400:
            errors.append(f"{response.status}: {response.url}")

    async for browser in launch():
        page = await browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
        page.on("response", failed_response)
        await page.goto(server.url)
        await page.wait_for_load_state("networkidle")
    assert errors == []
