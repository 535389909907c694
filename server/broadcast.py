"""Queue transparency: ``queue:update`` to waiting mentees and ``mentor:update`` to online mentors.

Changes mark a skill dirty; a flusher sends at most one round of updates per skill per interval,
so a burst of joins costs one pass over the queue rather than one per join. A mentee hears only
when its position, ETA or the waiting count changed since the last update it got. Beyond the
first ``NEAR`` places the waiting count alone sends nothing, and a place is refreshed at most
every ``position x 50 ms`` (5 s at 100th, capped at 30 s): someone 400th doesn't need ten
updates a second while the queue moves, and sending them would cost the server one message per
waiting mentee per flush (the match benchmark measured a 10,000-deep queue at 176 matches/s
that way). The whole queue is read once per ``FAR_EVERY_MS``; in between, only its head.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import LockNotOwnedError

from server import keys
from server.clock import Clock
from server.errors import log_failure
from server.matching.matcher import Matcher
from server.notifier import Notifier
from server.queue import SkillQueue
from server.worker import Worker

log = logging.getLogger(__name__)


NEAR = 10
FAR_EVERY_MS = 5000
MS_PER_PLACE = 50
MAX_GAP_MS = 30_000
WINDOW_FIELD = "~window"  # not a user id: ids never contain "~"
QUESTIONS = 10  # waiting questions a mentor sees, oldest first, across its skills


class QueueBroadcaster(Worker):
    name = "broadcast"

    def __init__(
        self,
        redis: Redis,
        queue: SkillQueue,
        notifier: Notifier,
        clock: Clock,
        interval: float = 0.25,
        matcher: Matcher | None = None,
        slugs: list[str] | None = None,
    ) -> None:
        self._clock = clock
        # Open questions (the catalog's open skill) are ranked by fit to each mentor's words.
        self._matcher = matcher
        self._slugs = slugs or []
        self._redis = redis
        self._queue = queue
        self._notifier = notifier
        self._interval = interval
        self._dirty: set[str] = set()
        super().__init__()

    def mark(self, *skills: str) -> None:
        self._dirty.update(skills)
        self.wake()

    async def flush(self) -> None:
        skills, self._dirty = sorted(self._dirty), set()
        if skills:
            await self._send(skills)

    async def _send(self, skills: list[str]) -> None:
        flushed = []
        for skill in skills:
            # One node at a time per skill: its updates are published before the next node reads
            # a newer snapshot, so nobody's last queue:update is an older one.
            lock = self._redis.lock(keys.PREFIX + f"qflush:{skill}", timeout=30)
            if not await lock.acquire(blocking=False):
                self._dirty.add(skill)  # another node is flushing; look again next tick
                continue
            try:
                if await self._send_skill(skill):
                    self._dirty.add(skill)  # keep flushing until a full pass delivers them
            finally:
                with contextlib.suppress(LockNotOwnedError):  # a pass that outlived its lock
                    await lock.release()
            flushed.append(skill)
        await self._send_mentor_updates(flushed)

    async def _send_skill(self, skill: str) -> bool:
        """One pass: the first ``NEAR`` places every time; the whole queue once per window.
        True while places beyond the head may still be owed an update (a head-only pass with
        more waiting, or a full pass that held some back), so the skill stays dirty."""
        waiting_n, online_n, service_s = (await self._queue.counts([skill]))[skill]
        last_key = keys.PREFIX + f"qlast:{skill}"
        now = self._clock.now_ms()
        window = str(now // FAR_EVERY_MS)
        full = await self._redis.hget(last_key, WINDOW_FIELD) != window
        head = await self._queue.waiting(skill, None if full else NEAR)
        ids = [mentee_id for mentee_id, _, _, _ in head]
        mentor = None
        if skill.startswith("@"):  # a mentor's personal requests: say whose
            mentor = {"id": skill[1:], "name": await self._redis.hget(keys.user(skill[1:]), "name")}
        previous = (
            dict(zip(ids, await self._redis.hmget(last_key, ids), strict=True)) if ids else {}
        )
        sent: dict[str, str] = {}
        owed = False
        for position, (mentee_id, ticket_id, passed, topic) in enumerate(head, start=1):
            eta = await self._queue.mentee_eta(
                mentee_id, skill, position, online_n, service_s, passed
            )
            update: dict[str, Any] = {
                "ticket_id": ticket_id,
                "skill": topic or skill,
                "position": position,
                "eta_s": eta.seconds,
                "waiting": waiting_n,
            }
            if eta.reason:
                update["eta_reason"] = eta.reason
            if mentor:
                update["mentor"] = mentor
            near = position <= NEAR
            fingerprint = f"{ticket_id}:{position}:{eta.seconds}:{eta.reason or ''}" + (
                f":{waiting_n}" if near else ""
            )
            last = previous.get(mentee_id) or ""
            last_fingerprint, _, last_sent = last.partition("|")
            due = near or now - int(last_sent or 0) >= min(MAX_GAP_MS, position * MS_PER_PLACE)
            if last_fingerprint != fingerprint and due:
                await self._notifier.to_user(mentee_id, "queue:update", update)
                sent[mentee_id] = f"{fingerprint}|{now}"
            elif full:
                sent[mentee_id] = last
                owed = owed or last_fingerprint != fingerprint
        async with self._redis.pipeline(transaction=True) as pipe:
            if full:  # drop whoever left the queue since the last full pass
                pipe.delete(last_key)
                sent[WINDOW_FIELD] = window
            if sent:
                pipe.hset(last_key, mapping=sent)
            await pipe.execute()
        return owed if full else waiting_n > NEAR

    async def _send_mentor_updates(self, skills: list[str]) -> None:
        """Waiting counts for every mentor online in ``skills``, at most once a second per skill
        across all nodes (a mentor's own state changes are sent at once, not from here)."""
        mentors: set[str] = set()
        for skill in skills:
            if skill.startswith("@"):  # a personal request: its mentor hears at once
                mentors.add(skill[1:])
                continue
            if not await self._redis.set(keys.PREFIX + f"mflush:{skill}", 1, nx=True, px=1000):
                self._dirty.add(skill)  # sent within the last second; the counts go out next
                continue
            if skill == self._queue.open_skill and self._matcher is not None:
                # an open question may fit any mentor online, whatever its skills
                mentors.update(await self._all_online())
            mentors.update(m for m in await self._redis.smembers(keys.online(skill)))
        for mentor_id, update in (await self.mentor_updates(sorted(mentors))).items():
            await self._notifier.to_user(mentor_id, "mentor:update", update)

    async def _all_online(self) -> set[str]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for slug in self._slugs:
                pipe.smembers(keys.online(slug))
            found = await pipe.execute()
        return {m for members in found for m in members}

    async def send_mentor_update(self, mentor_id: str) -> None:
        update = await self.mentor_update(mentor_id)
        if update:
            await self._notifier.to_user(mentor_id, "mentor:update", update)

    async def mentor_update(self, mentor_id: str) -> dict[str, Any]:
        """The ``mentor:update`` payload for a mentor; empty if it never went online."""
        return (await self.mentor_updates([mentor_id])).get(mentor_id, {})

    async def mentor_updates(self, mentor_ids: list[str]) -> dict[str, dict[str, Any]]:
        """``mentor:update`` payloads for many mentors in two round trips (bursts, then counts)."""
        if not mentor_ids:
            return {}
        async with self._redis.pipeline(transaction=False) as pipe:
            for mentor_id in mentor_ids:
                pipe.hgetall(keys.mentor(mentor_id))
                pipe.zcard(keys.queue(keys.direct_queue(mentor_id)))
            raw = await pipe.execute()
        bursts = dict(zip(mentor_ids, raw[0::2], strict=True))
        personal = dict(zip(mentor_ids, raw[1::2], strict=True))
        skills_of = {
            m: [s for s in burst.get("skills", "").split(",") if s]
            for m, burst in bursts.items()
            if burst
        }
        open_skill = self._queue.open_skill
        wanted = sorted({s for skills in skills_of.values() for s in skills} - {open_skill or ""})
        counts = await self._queue.counts(wanted) if wanted else {}
        heads = wanted + [keys.direct_queue(m) for m in skills_of if personal[m]]
        if open_skill and self._matcher is not None:
            heads.append(open_skill)
        questions = await self._queue.questions(heads, QUESTIONS) if heads else {}
        fitting: dict[str, list[dict[str, Any]]] = {}
        if open_skill and questions.get(open_skill) and self._matcher is not None:
            texts = await self._matcher.expertise.texts(list(skills_of))
            fitting = await self._matcher.fitting_questions(texts, questions[open_skill])
        payloads = {
            m: self._mentor_payload(
                bursts[m],
                skills,
                counts,
                questions.get(keys.direct_queue(m), []),
                [q for s in skills if s != open_skill for q in questions[s]] + fitting.get(m, []),
            )
            for m, skills in skills_of.items()
        }
        await self._mark_declined(bursts, payloads)
        return payloads

    async def _mark_declined(
        self, bursts: dict[str, dict[str, str]], payloads: dict[str, dict[str, Any]]
    ) -> None:
        """Flag the waiting questions a mentor declined in this burst (it is not offered them
        again), so its list says why they wait; then drop the mentee ids."""
        asked = [m for m, p in payloads.items() if p["questions"]]
        async with self._redis.pipeline(transaction=False) as pipe:
            for m in asked:
                ids = [q["mentee"] for q in payloads[m]["questions"]]
                pipe.smismember(keys.declined(m, bursts[m].get("burst", "")), ids)
            found = await pipe.execute() if asked else []
        for m, flags in zip(asked, found, strict=True):
            for question, declined in zip(payloads[m]["questions"], flags, strict=True):
                question["declined"] = bool(declined)
        for payload in payloads.values():
            payload["questions"] = [
                {k: v for k, v in q.items() if k != "mentee"} for q in payload["questions"]
            ]

    def _mentor_payload(
        self,
        burst: dict[str, str],
        skills: list[str],
        counts: dict[str, tuple[int, int, float]],
        personal: list[dict[str, Any]],
        others: list[dict[str, Any]],
    ) -> dict[str, Any]:
        """Personal requests first (flagged ``"personal": true``), then the rest oldest first."""
        waiting = [{**q, "personal": True} for q in personal] + sorted(
            others, key=lambda q: q["since"]
        )
        open_skill = self._queue.open_skill
        return {
            "burst_ends_at": int(burst.get("burst_ends_at", 0)),
            "sessions_done": int(burst.get("sessions_done", 0)),
            "waiting": {
                skill: (
                    sum(1 for q in others if q["skill"] == open_skill)
                    if skill == open_skill
                    else counts[skill][0]
                )
                for skill in skills
            },
            "personal_waiting": len(personal),
            "state": burst.get("state", "offline"),
            "max_sessions": int(burst.get("max_sessions", 0)) or None,
            "questions": [dict(q) for q in waiting[:QUESTIONS]],
        }

    async def run(self) -> None:
        while not self.stopping:
            if not self._dirty:
                await self.pause(60)
                continue
            try:
                await self.flush()
            except Exception as exc:
                log_failure(log, "queue broadcast", exc)
            await asyncio.sleep(self._interval)
