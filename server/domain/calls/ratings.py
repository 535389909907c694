"""Ratings after a call, abuse reports, mentor reputation and personal history."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from server.domain.accounts.users import Users
from server.domain.calls.sessions import EventCall, Session, SessionStore
from server.protocol.errors import Conflict, Forbidden, MentorburstError
from server.runtime.hooks import Hook
from server.store import keys
from server.store.scripts import Lua

# Bayesian average: a mentor's mean is pulled toward the community mean by this many phantom
# ratings, so one 5-star does not outrank fifty 4.8s.
PRIOR_WEIGHT = 5
PRIOR_MEAN = 4.0

_RATE_ERRORS: dict[str, type[MentorburstError]] = {
    "not_in_session": Forbidden,
    "session_live": Conflict,
    "rating_closed": Conflict,
    "already_rated": Conflict,
}
_RATE_MESSAGES = {
    "not_in_session": "You are not in that session.",
    "session_live": "You can rate once the call has ended.",
    "rating_closed": "The rating window for this session has closed.",
    "already_rated": "You have already rated this session.",
}
_REPORT_ERRORS: dict[str, type[MentorburstError]] = {
    "not_in_session": Forbidden,
    "report_closed": Conflict,
    "already_reported": Conflict,
}
_REPORT_MESSAGES = {
    "not_in_session": "You are not in that session.",
    "report_closed": "Reports about a call are taken until its rating window closes.",
    "already_reported": "You have already reported this call; we have your report.",
}


@dataclass(frozen=True)
class GivenRating:
    """One person's rating of a call, as they gave it (``note`` and ``reflection`` stay private
    to them)."""

    session_id: str
    stars: int
    tags: list[str] = field(default_factory=list)
    note: str = ""
    follow_up: bool = False
    reflection: str = ""


@dataclass(frozen=True)
class Reputation:
    mean: float | None
    count: int
    score: float

    def as_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "count": self.count, "score": self.score}


def prior_mean(count: int, total: float) -> float:
    """The community's mean rating once there are 20 ratings (4.0 before)."""
    return total / count if count >= 20 else PRIOR_MEAN


def bayesian(count: int, total: float, prior: float) -> Reputation:
    mean = round(total / count, 3) if count else None
    score = (PRIOR_WEIGHT * prior + total) / (PRIOR_WEIGHT + count)
    return Reputation(mean, count, round(score, 3))


class Ratings:
    def __init__(self, redis: Redis, lua: Lua, sessions: SessionStore, users: Users) -> None:
        self._redis = redis
        self._users = users
        self._lua = lua
        self._sessions = sessions
        # An event call's rating was stored (the host console shows it).
        self.event_rated: Hook[EventCall] = Hook("ratings.event_rated")
        # A mentee's stars changed this mentor's reputation (the mentor's id).
        self.reputation_changed: Hook[str] = Hook("ratings.reputation_changed")

    async def rate(self, rater: str, rating: GivenRating) -> str:
        """Stored before this returns; returns the rater's role. A mentee's stars move the
        mentor's reputation only if the call's media connected (``rate.lua``)."""
        record = {
            "stars": rating.stars,
            "tags": rating.tags,
            "note": rating.note,
            "follow_up": rating.follow_up,
            "reflection": rating.reflection,
            "at": self._lua.now_ms(),
        }
        reply = await self._lua(
            self._lua.scripts.rate, rating.session_id, rater, json.dumps(record), rating.stars
        )
        if reply[0] == "err":
            code = reply[1]
            raise _RATE_ERRORS[code](_RATE_MESSAGES[code], code=code)
        if reply[2]:
            await self.event_rated(EventCall(rating.session_id, str(reply[2])))
        if reply[1] == "mentee" and int(reply[4]):
            await self.reputation_changed(str(reply[3]))
        return str(reply[1])

    async def report(self, reporter: str, session: Session, reason: str) -> str:
        """Store the report (one per reporter per session, until the rating window closes) and
        block the pair for good; returns the reported user."""
        entry = {
            "session_id": session.id,
            "by": reporter,
            "about": session.peer_of(reporter),
            "reason": reason,
            "at": self._lua.now_ms(),
        }
        reply = await self._lua(self._lua.scripts.report, session.id, reporter, json.dumps(entry))
        if reply[0] == "err":
            code = reply[1]
            raise _REPORT_ERRORS[code](_REPORT_MESSAGES[code], code=code)
        return str(reply[1])

    async def reputation(self, user_id: str) -> Reputation:
        return (await self.reputations([user_id]))[user_id]

    async def reputations(self, user_ids: list[str]) -> dict[str, Reputation]:
        """Several people's reputations in one round trip."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hmget(keys.GLOBAL_REPUTATION, "count", "sum")
            for user_id in user_ids:
                pipe.hmget(keys.reputation(user_id), "count", "sum")
            (all_count, all_total), *own = await pipe.execute()
        prior = prior_mean(int(all_count or 0), float(all_total or 0))
        return {
            uid: bayesian(int(count or 0), float(total or 0), prior)
            for uid, (count, total) in zip(user_ids, own, strict=True)
        }

    async def ratings_of(self, session_id: str) -> dict[str, dict[str, Any]]:
        raw = await self._redis.hgetall(keys.ratings(session_id))
        return {k: json.loads(v) for k, v in raw.items()}

    async def ratings_of_many(self, session_ids: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
        """session id -> rater id -> rating, for many sessions in one round trip."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for sid in session_ids:
                pipe.hgetall(keys.ratings(sid))
            rows = await pipe.execute()
        return {
            sid: {k: json.loads(v) for k, v in row.items()}
            for sid, row in zip(session_ids, rows, strict=True)
        }

    async def history(self, user_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """The user's sessions, newest first, with the ratings given and received."""
        ids = [sid for sid in await self._redis.zrevrange(keys.history(user_id), 0, limit - 1)]
        sessions = await self._sessions.get_many(ids)
        names = await self._users.names([s.peer_of(user_id) for s in sessions])
        out = []
        for session in sessions:
            ratings = await self.ratings_of(session.id)
            peer = session.peer_of(user_id)
            duration_ms = (
                (session.ended_at or 0) - session.started_at
                if session.started_at and session.ended_at
                else 0
            )
            out.append(
                {
                    "session_id": session.id,
                    "role": session.role_of(user_id),
                    "peer": {"id": peer, "name": names.get(peer, "")},
                    "skill": session.skill,
                    "question": session.question,
                    "state": session.state,
                    "reason": session.reason,
                    "matched_at": session.matched_at,
                    "started_at": session.started_at,
                    "ended_at": session.ended_at,
                    "duration_s": round(duration_ms / 1000),
                    "rate_until": session.rate_until,
                    "event_id": session.event_id,
                    "rating_given": ratings.get(user_id),
                    "rating_received": _public(ratings.get(peer)),
                    "no_show": session.no_show,
                    "direct": bool(session.direct),
                    "mutual_follow_up": bool(
                        (ratings.get(user_id) or {}).get("follow_up")
                        and (ratings.get(peer) or {}).get("follow_up")
                    ),
                    "applied": (
                        {"note": session.applied_note, "at": session.applied_at}
                        if session.applied_at
                        else None
                    ),
                    "applied_skipped": session.applied_skipped,
                }
            )
        return out

    async def latest_session(self, user_id: str) -> Session | None:
        ids = await self._redis.zrevrange(keys.history(user_id), 0, 0)
        return await self._sessions.get(ids[0]) if ids else None

    async def sessions_count(self, user_id: str) -> int:
        return int(await self._redis.zcard(keys.history(user_id)))


def _public(rating: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the other side sees of a rating: never the rater's private note or reflection."""
    if rating is None:
        return None
    return {k: v for k, v in rating.items() if k not in ("note", "reflection")}
