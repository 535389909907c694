"""How this node reaches Redis: one plain server (``redis://``, ``rediss://``, ``unix://``) or a
primary found through Redis Sentinel (``redis+sentinel://``), for our own client and for
python-socketio's pub/sub manager alike.

A Sentinel URL names the sentinels, the database and the primary's service name, in the form
python-socketio also reads::

    redis+sentinel://[:password@]host1:26379,host2:26379,host3:26379/0/mymaster

The password (if any) is the data nodes' ``requirepass``; the sentinels themselves are asked
without one. After a failover the sentinel-managed pool asks the sentinels again on its next
connect, so the client follows the new primary without a restart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import Connection
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool, SentinelManagedConnection
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.runtime import metrics

log = logging.getLogger(__name__)

POOL_SIZE = 64
POOL_WAIT_SECONDS = 10
SENTINEL_SCHEMES = ("redis+sentinel", "rediss+sentinel")


@dataclass(frozen=True)
class SentinelTarget:
    sentinels: list[tuple[str, int]]
    service: str
    db: int = 0
    password: str | None = field(default=None, repr=False)
    username: str | None = None
    ssl: bool = False


def parse_sentinel_url(url: str) -> SentinelTarget | None:
    """The sentinels, db and service of a ``redis+sentinel://`` URL; None for any other URL."""
    parts = urlsplit(url)
    if parts.scheme not in SENTINEL_SCHEMES:
        return None
    userinfo, _, hosts = parts.netloc.rpartition("@")
    username, _, password = userinfo.partition(":")
    sentinels = []
    for host in hosts.split(","):
        name, _, port = host.strip().rpartition(":")
        if not name:
            name, port = port, "26379"
        sentinels.append((name.strip("[]"), int(port)))
    path = [part for part in parts.path.split("/") if part]
    if len(path) != 2 or not path[0].isdigit():
        raise ValueError(
            "a Sentinel URL ends in /<db>/<service>, e.g. redis+sentinel://h1:26379,h2:26379/0/mymaster"
        )
    return SentinelTarget(
        sentinels=sentinels,
        service=path[1],
        db=int(path[0]),
        password=unquote(password) or None,
        username=unquote(username) or None,
        ssl=parts.scheme.startswith("rediss"),
    )


class _CountsErrors:
    """Counts the connection-level failures (refused, reset, timed out) that an operator graphs
    as ``mentorburst_redis_errors_total``; script and command errors are ours, not Redis's."""

    async def connect(self) -> None:
        try:
            await super().connect()  # type: ignore[misc]
        except (RedisConnectionError, RedisTimeoutError, OSError):
            metrics.REDIS_ERRORS.inc()
            raise

    async def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().read_response(*args, **kwargs)  # type: ignore[misc]
        except (RedisConnectionError, RedisTimeoutError, OSError):
            metrics.REDIS_ERRORS.inc()
            raise


class CountingConnection(_CountsErrors, Connection):  # type: ignore[misc]
    pass


class CountingSentinelConnection(_CountsErrors, SentinelManagedConnection):  # type: ignore[misc]
    pass


class BlockingSentinelPool(SentinelConnectionPool, BlockingConnectionPool):  # type: ignore[misc]
    """A sentinel-managed pool that waits for a free connection, as our plain pool does."""


def redis_pool(url: str, *, pubsub: bool = False, **options: Any) -> BlockingConnectionPool:
    """A burst of requests waits for a free connection instead of failing with
    'Too many connections' (redis-py's default pool caps at 100 and raises at once).

    After Redis restarts (or fails over), pooled connections are dead: a command that meets one
    reconnects and is retried (a refused or closed connection never ran it), so the first
    request after an outage succeeds. While Redis is away, commands fail within a few hundred
    milliseconds and callers answer ``unavailable``. A pub/sub connection blocks in reads for as
    long as nothing is published, so only ordinary connections get a read timeout."""
    target = parse_sentinel_url(url)
    sizing: dict[str, Any] = {
        "max_connections": POOL_SIZE,
        "timeout": POOL_WAIT_SECONDS,
        "socket_connect_timeout": 2,
        "socket_timeout": None if pubsub else 10,
        "socket_keepalive": True,
        "health_check_interval": 30,
        "retry": Retry(ExponentialBackoff(cap=0.2, base=0.02), 2),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
    }
    if target is None:
        if urlsplit(url).scheme in ("redis", "rediss"):
            options.setdefault("connection_class", CountingConnection)
        return BlockingConnectionPool.from_url(url, **sizing, **options)
    sentinel = Sentinel(target.sentinels, socket_timeout=1.0, ssl=target.ssl)
    pool = BlockingSentinelPool(
        target.service,
        sentinel,
        connection_class=CountingSentinelConnection,
        db=target.db,
        password=target.password,
        username=target.username,
        **sizing,
        **options,
    )
    return pool


def connect(url: str, **options: Any) -> Redis:
    """Our client: replies decoded to ``str``, on the shared-size blocking pool."""
    return Redis(connection_pool=redis_pool(url, decode_responses=True, **options))


def pubsub_client(url: str) -> Redis:
    """python-socketio's manager: bytes replies, no read timeout (``server/transport/sio.py``)."""
    return Redis(connection_pool=redis_pool(url, pubsub=True))
