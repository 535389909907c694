"""``GET /metrics``: this node's counters (``server/runtime/metrics.py``) plus the cluster's state read
from Redis at scrape time, so no domain code keeps a gauge in step.

The state gauges are the same on every node (they describe the shared Redis); a dashboard takes
``max()`` of them across instances rather than a sum. Reading them costs a round trip per 100
skills and a scan of the deadline set (a few milliseconds at 100,000 deadlines),
so one scrape per node every 15 s (Prometheus's default) is nothing Redis notices.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from redis.asyncio import Redis
from redis.exceptions import RedisError

from server.protocol.errors import Forbidden, Unauthorized
from server.rest.requests import services as node_services
from server.runtime import metrics
from server.store import keys

SCAN_COUNT = 2000
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class ClusterState:
    """What Redis says right now, across every node."""

    waiting: dict[str, int] = field(default_factory=dict)
    mentors_online: dict[str, int] = field(default_factory=dict)
    mentors_idle: dict[str, int] = field(default_factory=dict)
    sessions: dict[str, int] = field(default_factory=dict)
    nodes: int = 0


async def read_state(redis: Redis, skills: list[str]) -> ClusterState:
    """Per-skill queue and mentor counts in one pipeline; sessions by their pending deadlines:
    a matched session has a ``connect`` deadline until media flows, a live one an ``end``."""
    state = ClusterState()
    async with redis.pipeline(transaction=False) as pipe:
        for skill in skills:
            pipe.zcard(keys.queue(skill))
            pipe.scard(keys.online(skill))
            pipe.zcard(keys.idle(skill))
        pipe.zcard(keys.NODES)
        replies = await pipe.execute()
    for i, skill in enumerate(skills):
        waiting, online, idle = replies[3 * i : 3 * i + 3]
        state.waiting[skill] = int(waiting)
        state.mentors_online[skill] = int(online)
        state.mentors_idle[skill] = int(idle)
    state.nodes = int(replies[-1])
    counts = {"matched": 0, "live": 0}
    kinds = {"connect": "matched", "end": "live"}
    async for member, _score in redis.zscan_iter(keys.TIMERS, count=SCAN_COUNT):
        kind = kinds.get(member.partition("|")[0])
        if kind:
            counts[kind] += 1
    state.sessions = counts
    return state


class _StateCollector(Collector):
    def __init__(self, state: ClusterState) -> None:
        self._state = state

    def collect(self) -> Iterator[GaugeMetricFamily]:
        s = self._state
        yield GaugeMetricFamily(
            "mentorburst_live_sessions",
            "Live sessions (countdown running) across the cluster.",
            value=s.sessions.get("live", 0),
        )
        yield GaugeMetricFamily(
            "mentorburst_matched_sessions",
            "Sessions matched and waiting for media (the connect grace) across the cluster.",
            value=s.sessions.get("matched", 0),
        )
        busy = GaugeMetricFamily(
            "mentorburst_mentors_busy",
            "Mentors in a session (matched or live) across the cluster: one per session.",
            value=sum(s.sessions.values()),
        )
        yield busy
        for name, doc, values in (
            ("mentorburst_waiting_mentees", "Mentees waiting in a skill's queue.", s.waiting),
            (
                "mentorburst_mentors_online",
                "Mentors online in a skill (idle, busy or cooling down).",
                s.mentors_online,
            ),
            ("mentorburst_mentors_idle", "Mentors idle and matchable in a skill.", s.mentors_idle),
        ):
            family = GaugeMetricFamily(name, doc, labels=["skill"])
            for skill, count in values.items():
                family.add_metric([skill], count)
            yield family
        yield GaugeMetricFamily(
            "mentorburst_nodes", "Server nodes heartbeating into this Redis.", value=s.nodes
        )


# Headers a reverse proxy adds: a request carrying one came through a proxy, so a loopback peer
# says nothing about who asked (nginx on this machine, run without --trusted-proxies).
PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def _loopback(request: web.Request) -> bool:
    if any(header in request.headers for header in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


def check_access(request: web.Request, token: str | None) -> None:
    """Per-skill queues and live sessions are the operator's business: loopback clients (a
    Prometheus or an agent on this machine) are served; anyone else needs ``--metrics-token``."""
    if token is not None:
        sent = request.headers.get("Authorization", "")
        if hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return
    if _loopback(request):
        return
    if token is None:
        raise Forbidden(
            "Metrics are served to this machine only; set --metrics-token to scrape from "
            "elsewhere.",
            code="metrics_forbidden",
        )
    raise Unauthorized("Send the metrics token as 'Authorization: Bearer <token>'.")


async def metrics_endpoint(request: web.Request) -> web.Response:
    """Prometheus text exposition; the state part is left out (not an error) while Redis is down,
    so counters such as ``mentorburst_redis_errors_total`` stay visible during an outage."""
    services = node_services(request)
    check_access(request, services.config.metrics_token)
    body = metrics.exposition()
    try:
        state = await read_state(services.redis, services.catalog.slugs)
    except (RedisError, OSError):
        state = None
    if state is not None:
        registry = CollectorRegistry()
        registry.register(_StateCollector(state))
        body += generate_latest(registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/metrics", metrics_endpoint)
