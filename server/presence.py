"""Who is connected, across tabs and nodes, and the grace before someone counts as gone.

Each socket is a member ``"<node>|<sid>"`` of the user's set. When the last one closes, a
``presence`` deadline is set ``connect_grace`` ahead; a reconnect on any node cancels it. Nodes
heartbeat; sockets of a node that stopped heartbeating are swept by the others, so a crashed
node leaves no ghosts either.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from server import keys
from server.clock import Clock
from server.timer import Timers
from server.worker import Worker

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5
STALE_MS = 20_000
BATCH = 500


class Presence(Worker):
    name = "presence"

    def __init__(
        self,
        redis: Redis,
        timers: Timers,
        clock: Clock,
        node_id: str,
        grace_ms: int,
        on_gone: Callable[[str], Awaitable[None]],
    ) -> None:
        self._redis = redis
        self._timers = timers
        self._clock = clock
        self.node_id = node_id
        self._grace_ms = grace_ms
        self._on_gone = on_gone
        # This node's own sockets (sid -> user), so it can re-register them if it was swept.
        self._local: dict[str, str] = {}
        self._leaving: list[tuple[str, str]] = []  # (user, sid) closed, not yet settled
        self._settling: asyncio.Future[None] | None = None
        super().__init__()
        timers.on("presence", self._grace_over)

    async def connected(self, user_id: str, sid: str) -> None:
        self._local[sid] = user_id
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.sadd(keys.sockets(user_id), f"{self.node_id}|{sid}")
            pipe.sadd(keys.node_users(self.node_id), user_id)
            await pipe.execute()
        await self._timers.cancel("presence", user_id)

    async def disconnected(self, user_id: str, sid: str) -> None:
        """Forget a closed socket; start the grace if it was the user's last. Disconnects that
        arrive together (a network blip drops thousands) are settled in shared batches of a few
        round trips, retried until Redis takes them: a lost one would leave a ghost online."""
        self._local.pop(sid, None)
        self._leaving.append((user_id, sid))
        if self._settling is None or self._settling.done():
            self._settling = asyncio.ensure_future(self._settle_departures())
        await asyncio.shield(self._settling)

    async def _settle_departures(self) -> None:
        while self._leaving:
            batch, self._leaving = self._leaving[:BATCH], self._leaving[BATCH:]
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for user_id, sid in batch:
                        pipe.srem(keys.sockets(user_id), f"{self.node_id}|{sid}")
                    await pipe.execute()
                users = list(dict.fromkeys(user_id for user_id, _ in batch))
                counts = await self.socket_counts(users)
                due = self._clock.now_ms() + self._grace_ms
                await self._timers.schedule_many(
                    [("presence", u, due) for u in users if counts[u] == 0]
                )
            except Exception:
                log.exception("settling %d disconnects failed; retrying", len(batch))
                self._leaving = batch + self._leaving
                await asyncio.sleep(0.5)

    async def socket_count(self, user_id: str) -> int:
        return (await self.socket_counts([user_id]))[user_id]

    async def socket_counts(self, user_ids: list[str]) -> dict[str, int]:
        """Live sockets per user, on nodes still heartbeating, in two round trips."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.smembers(keys.sockets(user_id))
            members = dict(zip(user_ids, await pipe.execute(), strict=True))
        nodes = {m.split("|", 1)[0] for found in members.values() for m in found}
        alive = await self._alive_nodes(nodes) if nodes else set()
        return {
            u: sum(1 for m in found if m.split("|", 1)[0] in alive) for u, found in members.items()
        }

    async def _alive_nodes(self, nodes: set[str]) -> set[str]:
        cutoff = self._clock.now_ms() - STALE_MS
        ordered = sorted(nodes)
        scores = await self._redis.zmscore(keys.NODES, ordered)
        return {
            n
            for n, s in zip(ordered, scores, strict=True)
            if n == self.node_id or (s and s >= cutoff)
        }

    async def _grace_over(self, user_id: str) -> None:
        if await self.socket_count(user_id) == 0:
            await self._on_gone(user_id)

    async def heartbeat(self) -> None:
        now = self._clock.now_ms()
        if await self._redis.zadd(keys.NODES, {self.node_id: now}) and self._local:
            await self._reregister()  # we stalled long enough to be swept: we are still here
        for stale in await self._redis.zrangebyscore(keys.NODES, "-inf", now - STALE_MS):
            # ZREM decides which surviving node sweeps the dead one.
            if stale != self.node_id and await self._redis.zrem(keys.NODES, stale):
                await self._sweep(stale)

    async def _reregister(self) -> None:
        log.warning(
            "node %s was swept while alive; re-registering %d sockets",
            self.node_id,
            len(self._local),
        )
        for sid, user_id in list(self._local.items()):
            await self.connected(user_id, sid)

    async def _sweep(self, node: str) -> None:
        users = [u for u in await self._redis.smembers(keys.node_users(node))]
        if node != self.node_id:
            log.warning("node %s stopped heartbeating; sweeping %d users", node, len(users))
        for user_id in users:
            for member in await self._redis.smembers(keys.sockets(user_id)):
                if member.startswith(node + "|"):
                    await self._redis.srem(keys.sockets(user_id), member)
            if await self.socket_count(user_id) == 0:
                await self._timers.schedule(
                    "presence", user_id, self._clock.now_ms() + self._grace_ms
                )
        await self._redis.delete(keys.node_users(node))

    async def run(self) -> None:
        while not self.stopping:
            try:
                await self.heartbeat()
            except Exception:
                log.exception("presence heartbeat failed")
            await self.pause(HEARTBEAT_SECONDS)

    async def stop(self, timeout: float = 5.0) -> None:
        """A clean shutdown hands this node's users to the grace logic at once."""
        await super().stop(timeout)
        await self._redis.zrem(keys.NODES, self.node_id)
        await self._sweep(self.node_id)
