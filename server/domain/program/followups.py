"""Follow-through after a drop-in call (seed 001: "following up with a brief note sharing how
you implemented advice"; seed 003: reflection; "longitudinal tracking").

- **Mutual follow-up**: both ticked "follow up" when rating; both see it in "My sessions", and
  the mentee can "Ask again" (a personal request to that mentor).
- **How did you apply it?**: ``APPLY_AFTER_MS`` (48 h) after a call that ran, the mentee's next
  visit asks; the answer (or a skip) is kept with the session, once, and the mentor's history
  shows it ("Sam applied your advice: ..."). Calls older than ``APPLY_WINDOW_MS`` are not asked.
- **No-shows**: each person sees their own count (and admins see everyone's, in analytics).
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from server.domain.calls.ratings import Ratings
from server.protocol.errors import Conflict, Forbidden
from server.runtime.clock import Clock
from server.store import keys
from server.store.scripts import Lua

APPLY_AFTER_MS = 48 * 3600 * 1000
APPLY_WINDOW_MS = 30 * 86400 * 1000
DAY_MS = 86400 * 1000

_ERRORS = {
    "not_in_session": (Forbidden, "You are not the mentee of that session."),
    "session_live": (Conflict, "That call has not ended yet."),
    "not_applicable": (Conflict, "Only drop-in calls that ran ask how you applied them."),
    "already_answered": (Conflict, "You already answered for this call."),
}


class FollowUps:
    def __init__(self, redis: Redis, lua: Lua, ratings: Ratings, clock: Clock) -> None:
        self._redis = redis
        self._lua = lua
        self._ratings = ratings
        self._clock = clock

    async def overview(self, user_id: str) -> dict[str, Any]:
        """``GET /api/me/followups``: what to ask now, the follow-ups agreed, and no-shows."""
        now = self._clock.now_ms()
        history = await self._ratings.history(user_id)
        ask = [
            _brief(h)
            for h in history
            if h["role"] == "mentee"
            and not h["event_id"]
            and h["started_at"]
            and h["ended_at"]
            and now - APPLY_WINDOW_MS <= h["ended_at"] <= now - APPLY_AFTER_MS
            and h["applied"] is None
            and not h["applied_skipped"]
        ]
        agreed = [{**_brief(h), "role": h["role"]} for h in history if h["mutual_follow_up"]]
        return {
            "apply_prompts": ask,
            "follow_ups": agreed,
            "no_shows": await self.no_shows(user_id),
        }

    async def no_shows(self, user_id: str) -> dict[str, int]:
        key = keys.noshows(user_id)
        now = self._clock.now_ms()
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zcard(key)
            pipe.zcount(key, now - 30 * DAY_MS, "+inf")
            total, recent = await pipe.execute()
        return {"total": int(total), "last_30_days": int(recent)}

    async def answer(self, user_id: str, session_id: str, note: str, skip: bool) -> None:
        """The mentee's note on how they applied the call (trimmed, given unless ``skip``)."""
        reply = await self._lua(
            self._lua.scripts.applied_note, session_id, user_id, note, int(skip)
        )
        if reply[0] == "err":
            kind, message = _ERRORS[str(reply[1])]
            raise kind(message, code=str(reply[1]))


def _brief(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "session_id": entry["session_id"],
        "peer": entry["peer"],
        "skill": entry["skill"],
        "question": entry["question"],
        "ended_at": entry["ended_at"],
    }
