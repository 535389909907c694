"""Speed-mentoring events: a host runs rounds where every pair's call starts and ends together.

The schedule (round ends, break ends) runs on the same Redis deadlines as drop-in countdowns,
so any node fires it and a restarted server picks it up. State transitions are guarded with
WATCH/MULTI on the event hash: a host's "next" racing the round timer changes the event once.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import WatchError

from server import keys
from server.clock import Clock
from server.config import Config
from server.dropin import DropIn
from server.errors import Conflict, Forbidden, InvalidPayload, NotFound
from server.notifier import Notifier
from server.payloads import EventCreate, EventJoin, trimmed
from server.rounds import Person, pair_round
from server.sessions import Session
from server.users import new_id
from server.worker import Worker

log = logging.getLogger(__name__)

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class Participant:
    id: str
    name: str
    role: str
    skills: list[str]
    joined_round: int
    left_round: int | None = None

    def active_in(self, round_no: int) -> bool:
        return self.left_round is None and self.joined_round <= round_no

    def as_json(self) -> str:
        return json.dumps(
            {
                "name": self.name,
                "role": self.role,
                "skills": self.skills,
                "joined_round": self.joined_round,
                "left_round": self.left_round,
            }
        )

    @classmethod
    def from_json(cls, user_id: str, raw: str) -> Participant:
        data = json.loads(raw)
        return cls(
            user_id,
            data["name"],
            data["role"],
            data["skills"],
            data["joined_round"],
            data["left_round"],
        )


class SpeedEvents(Worker):
    name = "events"

    def __init__(
        self,
        *,
        redis: Redis,
        config: Config,
        clock: Clock,
        dropin: DropIn,
        notifier: Notifier,
        interval: float = 0.2,
    ) -> None:
        super().__init__()
        self._redis = redis
        self._config = config
        self._clock = clock
        self._dropin = dropin
        self._notifier = notifier
        self._interval = interval
        self._dirty: set[str] = set()
        dropin.timers.on("event-round", self._round_timer)
        dropin.timers.on("event-break", self._break_timer)
        dropin.session_end_listeners.append(self._session_ended)

    # -- reading ---------------------------------------------------------------------------

    async def _event(self, event_id: str) -> dict[str, str]:
        data: dict[str, str] = await self._redis.hgetall(keys.event(event_id))
        if not data:
            raise NotFound("No such event.")
        return data

    async def people(self, event_id: str) -> list[Participant]:
        raw = await self._redis.hgetall(keys.event_people(event_id))
        people = [Participant.from_json(uid, value) for uid, value in raw.items()]
        return sorted(people, key=lambda p: (p.joined_round, p.id))

    async def state(self, event_id: str) -> dict[str, Any]:
        """The public state, as ``event:update`` carries it."""
        ev = await self._event(event_id)
        round_no = int(ev["round"])
        present = [p for p in await self.people(event_id) if p.left_round is None]
        state: dict[str, Any] = {
            "event_id": event_id,
            "title": ev["title"],
            "state": ev["state"],
            "round": round_no,
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
        return state

    async def _host_only(self, user_id: str, event_id: str) -> dict[str, str]:
        ev = await self._event(event_id)
        if ev["host"] != user_id:
            raise Forbidden("Only the event's host can do that.", code="not_host")
        return ev

    # -- people ----------------------------------------------------------------------------

    async def create(self, host_id: str, msg: EventCreate) -> dict[str, Any]:
        title = trimmed(msg.title, "title", 1, 120)
        for slug in msg.skills:
            if slug not in self._dropin.catalog:
                raise InvalidPayload(f"Unknown skill {slug!r}.", code="unknown_skill")
        event_id = new_id("e")
        for _ in range(20):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
            if await self._redis.set(keys.event_code(code), event_id, nx=True):
                break
        else:
            raise Conflict("Could not allocate a join code; try again.", code="try_again")
        await self._redis.hset(
            keys.event(event_id),
            mapping={
                "id": event_id, "code": code, "title": title, "host": host_id,
                "round_seconds": msg.round_seconds, "rounds": msg.rounds,
                "break_seconds": msg.break_seconds, "skills": ",".join(msg.skills),
                "state": "lobby", "round": 0, "ends_at": "", "created_at": self._clock.now_ms(),
            },
        )  # fmt: skip
        await self._redis.sadd(keys.hosted_events(host_id), event_id)
        return {"event_id": event_id, "code": code}

    async def join(self, user_id: str, name: str, msg: EventJoin) -> dict[str, Any]:
        event_id = await self._redis.get(keys.event_code(msg.code.strip().upper()))
        if event_id is None:
            raise NotFound("No event has that code.", code="unknown_code")
        ev = await self._event(event_id)
        if ev["state"] == "ended":
            raise Conflict("That event has ended.", code="event_over")
        if ev["host"] == user_id:
            raise Conflict("You are hosting this event.", code="is_host")
        for slug in msg.skills:
            if slug not in self._dropin.catalog:
                raise InvalidPayload(f"Unknown skill {slug!r}.", code="unknown_skill")
        current = await self._redis.get(keys.user_event(user_id))
        if current and current != event_id:
            raise Conflict("You are in another event; leave it first.", code="in_other_event")
        # Late joiners play from the next round that starts.
        round_no = int(ev["round"])
        joined_round = round_no + 1 if ev["state"] in ("round", "break") else 1
        person = Participant(user_id, name, msg.role, list(dict.fromkeys(msg.skills)), joined_round)
        await self._redis.hset(keys.event_people(event_id), user_id, person.as_json())
        await self._redis.set(keys.user_event(user_id), event_id)
        self.mark(event_id)
        return await self.state(event_id)

    async def leave(self, user_id: str, expected: str | None = None) -> None:
        """Out of this and later rounds; a partner mid-call is told and re-paired if possible."""
        event_id = await self._redis.get(keys.user_event(user_id))
        if expected is not None and event_id != expected:
            raise Forbidden("You are not in that event.", code="not_in_event")
        if not event_id:
            return
        await self._redis.delete(keys.user_event(user_id))
        raw = await self._redis.hget(keys.event_people(event_id), user_id)
        if raw:
            person = Participant.from_json(user_id, raw)
            round_no = int((await self._event(event_id))["round"])
            left = Participant(
                person.id, person.name, person.role, person.skills, person.joined_round, round_no
            )
            await self._redis.hset(keys.event_people(event_id), user_id, left.as_json())
        session_id = await self._dropin.sessions.live_session_id(user_id)
        if session_id:
            await self._dropin.end(session_id, "left", actor=user_id)
        self.mark(event_id)

    # -- host controls ---------------------------------------------------------------------

    async def start_event(self, user_id: str, event_id: str) -> None:
        ev = await self._host_only(user_id, event_id)
        if ev["state"] != "lobby":
            raise Conflict("The event has already started.", code="already_started")
        people = [p for p in await self.people(event_id) if p.active_in(1)]
        if not any(p.role == "mentor" for p in people) or not any(
            p.role == "mentee" for p in people
        ):
            raise Conflict(
                "Start needs at least one mentor and one mentee.", code="not_enough_people"
            )
        await self._begin_round(event_id, 1)

    async def next_round(self, user_id: str, event_id: str) -> None:
        """During a round: end it now. During a break: start the next round now."""
        ev = await self._host_only(user_id, event_id)
        round_no = int(ev["round"])
        if ev["state"] == "round":
            await self._end_round(event_id, round_no)
        elif ev["state"] == "break":
            await self._begin_round(event_id, round_no + 1)
        else:
            raise Conflict(
                f"Nothing to advance: the event is in its {ev['state']}.", code="not_running"
            )

    async def end_event(self, user_id: str, event_id: str) -> None:
        ev = await self._host_only(user_id, event_id)
        if ev["state"] == "ended":
            return
        await self._end_round(event_id, int(ev["round"]), final=True)

    async def announce(self, user_id: str, event_id: str, text: str) -> None:
        await self._host_only(user_id, event_id)
        await self._redis.hset(keys.event(event_id), "announcement", text.strip())
        await self._broadcast(event_id)

    # -- rounds ----------------------------------------------------------------------------

    async def _begin_round(self, event_id: str, round_no: int) -> bool:
        ev = await self._event(event_id)
        people = [p for p in await self.people(event_id) if p.active_in(round_no)]
        busy = set()
        for person in people:
            if await self._redis.exists(keys.live_session(person.id)):
                busy.add(person.id)  # still in a drop-in call: sits this one out, uncounted
        sitouts = await self._redis.hgetall(keys.event_sitouts(event_id))
        event_skills = frozenset(s for s in ev.get("skills", "").split(",") if s)

        def as_person(p: Participant) -> Person:
            return Person(p.id, frozenset(p.skills) or event_skills, int(sitouts.get(p.id, 0)))

        mentors = [as_person(p) for p in people if p.role == "mentor" and p.id not in busy]
        mentees = [as_person(p) for p in people if p.role == "mentee" and p.id not in busy]
        met: list[tuple[str, str]] = []
        for pair in await self._redis.smembers(keys.event_met(event_id)):
            mentor_id, _, mentee_id = pair.partition("|")
            met.append((mentor_id, mentee_id))
        rotation = pair_round(mentors, mentees, met, round_no)

        now = self._clock.now_ms()
        round_ms = int(ev["round_seconds"]) * 1000
        ends_at = now + round_ms
        question = f"{ev['title']}: round {round_no}"
        skill = next(iter(sorted(event_skills)), "event")
        pairs = [(mentor, mentee, new_id("s")) for mentor, mentee in rotation.pairs]
        async with self._redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(keys.event(event_id))
                state, current = await pipe.hmget(keys.event(event_id), "state", "round")
                if state not in ("lobby", "break") or int(current) != round_no - 1:
                    return False  # someone else moved the event first
                pipe.multi()
                pipe.hset(
                    keys.event(event_id),
                    mapping={"state": "round", "round": round_no, "ends_at": ends_at},
                )
                for mentor, mentee, sid in pairs:
                    _book_call(
                        pipe, event_id, round_no, sid, mentor, mentee, skill, question, now, ends_at
                    )
                for person_id in rotation.sitting_out:
                    pipe.hincrby(keys.event_sitouts(event_id), person_id, 1)
                record = {
                    "pairs": [list(p) for p in pairs],
                    "sitting_out": rotation.sitting_out,
                    "started_at": now,
                    "ends_at": ends_at,
                }
                pipe.hset(keys.event_rounds(event_id), str(round_no), json.dumps(record))
                await pipe.execute()
            except WatchError:
                return False
        await self._dropin.timers.cancel("event-break", f"{event_id}:{round_no - 1}")
        await self._dropin.timers.schedule_many(
            [("event-round", f"{event_id}:{round_no}", ends_at)]
            + [d for _, _, sid in pairs for d in self._dropin.warning_deadlines(sid, now, ends_at)]
        )
        await self._broadcast(event_id)
        # Everyone hears "round N" first, so the round begins for all at once; then each pair
        # gets its call (session:matched, session:started with the round's shared ends_at).
        rounds = [
            self._notifier.to_user(
                uid, "event:round", _round_payload(event_id, round_no, ends_at, sid)
            )
            for mentor, mentee, sid in pairs
            for uid in (mentee, mentor)
        ] + [
            self._notifier.to_user(uid, "event:round", _round_payload(event_id, round_no, ends_at))
            for uid in rotation.sitting_out + sorted(busy)
        ]
        await asyncio.gather(*rounds)
        await asyncio.gather(
            *(self._send_call(sid, mentor, mentee, now, ends_at) for mentor, mentee, sid in pairs)
        )
        return True

    async def _send_pair(
        self,
        event_id: str,
        round_no: int,
        sid: str,
        mentor: str,
        mentee: str,
        started_at: int,
        ends_at: int,
    ) -> None:
        for user_id in (mentee, mentor):
            await self._notifier.to_user(
                user_id, "event:round", _round_payload(event_id, round_no, ends_at, sid)
            )
        await self._send_call(sid, mentor, mentee, started_at, ends_at)

    async def _send_call(
        self, sid: str, mentor: str, mentee: str, started_at: int, ends_at: int
    ) -> None:
        """A round's call starts at once: matched, then started with the shared end."""
        session = await self._dropin.sessions.get(sid)
        if session is None:
            return
        cards = await self._dropin.peer_cards(session)
        for user_id in (mentee, mentor):
            await self._notifier.to_user(
                user_id,
                "session:matched",
                await self._dropin.matched_payload(session, user_id, cards),
            )
            await self._notifier.to_user(
                user_id, "session:started", self._dropin.started_payload(sid, started_at, ends_at)
            )

    async def _end_round(self, event_id: str, round_no: int, *, final: bool = False) -> bool:
        ev = await self._event(event_id)
        last = round_no >= int(ev["rounds"])
        finished = final or last
        now = self._clock.now_ms()
        break_ends = now + int(ev["break_seconds"]) * 1000
        async with self._redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(keys.event(event_id))
                state, current = await pipe.hmget(keys.event(event_id), "state", "round")
                allowed = ("lobby", "round", "break") if final else ("round",)
                if state not in allowed or int(current) != round_no:
                    return False
                pipe.multi()
                pipe.hset(
                    keys.event(event_id),
                    mapping={
                        "state": "ended" if finished else "break",
                        "ends_at": "" if finished else break_ends,
                    },
                )
                await pipe.execute()
            except WatchError:
                return False
        await self._dropin.timers.cancel("event-round", f"{event_id}:{round_no}")
        raw = await self._redis.hget(keys.event_rounds(event_id), str(round_no))
        if raw and state == "round":
            sessions = [sid for _, _, sid in json.loads(raw)["pairs"]]
            await asyncio.gather(*(self._dropin.end(sid, "event_round_over") for sid in sessions))
        if finished:
            await self._dropin.timers.cancel("event-break", f"{event_id}:{round_no}")
            for person in await self.people(event_id):
                if await self._redis.get(keys.user_event(person.id)) == event_id:
                    await self._redis.delete(keys.user_event(person.id))
        else:
            await self._dropin.timers.schedule("event-break", f"{event_id}:{round_no}", break_ends)
        await self._broadcast(event_id, include_left=finished)
        return True

    async def _round_timer(self, arg: str) -> None:
        event_id, _, round_no = arg.rpartition(":")
        await self._end_round(event_id, int(round_no))

    async def _break_timer(self, arg: str) -> None:
        event_id, _, round_no = arg.rpartition(":")
        await self._begin_round(event_id, int(round_no) + 1)

    async def _session_ended(self, session: Session, reason: str, actor: str) -> None:
        """A partner left mid-round: pair the one who stayed with someone sitting out."""
        if not session.event_id or reason not in ("left", "disconnected") or not actor:
            return
        ev = await self._event(session.event_id)
        if ev["state"] != "round" or not session.ends_at:
            return
        stayed = session.peer_of(actor)
        stayed_role = session.role_of(stayed)
        raw = await self._redis.hget(keys.event_rounds(session.event_id), ev["round"])
        if not raw or stayed_role is None:
            return
        record = json.loads(raw)
        people = {p.id: p for p in await self.people(session.event_id)}
        met = await self._redis.smembers(keys.event_met(session.event_id))
        for candidate_id in record["sitting_out"]:
            candidate = people.get(candidate_id)
            if (
                candidate is None
                or candidate.left_round is not None
                or candidate.role == stayed_role
            ):
                continue
            mentor, mentee = (
                (stayed, candidate_id) if stayed_role == "mentor" else (candidate_id, stayed)
            )
            if f"{mentor}|{mentee}" in met or await self._redis.exists(
                keys.live_session(candidate_id)
            ):
                continue
            await self._repair(session, ev, record, mentor, mentee, people)
            return

    async def _repair(
        self,
        old: Session,
        ev: dict[str, str],
        record: dict[str, Any],
        mentor: str,
        mentee: str,
        people: dict[str, Participant],
    ) -> None:
        assert old.event_id and old.ends_at
        event_id, round_no = old.event_id, int(ev["round"])
        sid, now = new_id("s"), self._clock.now_ms()
        async with self._redis.pipeline(transaction=True) as pipe:
            _book_call(
                pipe,
                event_id,
                round_no,
                sid,
                mentor,
                mentee,
                old.skill,
                old.question,
                now,
                old.ends_at,
            )
            record["pairs"].append([mentor, mentee, sid])
            record["sitting_out"] = [p for p in record["sitting_out"] if p not in (mentor, mentee)]
            pipe.hset(keys.event_rounds(event_id), str(round_no), json.dumps(record))
            await pipe.execute()
        await self._dropin.timers.schedule_many(
            self._dropin.warning_deadlines(sid, now, old.ends_at)
        )
        await self._send_pair(event_id, round_no, sid, mentor, mentee, now, old.ends_at)

    # -- presence and catching up ------------------------------------------------------------

    async def user_gone(self, user_id: str) -> None:
        await self.leave(user_id)

    async def resume(self, user_id: str) -> list[tuple[str, dict[str, Any]]]:
        out: list[tuple[str, dict[str, Any]]] = []
        event_ids = set(await self._redis.smembers(keys.hosted_events(user_id)))
        current = await self._redis.get(keys.user_event(user_id))
        if current:
            event_ids.add(current)
        for event_id in sorted(event_ids):
            state = await self.state(event_id)
            if state["state"] != "ended" or event_id == current:
                out.append(("event:update", state))
        return out

    # -- broadcasting ------------------------------------------------------------------------

    def mark(self, event_id: str) -> None:
        """Coalesce lobby churn: one ``event:update`` per event per interval."""
        self._dirty.add(event_id)
        self.wake()

    async def _broadcast(self, event_id: str, *, include_left: bool = False) -> None:
        self._dirty.discard(event_id)
        state = await self.state(event_id)
        people = await self.people(event_id)
        recipients = {p.id for p in people if include_left or p.left_round is None} | {
            state["host_id"]
        }
        await asyncio.gather(
            *(self._notifier.to_user(uid, "event:update", state) for uid in recipients)
        )

    async def run(self) -> None:
        while not self.stopping:
            if not self._dirty:
                await self.pause(60)
                continue
            for event_id in list(self._dirty):
                try:
                    await self._broadcast(event_id)
                except Exception:
                    log.exception("event broadcast failed")
            await asyncio.sleep(self._interval)

    # -- results -----------------------------------------------------------------------------

    async def _rounds(self, event_id: str) -> list[tuple[int, dict[str, Any]]]:
        raw = await self._redis.hgetall(keys.event_rounds(event_id))
        return sorted((int(k), json.loads(v)) for k, v in raw.items())

    async def summary(self, user_id: str, event_id: str) -> dict[str, Any]:
        """Host only: attendance, pairs per round with ratings, sit-outs, mutual follow-ups."""
        await self._host_only(user_id, event_id)
        state = await self.state(event_id)
        people = {p.id: p for p in await self.people(event_id)}

        def who(uid: str) -> dict[str, str]:
            return {"id": uid, "name": people[uid].name if uid in people else ""}

        rounds, mutual, stars = [], [], []
        for round_no, record in await self._rounds(event_id):
            pairs = []
            for mentor, mentee, sid in record["pairs"]:
                ratings = await self._dropin.ratings.ratings_of(sid)
                given = {
                    role: ratings.get(uid) for role, uid in (("mentor", mentor), ("mentee", mentee))
                }
                both = all(r and r.get("follow_up") for r in given.values())
                stars += [r["stars"] for r in given.values() if r]
                pairs.append(
                    {
                        "session_id": sid, "mentor": who(mentor), "mentee": who(mentee),
                        "ratings": {role: _public_rating(r) for role, r in given.items()},
                        "mutual_follow_up": both,
                    }
                )  # fmt: skip
                if both:
                    mutual.append({"round": round_no, "mentor": who(mentor), "mentee": who(mentee)})
            rounds.append(
                {
                    "round": round_no, "started_at": record["started_at"], "ends_at": record["ends_at"],
                    "pairs": pairs,
                    "sitting_out": [{**who(u), "role": people[u].role if u in people else ""} for u in record["sitting_out"]],
                }
            )  # fmt: skip
        return {
            "event": state,
            "attendance": [
                {
                    "id": p.id,
                    "name": p.name,
                    "role": p.role,
                    "skills": p.skills,
                    "joined_round": p.joined_round,
                    "left_round": p.left_round,
                }
                for p in people.values()
            ],
            "rounds": rounds,
            "ratings": {
                "count": len(stars),
                "mean": round(sum(stars) / len(stars), 2) if stars else None,
            },
            "mutual_follow_ups": mutual,
        }

    @staticmethod
    def summary_csv(summary: dict[str, Any]) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            ["kind", "round", "mentor_id", "mentor_name", "mentee_id", "mentee_name", "session_id",
             "mentor_stars", "mentee_stars", "mentor_follow_up", "mentee_follow_up", "mutual_follow_up",
             "user_id", "user_name", "role", "joined_round", "left_round"]
        )  # fmt: skip
        for person in summary["attendance"]:
            writer.writerow(
                ["attendee", "", "", "", "", "", "", "", "", "", "", "", person["id"], person["name"],
                 person["role"], person["joined_round"], person["left_round"] or ""]
            )  # fmt: skip
        for rnd in summary["rounds"]:
            for pair in rnd["pairs"]:
                r = pair["ratings"]

                def field(role: str, key: str, ratings: dict[str, Any] = r) -> Any:
                    return ratings[role][key] if ratings[role] else ""

                writer.writerow(
                    ["pair", rnd["round"], pair["mentor"]["id"], pair["mentor"]["name"],
                     pair["mentee"]["id"], pair["mentee"]["name"], pair["session_id"],
                     field("mentor", "stars"), field("mentee", "stars"),
                     field("mentor", "follow_up"), field("mentee", "follow_up"), pair["mutual_follow_up"],
                     "", "", "", "", ""]
                )  # fmt: skip
            for person in rnd["sitting_out"]:
                writer.writerow(
                    ["sit_out", rnd["round"], "", "", "", "", "", "", "", "", "", "",
                     person["id"], person["name"], person["role"], "", ""]
                )  # fmt: skip
        return out.getvalue()

    async def my_results(self, user_id: str, event_id: str) -> dict[str, Any]:
        """A participant's own pairs, and the people who also want to keep talking."""
        state = await self.state(event_id)
        people = {p.id: p for p in await self.people(event_id)}
        if user_id not in people and state["host_id"] != user_id:
            raise Forbidden("You did not take part in this event.", code="not_in_event")
        pairs, mutual = [], []
        for round_no, record in await self._rounds(event_id):
            for mentor, mentee, sid in record["pairs"]:
                if user_id not in (mentor, mentee):
                    continue
                partner = mentee if user_id == mentor else mentor
                ratings = await self._dropin.ratings.ratings_of(sid)
                mine, theirs = ratings.get(user_id), ratings.get(partner)
                both = bool(mine and theirs and mine.get("follow_up") and theirs.get("follow_up"))
                who = {"id": partner, "name": people[partner].name if partner in people else ""}
                pairs.append({"round": round_no, "session_id": sid, "partner": who, "my_rating": mine,
                              "mutual_follow_up": both})  # fmt: skip
                if both:
                    mutual.append({**who, "round": round_no})
            if user_id in record["sitting_out"]:
                pairs.append({"round": round_no, "sitting_out": True})
        return {"event": state, "pairs": pairs, "mutual_follow_ups": mutual}


def _round_payload(
    event_id: str, round_no: int, ends_at: int, sid: str | None = None
) -> dict[str, Any]:
    """``event:round``: a session to join, or (without one) sitting this round out."""
    payload: dict[str, Any] = {
        "event_id": event_id,
        "round": round_no,
        "sitting_out": sid is None,
        "ends_at": ends_at,
    }
    if sid is not None:
        payload["session_id"] = sid
    return payload


def _book_call(
    pipe: Any,
    event_id: str,
    round_no: int,
    sid: str,
    mentor: str,
    mentee: str,
    skill: str,
    question: str,
    now: int,
    ends_at: int,
) -> None:
    """Queue the writes that make one round call live for both people (inside a MULTI)."""
    pipe.hset(
        keys.session(sid),
        mapping={
            "id": sid, "mentor": mentor, "mentee": mentee, "skill": skill, "question": question,
            "ticket_id": "", "state": "live", "matched_at": now, "started_at": now,
            "ends_at": ends_at, "duration_ms": ends_at - now, "event_id": event_id, "round": round_no,
        },
    )  # fmt: skip
    for user_id in (mentor, mentee):
        pipe.set(keys.live_session(user_id), sid)
        pipe.zadd(keys.history(user_id), {sid: now})
    pipe.sadd(keys.event_met(event_id), f"{mentor}|{mentee}")


def _public_rating(rating: dict[str, Any] | None) -> dict[str, Any] | None:
    if rating is None:
        return None
    return {
        "stars": rating["stars"],
        "tags": rating.get("tags", []),
        "follow_up": rating.get("follow_up", False),
    }
