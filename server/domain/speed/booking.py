"""Booking a round's calls: pairing, starting and ending rounds, and re-pairing mid-round.

Python chooses (the pure rotation in ``rounds.py``, a re-pair candidate); one Lua script books,
re-checking in the same step that the round is still the one to book and that both people are
in the event and free, and records each pair in the round as it books it. So two people who
leave at once can never book the same third person twice, a late re-pair can never book a call
after its round ended, and a drop-in claim can never overwrite an event call (or the reverse).
"""

from __future__ import annotations

import asyncio
import logging

from msgspec import UNSET

from server.domain.accounts.users import new_id
from server.domain.calls.lifecycle import Calls
from server.domain.calls.sessions import Session, SessionStore
from server.domain.speed.rounds import Person, pair_round
from server.domain.speed.store import EventStore, Participant
from server.protocol.notifier import Notifier
from server.protocol.outbound import EventRound
from server.store.scripts import Lua

log = logging.getLogger(__name__)


def round_message(event_id: str, round_no: int, ends_at: int, sid: str | None = None) -> EventRound:
    """``event:round``: a session to join, or (without one) sitting this round out."""
    return EventRound(
        event_id=event_id,
        round=round_no,
        sitting_out=sid is None,
        ends_at=ends_at,
        session_id=UNSET if sid is None else sid,
    )


def pair_skill(mentor: frozenset[str], mentee: frozenset[str], event: frozenset[str]) -> str:
    """The skill a round call is about: one the two share, else the event's, else ``event``."""
    shared = sorted(mentor & mentee)
    if shared:
        return shared[0]
    return next(iter(sorted(event)), "event")


class RoundBooker:
    def __init__(
        self,
        lua: Lua,
        store: EventStore,
        calls: Calls,
        sessions: SessionStore,
        notifier: Notifier,
    ) -> None:
        self._lua = lua
        self._store = store
        self._calls = calls
        self._sessions = sessions
        self._notifier = notifier

    async def begin_round(self, event_id: str, round_no: int) -> bool:
        """Pair and book round ``round_no``; False when someone else moved the event first."""
        ev = await self._store.event(event_id)
        people = [p for p in await self._store.people(event_id) if p.active_in(round_no)]
        # Someone still in a drop-in call sits this round out, uncounted (the script re-checks).
        busy = await self._store.in_calls([p.id for p in people])
        sitouts = await self._store.sitouts(event_id)
        event_skills = frozenset(s for s in ev.get("skills", "").split(",") if s)

        def as_person(p: Participant) -> Person:
            return Person(p.id, frozenset(p.skills) or event_skills, sitouts.get(p.id, 0))

        rotation = pair_round(
            [as_person(p) for p in people if p.role == "mentor" and p.id not in busy],
            [as_person(p) for p in people if p.role == "mentee" and p.id not in busy],
            await self._store.met(event_id),
            round_no,
        )
        skills = {p.id: frozenset(p.skills) or event_skills for p in people}
        pairs = [(mentor, mentee, new_id("s")) for mentor, mentee in rotation.pairs]
        reply = await self._lua(
            self._lua.scripts.event_begin_round,
            event_id,
            round_no,
            f"{ev['title']}: round {round_no}",
            len(pairs),
            *[
                part
                for mentor, mentee, sid in pairs
                for part in (
                    mentor,
                    mentee,
                    sid,
                    pair_skill(skills[mentor], skills[mentee], event_skills),
                )
            ],
            *rotation.sitting_out,
        )
        if reply[0] == "refused":
            return False
        ends_at, booked = int(reply[0]), set(reply[1:])
        await self._announce_round(event_id, round_no, ends_at, pairs, booked, people)
        return True

    async def _announce_round(
        self,
        event_id: str,
        round_no: int,
        ends_at: int,
        pairs: list[tuple[str, str, str]],
        booked: set[str],
        people: list[Participant],
    ) -> None:
        # Everyone hears "round N" first, so the round begins for all at once; then each pair
        # gets its call (session:matched, session:started with the round's shared ends_at).
        in_call = {uid: sid for m, e, sid in pairs if sid in booked for uid in (e, m)}
        first = {
            p.id: round_message(event_id, round_no, ends_at, in_call.get(p.id)) for p in people
        }
        sessions = await self._sessions.get_many(sorted(booked))
        await self._calls.announce_round(sessions, first)

    async def end_round(self, event_id: str, round_no: int, *, final: bool = False) -> str | None:
        """End the round (or the event); returns the new state, None if it had moved on."""
        reply = await self._lua(self._lua.scripts.event_end_round, event_id, round_no, int(final))
        if reply is None:
            return None
        state, running = str(reply[0]), reply[1:]
        await asyncio.gather(*(self._calls.end(sid, "event_round_over") for sid in running))
        return state

    async def repair(self, session: Session) -> bool:
        """A partner left mid-round: pair the one who stayed with someone sitting out."""
        if not session.event_id or session.round is None or not session.actor:
            return False
        if session.reason not in ("left", "disconnected"):
            return False
        event_id, round_no = session.event_id, session.round
        stayed = session.peer_of(session.actor)
        stayed_role = session.role_of(stayed)
        people = {p.id: p for p in await self._store.people(event_id)}
        met = set(await self._store.met(event_id))
        ev = await self._store.event(event_id)
        event_skills = frozenset(s for s in ev.get("skills", "").split(",") if s)
        for candidate_id in sorted(await self._store.sitting_out(event_id, round_no)):
            candidate = people.get(candidate_id)
            if candidate is None or candidate.left_round is not None:
                continue
            if candidate.role == stayed_role:
                continue
            mentor, mentee = (
                (stayed, candidate_id) if stayed_role == "mentor" else (candidate_id, stayed)
            )
            if (mentor, mentee) in met:
                continue
            sid = new_id("s")
            mentor_skills = frozenset(people[mentor].skills) if mentor in people else frozenset()
            mentee_skills = frozenset(people[mentee].skills) if mentee in people else frozenset()
            skill = pair_skill(
                mentor_skills or event_skills, mentee_skills or event_skills, event_skills
            )
            reply = await self._lua(
                self._lua.scripts.event_book_call,
                event_id,
                round_no,
                mentor,
                mentee,
                sid,
                skill,
                session.question,
            )
            if reply[0] == "booked":
                await self._announce_pair(event_id, round_no, int(reply[1]), sid)
                return True
            if reply[1] == "round_over":
                return False
        return False

    async def _announce_pair(self, event_id: str, round_no: int, ends_at: int, sid: str) -> None:
        session = await self._sessions.get(sid)
        if session is None:
            return
        message = round_message(event_id, round_no, ends_at, sid)
        for user_id in session.people:
            await self._notifier.to_user(user_id, message)
        await self._calls.send_matched(session, started=True)
