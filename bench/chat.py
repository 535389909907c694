"""chat: in-call chat delivery, sender's ``chat:send`` -> the partner's ``chat:message``, over many
live sessions at once, against the ``signal`` relay carrying a payload of the same size through
the same server build in the same run.

Each session's mentee sends a pasted traceback in a code fence (about 400 characters) ``rate``
times a second, staggered across sessions; the mentor's receipt is timed. A chat message costs
more than a relayed signal by design: a Lua step that checks the session and appends the message
to the session's list (the record), and delivery to every socket of both people through the
Socket.IO Redis pub/sub (the signal relay delivers straight to the peer's sockets when this node
holds them).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

from bench.fleet import Fleet
from bench.harness import figure, progress, server_process
from bench.signal_rtt import RelayWorker
from bench.wire import WireClient

PASTE = (
    "It stalls here:\n```python\nTraceback (most recent call last):\n"
    '  File "/srv/app/service.py", line 88, in handle\n    payload = json.loads(await request.read())\n'
    '  File "/usr/lib/python3.11/json/__init__.py", line 346, in loads\n'
    "    return _default_decoder.decode(s)\nKeyboardInterrupt\n```\n"
    "see https://docs.python.org/3/library/asyncio-dev.html#debug-mode"
)


@dataclass
class Scale:
    sessions: int = 500
    rates: tuple[float, ...] = (1,)
    seconds: float = 10
    workers: int = 2


QUICK = Scale(sessions=20, rates=(1,), seconds=2, workers=1)


def text(sent_at: float) -> str:
    return f"{sent_at!r} {PASTE}"


class ChatWorker(RelayWorker):
    """The same live sessions as the signal relay's, talking in the chat instead."""

    def _on_event(self, client: WireClient, event: str, data: Any, at: float) -> None:
        if event != "chat:message":
            super()._on_event(client, event, data, at)
        elif data["from"] != client.user_id:  # the partner's copy (the sender gets one too)
            self.counters.arrived(float(data["text"].split(" ", 1)[0]), at)

    async def send(self, sender: Any) -> None:
        await sender.emit("chat:send", {"session_id": sender.tag, "text": text(time.monotonic())})


class SameSizeSignalWorker(RelayWorker):
    """The baseline: ``signal`` relays whose data is as large as a chat message."""

    async def send(self, sender: Any) -> None:
        now = time.monotonic()
        data = {"candidate": PASTE, "sdpMid": "0", "sdpMLineIndex": 0, "t": now}
        await sender.emit("signal", {"session_id": sender.tag, "type": "candidate", "data": data})


async def measure(worker: type, url: str, scale: Scale) -> dict[float, list[float]]:
    """rate -> latencies (ms) of the paced load, after a warm-up second."""
    by_rate: dict[float, list[float]] = {}
    async with Fleet(scale.workers, worker, url=url, scale=scale, skill="python") as fleet:
        await fleet.ask("setup")
        await fleet.ask("paced", rate=1, seconds=1)
        for rate in scale.rates:
            replies = await fleet.ask("paced", rate=rate, seconds=scale.seconds)
            by_rate[rate] = [ms for reply in replies for ms in reply]
            progress(f"{worker.__name__} {rate:g}/s: p50 {statistics.median(by_rate[rate]):.2f} ms")
    return by_rate


async def run(quick: bool = False, out: str | None = None) -> list[str]:
    scale = QUICK if quick else Scale()
    async with server_process("--connect-grace-seconds", "3600") as node:
        signal_rates = await measure(SameSizeSignalWorker, node.url, scale)
    async with server_process("--connect-grace-seconds", "3600") as node:
        chat_rates = await measure(ChatWorker, node.url, scale)
    return [
        figure(
            f"chat_latency@{rate:g}/s",
            chat_rates[rate],
            "ms",
            f"{scale.sessions} live sessions, each sending a {len(text(0.0))}-char message "
            f"{rate:g}/s; chat:send -> partner's chat:message",
            baseline=signal_rates[rate],
            baseline_label="signal relay of the same size",
        )
        for rate in scale.rates
    ]
