"""Every Prometheus metric this node records, in one place (names prefixed ``mentorburst_``).

Counters and histograms are bumped by one-line hooks at the edges (the Socket.IO dispatch, the
timer loop, the Redis connection, the pub/sub manager) and in a few domain spots. Gauges that
are cluster state (live sessions, waiting mentees, mentors online) are not kept here: they are
read from Redis when ``GET /metrics`` is scraped (``server/rest/metrics.py``).

With ``serve --workers N`` the parent sets ``PROMETHEUS_MULTIPROC_DIR`` before this module is
imported, so every worker writes its values to a shared folder and any worker's ``/metrics``
sums them all (prometheus-client's multi-process mode).
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# The *_created series would double the scrape for nothing a graph uses.
disable_created_metrics()  # type: ignore[no-untyped-call]
REGISTRY = CollectorRegistry(auto_describe=True)
# CPU seconds, memory, open files of this process (one process: with --workers each worker's
# would need its own series, which multi-process mode cannot merge, so it is left out there).
if not os.environ.get(MULTIPROC_ENV):
    ProcessCollector(namespace="mentorburst", registry=REGISTRY)

SOCKETS = Gauge(
    "mentorburst_sockets_connected",
    "Authenticated Socket.IO connections held by this node.",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
MATCHES = Counter(
    "mentorburst_matches",
    "Drop-in matches announced (a mentee and a mentor put in one session).",
    registry=REGISTRY,
)
MATCH_LATENCY = Histogram(
    "mentorburst_match_latency_seconds",
    "mentee:join -> session:matched, from the ticket's join time to the match.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
    registry=REGISTRY,
)
SESSION_ENDS = Counter(
    "mentorburst_session_ends",
    "Sessions ended, by reason (time_up, left, disconnected, declined, no_connection, ...).",
    ["reason"],
    registry=REGISTRY,
)
NO_SHOWS = Counter(
    "mentorburst_no_shows",
    "People named in a session:ended no_show list (they never did their part).",
    registry=REGISTRY,
)
EVENTS = Counter(
    "mentorburst_socket_events",
    "Client events handled, by event and result (ok or the error code).",
    ["event", "result"],
    registry=REGISTRY,
)
EVENT_SECONDS = Histogram(
    "mentorburst_socket_event_seconds",
    "Time to handle a client event, receipt to ack; for `signal` this is the relay latency.",
    ["event"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
    registry=REGISTRY,
)
DEADLINE_LATENESS = Histogram(
    "mentorburst_deadline_lateness_seconds",
    "How late a deadline fired (claimed - due), by kind (end, warn, connect, presence, ...).",
    ["kind"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
REDIS_ERRORS = Counter(
    "mentorburst_redis_errors",
    "Redis connection failures seen by this node (refused, reset, timed out).",
    registry=REGISTRY,
)
PUBSUB_MESSAGES = Counter(
    "mentorburst_pubsub_messages",
    "Messages this node read from the Socket.IO pub/sub channel (every node reads every one).",
    registry=REGISTRY,
)
RECONCILER_REPAIRS = Counter(
    "mentorburst_reconciler_repairs",
    "Inconsistencies the reconciler found and repaired, by kind.",
    ["kind"],
    registry=REGISTRY,
)
RECONCILER_PASSES = Counter(
    "mentorburst_reconciler_passes",
    "Audit and repair passes this node's reconciler made (one node at a time holds the lock).",
    registry=REGISTRY,
)
AUDIT_VIOLATIONS = Counter(
    "mentorburst_audit_violations",
    "Violations the reconciler's audits found, by kind (each then repaired, or gone already).",
    ["kind"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "mentorburst_rate_limited",
    "Requests refused with rate_limited, by action.",
    ["action"],
    registry=REGISTRY,
)


def matched(joined_at_ms: int | None, matched_at_ms: int) -> None:
    """A drop-in match was announced; ``joined_at_ms`` is the ticket's, when it had one."""
    MATCHES.inc()
    if joined_at_ms:
        MATCH_LATENCY.observe(max(0, matched_at_ms - joined_at_ms) / 1000)


def session_ended(reason: str | None, no_shows: int) -> None:
    """A session ended (counted once per session): its reason and how many did not show."""
    SESSION_ENDS.labels(reason or "unknown").inc()
    if no_shows:
        NO_SHOWS.inc(no_shows)


def deadline_fired(kind: str, late_ms: float) -> None:
    """A deadline was claimed ``late_ms`` after it was due (a re-claimed lease counts again)."""
    DEADLINE_LATENESS.labels(kind).observe(max(0.0, late_ms) / 1000)


def handled(event: str, ack: Any, seconds: float) -> None:
    """One client event and its ack, at the Socket.IO edge."""
    result = "ok"
    if isinstance(ack, dict) and not ack.get("ok"):
        result = str((ack.get("error") or {}).get("code", "error"))
    EVENTS.labels(event, result).inc()
    EVENT_SECONDS.labels(event).observe(seconds)


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def exposition() -> bytes:
    """This node's counters and histograms: every worker's, summed, under ``--workers``."""
    folder = multiprocess_dir()
    if folder is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, folder)  # type: ignore[no-untyped-call]
    return generate_latest(registry)
