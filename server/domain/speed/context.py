"""What people bring into a round call: a one-line intro, their skills, and the host's prompt.

A participant gives an intro when joining (prefilled from their profile headline); each side of
a round call then sees the other's intro, the skills they share and the round's prompt, in
``session:matched`` and, for a prompt changed mid-round, in ``event:update``.
"""

from __future__ import annotations

from typing import Any

from server.domain.calls.lifecycle import RoundSide
from server.domain.calls.sessions import Session
from server.domain.speed.store import EventStore
from server.protocol.inbound import INTRO_MAX, clean_line


def intro_of(given: str | None, headline: str) -> str:
    """The intro a person gave (already one clean line, checked at the edge), or (when they
    gave none) their profile headline, cut to an intro's length."""
    if given is None:
        return clean_line(headline)[:INTRO_MAX]
    return given


class CallContext:
    def __init__(self, store: EventStore) -> None:
        self._store = store

    async def __call__(self, session: Session) -> dict[str, RoundSide]:
        """user id -> what ``session:matched`` adds for that side of a round call."""
        return (await self.many([session])).get(session.id, {})

    async def many(self, sessions: list[Session]) -> dict[str, dict[str, RoundSide]]:
        """The same for many calls of one event (a round): three reads in all."""
        round_calls = [s for s in sessions if s.event_id]
        if not round_calls:
            return {}
        event_id = round_calls[0].event_id
        assert event_id is not None
        ev = await self._store.event(event_id)
        people = sorted({uid for s in round_calls for uid in s.people})
        records = await self._store.records(event_id, people)
        prompts = await self._store.prompts(event_id)
        return {s.id: self._context(s, ev, records, prompts.get(s.round or 0)) for s in round_calls}

    @staticmethod
    def _context(
        session: Session,
        ev: dict[str, str],
        records: dict[str, dict[str, Any]],
        prompt: str | None,
    ) -> dict[str, RoundSide]:
        round_no = session.round or 0
        skills = {uid: list(records.get(uid, {}).get("skills") or []) for uid in session.people}
        shared = sorted(set(skills[session.mentor_id]) & set(skills[session.mentee_id]))
        context = {}
        for uid in session.people:
            peer = session.peer_of(uid)
            context[uid] = RoundSide(
                peer_intro=records.get(peer, {}).get("intro") or "",
                peer_skills=skills[peer],
                shared_skills=shared,
                prompt=prompt,
                round=round_no,
                rounds=int(ev["rounds"]),
                event_title=ev["title"],
            )
        return context
