"""The hot path of a call: ``signal`` messages between its two people, relayed without a Redis
round trip once a node knows the pair.

The first signal of a session on a node runs ``signal_peer.lua`` (is the sender in this matched
or live session? where are the peer's sockets?) and the node caches the answer. After that a
relay is a dictionary lookup and a local emit, unless the peer has a socket on another node,
when it is published as any event is. What makes the cache true:

- A session's end invalidates its pair on every node, through the same Socket.IO pub/sub
  channel and before the ``session:ended`` it announces (``Calls.settle``). Messages on that
  channel reach each node in the order sent, so once a person has heard ``session:ended``, no
  node relays for that session again. An answer from Redis that raced an invalidation is not
  cached.
- A change in the sockets of someone in a call (a reconnect, a second tab, a node's sweep)
  invalidates that person's socket list the same way (``presence`` scripts say when).
- The offer that makes a mentee "showed up" and the answer that makes a mentor "showed up"
  (the ``no_connection`` rule) still go through the script, once per side.
- One socket of each person holds their side of the call (a second tab does not join it; see
  ``signal_peer.lua`` and ``session_take.lua``). A node relays from a socket without asking
  Redis only once the script said that socket holds the call, and delivers only to the peer's
  holding socket once it holds. A socket taking the call (its first signal, or
  ``session:take``) invalidates that person's cached sockets on every node, this one at once,
  and the person's other sockets hear ``session:moved``.

The signal rate budget is kept per node, not in Redis: a person's sockets are normally on one
node, and one Redis round trip per candidate would halve the relay. It is counted in plain fixed
windows (:class:`LocalBudget`, a dozen lines) because the ``limits`` library's memory storage cost
a tenth of the relay's CPU in a profile. Every other budget stays in Redis.
"""

from __future__ import annotations

import time
from typing import Any

from server.domain.calls.sessions import Session, SessionStore
from server.protocol.errors import Forbidden
from server.protocol.outbound import SessionMoved, Signal
from server.transport.notifier import Notifier
from server.transport.ratelimit import Budget, RateLimits

MARKED = ("offer", "answer")


class LocalBudget:
    """A budget's rates counted in fixed windows in this process: (window start, count) per
    person and rate, forgotten once their window is over."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self._rates = [(rate.amount, rate.get_expiry()) for rate in budget.rates]
        self._windows: dict[tuple[str, int], tuple[float, int]] = {}
        self._swept = time.monotonic()

    def spend(self, who: str, now: float) -> int:
        """0 when allowed, else the seconds until the window that refused it ends."""
        if now - self._swept > 60:
            self._sweep(now)
        for index, (amount, seconds) in enumerate(self._rates):
            started, count = self._windows.get((who, index), (now, 0))
            if now - started >= seconds:
                started, count = now, 0
            if count >= amount:
                return max(1, round(started + seconds - now))
            self._windows[(who, index)] = (started, count + 1)
        return 0

    def _sweep(self, now: float) -> None:
        self._swept = now
        longest = max(seconds for _, seconds in self._rates)
        for key, (started, _) in list(self._windows.items()):
            if now - started >= longest:
                del self._windows[key]


class SignalRelay:
    def __init__(self, sessions: SessionStore, notifier: Notifier, limits: RateLimits) -> None:
        self._sessions = sessions
        self._notifier = notifier
        self._limits = limits
        self._budget = LocalBudget(limits.budgets.signal)
        self._pairs: dict[str, frozenset[str]] = {}
        self._marked: set[tuple[str, str]] = set()  # (session, sender) whose offer/answer is in
        # user -> where their side of the call is heard: "<node>|<sid>" members, and whether
        # that is the one socket holding it (else every socket of theirs)
        self._reach: dict[str, tuple[list[str], bool]] = {}
        self._held: dict[str, str] = {}  # user -> the socket the script said holds their side
        self._invalidations = 0  # an answer read before the latest invalidation is not cached

    async def relay(
        self, sender: str, socket: str, session_id: str, kind: str, data: dict[str, Any]
    ) -> None:
        """Relay a signal from ``sender``'s ``socket`` ("<node>|<sid>") to the peer."""
        if self._limits.enabled:
            wait = self._budget.spend(sender, time.monotonic())
            if wait:
                self._limits.refuse(self._budget.budget, wait)
        pair = self._pairs.get(session_id)
        peer = next(iter(pair - {sender})) if pair and sender in pair else ""
        reach = self._reach.get(peer)
        if (
            reach is None
            or self._held.get(sender) != socket
            or (kind in MARKED and (session_id, sender) not in self._marked)
        ):
            peer, reach = await self._authorise(sender, socket, session_id, kind)
        message = Signal(session_id=session_id, sender=sender, type=kind, data=data)
        sockets, held = reach
        if held:
            await self._notifier.to_socket(sockets[0], message)
        else:
            await self._notifier.to_user(peer, message, sockets=sockets)

    async def _authorise(
        self, sender: str, socket: str, session_id: str, kind: str
    ) -> tuple[str, tuple[list[str], bool]]:
        seen = self._invalidations
        found = await self._sessions.signal_peer(session_id, sender, kind, socket)
        if found is None:
            raise Forbidden("You are not in that live session.", code="not_in_session")
        reach = (found.sockets, found.held)
        if seen == self._invalidations:
            self._pairs[session_id] = frozenset((sender, found.peer))
            self._reach[found.peer] = reach
            self._held[sender] = socket
            if kind in MARKED:
                self._marked.add((session_id, sender))
        if found.others:
            await self.moved(sender, session_id, socket)
        return found.peer, reach

    async def moved(self, user: str, session_id: str, socket: str) -> None:
        """``socket`` now holds ``user``'s side of the call: every node (this one at once)
        forgets where that side was heard, and the user's other sockets hear it moved."""
        self.invalidate("sockets", user)
        await self._notifier.invalidate("sockets", user)
        await self._notifier.to_user(user, SessionMoved(session_id=session_id), skip=socket)

    @property
    def invalidations(self) -> int:
        """Read before reading what :meth:`prime` will be given."""
        return self._invalidations

    def prime(self, session: Session, sockets: dict[str, list[str]], seen: int) -> None:
        """Learn a call this node just booked (an event round), so its first offers and
        answers need no Redis round trip; round calls are booked live, so the no-show marks
        that offers and answers set do not apply to them."""
        if seen != self._invalidations or not session.event_id:
            return
        self._pairs[session.id] = frozenset(session.people)
        for uid in session.people:
            self._marked.add((session.id, uid))
            if uid in sockets:
                self._reach[uid] = (sockets[uid], False)

    # -- invalidation (from the pub/sub channel, in order) -----------------------------------

    def invalidate(self, kind: str, key: str) -> None:
        """``("session", sid)`` when a session ended; ``("sockets", user)`` when the sockets of
        someone in a call changed, or which of them holds the call."""
        self._invalidations += 1
        if kind == "session":
            for user in self._pairs.pop(key, frozenset()):
                self._marked.discard((key, user))
                self._reach.pop(user, None)
                self._held.pop(user, None)
        elif kind == "sockets":
            self._reach.pop(key, None)
            self._held.pop(key, None)
