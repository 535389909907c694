"""The invariants our promises rest on, checked against what Redis holds now.

Read-only: :meth:`Auditor.audit` lists violations, each named after the repair in
``server/store/lua/repair.lua`` that mends it. A crash, a lost second of AOF or a bug can leave any of
these behind; the reconciler (``server/domain/audit/reconciler.py``) and ``mentorburst doctor`` run this.
The judging is in ``server/store/lua/judges.lua``: each entity is read and judged in one atomic step,
so a state between two reads is never reported, and a repair re-runs the same judge first.

- nobody is in a matched or live session that is not theirs (``orphan_session``), and
  ``live:<user>`` always points at a matched or live session (``stale_live``);
- a live session has its end deadline, a matched one its connect deadline;
- a busy mentor is in a session; an idle one waits in every idle pool of its skills; one in
  cooldown has the deadline that wakes it; any mentor online has the deadline ending its burst
  (unless, its burst over, it is finishing a call);
- a waiting mentee is in no session and in its queue, and every queue entry has its ticket;
- a node that stopped heartbeating has been swept; an event running has its round/break deadline;
  nobody stays in an event that ended.

:meth:`Auditor.overlaps` checks the promise over all history instead: nobody was ever in two
sessions at once, by the claim/end sequence numbers the scripts stamp.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass

from redis.asyncio import Redis

from server.store import keys
from server.store.scripts import Lua

# Entities judged per script call: each call is one atomic step, short enough not to hold up
# the matching around it (a few hundred Redis commands).
BATCH = 200


@dataclass(frozen=True)
class Violation:
    kind: str  # the repair that mends it
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind:22} {self.subject:28} {self.detail}"


# key family -> what its ids are judged as (a queue's entries are judged one by one, as "queued")
_FAMILIES = {
    "live:": "live",
    "mentor:": "mentor",
    "mentee:": "mentee",
    "queue:": "queue",
    "node-users:": "node",
    "event:": "event",
    "user-event:": "user_event",
}


class Auditor:
    """Finds the ids to judge (they may be stale the moment they are read), then has
    ``audit.lua`` judge each, a batch per atomic step: a violation it reports is one Redis held
    at that instant, not a mix of two moments."""

    def __init__(self, redis: Redis, lua: Lua) -> None:
        self._redis = redis
        self._lua = lua

    async def audit(self) -> list[Violation]:
        found = await self._scan()
        pointers = await self._pointers(found["live"])
        sessions = sorted(set(await self._redis.smembers(keys.ACTIVE)) | pointers)
        out: list[Violation] = []
        out += await self._judge("session", sessions)
        for family in ("live", "mentor", "mentee"):
            out += await self._judge(family, found[family])
        out += await self._judge("queued", [e async for e in self._queue_entries(found["queue"])])
        for family in ("node", "event", "user_event"):
            out += await self._judge(family, found[family])
        return out

    async def _scan(self) -> dict[str, list[str]]:
        """The ids of each family, from one pass over the keyspace (not one per family)."""
        found: dict[str, list[str]] = {family: [] for family in _FAMILIES.values()}
        async for key in self._redis.scan_iter(match=f"{keys.PREFIX}*", count=1000):
            rest = key[len(keys.PREFIX) :]
            for prefix, family in _FAMILIES.items():
                if rest.startswith(prefix):
                    subject = rest[len(prefix) :]
                    if family != "event" or ":" not in subject:  # an event's people, rounds...
                        found[family].append(subject)
                    break
        return found

    async def _pointers(self, users: list[str]) -> set[str]:
        """The sessions users point at: one an orphan points at is in no other list."""
        out: set[str] = set()
        for start in range(0, len(users), 1000):
            batch = [keys.live_session(u) for u in users[start : start + 1000]]
            out.update(sid for sid in await self._redis.mget(batch) if sid)
        return out

    async def _queue_entries(self, queues: list[str]) -> AsyncIterator[str]:
        for queue in queues:
            async for mentee, _ in self._redis.zscan_iter(keys.queue(queue), count=1000):
                yield f"{queue}|{mentee}"

    async def _judge(self, family: str, ids: list[str]) -> list[Violation]:
        out = []
        for start in range(0, len(ids), BATCH):
            reply = await self._lua(self._lua.scripts.audit, family, *ids[start : start + BATCH])
            out += [Violation(*reply[i : i + 3]) for i in range(0, len(reply), 3)]
        return out

    async def overlaps(self) -> list[Violation]:
        """Anyone who was ever in two sessions at once (every session record, by sequence)."""
        spans: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        async for key in self._redis.scan_iter(match=keys.session("*"), count=1000):
            sid = key[len(keys.session("")) :]
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
