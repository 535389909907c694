"""The host's live console: who is where, how each round call is going, and how each round went.

``event:console`` goes to the host only, pushed whenever something it shows changes (a join, a
leave, a round starting or ending, media connecting in a call, a rating arriving), coalesced by
:class:`~server.domain.speed.service.SpeedEvents`. It is built from the same Redis records the rounds
write, so it is never a second copy of the truth that could drift.
"""

from __future__ import annotations

from server.domain.calls.ratings import Ratings
from server.domain.speed.store import EventStore, Outcome, Participant, Round
from server.protocol.outbound import (
    ConsolePair,
    ConsolePerson,
    EventConsole,
    PairStars,
    PersonRef,
    RatingsCount,
    RoundStats,
)


def media(outcome: Outcome) -> str:
    """``connected`` (both sides reported media), ``one_side``, ``not_yet`` (still running) or
    ``never`` (the call ended before both sides had media)."""
    if outcome.connected:
        return "connected"
    if outcome.state == "ended":
        return "never"
    return "one_side" if outcome.mentor_connected or outcome.mentee_connected else "not_yet"


def mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def round_stats(
    rnd: Round, outcomes: dict[str, Outcome], stars: dict[str, list[int]]
) -> RoundStats:
    """One round at a glance: its pairs, the share that got media flowing, its ratings so far."""
    connected = sum(1 for p in rnd.pairs if outcomes[p.session_id].connected)
    given = [n for p in rnd.pairs for n in stars.get(p.session_id, [])]
    return RoundStats(
        round=rnd.number,
        started_at=rnd.started_at,
        ends_at=rnd.ends_at,
        pairs=len(rnd.pairs),
        connected=connected,
        connected_share=round(connected / len(rnd.pairs), 3) if rnd.pairs else None,
        sitting_out=len(rnd.sitting_out),
        ratings=RatingsCount(count=len(given), mean=mean(given)),
    )


def status(person: Participant, state: str, round_no: int, busy: set[str], out: set[str]) -> str:
    """Where a person is now: ``lobby``, ``in_call``, ``sitting_out``, ``next_round`` (joined
    late, plays from the next round), ``call_ended`` (the partner left), ``break``, ``left``
    or ``done``."""
    if person.left_round is not None:
        return "left"
    if state in ("lobby", "ended"):
        return "lobby" if state == "lobby" else "done"
    if person.joined_round > round_no:
        return "next_round"
    if state == "break":
        return "break"
    if person.id in busy:
        return "in_call"
    return "sitting_out" if person.id in out else "call_ended"


class HostConsole:
    def __init__(self, store: EventStore, ratings: Ratings) -> None:
        self._store = store
        self._ratings = ratings

    async def view(self, event_id: str, now_ms: int) -> EventConsole:
        """The host's ``event:console``."""
        state = await self._store.state(event_id)
        people = await self._store.people(event_id)
        rounds = await self._store.rounds(event_id)
        sids = [pair.session_id for rnd in rounds for pair in rnd.pairs]
        outcomes = await self._store.outcomes(sids)
        ratings = await self._ratings.ratings_of_many(sids)
        stars = {sid: [r["stars"] for r in given.values()] for sid, given in ratings.items()}
        names = {p.id: p.name for p in people}
        current = next((r for r in rounds if r.number == state["round"]), None)

        def who(uid: str) -> PersonRef:
            return PersonRef(uid, names.get(uid, ""))

        pairs = []
        busy: set[str] = set()
        for pair in current.pairs if current else []:
            outcome = outcomes[pair.session_id]
            if outcome.state != "ended":
                busy.update((pair.mentor_id, pair.mentee_id))
            given = ratings.get(pair.session_id, {})
            pairs.append(
                ConsolePair(
                    session_id=pair.session_id,
                    round=current.number if current else 0,
                    mentor=who(pair.mentor_id),
                    mentee=who(pair.mentee_id),
                    media=media(outcome),
                    media_at=outcome.media_at,
                    state=outcome.state,
                    reason=outcome.reason or None,
                    stars=PairStars(
                        mentor=(given.get(pair.mentor_id) or {}).get("stars"),
                        mentee=(given.get(pair.mentee_id) or {}).get("stars"),
                    ),
                )
            )
        out = set(current.sitting_out) if current else set()
        played = {p.id: 0 for p in people}
        sat_out = {p.id: 0 for p in people}
        for rnd in rounds:
            for pair in rnd.pairs:
                for uid in (pair.mentor_id, pair.mentee_id):
                    played[uid] = played.get(uid, 0) + 1
            for uid in rnd.sitting_out:
                sat_out[uid] = sat_out.get(uid, 0) + 1
        return EventConsole(
            event_id=event_id,
            state=state["state"],
            round=state["round"],
            rounds=state["rounds"],
            ends_at=state["ends_at"],
            server_now=now_ms,
            people=[
                ConsolePerson(
                    id=p.id,
                    name=p.name,
                    role=p.role,
                    intro=p.intro,
                    skills=p.skills,
                    status=status(p, state["state"], state["round"], busy, out),
                    joined_round=p.joined_round,
                    left_round=p.left_round,
                    played=played[p.id],
                    sat_out=sat_out[p.id],
                )
                for p in people
            ],
            pairs=pairs,
            stats=[round_stats(rnd, outcomes, stars) for rnd in rounds],
            prompts={
                str(n): text for n, text in sorted((await self._store.prompts(event_id)).items())
            },
        )
