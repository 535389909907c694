"""Who is connected, across tabs and nodes, and the grace before someone counts as gone.

Each socket is a member ``"<node>|<sid>"`` of the user's set. When the last one closes, a
``presence`` deadline is set ``connect_grace`` ahead in the same script; a reconnect on any node
removes it in the same script that registers the socket. When the deadline fires,
``presence_gone.lua`` checks for sockets and acts in one step, so a reconnect at the last moment
is never mistaken for a departure. Nodes heartbeat; sockets of a node that stopped heartbeating
are swept by the others, so a crashed node leaves no ghosts either. A user back within its grace
during a live drop-in call gets the time it was gone added to the call (a :class:`Credit`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from server.domain.calls.sessions import Ended
from server.protocol.errors import REDIS_OUTAGE, log_failure
from server.runtime.hooks import Hook
from server.runtime.loops import BackgroundLoop
from server.store import keys
from server.store.scripts import Lua

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5
BATCH = 500


@dataclass(frozen=True)
class Gone:
    """What the end of a user's grace changed: the follow-ups are the caller's."""

    user_id: str
    left_skill: str
    mentor_outcome: str
    mentor_skills: list[str]
    event_id: str
    ended_session: str
    ended: Ended | None

    @classmethod
    def from_reply(cls, user_id: str, reply: list[str]) -> Gone:
        skill, outcome, skills, event_id, sid, *ended = reply
        return cls(
            user_id,
            skill,
            outcome,
            [s for s in skills.split(",") if s],
            event_id,
            sid,
            Ended.from_reply(ended) if ended else None,
        )


@dataclass(frozen=True)
class Credit:
    """A drop given back: the call's new end and the milliseconds added."""

    session_id: str
    started_at: int
    ends_at: int
    credited_ms: int

    @classmethod
    def from_reply(cls, reply: list[Any]) -> list[Credit]:
        return [
            cls(str(reply[i]), int(reply[i + 1]), int(reply[i + 2]), int(reply[i + 3]))
            for i in range(0, len(reply), 4)
        ]


class Presence(BackgroundLoop):
    name = "presence"

    def __init__(self, redis: Redis, lua: Lua, node_id: str) -> None:
        self._redis = redis
        self._lua = lua
        self.node_id = node_id
        # A user's grace ran out and the script took them out of everything.
        self.gone: Hook[Gone] = Hook("presence.gone")
        # This node heartbeated (every HEARTBEAT_SECONDS).
        self.beat: Hook[None] = Hook("presence.beat")
        # A re-registered socket's call was credited with the time it was gone.
        self.credited: Hook[Credit] = Hook("presence.credited")
        # People in a call whose sockets changed: nodes drop their cached socket lists.
        self.moved: Hook[list[str]] = Hook("presence.moved")
        # This node's own sockets (sid -> user), so it can re-register them if it was swept.
        self._local: dict[str, str] = {}
        self._leaving: list[tuple[str, str]] = []  # (user, sid) closed, not yet settled
        self._settling: asyncio.Future[None] | None = None
        super().__init__()

    async def connected(self, user_id: str, sid: str) -> list[Credit]:
        """Register a socket; a user back within its grace may have a live call credited with
        the time it was gone: the caller tells both people (after catching the socket up)."""
        credited, in_call = await self._lua(
            self._lua.scripts.presence_connect, self.node_id, user_id, sid
        )
        self._local[sid] = user_id
        await self._moved(in_call)
        return Credit.from_reply(credited)

    async def _moved(self, users: list[str]) -> None:
        if users:
            await self.moved([str(u) for u in users])

    async def disconnected(self, user_id: str, sid: str) -> None:
        """Forget a closed socket; start the grace if it was the user's last. Disconnects that
        arrive together (a network blip drops thousands) are settled in shared batches of one
        script call each, retried until Redis takes them: a lost one would leave a ghost online."""
        self._local.pop(sid, None)
        self._leaving.append((user_id, sid))
        if self._settling is None or self._settling.done():
            self._settling = asyncio.ensure_future(self._settle_departures())
        await asyncio.shield(self._settling)

    async def _settle_departures(self) -> None:
        while self._leaving:
            batch, self._leaving = self._leaving[:BATCH], self._leaving[BATCH:]
            try:
                pairs = [part for user_id, sid in batch for part in (user_id, sid)]
                _, in_call = await self._lua(
                    self._lua.scripts.presence_disconnect, self.node_id, 0, *pairs
                )
                await self._moved(in_call)
            except Exception as exc:
                if self.stopping:
                    # This node is going away; the others sweep its sockets once it is stale.
                    log.warning("dropping %d disconnects at shutdown (%s)", len(batch), exc)
                    return
                log.warning("settling %d disconnects failed (%s); retrying", len(batch), exc)
                self._leaving = batch + self._leaving
                await asyncio.sleep(0.5)

    async def grace_over(self, user_id: str) -> None:
        """``Deadline.PRESENCE``: gone, unless a socket came back (checked in the same script)."""
        reply = await self._lua(self._lua.scripts.presence_gone, user_id, self.node_id)
        if reply is not None:
            await self.gone(Gone.from_reply(user_id, reply))

    async def heartbeat(self) -> None:
        reply = await self._lua(self._lua.scripts.presence_heartbeat, self.node_id)
        if int(reply[0]) and self._local:
            await self._reregister()  # we stalled long enough to be swept: we are still here
        for i in range(1, len(reply), 2):
            log.warning("node %s stopped heartbeating; swept %s users", reply[i], reply[i + 1])

    async def _reregister(self) -> None:
        log.warning(
            "node %s was swept while alive; re-registering %d sockets",
            self.node_id,
            len(self._local),
        )
        pairs = [part for sid, user_id in list(self._local.items()) for part in (user_id, sid)]
        for start in range(0, len(pairs), 2 * BATCH):
            credited, in_call = await self._lua(
                self._lua.scripts.presence_connect, self.node_id, *pairs[start : start + 2 * BATCH]
            )
            await self._moved(in_call)
            for credit in Credit.from_reply(credited):
                await self.credited(credit)

    def local_sockets(self) -> dict[str, str]:
        """This node's open sockets: sid -> user id."""
        return dict(self._local)

    async def socket_count(self, user_id: str) -> int:
        """Sockets of a user, on any node (test and audit helper)."""
        return int(await self._redis.scard(keys.sockets(user_id)))

    async def run(self) -> None:
        while not self.stopping:
            try:
                await self.heartbeat()
                await self.beat(None)
            except Exception as exc:
                log_failure(log, "presence heartbeat", exc)
            await self.pause(HEARTBEAT_SECONDS)

    async def stop(self, timeout: float = 5.0) -> None:
        """A clean shutdown hands this node's users to the grace logic at once."""
        await super().stop(timeout)
        pairs = [part for sid, user_id in list(self._local.items()) for part in (user_id, sid)]
        self._local.clear()
        try:
            await self._redis.zrem(keys.NODES, self.node_id)
            for start in range(0, len(pairs), 2 * BATCH):
                await self._lua(
                    self._lua.scripts.presence_disconnect,
                    self.node_id,
                    1,
                    *pairs[start : start + 2 * BATCH],
                )
            await self._redis.delete(keys.node_users(self.node_id))
        except REDIS_OUTAGE as exc:
            # The others sweep this node once its heartbeat is 20 s old, as after a crash.
            log.warning("stopping without Redis (%s): the other nodes will sweep us", exc)
