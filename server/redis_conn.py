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

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import socketio
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import Connection
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool, SentinelManagedConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server import metrics

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


def redis_pool(url: str, **options: Any) -> BlockingConnectionPool:
    """A burst of requests waits for a free connection instead of failing with 'Too many
    connections' (redis-py's default pool caps at 100 and raises at once)."""
    target = parse_sentinel_url(url)
    sizing: dict[str, Any] = {"max_connections": POOL_SIZE, "timeout": POOL_WAIT_SECONDS}
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


class RedisPubSubManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    """python-socketio's Redis manager on the same pools, so Sentinel URLs work for it too, and
    with a short, capped retry: its own backoff doubles to 60 s, which would leave this node deaf
    to other nodes' events for many seconds after a primary failover."""

    RETRY_FIRST_SECONDS = 0.1
    RETRY_MAX_SECONDS = 2.0

    def _redis_connect(self) -> None:
        self.redis = Redis(connection_pool=redis_pool(self.redis_url))
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.connected = True

    async def _redis_listen_with_retries(self) -> Any:
        delay = self.RETRY_FIRST_SECONDS
        subscribed = False
        while True:
            try:
                if not subscribed:
                    await self._close_client()
                    self._redis_connect()
                    await self.pubsub.subscribe(self.channel)
                    subscribed = True
                    delay = self.RETRY_FIRST_SECONDS
                async for message in self.pubsub.listen():
                    yield message
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("pub/sub: Redis unreachable (%s); resubscribing in %.1f s", exc, delay)
                subscribed = False
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.RETRY_MAX_SECONDS)

    async def _listen(self) -> Any:
        async for data in super()._listen():
            metrics.PUBSUB_MESSAGES.inc()
            yield data

    async def _close_client(self) -> None:
        """Drop the broken client's pool; a publish racing on it retries on the new one."""
        old, self.redis = self.redis, None
        if old is not None:
            with contextlib.suppress(Exception):
                await old.aclose()
