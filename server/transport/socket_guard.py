"""Sockets live only as long as their login: a socket whose token expires is told so and closed
by its node; a revocation closes every socket of the user on every node.

Expiry needs no Redis: each node keeps its own sockets' expiry times in a heap and checks it every
second. ``auth:renew`` (a fresh token sent over a socket) moves that socket's expiry on.
Revocation goes through the notifier (python-socketio's Redis manager underneath), which reaches
sockets on other nodes: each hears ``error`` with the reason, then closes.
"""

from __future__ import annotations

import asyncio
import heapq
import logging

from redis.asyncio import Redis

from server.domain.accounts.signer import Identity
from server.domain.accounts.tokens import REVOKED, Tokens
from server.protocol.errors import log_failure
from server.protocol.notifier import Invalidation
from server.protocol.outbound import Error
from server.runtime.clock import Clock
from server.runtime.loops import BackgroundLoop
from server.store import keys
from server.transport.notifier import SocketNotifier

log = logging.getLogger(__name__)

EXPIRED = "Your sign-in expired. Sign in again."
SIGNED_OUT = "You signed out in this browser. Sign in again."
SWEEP_SECONDS = 1.0


class SocketGuard(BackgroundLoop):
    name = "socket-guard"

    def __init__(
        self, redis: Redis, tokens: Tokens, notifier: SocketNotifier, clock: Clock
    ) -> None:
        super().__init__()
        self._redis = redis
        self._tokens = tokens
        self._notifier = notifier
        self._clock = clock
        self._expires: dict[str, int] = {}  # sid -> token expiry (server ms)
        self._users: dict[str, set[str]] = {}  # user -> sids on this node
        self._owner: dict[str, str] = {}  # sid -> user
        self._identity: dict[str, Identity] = {}  # sid -> the token it connected with
        self._due: list[tuple[int, str]] = []
        self._closing: set[asyncio.Task[None]] = set()

    async def admit(self, sid: str, identity: Identity) -> bool:
        """Watch a socket that was just registered with presence. False when its token was
        revoked meanwhile: the revocation may have read the user's sockets before this one
        was listed, so the check after registering is what closes that gap."""
        if not await self._tokens.current(identity):
            return False
        self._owner[sid] = identity.user_id
        self._identity[sid] = identity
        self._users.setdefault(identity.user_id, set()).add(sid)
        self._watch(sid, identity.expires_at)
        return True

    def renew(self, sid: str, identity: Identity) -> None:
        """A fresh token arrived on this socket: it lives until that one expires, and a sign-out
        of that token closes it. Only this socket: another socket of the same account may have
        been opened with a stolen copy of the old token, and must still close with it."""
        if self._owner.get(sid) != identity.user_id:
            return  # closed meanwhile
        if self._expires.get(sid, 0) < identity.expires_at:
            self._watch(sid, identity.expires_at)
        self._identity[sid] = identity

    def forget(self, sid: str) -> None:
        self._expires.pop(sid, None)
        self._identity.pop(sid, None)
        user_id = self._owner.pop(sid, None)
        if user_id is not None:
            sids = self._users.get(user_id, set())
            sids.discard(sid)
            if not sids:
                self._users.pop(user_id, None)

    def _watch(self, sid: str, expires_at: int) -> None:
        self._expires[sid] = expires_at
        heapq.heappush(self._due, (expires_at, sid))

    async def expire_due(self) -> None:
        now = self._clock.now_ms()
        while self._due and self._due[0][0] < now:
            expires_at, sid = heapq.heappop(self._due)
            if self._expires.get(sid) != expires_at:
                continue  # renewed or gone since
            self.forget(sid)
            await self._close(self._notifier.here(sid), "token_expired", EXPIRED)

    async def announce_sign_out(self, token_id: str) -> None:
        """A token was signed out here: tell every node (this one too, through the channel)."""
        await self._notifier.invalidate("token", token_id)

    async def heard(self, news: Invalidation) -> None:
        """Node-to-node news, in channel order: a signed-out token's sockets here close."""
        if news.kind == "token":
            self.heard_sign_out(news.key)

    def heard_sign_out(self, token_id: str) -> None:
        """Close the token's sockets in a task of ours: the channel's reader must not wait."""
        task = asyncio.ensure_future(self.signed_out(token_id))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def signed_out(self, token_id: str) -> None:
        """A token was signed out (on any node): close the sockets here opened with it."""
        for sid, identity in list(self._identity.items()):
            if identity.token_id == token_id:
                self.forget(sid)
                await self._close(self._notifier.here(sid), "token_revoked", SIGNED_OUT)

    async def revoked(self, user_id: str) -> None:
        """Every token of the user stopped passing: close all their sockets, on every node."""
        await self.disconnect_user(user_id, "token_revoked", REVOKED)

    async def disconnect_user(self, user_id: str, code: str, message: str) -> None:
        """Close every socket of the user, on whichever node holds it."""
        for member in await self._redis.smembers(keys.sockets(user_id)):
            await self._close(member, code, message)

    async def _close(self, socket: str, code: str, message: str) -> None:
        """``socket`` is "<node>|<sid>", on any node."""
        try:
            await self._notifier.close(socket, Error(code=code, message=message))
        except Exception as exc:
            log_failure(log, f"closing socket {socket}", exc)

    async def run(self) -> None:
        while not self.stopping:
            try:
                await self.expire_due()
            except Exception as exc:
                log_failure(log, "socket expiry sweep", exc)
            await self.pause(SWEEP_SECONDS)
