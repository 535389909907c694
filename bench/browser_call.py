"""Browser call setup: click "Join" (mentor idle) -> first decoded remote frame in Chromium,
beside a bare loopback RTCPeerConnection pair in the same browser, measured in the same run."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

from bench.harness import CHROMIUM, CHROMIUM_ARGS, FAKE_MEDIA, figure, server_process

ARGS = CHROMIUM_ARGS + FAKE_MEDIA

# Resolves with ms from now until the first frame is presented on #remote-video.
FIRST_FRAME = """() => new Promise((resolve) => {
  const video = document.querySelector('#remote-video');
  const t0 = performance.now();
  video.requestVideoFrameCallback(() => resolve(performance.now() - t0));
  document.querySelector('#join-button').click();
})"""

# The camera runs half a second before the clock starts, as both people's cameras in the app do
# (the pre-join preview): a camera opened at t0 made this baseline bimodal (about 95 or 142 ms,
# the median flipping between runs).
BARE_PAIR = """async () => {
  const stream = await navigator.mediaDevices.getUserMedia({video: {width: 640, height: 480}, audio: true});
  await new Promise((resolve) => setTimeout(resolve, 500));
  const t0 = performance.now();
  const a = new RTCPeerConnection({iceServers: []});
  const b = new RTCPeerConnection({iceServers: []});
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  const video = document.createElement('video');
  video.muted = true; video.autoplay = true; document.body.append(video);
  const first = new Promise((resolve) => video.requestVideoFrameCallback(() => resolve(performance.now() - t0)));
  b.ontrack = (e) => { video.srcObject = e.streams[0]; };
  stream.getTracks().forEach((t) => a.addTrack(t, stream));
  await a.setLocalDescription(); await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(); await a.setRemoteDescription(b.localDescription);
  const ms = await first;
  a.close(); b.close(); video.remove(); stream.getTracks().forEach((t) => t.stop());
  return ms;
}"""


async def _signed_in(browser: Browser, url: str, name: str, role: str) -> Page:
    page = await (await browser.new_context()).new_page()
    await page.goto(url)
    await page.fill("#login-name", name)
    await page.click(f"button[value={role}]")
    await page.wait_for_selector("#view-setup:not([hidden])")
    return page


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


async def run(runs: int = 10) -> list[str]:
    if not chromium_available():
        print("browser_call: skipped, no /usr/bin/chromium")
        return []
    flags = (
        "--session-seconds",
        "60",
        "--mentor-cooldown-seconds",
        "0",
        "--connect-grace-seconds",
        "30",
    )
    join_ms: list[float] = []
    bare_ms: list[float] = []
    async with server_process(*flags) as node, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        mentor = await _signed_in(browser, node.url, "Bench mentor", "mentor")
        # The mentor takes calls at once: reading the question first is a person's pause, not
        # the call setup this measures.
        await mentor.check("#auto-take")
        await mentor.click("#mentor-skills label:has-text('Python')")
        await mentor.click("#online-button")
        await mentor.wait_for_selector("#view-mentor:not([hidden])")
        for i in range(runs + 1):  # the first run warms up the browser's media stack
            mentee = await _signed_in(browser, node.url, f"Bench mentee {i}", "mentee")
            await mentee.click("#mentee-skills label:has-text('Python')")
            await mentee.fill("#question", "How long does it take to connect?")
            await mentor.wait_for_function(
                "() => document.querySelector('#burst-state').textContent.startsWith('Waiting')"
            )
            # A person reads their question before clicking Join; the debounced skill suggestion
            # that typing triggers (an embedding on the server) is over by then.
            await mentee.wait_for_timeout(1500)
            elapsed = float(await mentee.evaluate(FIRST_FRAME))
            await mentee.click("#hangup")
            await mentee.click("#hangup-yes")
            await mentee.wait_for_selector("#view-rating:not([hidden])")
            # The baseline in the same page once its call has ended: a live call beside it
            # loaded the browser and made the floor look slower than it is.
            bare = float(await mentee.evaluate(BARE_PAIR))
            if i:
                join_ms.append(elapsed)
                bare_ms.append(bare)
            await mentee.context.close()
        await browser.close()
    return [
        figure(
            "browser_join_to_first_frame",
            join_ms,
            "ms",
            "click Join -> first remote frame",
            baseline=bare_ms,
            baseline_label="bare RTCPeerConnection pair in one page",
        ),
        figure(
            "browser_bare_pair_first_frame",
            bare_ms,
            "ms",
            "two RTCPeerConnections in one page, loopback",
        ),
    ]
