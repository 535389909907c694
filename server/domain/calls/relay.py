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

The signal rate budget is spent by the edge before it calls :meth:`SignalRelay.relay`, per node
(``RateLimits.spend_signal``): one Redis round trip per candidate would halve the relay.
"""

from __future__ import annotations

from typing import Any

from server.domain.calls.sessions import Session, SessionStore
from server.protocol.errors import Forbidden
from server.protocol.notifier import Invalidation, Notifier
from server.protocol.outbound import SessionMoved, Signal

MARKED = ("offer", "answer")


class SignalRelay:
    def __init__(self, sessions: SessionStore, notifier: Notifier) -> None:
        self._sessions = sessions
        self._notifier = notifier
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

    async def sockets_moved(self, users: list[str]) -> None:
        """The sockets of these people (each in a call) changed: every node, this one too
        through the channel, forgets where their side of the call is heard."""
        for user in users:
            await self._notifier.invalidate("sockets", user)

    async def heard(self, news: Invalidation) -> None:
        """Node-to-node news, in channel order: a session ended or someone's sockets changed."""
        if news.kind in ("session", "sockets"):
            self.invalidate(news.kind, news.key)

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
