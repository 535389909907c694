"""Drop-in latency: mentee:join (mentor idle) -> both session:matched, and session:ended
lateness against ends_at, over fresh pairs on loopback."""

from __future__ import annotations

import time

from bench.harness import figure, server_process
from peer.client import MentorburstClient


def now_ms() -> float:
    return time.time_ns() / 1e6


async def run(runs: int = 20) -> list[str]:
    match_ms: list[float] = []
    lateness_ms: list[float] = []
    async with server_process("--session-seconds", "1", "--warn-at", "") as node:
        url = node.url
        for i in range(runs + 2):  # the first two warm up connections and scripts
            mentor, mentee = MentorburstClient(url), MentorburstClient(url)
            await mentor.login(f"mentor{i}")
            await mentee.login(f"mentee{i}")
            await mentor.connect()
            await mentee.connect()
            await mentor.must("mentor:online", {"skills": ["python"], "minutes": 30})
            start = time.perf_counter()
            await mentee.must("mentee:join", {"skill": "python", "question": "bench"})
            matched = await mentee.next("session:matched")
            await mentor.next("session:matched")
            elapsed = (time.perf_counter() - start) * 1000
            sid = matched["session_id"]
            await mentee.must("session:connected", {"session_id": sid})
            await mentor.must("session:connected", {"session_id": sid})
            started = await mentee.next("session:started")
            await mentee.next("session:ended", timeout=5)
            late = now_ms() - started["ends_at"]
            if i >= 2:
                match_ms.append(elapsed)
                lateness_ms.append(late)
            await mentor.close()
            await mentee.close()
    return [
        figure("dropin_match_latency", match_ms, "ms", "mentee:join -> both session:matched"),
        figure("dropin_end_lateness", lateness_ms, "ms", "session:ended received - ends_at"),
    ]
