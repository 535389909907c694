"""screen_share: what a shared 1080p screen looks like on the receiving side of a call between two
Chromium pages: the resolution and frame rate of the second inbound video (the share), from the
receiver's getStats, once a second.

Two sources. ``fake_screen``: Chromium's own fake 1920x1080 display capture, through the real
getDisplayMedia path. ``code``: a 1920x1080 editor-like canvas of source code (monospace text on a
dark background, a line typed every 200 ms, a scroll every 2 s), captured at 15 fps and handed to
the page in place of getDisplayMedia (headless Chromium cannot capture a real window), sent the
same way: contentHint "detail", maintain-resolution, 2.5 Mbit/s.
"""

from __future__ import annotations

import asyncio
import statistics

from playwright.async_api import Browser, Page, async_playwright

from bench.browser_call import chromium_available
from bench.harness import CHROMIUM, CHROMIUM_ARGS, FAKE_MEDIA, figure, progress, server_process

CODE_SCREEN = """(() => {
  const canvas = document.createElement('canvas');
  canvas.width = 1920; canvas.height = 1080;
  const g = canvas.getContext('2d');
  const source = [
    'import asyncio, json', '', 'async def handle(reader, writer):',
    '    body = await reader.read(65536)', '    payload = json.loads(body)  # blocks the loop?',
    '    result = await process(payload)', '    writer.write(json.dumps(result).encode())',
    '    await writer.drain()', '', 'async def process(payload):',
    '    for item in payload["items"]:', '        await asyncio.sleep(0)',
    '    return {"ok": True, "count": len(payload["items"])}', '',
  ];
  let typed = 0; let top = 0;
  const draw = () => {
    g.fillStyle = '#1e1e1e'; g.fillRect(0, 0, 1920, 1080);
    g.font = '15px monospace';
    for (let row = 0; row < 58; row += 1) {
      const n = top + row; const line = source[n % source.length];
      const text = n === typed % 400 ? line.slice(0, (Date.now() / 60) % (line.length + 1)) : line;
      g.fillStyle = '#6e7681'; g.fillText(String(n + 1).padStart(4), 12, 24 + row * 18);
      g.fillStyle = '#d4d4d4'; g.fillText(text, 70, 24 + row * 18);
    }
  };
  setInterval(() => { typed += 1; }, 200);
  setInterval(() => { top = (top + 3) % 300; }, 2000);
  setInterval(draw, 33);
  draw();
  const stream = canvas.captureStream(15); // what getDisplayMedia is asked for (15 fps ideal)
  navigator.mediaDevices.getDisplayMedia = async () => stream;
})()"""

SAMPLE = "v => [Number(v.dataset.frameWidth), Number(v.dataset.frameHeight), Number(v.dataset.fps)]"


async def _page(browser: Browser, url: str, name: str, role: str, code: bool) -> Page:
    page = await (await browser.new_context(viewport={"width": 1280, "height": 860})).new_page()
    if code:
        await page.add_init_script(f"addEventListener('DOMContentLoaded', () => {CODE_SCREEN})")
    await page.goto(url)
    await page.fill("#login-name", name)
    await page.click(f"button[value={role}]")
    await page.wait_for_selector("#view-setup:not([hidden])")
    return page


async def _share(browser: Browser, url: str, code: bool, seconds: int) -> list[list[float]]:
    """[width, height, fps] of the received share, once a second after a 3 s ramp-up."""
    mentor = await _page(browser, url, "Bench mentor", "mentor", False)
    await mentor.check("#auto-take")
    await mentor.click("#mentor-skills label:has-text('Python')")
    await mentor.click("#online-button")
    await mentor.wait_for_selector("#view-mentor:not([hidden])")
    mentee = await _page(browser, url, "Bench mentee", "mentee", code)
    await mentee.click("#mentee-skills label:has-text('Python')")
    await mentee.fill("#question", "Can you read my code?")
    await mentee.click("#join-button")
    await mentor.wait_for_function(
        "() => Number(document.querySelector('#remote-video').dataset.framesDecoded) > 0",
        timeout=30_000,
    )
    await mentee.click("#call-share")
    await mentor.wait_for_function(
        "() => Number(document.querySelector('#share-video').dataset.framesDecoded) > 0",
        timeout=30_000,
    )
    await asyncio.sleep(3)
    samples = []
    for _ in range(seconds):
        await asyncio.sleep(1)
        samples.append(await mentor.locator("#share-video").evaluate(SAMPLE))
    await mentee.click("#hangup")
    await mentee.click("#hangup-yes")
    await mentee.context.close()
    await mentor.context.close()
    return samples


def _summary(samples: list[list[float]]) -> str:
    widths = statistics.median(s[0] for s in samples)
    heights = statistics.median(s[1] for s in samples)
    lowest = min(s[1] for s in samples)
    slowest = min(s[2] for s in samples)
    return (
        f"received {widths:.0f}x{heights:.0f} (median; lowest height {lowest:.0f}, "
        f"slowest second {slowest:.0f} fps)"
    )


async def run(seconds: int = 20) -> list[str]:
    if not chromium_available():
        print("screen_share: skipped, no /usr/bin/chromium")
        return []
    flags = ("--session-seconds", "600", "--connect-grace-seconds", "30")
    results: dict[str, list[list[float]]] = {}
    async with server_process(*flags) as node, async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS + FAKE_MEDIA
        )
        for source, code in (("fake_screen", False), ("code", True)):
            results[source] = await _share(browser, node.url, code, seconds)
            progress(f"{source}: {results[source][-1]}")
        await browser.close()
    return [
        figure(
            f"share_fps_{source}_1080p",
            [s[2] for s in samples],
            "fps",
            f"{_summary(samples)}; sender capped at 15 fps ideal, contentHint detail",
        )
        for source, samples in results.items()
    ]
