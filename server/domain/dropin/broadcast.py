"""Queue transparency: ``queue:update`` to waiting mentees and ``mentor:update`` to online mentors.

Changes mark a skill dirty; a flusher sends at most one round of updates per skill per interval,
so a burst of joins costs one pass over the queue rather than one per join. A mentee hears only
when its position, ETA or the waiting count changed since the last update it got (beyond the
first ``NEAR`` places, the waiting count alone sends nothing). The head is read every pass, the
whole line once per ``FULL_EVERY_MS`` (one script call), so every shown place is true within
about a second of a change anywhere in the line, and a place hears at most one update a second.
A pass's updates leave in one pub/sub message (``Notifier.to_users``), not one per mentee: a
line of 10,000 that moves costs one publish a second and one local send per mentee.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from msgspec import UNSET
from redis.asyncio import Redis
from redis.exceptions import LockNotOwnedError

from server.domain.matching.matcher import Matcher
from server.protocol.errors import log_failure
from server.protocol.notifier import Notifier
from server.protocol.outbound import MentorUpdate, PersonRef, QueueUpdate, WaitingQuestion
from server.queue import SkillQueue
from server.runtime.clock import Clock
from server.runtime.loops import BackgroundLoop
from server.store import keys

log = logging.getLogger(__name__)


NEAR = 10
FULL_EVERY_MS = 1000
WINDOW_FIELD = "~window"  # not a user id: ids never contain "~"
QUESTIONS = 10  # waiting questions a mentor sees, oldest first, across its skills


class QueueBroadcaster(BackgroundLoop):
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
        self._mentors_owed: set[str] = set()
        self._mentor_sender: asyncio.Task[None] | None = None
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
        """One pass: the first ``NEAR`` places every time; the whole line once per ``FULL_EVERY_MS``.
        Everyone whose update changed hears it, in one batch. True after a head-only pass with
        more waiting (places beyond the head may be owed an update), so the skill stays dirty."""
        waiting_n, online_n, service_s = (await self._queue.counts([skill]))[skill]
        shown_key = keys.PREFIX + f"qlast:{skill}"
        window = str(self._clock.now_ms() // FULL_EVERY_MS)
        full, line = await self._queue.places(skill, NEAR, window)
        mentor: PersonRef | None = None
        if skill.startswith("@"):  # a mentor's personal requests: say whose
            mentor = PersonRef(skill[1:], await self._redis.hget(keys.user(skill[1:]), "name"))
        updates: dict[str, QueueUpdate] = {}
        shown: dict[str, str] = {}
        for position, waiting in enumerate(line, start=1):
            eta = await self._queue.mentee_eta(
                waiting.mentee_id, skill, position, online_n, service_s, waiting.passed
            )
            # Beyond the head, the waiting count alone is no reason to send.
            fingerprint = f"{waiting.ticket_id}:{position}:{eta.seconds}:{eta.reason or ''}" + (
                f":{waiting_n}" if position <= NEAR else ""
            )
            if waiting.shown.partition("|")[0] == fingerprint:
                continue
            updates[waiting.mentee_id] = QueueUpdate(
                ticket_id=waiting.ticket_id,
                skill=waiting.topic or skill,
                position=position,
                eta_s=eta.seconds,
                waiting=waiting_n,
                eta_reason=eta.reason or UNSET,
                mentor=mentor or UNSET,
            )
            shown[waiting.mentee_id] = fingerprint
        await self._notifier.to_users(updates)
        if full:
            shown[WINDOW_FIELD] = window
        if shown:
            await self._redis.hset(shown_key, mapping=shown)
        return not full and waiting_n > NEAR

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
        # one publish for all of them: a hundred mentors is not a hundred round trips
        await self._notifier.to_users(await self.mentor_updates(sorted(mentors)))

    async def _all_online(self) -> set[str]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for slug in self._slugs:
                pipe.smembers(keys.online(slug))
            found = await pipe.execute()
        return {m for members in found for m in members}

    async def send_mentor_update(self, mentor_id: str) -> None:
        """A mentor's state changed: its ``mentor:update`` goes out at the next turn of the loop,
        with those of every other mentor whose state changed meanwhile, read in one go and
        published once (a call's end used to cost each mentor four round trips and a publish
        on the join path; under load, ends come in bursts)."""
        self._mentors_owed.add(mentor_id)
        if self._mentor_sender is None:
            self._mentor_sender = asyncio.create_task(self._send_owed_mentor_updates())

    async def _send_owed_mentor_updates(self) -> None:
        try:
            await asyncio.sleep(0)  # the state changes settling in this turn come along
            while self._mentors_owed:
                owed, self._mentors_owed = sorted(self._mentors_owed), set()
                await self._notifier.to_users(await self.mentor_updates(owed))
        except Exception as exc:
            log_failure(log, "mentor updates", exc)
        finally:
            self._mentor_sender = None

    async def mentor_update(self, mentor_id: str) -> MentorUpdate | None:
        """A mentor's ``mentor:update``; None if it never went online."""
        return (await self.mentor_updates([mentor_id])).get(mentor_id)

    async def mentor_updates(self, mentor_ids: list[str]) -> dict[str, MentorUpdate]:
        """``mentor:update`` for many mentors in two round trips (bursts, then counts)."""
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
        lists = {
            m: (
                questions.get(keys.direct_queue(m), []),
                [q for s in skills if s != open_skill for q in questions[s]] + fitting.get(m, []),
            )
            for m, skills in skills_of.items()
        }
        shown = {m: self._shown_questions(*lists[m]) for m in lists}
        flags = await self._passed_on(bursts, shown)
        return {
            m: self._mentor_update(
                bursts[m],
                skills_of[m],
                counts,
                *lists[m],
                [
                    WaitingQuestion(
                        skill=q["skill"],
                        question=q["question"],
                        since=q["since"],
                        personal=is_personal or UNSET,
                        declined=declined,
                        connect_failed=unreachable,
                    )
                    for (q, is_personal), (declined, unreachable) in zip(
                        shown[m], flags.get(m, []), strict=True
                    )
                ],
            )
            for m in lists
        }

    @staticmethod
    def _shown_questions(
        personal: list[dict[str, Any]], others: list[dict[str, Any]]
    ) -> list[tuple[dict[str, Any], bool]]:
        """The questions a mentor's list shows, each with whether it is a personal request:
        personal requests first, then the rest oldest first."""
        waiting = [(q, True) for q in personal] + [
            (q, False) for q in sorted(others, key=lambda q: q["since"])
        ]
        return waiting[:QUESTIONS]

    async def _passed_on(
        self, bursts: dict[str, dict[str, str]], shown: dict[str, list[tuple[dict[str, Any], bool]]]
    ) -> dict[str, list[tuple[bool, bool]]]:
        """For each question a mentor's list shows, whether the mentor passed on it in this
        burst, so its list says why it waits: ``declined`` that question (by ticket: a new
        question from the same person is not flagged), ``connect_failed`` with the person
        asking. The ids are read here and never shown."""
        asked = [m for m, questions in shown.items() if questions]
        async with self._redis.pipeline(transaction=False) as pipe:
            for m in asked:
                burst = bursts[m].get("burst", "")
                questions = [q for q, _ in shown[m]]
                pipe.smismember(keys.declined(m, burst), [q["ticket"] or "" for q in questions])
                pipe.smismember(keys.unreachable(m, burst), [q["mentee"] for q in questions])
            found = await pipe.execute() if asked else []
        return {
            m: [
                (bool(declined), bool(unreachable))
                for declined, unreachable in zip(found[2 * i], found[2 * i + 1], strict=True)
            ]
            for i, m in enumerate(asked)
        }

    def _mentor_update(
        self,
        burst: dict[str, str],
        skills: list[str],
        counts: dict[str, tuple[int, int, float]],
        personal: list[dict[str, Any]],
        others: list[dict[str, Any]],
        questions: list[WaitingQuestion],
    ) -> MentorUpdate:
        open_skill = self._queue.open_skill
        return MentorUpdate(
            burst_ends_at=int(burst.get("burst_ends_at", 0)),
            sessions_done=int(burst.get("sessions_done", 0)),
            waiting={
                skill: (
                    sum(1 for q in others if q["skill"] == open_skill)
                    if skill == open_skill
                    else counts[skill][0]
                )
                for skill in skills
            },
            personal_waiting=len(personal),
            state=burst.get("state", "offline"),
            max_sessions=int(burst.get("max_sessions", 0)) or None,
            questions=questions,
        )

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
