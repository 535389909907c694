"""The invariants our promises rest on, checked against what Redis holds now.

Read-only: :meth:`Auditor.audit` lists violations, each named after the repair in
``server/lua/repair.lua`` that mends it. A crash, a lost second of AOF or a bug can leave any of
these behind; the reconciler (``server/reconciler.py``) and ``mentorburst doctor`` run this.

- nobody is in a matched or live session that is not theirs (``orphan_session``), and
  ``live:<user>`` always points at a matched or live session (``stale_live``);
- a live session has its end deadline, a matched one its connect deadline;
- a busy mentor is in a session; an idle one waits in every idle pool of its skills; one in
  cooldown has the deadline that wakes it; any mentor online has the deadline ending its burst;
- a waiting mentee is in no session and in its queue, and every queue entry has its ticket;
- a node that stopped heartbeating has been swept; an event running has its round/break deadline;
  nobody stays in an event that ended.

:meth:`Auditor.overlaps` checks the promise over all history instead: nobody was ever in two
sessions at once, by the claim/end sequence numbers the scripts stamp.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from redis.asyncio import Redis

from server import keys
from server.clock import Clock
from server.scripts import STALE_MS


@dataclass(frozen=True)
class Violation:
    kind: str  # the repair that mends it
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind:22} {self.subject:28} {self.detail}"


def _suffix(key: str, family: str) -> str:
    return key[len(keys.PREFIX + family) :]


class Auditor:
    def __init__(self, redis: Redis, clock: Clock) -> None:
        self._redis = redis
        self._clock = clock

    async def _keys(self, family: str) -> list[str]:
        return [
            key async for key in self._redis.scan_iter(match=f"{keys.PREFIX}{family}*", count=1000)
        ]

    async def _timers(self, members: list[str]) -> set[str]:
        if not members:
            return set()
        scores = await self._redis.zmscore(keys.TIMERS, members)
        return {m for m, score in zip(members, scores, strict=True) if score is not None}

    async def audit(self) -> list[Violation]:
        found: list[Violation] = []
        found += await self._sessions()
        found += await self._mentors()
        found += await self._mentees()
        found += await self._nodes()
        found += await self._events()
        return found

    async def _sessions(self) -> list[Violation]:
        out = []
        sids = set(await self._redis.smembers(keys.ACTIVE))
        live_keys = await self._keys("live:")
        pointers = (
            dict(zip(live_keys, await self._redis.mget(live_keys), strict=True))
            if live_keys
            else {}
        )
        sids |= {sid for sid in pointers.values() if sid}
        ordered = sorted(sids)
        async with self._redis.pipeline(transaction=False) as pipe:
            for sid in ordered:
                pipe.hmget(keys.session(sid), "state", "mentor", "mentee")
            rows = dict(zip(ordered, await pipe.execute(), strict=True))
        for key, sid in pointers.items():
            state = rows.get(sid, [None])[0] if sid else None
            if state not in ("matched", "live"):
                out.append(
                    Violation("stale_live", _suffix(key, "live:"), f"points at {sid} ({state})")
                )
        live, matched = [], []
        for sid, (state, mentor, mentee) in rows.items():
            if state not in ("matched", "live"):
                continue
            if (
                pointers.get(keys.live_session(mentor)) != sid
                or pointers.get(keys.live_session(mentee)) != sid
            ):
                out.append(Violation("orphan_session", sid, f"{state}; its people are elsewhere"))
            elif state == "live":
                live.append(sid)
            else:
                matched.append(sid)
        have = await self._timers(
            [f"end|{sid}" for sid in live] + [f"connect|{sid}" for sid in matched]
        )
        out += [
            Violation("end_deadline", sid, "live without an end")
            for sid in live
            if f"end|{sid}" not in have
        ]
        out += [
            Violation("connect_deadline", sid, "matched without a connect deadline")
            for sid in matched
            if f"connect|{sid}" not in have
        ]
        return out

    async def _mentors(self) -> list[Violation]:
        out = []
        ids = [_suffix(key, "mentor:") for key in await self._keys("mentor:")]
        async with self._redis.pipeline(transaction=False) as pipe:
            for mentor in ids:
                pipe.hmget(keys.mentor(mentor), "state", "skills")
                pipe.get(keys.live_session(mentor))
            raw = await pipe.execute()
        online, busy, idle, cooling = [], [], [], []
        for i, mentor in enumerate(ids):
            (state, skills), sid = raw[2 * i], raw[2 * i + 1]
            if state in (None, "offline"):
                continue
            online.append(mentor)
            if state == "busy":
                busy.append((mentor, sid))
            elif state == "idle":
                idle.append((mentor, [s for s in (skills or "").split(",") if s]))
            elif state == "cooldown":
                cooling.append(mentor)
        sessions = {
            sid: state
            for sid, state in zip(
                [sid for _, sid in busy if sid],
                await self._redis_many_states([sid for _, sid in busy if sid]),
                strict=True,
            )
        }
        out += [
            Violation(
                "busy_mentor",
                mentor,
                f"busy, session {sid} is {sessions.get(sid) if sid else 'none'}",
            )
            for mentor, sid in busy
            if not sid or sessions.get(sid) not in ("matched", "live")
        ]
        for mentor, skills in idle:
            for skill in skills:
                if await self._redis.zscore(keys.idle(skill), mentor) is None:
                    out.append(
                        Violation("idle_outside_pools", mentor, f"idle, not in idle:{skill}")
                    )
                    break
        have = await self._timers(
            [f"cooldown|{m}" for m in cooling] + [f"burst|{m}" for m in online]
        )
        out += [
            Violation("cooldown_deadline", m, "in cooldown without a deadline")
            for m in cooling
            if f"cooldown|{m}" not in have
        ]
        out += [
            Violation("burst_deadline", m, "online without a burst end")
            for m in online
            if f"burst|{m}" not in have
        ]
        return out

    async def _redis_many_states(self, sids: list[str]) -> list[str | None]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for sid in sids:
                pipe.hget(keys.session(sid), "state")
            return list(await pipe.execute())

    async def _mentees(self) -> list[Violation]:
        out = []
        ids = [_suffix(key, "mentee:") for key in await self._keys("mentee:")]
        async with self._redis.pipeline(transaction=False) as pipe:
            for mentee in ids:
                pipe.hget(keys.mentee(mentee), "skill")
                pipe.exists(keys.live_session(mentee))
            raw = await pipe.execute()
        for i, mentee in enumerate(ids):
            skill, in_session = raw[2 * i], raw[2 * i + 1]
            if in_session:
                out.append(Violation("ticket_in_session", mentee, "waiting while in a session"))
            elif skill and await self._redis.zscore(keys.queue(skill), mentee) is None:
                out.append(
                    Violation("ticket_without_queue", mentee, f"ticket, not in queue:{skill}")
                )
        for key in await self._keys("queue:"):
            skill = _suffix(key, "queue:")
            members = await self._redis.zrange(key, 0, -1)
            async with self._redis.pipeline(transaction=False) as pipe:
                for mentee in members:
                    pipe.hget(keys.mentee(mentee), "skill")
                tickets = await pipe.execute()
            out += [
                Violation("queue_without_ticket", f"{skill}|{mentee}", "queued without a ticket")
                for mentee, ticket_skill in zip(members, tickets, strict=True)
                if ticket_skill != skill
            ]
        return out

    async def _nodes(self) -> list[Violation]:
        out = []
        cutoff = self._clock.now_ms() - STALE_MS
        for key in await self._keys("node-users:"):
            node = _suffix(key, "node-users:")
            beat = await self._redis.zscore(keys.NODES, node)
            if beat is None or beat < cutoff:
                out.append(
                    Violation("dead_node", node, "sockets of a node that stopped heartbeating")
                )
        return out

    async def _events(self) -> list[Violation]:
        out = []
        for key in await self._keys("event:"):
            event_id = _suffix(key, "event:")
            if ":" in event_id:
                continue  # an event's people, rounds, ... not the event itself
            state, round_no = await self._redis.hmget(key, "state", "round")
            timer = {"round": "event-round", "break": "event-break"}.get(state or "")
            if (
                timer
                and await self._redis.zscore(keys.TIMERS, f"{timer}|{event_id}:{round_no}") is None
            ):
                out.append(
                    Violation(
                        "event_deadline", event_id, f"{state} {round_no} without its deadline"
                    )
                )
        for key in await self._keys("user-event:"):
            event_id = await self._redis.get(key)
            if await self._redis.hget(keys.event(event_id or ""), "state") in ("ended", None):
                out.append(
                    Violation(
                        "stale_user_event",
                        _suffix(key, "user-event:"),
                        f"in {event_id}, which ended",
                    )
                )
        return out

    async def overlaps(self) -> list[Violation]:
        """Anyone who was ever in two sessions at once (every session record, by sequence)."""
        spans: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        for key in await self._keys("session:"):
            sid = _suffix(key, "session:")
            mentor, mentee, claimed, ended = await self._redis.hmget(
                key, "mentor", "mentee", "claim_seq", "end_seq"
            )
            if claimed is None:
                continue
            span = (int(claimed), int(ended) if ended else 1 << 62, sid)
            spans[mentor].append(span)
            spans[mentee].append(span)
        out = []
        for user, user_spans in spans.items():
            user_spans.sort()
            open_until, open_sid = -1, ""
            for start, end, sid in user_spans:
                if start < open_until:
                    out.append(Violation("overlap", user, f"in {open_sid} and {sid} at once"))
                if end > open_until:
                    open_until, open_sid = end, sid
        return out
