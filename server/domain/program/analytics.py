"""Is the program working? Aggregates over the last weeks, for admins only.

Read from the logs the scripts keep (``mb:log:sessions``, ``mb:log:joins``, ``mb:log:bursts``,
each trimmed to the history retention) and the session records they point at. Only counts,
shares and percentiles leave this module: never a question, a note, a reflection or an answer to
"how did you apply it". Weeks start on Monday, 00:00 UTC.

One report reads every session of the window (one pipelined round trip per few thousand), fine
for a program of thousands of calls a week; a larger one would keep weekly counters instead.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from server.domain.accounts.users import Users
from server.domain.calls.sessions import Session, SessionStore
from server.domain.matching.catalog import SkillCatalog
from server.domain.program.followups import APPLY_AFTER_MS
from server.protocol.csvsafe import table
from server.runtime.clock import Clock
from server.store import keys

WEEK_MS = 7 * 86400 * 1000
CSV_TABLES = ("weekly", "skills", "ratings", "events")


def week_of(ms: int) -> str:
    day = datetime.fromtimestamp(ms / 1000, UTC).date()
    return (day - timedelta(days=day.weekday())).isoformat()


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class Analytics:
    def __init__(
        self,
        redis: Redis,
        sessions: SessionStore,
        users: Users,
        catalog: SkillCatalog,
        clock: Clock,
    ) -> None:
        self._redis = redis
        self._sessions = sessions
        self._users = users
        self._catalog = catalog
        self._clock = clock

    async def _window(self, weeks: int) -> tuple[int, int, list[str]]:
        now = self._clock.now_ms()
        start = datetime.fromisoformat(week_of(now)).replace(tzinfo=UTC)
        since = round(start.timestamp() * 1000) - (weeks - 1) * WEEK_MS
        labels = [week_of(since + i * WEEK_MS) for i in range(weeks)]
        return now, since, labels

    async def report(self, weeks: int = 12) -> dict[str, Any]:
        now, since, labels = await self._window(weeks)
        sids = await self._redis.zrangebyscore(keys.log("sessions"), since, "+inf")
        sessions = await self._sessions.get_many(sids)
        ratings = await self._ratings(sids)
        joins = await self._redis.zrangebyscore(keys.log("joins"), since, "+inf", withscores=True)
        bursts = await self._redis.zrangebyscore(keys.log("bursts"), since, "+inf")
        dropin = [s for s in sessions if not s.event_id]
        ran = [s for s in dropin if s.started_at and s.ended_at]

        weekly: dict[str, dict[str, Any]] = {
            w: {"week": w, "people": set(), "mentees": set(), "mentors": set(), "sessions": 0}
            for w in labels
        }
        for s in sessions:
            row = weekly.get(week_of(s.matched_at))
            if row is None:
                continue
            row["sessions"] += 1
            row["people"].update(s.people)
            row["mentees"].add(s.mentee_id)
            row["mentors"].add(s.mentor_id)
        joined_by_week: Counter[str] = Counter()
        tickets: dict[str, str] = {}
        for member, at in joins:
            ticket, _, rest = member.partition("|")
            _mentee, _, skill = rest.partition("|")
            tickets[ticket] = skill
            joined_by_week[week_of(int(at))] += 1
        matched_tickets = {s.ticket_id for s in dropin if s.ticket_id}
        matched_by_week: Counter[str] = Counter()
        for member, at in joins:
            if member.partition("|")[0] in matched_tickets:
                matched_by_week[week_of(int(at))] += 1

        first_match: dict[str, Session] = {}
        for s in sorted(dropin, key=lambda s: s.matched_at):
            if s.ticket_id and s.joined_at and s.ticket_id not in first_match:
                first_match[s.ticket_id] = s
        waits: dict[str, list[float]] = defaultdict(list)
        for s in first_match.values():
            waits[s.skill].append((s.matched_at - (s.joined_at or s.matched_at)) / 1000)

        ended = [s for s in dropin if s.state == "ended"]
        no_shows = [s for s in ended if s.no_show]
        stars: dict[str, Counter[int]] = {"mentee": Counter(), "mentor": Counter()}
        for s in sessions:
            for rater, rating in ratings.get(s.id, {}).items():
                role = s.role_of(rater)
                if role:
                    stars[role][int(rating.get("stars", 0))] += 1
        due = [s for s in ran if (s.ended_at or now) <= now - APPLY_AFTER_MS]
        applied = [s for s in due if s.applied_at]
        calls_per_mentee = Counter(s.mentee_id for s in ran)
        call_ms = sum((s.ended_at or 0) - (s.started_at or 0) for s in ran)
        burst_ms = 0
        for entry in bursts:
            parts = entry.split("|")
            if len(parts) == 5:
                burst_ms += max(0, int(parts[3]) - int(parts[2]))
        events = await self._events(sorted({s.event_id for s in sessions if s.event_id}))

        return {
            "since": since,
            "until": now,
            "weeks": [
                {
                    "week": w,
                    "participants": len(weekly[w]["people"]),
                    "mentees": len(weekly[w]["mentees"]),
                    "mentors": len(weekly[w]["mentors"]),
                    "sessions": weekly[w]["sessions"],
                    "asked": joined_by_week[w],
                    "matched": matched_by_week[w],
                }
                for w in labels
            ],
            "wait_by_skill": [
                {
                    "skill": skill,
                    "name": self._catalog.name(skill),
                    "matches": len(values),
                    "p50_s": percentile(values, 50),
                    "p90_s": percentile(values, 90),
                }
                for skill, values in sorted(waits.items())
            ],
            "matched_share": {
                "asked": len(tickets),
                "matched": len(matched_tickets & set(tickets)),
                "share": _share(len(matched_tickets & set(tickets)), len(tickets)),
            },
            "no_shows": {
                "calls": len(ended),
                "with_no_show": len(no_shows),
                "rate": _share(len(no_shows), len(ended)),
            },
            "ratings": {
                "by_mentees": {str(n): stars["mentee"][n] for n in range(1, 6)},
                "by_mentors": {str(n): stars["mentor"][n] for n in range(1, 6)},
            },
            "follow_up_notes": {
                "calls_due": len(due),
                "applied": len(applied),
                "rate": _share(len(applied), len(due)),
            },
            "repeat_use": {
                "mentees": len(calls_per_mentee),
                "returning": sum(1 for n in calls_per_mentee.values() if n >= 2),
                "rate": _share(
                    sum(1 for n in calls_per_mentee.values() if n >= 2), len(calls_per_mentee)
                ),
            },
            "mentor_utilisation": {
                "call_minutes": round(call_ms / 60000, 1),
                "online_minutes": round(burst_ms / 60000, 1),
                "rate": round(call_ms / burst_ms, 4) if burst_ms else None,
            },
            "events": events,
        }

    async def _ratings(self, sids: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for sid in sids:
                pipe.hgetall(keys.ratings(sid))
            rows = await pipe.execute()
        return {
            sid: {rater: json.loads(value) for rater, value in row.items()}
            for sid, row in zip(sids, rows, strict=True)
        }

    async def _events(self, event_ids: list[str]) -> list[dict[str, Any]]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for event_id in event_ids:
                pipe.hmget(keys.event(event_id), "title", "created_at", "rounds", "round")
                pipe.hlen(keys.event_people(event_id))
                pipe.hlen(keys.event_left(event_id))
            raw = await pipe.execute()
        out = []
        for i, event_id in enumerate(event_ids):
            (title, created_at, rounds, played), people, left = raw[3 * i : 3 * i + 3]
            out.append(
                {
                    "event_id": event_id,
                    "title": title or "",
                    "created_at": int(created_at or 0),
                    "rounds": int(rounds or 0),
                    "rounds_played": int(played or 0),
                    "attended": int(people),
                    "left_early": int(left),
                }
            )
        return out

    async def no_show_people(self, weeks: int = 12) -> list[dict[str, Any]]:
        """Per person, no-shows in the window (admins see everyone's), most first."""
        _, since, _ = await self._window(weeks)
        sids = await self._redis.zrangebyscore(keys.log("sessions"), since, "+inf")
        counts: Counter[str] = Counter()
        for s in await self._sessions.get_many(sids):
            counts.update(s.no_show)
        names = await self._users.names(list(counts))
        return [
            {"id": uid, "name": names[uid], "no_shows": n} for uid, n in counts.most_common(100)
        ]

    @staticmethod
    def csv(report: dict[str, Any], name: str) -> str:
        """One tidy table of the report, formula-safe (server/protocol/csvsafe.py)."""
        rows: list[list[Any]]
        if name == "weekly":
            header = ["week", "participants", "mentees", "mentors", "sessions", "asked", "matched"]
            rows = [[w[h] for h in header] for w in report["weeks"]]
        elif name == "skills":
            header = ["skill", "name", "matches", "wait_p50_s", "wait_p90_s"]
            rows = [
                [w["skill"], w["name"], w["matches"], w["p50_s"], w["p90_s"]]
                for w in report["wait_by_skill"]
            ]
        elif name == "ratings":
            header = ["stars", "given_by_mentees", "given_by_mentors"]
            rows = [
                [
                    n,
                    report["ratings"]["by_mentees"][str(n)],
                    report["ratings"]["by_mentors"][str(n)],
                ]
                for n in range(1, 6)
            ]
        else:
            header = ["event_id", "title", "rounds", "rounds_played", "attended", "left_early"]
            rows = [[e[h] for h in header] for e in report["events"]]
        return table(header, rows)
