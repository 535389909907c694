"""How one machine scales out, for docs/capacity.md.

``workers``: the ``match`` drain and the ``signal_rtt`` peak against ``serve --workers 1`` and
``serve --workers 2`` on one Redis, in the same run.

``fanout``: python-socketio's Redis manager publishes every cross-node event on one channel and
every node reads every message, whether or not it holds the addressee. A write-only manager
publishes events addressed to a room nobody is in at a fixed rate; we read the CPU each worker
and Redis spend per published message with 1, 2 and 4 workers subscribed. That per-node cost,
times the cluster's publish rate, is what each node pays before doing any work of its own.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import socketio
from redis.asyncio import Redis

from bench import matching, signal_rtt
from bench.harness import bench_redis, figure, progress, server_process, skills_file, usage


def worker_pids(parent: int) -> list[int]:
    """The worker processes of ``serve --workers N`` (the parent only supervises); with one
    worker, ``serve`` is the node itself."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(p) for p in children] or [parent]


async def redis_cpu(url: str) -> float:
    redis = Redis.from_url(url)
    try:
        info = await redis.info("cpu")
    finally:
        await redis.aclose()
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def run_workers(quick: bool = False, out: str | None = None) -> list[str]:
    scale = matching.QUICK if quick else matching.Scale(repeats=2)
    scale = matching.Scale(**{**scale.__dict__, "rates": ()})
    relay = signal_rtt.QUICK if quick else signal_rtt.Scale()
    relay = signal_rtt.Scale(**{**relay.__dict__, "rates": ()})
    drains: dict[int, list[float]] = {}
    peaks: dict[int, list[float]] = {}
    redis_per_match: dict[int, float] = {}
    redis_per_signal: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="mb-workers-") as scratch:
        catalog, slugs = skills_file(scratch, scale.skills)
        async with bench_redis() as redis_url:
            for workers in (1, 2):
                flags = ("--workers", str(workers), "--skills-file", catalog)
                async with server_process(*flags, redis_url=redis_url) as node:
                    cpu = await redis_cpu(redis_url)
                    drains[workers], _ = await matching.run_end_to_end(
                        [node.url], scale, slugs, redis_url
                    )
                    matches = scale.mentees * (scale.repeats + 1)
                    redis_per_match[workers] = (await redis_cpu(redis_url) - cpu) / matches * 1e6
                await matching.flush(redis_url)
                flags = ("--workers", str(workers), "--connect-grace-seconds", "3600")
                async with server_process(*flags, redis_url=redis_url) as node:
                    cpu = await redis_cpu(redis_url)
                    _, peaks[workers] = await signal_rtt.measure(
                        signal_rtt.RelayWorker, node.url, relay
                    )
                    # Relays: each peak's count plus its ramp-up second at the same rate, and
                    # the warm-up's one per session (session setup is a few % on top).
                    relays = sum(peaks[workers]) * (relay.peak_seconds + 1) + relay.sessions
                    redis_per_signal[workers] = (await redis_cpu(redis_url) - cpu) / relays * 1e6
                await matching.flush(redis_url)
                progress(
                    f"--workers {workers}: drain {drains[workers]}, peak {peaks[workers]}; Redis "
                    f"CPU {redis_per_match[workers]:.0f} µs/match (incl. set-up), "
                    f"~{redis_per_signal[workers]:.1f} µs/relayed signal"
                )
    return [
        figure(
            "workers2_match_throughput",
            drains[2],
            "matches/s",
            f"match drain, {scale.mentees} mentees / {scale.mentors} mentors, serve --workers 2; "
            f"Redis CPU {redis_per_match[2]:.0f} µs/match (1 worker: {redis_per_match[1]:.0f})",
            baseline=drains[1],
            baseline_label="--workers 1",
        ),
        figure(
            "workers2_signal_peak",
            peaks[2],
            "msgs/s",
            f"signal relay peak, {relay.sessions} sessions, serve --workers 2; Redis CPU "
            f"~{redis_per_signal[2]:.1f} µs/signal (1 worker: {redis_per_signal[1]:.1f})",
            baseline=peaks[1],
            baseline_label="--workers 1",
        ),
    ]


async def publish(url: str, rate: float, seconds: float) -> int:
    """Events to a room nobody is in, as a node emitting to a user on another node does."""
    manager = socketio.AsyncRedisManager(url, channel="mentorburst", write_only=True)
    payload = {"session_id": "s_bench", "type": "candidate", "data": {"candidate": "x" * 160}}
    sent = 0
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        due = start + sent / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await manager.emit("signal", payload, room="user:u_nobody", namespace="/")
        sent += 1
    await manager.redis.aclose()
    return sent


async def run_fanout(quick: bool = False, out: str | None = None) -> list[str]:
    rate, seconds = (500.0, 2.0) if quick else (2000.0, 10.0)
    per_worker: dict[int, list[float]] = {}
    redis_per_message: dict[int, list[float]] = {}
    async with bench_redis() as redis_url:
        for workers in (1, 2, 4):
            async with server_process("--workers", str(workers), redis_url=redis_url) as node:
                await asyncio.sleep(1)
                pids = worker_pids(node.process.pid)
                before = [usage(pid).cpu_s for pid in pids]
                redis_before = await redis_cpu(redis_url)
                sent = await publish(redis_url, rate, seconds)
                await asyncio.sleep(0.5)  # let the last messages be read
                after = [usage(pid).cpu_s for pid in pids]
                redis_after = await redis_cpu(redis_url)
                idle_before = [usage(pid).cpu_s for pid in pids]
                await asyncio.sleep(seconds)
                idle_after = [usage(pid).cpu_s for pid in pids]
            # Each worker's CPU per message, minus what it burns idle over the same time.
            costs = [
                ((a - b) - (ia - ib)) / sent * 1e6
                for a, b, ia, ib in zip(after, before, idle_after, idle_before, strict=True)
            ]
            per_worker[workers] = costs
            redis_per_message[workers] = [(redis_after - redis_before) / sent * 1e6]
            progress(
                f"{workers} workers: {sent} messages at {rate:.0f}/s; per worker "
                f"{', '.join(f'{c:.1f}' for c in costs)} µs/message; Redis "
                f"{redis_per_message[workers][0]:.1f} µs/message"
            )
    lines = []
    for workers in (1, 2, 4):
        lines.append(
            figure(
                f"pubsub_fanout_cpu@{workers}",
                per_worker[workers],
                "µs/message",
                f"CPU each of {workers} worker(s) spends per published event it does not deliver; "
                f"Redis {redis_per_message[workers][0]:.1f} µs/message",
                baseline=per_worker[1] if workers > 1 else None,
                baseline_label="1 worker",
            )
        )
    return lines
