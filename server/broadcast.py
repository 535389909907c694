"""Queue transparency: ``queue:update`` to waiting mentees and ``mentor:update`` to online mentors.

Changes mark a skill dirty; a flusher sends at most one round of updates per skill per interval,
so a burst of joins costs one pass over the queue rather than one per join. A mentee hears only
when its position, ETA or the waiting count changed since the last update it got, and beyond the
first ``NEAR`` places at most once per ``FAR_EVERY_MS``: someone 400th doesn't need ten updates a
second while the queue moves, and sending them would cost the server one message per waiting
mentee per flush (the match benchmark measured a 10,000-deep queue at 176 matches/s that way).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from redis.asyncio import Redis

from server import keys
from server.clock import Clock
from server.notifier import Notifier
from server.queue import SkillQueue
from server.worker import Worker

log = logging.getLogger(__name__)


NEAR = 10
FAR_EVERY_MS = 5000
WINDOW_FIELD = "~window"  # not a user id: ids never contain "~"


class QueueBroadcaster(Worker):
    name = "broadcast"

    def __init__(
        self,
        redis: Redis,
        queue: SkillQueue,
        notifier: Notifier,
        clock: Clock,
        interval: float = 0.25,
    ) -> None:
        self._clock = clock
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
            lock = self._redis.lock(keys.PREFIX + f"qflush:{skill}", timeout=10)
            if not await lock.acquire(blocking=False):
                self._dirty.add(skill)  # another node is flushing; look again next tick
                continue
            try:
                await self._send_skill(skill)
            finally:
                await lock.release()
            flushed.append(skill)
        await self._send_mentor_updates(flushed)

    async def _send_skill(self, skill: str) -> None:
        """One pass: the first ``NEAR`` places every time; the whole queue once per window."""
        waiting_n, online_n, service_s = (await self._queue.counts([skill]))[skill]
        last_key = keys.PREFIX + f"qlast:{skill}"
        window = str(self._clock.now_ms() // FAR_EVERY_MS)
        full = await self._redis.hget(last_key, WINDOW_FIELD) != window
        head = await self._queue.waiting(skill, None if full else NEAR)
        ids = [mentee_id for mentee_id, _ in head]
        previous = (
            dict(zip(ids, await self._redis.hmget(last_key, ids), strict=True)) if ids else {}
        )
        sent: dict[str, str] = {}
        for position, (mentee_id, ticket_id) in enumerate(head, start=1):
            eta = self._queue.eta(position, online_n, service_s)
            update: dict[str, Any] = {
                "ticket_id": ticket_id,
                "skill": skill,
                "position": position,
                "eta_s": eta.seconds,
                "waiting": waiting_n,
            }
            if eta.reason:
                update["eta_reason"] = eta.reason
            fingerprint = f"{ticket_id}:{position}:{eta.seconds}:{waiting_n}"
            last = previous.get(mentee_id) or ""
            last_fingerprint, _, last_window = last.partition("|")
            due = position <= NEAR or last_window != window
            if last_fingerprint != fingerprint and due:
                await self._notifier.to_user(mentee_id, "queue:update", update)
                sent[mentee_id] = f"{fingerprint}|{window}"
            elif full:
                sent[mentee_id] = last  # still owed, if it changed
        async with self._redis.pipeline(transaction=True) as pipe:
            if full:  # drop whoever left the queue since the last full pass
                pipe.delete(last_key)
                sent[WINDOW_FIELD] = window
            if sent:
                pipe.hset(last_key, mapping=sent)
            await pipe.execute()

    async def _send_mentor_updates(self, skills: list[str]) -> None:
        """Waiting counts for every mentor online in ``skills``, at most once a second per skill
        across all nodes (a mentor's own state changes are sent at once, not from here)."""
        mentors: set[str] = set()
        for skill in skills:
            if not await self._redis.set(keys.PREFIX + f"mflush:{skill}", 1, nx=True, px=1000):
                self._dirty.add(skill)  # sent within the last second; the counts go out next
                continue
            mentors.update(m for m in await self._redis.smembers(keys.online(skill)))
        for mentor_id in mentors:
            await self.send_mentor_update(mentor_id)

    async def send_mentor_update(self, mentor_id: str) -> None:
        update = await self.mentor_update(mentor_id)
        if update:
            await self._notifier.to_user(mentor_id, "mentor:update", update)

    async def mentor_update(self, mentor_id: str) -> dict[str, Any]:
        """The ``mentor:update`` payload for a mentor; empty if it never went online."""
        burst = await self._queue.mentor(mentor_id)
        if not burst:
            return {}
        skills = [s for s in burst.get("skills", "").split(",") if s]
        counts = await self._queue.counts(skills) if skills else {}
        return {
            "burst_ends_at": int(burst.get("burst_ends_at", 0)),
            "sessions_done": int(burst.get("sessions_done", 0)),
            "waiting": {skill: counts[skill][0] for skill in skills},
            "state": burst.get("state", "offline"),
            "max_sessions": int(burst.get("max_sessions", 0)) or None,
        }

    async def run(self) -> None:
        while not self.stopping:
            if not self._dirty:
                await self.pause(60)
                continue
            try:
                await self.flush()
            except Exception:
                log.exception("queue broadcast failed")
            await asyncio.sleep(self._interval)
