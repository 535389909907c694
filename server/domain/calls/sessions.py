"""Sessions in Redis: what one 1:1 call is, and its guarded state transitions
(matched -> live -> ended), each one a Lua script so concurrent nodes agree."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec
from redis.asyncio import Redis

from server.protocol.errors import Conflict, Forbidden
from server.store import keys
from server.store.scripts import Lua


@dataclass(frozen=True)
class Session:
    id: str
    mentor_id: str
    mentee_id: str
    skill: str
    question: str
    ticket_id: str
    state: str  # matched | live | ended
    matched_at: int
    duration_ms: int
    started_at: int | None = None
    ends_at: int | None = None
    ended_at: int | None = None
    reason: str | None = None
    rate_until: int | None = None
    event_id: str | None = None
    round: int | None = None
    no_show: list[str] = field(default_factory=list)
    requeued: bool = False
    mentor_after: str = ""
    actor: str = ""  # who ended it ('' for the server)
    joined_at: int | None = None  # the mentee's ticket, for drop-in matches
    extended_ms: int = 0  # added by agreement (session:extend)
    credited_ms: int = 0  # given back after drops
    direct: str = ""  # a personal request's mentor ('' for a queue match)
    relayed: bool = False  # some node relayed a signal, so may hold the pair in its cache
    applied_note: str = ""  # the mentee's "how I applied it" (server/domain/program/followups.py)
    applied_at: int | None = None
    applied_skipped: bool = False

    def role_of(self, user_id: str) -> str | None:
        if user_id == self.mentor_id:
            return "mentor"
        if user_id == self.mentee_id:
            return "mentee"
        return None

    def peer_of(self, user_id: str) -> str:
        return self.mentee_id if user_id == self.mentor_id else self.mentor_id

    @property
    def people(self) -> tuple[str, str]:
        return self.mentee_id, self.mentor_id


@dataclass(frozen=True)
class EventCall:
    """A call of a speed-mentoring event that the host's console shows changed (its media
    flowed, it was rated)."""

    session_id: str
    event_id: str


@dataclass(frozen=True)
class Closed:
    """An end as the end script saw it: the outcome, the session's record, and where both
    people's sockets are (``{user: ["<node>|<sid>", ...]}``)."""

    outcome: Ended
    session: Session
    sockets: dict[str, Any]

    def sockets_of(self, user_id: str) -> list[str] | None:
        found = self.sockets.get(user_id)
        return found if isinstance(found, list) else None  # cjson writes [] as {}


ELSEWHERE = (
    "This call is open in another tab or window. Use it there, or move it to this one "
    "(session:take)."
)


def elsewhere() -> Conflict:
    return Conflict(ELSEWHERE, code="call_elsewhere")


@dataclass(frozen=True)
class SignalRoute:
    """Where a signal goes, as ``signal_peer.lua`` answered for its sending socket."""

    peer: str
    sockets: list[str]  # "<node>|<sid>"
    held: bool  # ``sockets`` is the one socket holding the peer's side, else all the peer's
    others: int  # > 0: the sender just took the call here; its other sockets are told


@dataclass(frozen=True)
class Ended:
    mentor_id: str
    mentee_id: str
    skill: str
    mentor_state: str
    requeued: bool
    was_live: bool
    rate_until: int
    no_show: list[str]
    event_id: str | None

    @classmethod
    def from_reply(cls, reply: list[str]) -> Ended:
        mentor, mentee, skill, mentor_state, requeued, was_live, rate_until, no_show, event = reply
        return cls(
            mentor,
            mentee,
            skill,
            mentor_state,
            bool(int(requeued)),
            bool(int(was_live)),
            int(rate_until),
            _csv(no_show),
            event or None,
        )


def _int(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None


def _csv(value: str | None) -> list[str]:
    return [part for part in (value or "").split(",") if part]


class SessionStore:
    def __init__(self, redis: Redis, lua: Lua) -> None:
        self._redis = redis
        self._lua = lua
        self._scripts = lua.scripts

    async def get(self, session_id: str) -> Session | None:
        raw = await self._redis.hgetall(keys.session(session_id))
        if not raw:
            return None
        return self._from_hash(raw)

    async def get_many(self, session_ids: list[str]) -> list[Session]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for sid in session_ids:
                pipe.hgetall(keys.session(sid))
            rows = await pipe.execute()
        return [self._from_hash(row) for row in rows if row]

    @staticmethod
    def _from_hash(h: dict[str, str]) -> Session:
        return Session(
            id=h["id"],
            mentor_id=h["mentor"],
            mentee_id=h["mentee"],
            skill=h["skill"],
            question=h.get("question", ""),
            ticket_id=h.get("ticket_id", ""),
            state=h["state"],
            matched_at=int(h["matched_at"]),
            duration_ms=int(h["duration_ms"]),
            started_at=_int(h.get("started_at")),
            ends_at=_int(h.get("ends_at")),
            ended_at=_int(h.get("ended_at")),
            reason=h["reason"] if h.get("reason") else None,
            rate_until=_int(h.get("rate_until")),
            event_id=h["event_id"] if h.get("event_id") else None,
            round=_int(h.get("round")),
            no_show=_csv(h.get("no_show")),
            requeued=h.get("requeued") == "1",
            mentor_after=h.get("mentor_after", ""),
            actor=h.get("actor", ""),
            joined_at=_int(h.get("joined_at")),
            extended_ms=int(h.get("extended_ms") or 0),
            credited_ms=int(h.get("credited_ms") or 0),
            direct=h.get("direct", ""),
            applied_note=h.get("applied_note", ""),
            applied_at=_int(h.get("applied_at")),
            applied_skipped=bool(h.get("applied_skipped")),
            relayed=h.get("relayed") == "1",
        )

    async def sockets_of(self, user_ids: list[str]) -> dict[str, list[str]]:
        """Where these people's sockets are ("<node>|<sid>"), in one round trip."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for uid in user_ids:
                pipe.smembers(keys.sockets(uid))
            found = await pipe.execute()
        return {uid: sorted(members) for uid, members in zip(user_ids, found, strict=True)}

    async def live_session_id(self, user_id: str) -> str | None:
        value = await self._redis.get(keys.live_session(user_id))
        return value if value else None

    async def mark_connected(
        self, session_id: str, user_id: str, *, force: bool = False
    ) -> list[str]:
        return list(await self._lua(self._scripts.connected, session_id, user_id, int(force)))

    async def end(
        self,
        session_id: str,
        reason: str,
        *,
        actor: str = "",
        expect: str = "",
        participant: bool = False,
    ) -> Closed | None:
        """End once; None when someone else ended it first (or it was not in ``expect`` state).
        With ``participant``, an actor who is not one of the two people is refused."""
        reply = await self._lua(
            self._scripts.end_session, session_id, reason, actor, expect, int(participant)
        )
        if reply is None:
            return None
        if reply[0] == "not_in_session":
            raise Forbidden("You are not in that session.", code="not_in_session")
        ended, record, sockets = reply
        flat = dict(zip(record[::2], record[1::2], strict=True))
        return Closed(Ended.from_reply(ended), self._from_hash(flat), msgspec.json.decode(sockets))

    async def signal_peer(
        self, session_id: str, sender: str, kind: str, socket: str
    ) -> SignalRoute | None:
        """Where the other participant hears a signal from ``sender``'s ``socket``; None when
        ``sender`` is not in this matched or live session. Raises ``call_elsewhere`` when
        another open socket of ``sender`` holds the call."""
        reply = await self._lua(self._scripts.signal_peer, session_id, sender, kind, socket)
        if not reply:
            return None
        if reply[0] == "elsewhere":
            raise elsewhere()
        _, peer, others, held, *sockets = reply
        return SignalRoute(str(peer), [str(s) for s in sockets], held == 1, int(others))

    async def take(self, session_id: str, user_id: str, socket: str, replaces: str = "") -> bool:
        """Make ``socket`` the one holding ``user_id``'s side of the call (with ``replaces``,
        only if the socket of that id or no open socket holds it). False when it held it
        already."""
        reply = await self._lua(self._scripts.session_take, session_id, user_id, socket, replaces)
        if reply is None:
            raise Forbidden("You are not in that live session.", code="not_in_session")
        if reply[0] == "elsewhere":
            raise elsewhere()
        return bool(reply[0] == "moved")

    async def holder(self, session_id: str, user_id: str) -> str | None:
        """The open socket ("<node>|<sid>") holding ``user_id``'s side of the call, if any."""
        held = await self._redis.hget(keys.session(session_id), f"holder:{user_id}")
        if held and await self._redis.sismember(keys.sockets(user_id), held):
            return str(held)
        return None
