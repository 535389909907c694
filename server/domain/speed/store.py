"""Reading an event from Redis: the event hash, its people, its rounds' pairs and sit-outs.

Every write is a Lua script (``server/store/lua/event_*.lua``); this module only reads and shapes
what it finds into typed records and the public view ``event:update`` carries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from server.protocol.errors import Forbidden, NotFound
from server.store import keys


@dataclass(frozen=True)
class Participant:
    id: str
    name: str
    role: str
    skills: list[str]
    joined_round: int
    left_round: int | None = None
    intro: str = ""

    def active_in(self, round_no: int) -> bool:
        return self.left_round is None and self.joined_round <= round_no


@dataclass(frozen=True)
class Pair:
    session_id: str
    mentor_id: str
    mentee_id: str


@dataclass(frozen=True)
class Outcome:
    """How one round call went: its state, and whether media ever flowed on each side."""

    state: str
    reason: str
    mentor_connected: bool
    mentee_connected: bool
    media_at: int | None

    @property
    def connected(self) -> bool:
        return self.mentor_connected and self.mentee_connected


@dataclass(frozen=True)
class Round:
    number: int
    started_at: int
    ends_at: int
    pairs: list[Pair]
    sitting_out: list[str]


class EventStore:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def event(self, event_id: str) -> dict[str, str]:
        data: dict[str, str] = await self._redis.hgetall(keys.event(event_id))
        if not data:
            raise NotFound("No such event.")
        return data

    async def host_only(self, user_id: str, event_id: str) -> dict[str, str]:
        ev = await self.event(event_id)
        if ev["host"] != user_id:
            raise Forbidden("Only the event's host can do that.", code="not_host")
        return ev

    async def people(self, event_id: str) -> list[Participant]:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(keys.event_people(event_id))
            pipe.hgetall(keys.event_left(event_id))
            raw, left = await pipe.execute()
        people = []
        for uid, value in raw.items():
            data = json.loads(value)
            gone = left.get(uid)
            people.append(
                Participant(
                    uid,
                    data["name"],
                    data["role"],
                    list(data.get("skills") or []),
                    int(data["joined_round"]),
                    int(gone) if gone is not None else None,
                    str(data.get("intro") or ""),
                )
            )
        return sorted(people, key=lambda p: (p.joined_round, p.id))

    async def records(self, event_id: str, user_ids: list[str]) -> dict[str, dict[str, Any]]:
        """A few people's join records (name, role, skills, intro), without reading everyone."""
        values = await self._redis.hmget(keys.event_people(event_id), user_ids)
        return {uid: json.loads(v) for uid, v in zip(user_ids, values, strict=True) if v}

    async def met(self, event_id: str) -> list[tuple[str, str]]:
        pairs = []
        for pair in await self._redis.smembers(keys.event_met(event_id)):
            mentor_id, _, mentee_id = pair.partition("|")
            pairs.append((mentor_id, mentee_id))
        return pairs

    async def in_calls(self, user_ids: list[str]) -> set[str]:
        """Who of these people is in a session right now."""
        if not user_ids:
            return set()
        found = await self._redis.mget([keys.live_session(uid) for uid in user_ids])
        return {uid for uid, sid in zip(user_ids, found, strict=True) if sid}

    async def sitouts(self, event_id: str) -> dict[str, int]:
        raw = await self._redis.hgetall(keys.event_sitouts(event_id))
        return {uid: int(n) for uid, n in raw.items()}

    async def round_sessions(self, event_id: str, round_no: int) -> list[str]:
        return list(await self._redis.hkeys(keys.round_pairs(event_id, round_no)))

    async def sitting_out(self, event_id: str, round_no: int) -> set[str]:
        return set(await self._redis.smembers(keys.round_out(event_id, round_no)))

    async def rounds(self, event_id: str) -> list[Round]:
        meta = await self._redis.hgetall(keys.event_rounds(event_id))
        numbers = sorted(int(n) for n in meta)
        async with self._redis.pipeline(transaction=False) as pipe:
            for n in numbers:
                pipe.hgetall(keys.round_pairs(event_id, n))
                pipe.smembers(keys.round_out(event_id, n))
            found = await pipe.execute()
        out = []
        for i, n in enumerate(numbers):
            times = json.loads(meta[str(n)])
            pairs_raw, sitting = found[2 * i], found[2 * i + 1]
            pairs = [Pair(sid, *value.split("|", 1)) for sid, value in sorted(pairs_raw.items())]
            out.append(
                Round(n, int(times["started_at"]), int(times["ends_at"]), pairs, sorted(sitting))
            )
        return out

    async def outcomes(self, session_ids: list[str]) -> dict[str, Outcome]:
        """Each call's state and media flags, in one round trip."""
        fields = ("state", "reason", "mentor_connected", "mentee_connected", "media_at")
        async with self._redis.pipeline(transaction=False) as pipe:
            for sid in session_ids:
                pipe.hmget(keys.session(sid), fields)
            rows = await pipe.execute()
        out = {}
        for sid, (state, reason, mentor, mentee, media_at) in zip(session_ids, rows, strict=True):
            out[sid] = Outcome(
                state or "ended",
                reason or "",
                mentor == "1",
                mentee == "1",
                int(media_at) if media_at else None,
            )
        return out

    async def prompts(self, event_id: str) -> dict[int, str]:
        raw = await self._redis.hgetall(keys.event_prompts(event_id))
        return {int(n): text for n, text in raw.items()}

    async def profile_defaults(self, user_id: str) -> tuple[str, list[str]]:
        """A person's profile headline and skills: what an event intro starts from."""
        headline, skills = await self._redis.hmget(keys.user(user_id), "headline", "profile_skills")
        return headline or "", [s for s in (skills or "").split(",") if s]

    async def hosted(self, user_id: str) -> list[dict[str, Any]]:
        """The events a person hosts, newest first, as ``GET /api/me/events`` lists them."""
        ids = sorted(await self._redis.smembers(keys.hosted_events(user_id)))
        fields = ("title", "code", "state", "round", "rounds", "created_at")
        async with self._redis.pipeline(transaction=False) as pipe:
            for event_id in ids:
                pipe.hmget(keys.event(event_id), fields)
                pipe.hlen(keys.event_people(event_id))
            found = await pipe.execute()
        out = []
        for i, event_id in enumerate(ids):
            (title, code, state, round_no, rounds, created_at), people = found[2 * i : 2 * i + 2]
            if title is None:
                continue
            out.append(
                {
                    "event_id": event_id,
                    "title": title,
                    "code": code,
                    "state": state,
                    "round": int(round_no or 0),
                    "rounds": int(rounds or 0),
                    "created_at": int(created_at or 0),
                    "people": int(people),
                }
            )
        return sorted(out, key=lambda e: -e["created_at"])

    @staticmethod
    def upcoming_round(ev: dict[str, str]) -> int | None:
        """The round a prompt set now is for: the running one, else the next; None once ended."""
        if ev["state"] == "ended":
            return None
        return int(ev["round"]) + (0 if ev["state"] == "round" else 1)

    async def state(self, event_id: str) -> dict[str, Any]:
        """The state ``event:update`` carries to the host and the participants."""
        ev = await self.event(event_id)
        present = [p for p in await self.people(event_id) if p.left_round is None]
        state: dict[str, Any] = {
            "event_id": event_id,
            "title": ev["title"],
            "state": ev["state"],
            "round": int(ev["round"]),
            "rounds": int(ev["rounds"]),
            "ends_at": int(ev["ends_at"]) if ev.get("ends_at") else None,
            "participants": len(present),
            "counts": {
                "mentor": sum(1 for p in present if p.role == "mentor"),
                "mentee": sum(1 for p in present if p.role == "mentee"),
            },
            "code": ev["code"],
            "round_seconds": int(ev["round_seconds"]),
            "break_seconds": int(ev["break_seconds"]),
            "host_id": ev["host"],
        }
        if ev.get("announcement"):
            state["announcement"] = ev["announcement"]
            state["announcement_at"] = int(ev.get("announcement_at") or 0) or None
        upcoming = self.upcoming_round(ev)
        if upcoming is not None and upcoming <= state["rounds"]:
            prompt = await self._redis.hget(keys.event_prompts(event_id), str(upcoming))
            if prompt:
                state["prompt"] = prompt
        return state
