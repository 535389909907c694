"""Skill queues and the mentor pool, with matching as one atomic Redis script per event.

A mentee waits in at most one FIFO queue (a ZSET scored by a global sequence, so scores compare
across skills). Idle mentors sit in one ZSET per skill scored by idle-since. A joining mentee
takes the compatible mentor idle longest (``enqueue_mentee.lua``); a mentor turning idle takes
the longest-waiting compatible mentee across its skills (``mentor_ready.lua``). Pick and claim
happen inside one script, so any number of server processes sharing the Redis never double-book.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import msgspec
from redis.asyncio import Redis

from server.domain.accounts.users import new_id
from server.protocol.errors import Conflict
from server.runtime.config import Config
from server.store import keys
from server.store.scripts import Lua


@dataclass(frozen=True)
class Match:
    session_id: str
    mentor_id: str
    mentee_id: str
    skill: str
    # What the claim script read for the announcement (session fields, cards, sockets).
    claim: dict[str, Any] | None = None


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    skill: str
    position: int
    question: str = ""
    passed: bool = False  # a mentor declined it, or failed to connect with it
    topic: str = ""  # the skill a personal request is about ('' otherwise)
    widen_offer: tuple[str, ...] = ()  # wider skills offered and not yet taken

    @property
    def direct(self) -> str | None:
        """The mentor a personal request waits for."""
        return self.skill[1:] if self.skill.startswith("@") else None

    @property
    def label(self) -> str:
        """The skill the mentee sees: the topic of a personal request, else its queue."""
        return self.topic or self.skill


@dataclass(frozen=True)
class Waiting:
    """A mentee in a skill's line (or a personal-request queue), as the queue broadcaster sees
    it. ``passed``: a mentor declined it or failed to connect (see :meth:`SkillQueue.mentee_eta`);
    ``shown``: the fingerprint of the last ``queue:update`` it was sent."""

    mentee_id: str
    ticket_id: str
    passed: bool
    topic: str
    shown: str


@dataclass(frozen=True)
class Eta:
    seconds: int | None
    reason: str | None = None


@dataclass(frozen=True)
class MentorBurst:
    state: str
    burst_ends_at: int
    sessions_done: int


_JOIN_ERRORS = {
    "in_session": "You are already in a session; finish it first.",
    "already_waiting": "You are already waiting for another skill; leave that queue first.",
    "mentor_online": "You are online as a mentor; go offline before asking for help.",
    "mentee_waiting": "You are waiting for help; leave the queue before mentoring.",
    "in_event": "You are in a speed-mentoring event; leave it to use drop-in.",
}


class NoShowPause(Conflict):
    """Moderation: too many missed calls in a day, so asking again waits a while."""

    code = "no_show_pause"

    def __init__(self, retry_after_s: int) -> None:
        minutes = max(1, round(retry_after_s / 60))
        super().__init__(
            "You missed several calls you asked for in the last day, so asking again is paused "
            f"for about {minutes} min. When you ask, stay on the page until the call starts."
        )
        self.retry_after_s = retry_after_s

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "retry_after_s": self.retry_after_s}


def _match(reply: list[str] | None) -> Match | None:
    if not reply or reply[0] != "matched":
        return None
    claim = msgspec.json.decode(reply[5]) if len(reply) > 5 else None
    return Match(reply[1], reply[2], reply[3], reply[4], claim)


class SkillQueue:
    def __init__(
        self, redis: Redis, lua: Lua, config: Config, open_skill: str | None = None
    ) -> None:
        self._redis = redis
        self._lua = lua
        self._scripts = lua.scripts
        self._default_service_s = config.session_seconds
        self.open_skill = open_skill

    async def join(
        self,
        mentee_id: str,
        skill: str,
        question: str,
        *,
        topic: str = "",
        candidates: list[str] | None = None,
        fallback: bool = True,
        widen: bool = False,
    ) -> Match | Ticket:
        """Match at once with the first of ``candidates`` still free (then, with ``fallback``,
        the mentor idle longest in the skill), or wait in the queue named ``skill``; a repeated
        join for the same queue is a no-op."""
        reply = await self._lua(
            self._scripts.enqueue_mentee,
            mentee_id,
            new_id("t"),
            skill,
            question,
            new_id("s"),
            topic,
            int(fallback),
            int(widen),
            *(candidates or []),
        )
        kind = reply[0]
        if kind == "err":
            code = reply[1]
            if code == "no_show_pause":
                raise NoShowPause(max(1, math.ceil((int(reply[2]) - self._lua.now_ms()) / 1000)))
            raise Conflict(_JOIN_ERRORS.get(code, code), code=code)
        if kind == "matched":
            match = _match(reply)
            assert match is not None
            return match
        return Ticket(reply[1], skill, int(reply[2]), topic=topic)

    async def widen(
        self, mentee_id: str, ticket_id: str, skill: str, candidates: list[str], fallback: bool
    ) -> Match | Ticket:
        """Move a waiting mentee to a wider skill it was offered, keeping its place in time."""
        reply = await self._lua(
            self._scripts.widen_mentee,
            mentee_id,
            ticket_id,
            skill,
            new_id("s"),
            int(fallback),
            *candidates,
        )
        if reply[0] == "err":
            raise Conflict(
                "That is not a wider skill you were offered for the question you are waiting with.",
                code=str(reply[1]),
            )
        match = _match(reply)
        return match if match else Ticket(reply[1], skill, int(reply[2]))

    async def offer_widening(self, mentee_id: str, ticket_id: str, skills: list[str]) -> bool:
        """Record the wider skills offered to this ticket (what ``widen`` accepts); False when
        the mentee stopped waiting with that ticket meanwhile."""
        reply = await self._lua(self._scripts.widen_offer, mentee_id, ticket_id, ",".join(skills))
        return bool(reply)

    async def leave(self, mentee_id: str) -> str | None:
        """Stop waiting; returns the skill left, None if the mentee was not waiting."""
        skill: str | None = await self._lua(self._scripts.leave_queue, mentee_id)
        return skill

    async def requeued_match(
        self, mentee_id: str, candidates: list[str] | None = None
    ) -> Match | None:
        reply = await self._lua(
            self._scripts.requeue_mentee, mentee_id, new_id("s"), *(candidates or [])
        )
        return _match(reply)

    async def mentor_online(
        self,
        mentor_id: str,
        skills: list[str],
        burst_ends_at: int,
        max_sessions: int | None,
    ) -> MentorBurst:
        reply = await self._lua(
            self._scripts.mentor_online,
            mentor_id,
            ",".join(skills),
            burst_ends_at,
            max_sessions or 0,
            new_id("b"),
        )
        if reply[0] == "err":
            code = reply[1]
            raise Conflict(_JOIN_ERRORS.get(code, code), code=code)
        return MentorBurst(reply[0], int(reply[1]), int(reply[2]))

    async def mentor_ready(
        self, mentor_id: str, *, wake: bool = False, open_fits: list[str] | None = None
    ) -> Match | str:
        """An idle mentor takes a personal request, else the longest-waiting mentee it may
        (open questions only among ``open_fits``); else 'idle', 'offline' or its state."""
        reply = await self._lua(
            self._scripts.mentor_ready, mentor_id, new_id("s"), int(wake), *(open_fits or [])
        )
        match = _match(reply)
        if match:
            return match
        return str(reply[-1])

    async def mentor_offline(self, mentor_id: str) -> str | None:
        """'offline' now, 'after_call' when a call is running, None if it was not online."""
        outcome: str | None = await self._lua(self._scripts.mentor_offline, mentor_id)
        return outcome

    async def mentor(self, mentor_id: str) -> dict[str, str]:
        raw = await self._redis.hgetall(keys.mentor(mentor_id))
        return dict(raw)

    async def ticket(self, mentee_id: str) -> Ticket | None:
        ticket_id, skill, question, passed, topic, offer = await self._redis.hmget(
            keys.mentee(mentee_id),
            "ticket_id",
            "skill",
            "question",
            "passed",
            "topic",
            "widen_offer",
        )
        if skill is None:
            return None
        rank = await self._redis.zrank(keys.queue(skill), mentee_id)
        if rank is None:
            return None
        return Ticket(
            ticket_id,
            skill,
            rank + 1,
            question or "",
            passed == "1",
            topic or "",
            tuple(s for s in (offer or "").split(",") if s),
        )

    async def places(self, skill: str, head: int, window: str) -> tuple[bool, list[Waiting]]:
        """The line in order, in one script call: all of it the first time in ``window`` (then
        True), else its first ``head`` places."""
        reply = await self._lua(self._scripts.queue_places, skill, head, window)
        flat = reply[1:]
        line = [
            Waiting(flat[i], flat[i + 1], flat[i + 2] == "1", flat[i + 3], flat[i + 4])
            for i in range(0, len(flat), 5)
        ]
        return reply[0] == 1, line

    async def questions(self, skills: list[str], limit: int) -> dict[str, list[dict[str, Any]]]:
        """skill -> its first ``limit`` waiting questions as ``{"skill", "question", "since",
        "mentee", "ticket"}``; callers show mentors all but ``mentee`` and ``ticket`` (no names,
        no ids). For a personal request queue, ``skill`` is the skill the request is about."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for skill in skills:
                pipe.zrange(keys.queue(skill), 0, limit - 1)
            heads = await pipe.execute()
        async with self._redis.pipeline(transaction=False) as pipe:
            for members in heads:
                for member in members:
                    pipe.hmget(keys.mentee(member), "question", "joined_at", "topic", "ticket_id")
            tickets = iter(await pipe.execute())
        out: dict[str, list[dict[str, Any]]] = {}
        for skill, members in zip(skills, heads, strict=True):
            found = [next(tickets) for _ in members]
            out[skill] = [
                {
                    "skill": topic or skill,
                    "question": question,
                    "since": int(joined_at),
                    "mentee": member,
                    "ticket": ticket,
                }
                for member, (question, joined_at, topic, ticket) in zip(members, found, strict=True)
                if question is not None and joined_at
            ]
        return out

    async def counts(self, skills: list[str]) -> dict[str, tuple[int, int, float]]:
        """skill -> (waiting, mentors online, measured seconds per mentee). For a mentor's
        personal-request queue, "mentors online" is 1 while that mentor is online."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for skill in skills:
                pipe.zcard(keys.queue(skill))
                if skill.startswith("@"):
                    pipe.hget(keys.mentor(skill[1:]), "state")
                else:
                    pipe.scard(keys.online(skill))
                pipe.hget(keys.service(skill), "avg_s")
            values = await pipe.execute()
        out = {}
        for i, skill in enumerate(skills):
            waiting, online, service = values[3 * i : 3 * i + 3]
            if skill.startswith("@"):
                online = int(online not in (None, "offline"))
            out[skill] = (
                int(waiting),
                int(online),
                float(service) if service else self._default_service_s,
            )
        return out

    async def mentee_eta(
        self, mentee_id: str, skill: str, position: int, online: int, service_s: float, passed: bool
    ) -> Eta:
        """The ETA a waiting mentee is told. Once a mentor passed on it, only the mentors who
        may still take it count: the one who declined is online, but not for this mentee. An open
        question waits for a mentor whose expertise fits, which no count foretells; a personal
        request, for its one mentor."""
        if skill == self.open_skill:
            return Eta(None, "open_question")
        if skill.startswith("@") and online <= 0:
            return Eta(None, "mentor_offline")
        if not passed:
            return self.eta(position, online, service_s)
        others = int(await self._lua(self._scripts.mentee_mentors, mentee_id, skill))
        if others <= 0:
            return Eta(None, "no_other_mentor")
        return self.eta(position, others, service_s)

    @staticmethod
    def eta(position: int, mentors_online: int, service_s: float) -> Eta:
        """Mentors serve in parallel: position p waits about ceil(p / mentors) service times,
        less half of one because calls in progress are on average half done."""
        if mentors_online <= 0:
            return Eta(None, "no_mentors_online")
        rounds = math.ceil(position / mentors_online)
        return Eta(max(0, round((rounds - 0.5) * service_s)))
