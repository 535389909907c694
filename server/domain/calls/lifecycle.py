"""One call's life, for drop-in and event calls alike: matched -> live on the server's countdown
-> ended, and what both people hear at each step.

Every state change is one Lua script that also writes the deadlines it implies; this module
turns the outcomes into notifications. Ending is split in two: the script ends the session and
settles both people atomically, and leaves a ``settle`` deadline; :meth:`Calls.settle` then does
the follow-ups (``session:ended``, then :attr:`Calls.settled`: matching the freed mentor or
requeued mentee, re-pairing in an event) inline and clears it. If this node dies or Redis fails
in between, the deadline fires on any node and the follow-ups run again: each is safe to repeat.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

from msgspec import UNSET
from msgspec.structs import replace

from server.domain.accounts.users import DELETED_NAME, Users
from server.domain.calls.ice import ice_servers
from server.domain.calls.ratings import Ratings, Reputation, bayesian, prior_mean
from server.domain.calls.relay import SignalRelay
from server.domain.calls.sessions import Closed, EventCall, Session, SessionStore
from server.domain.presence import Gone
from server.protocol.errors import Conflict, Forbidden, log_failure
from server.protocol.notifier import Notifier
from server.protocol.outbound import (
    EventRound,
    PeerCard,
    Rating,
    SessionEnded,
    SessionMatched,
    SessionStarted,
    SessionWarning,
)
from server.queue import Match
from server.runtime import metrics
from server.runtime.clock import Clock
from server.runtime.config import Config
from server.runtime.hooks import Hook
from server.timer import Deadline, Timers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoundSide:
    """What a round call's ``session:matched`` adds for one of its two people: the other's
    intro and skills (on the peer card), the skills they share, the round's prompt."""

    peer_intro: str
    peer_skills: list[str]
    shared_skills: list[str]
    prompt: str | None
    round: int
    rounds: int
    event_title: str


class EventContext(Protocol):
    """An event call's context as each participant sees it (``server/domain/speed/context.py``):
    user id -> their :class:`RoundSide`."""

    async def __call__(self, session: Session) -> dict[str, RoundSide]: ...

    async def many(self, sessions: list[Session]) -> dict[str, dict[str, RoundSide]]: ...


def seconds(ms: int) -> int | float:
    value = ms / 1000
    return int(value) if value.is_integer() else value


def peer_card(
    user_id: str, name: str, headline: str, wont_cover: str, reputation: Reputation
) -> PeerCard:
    """How the other side of a call sees a person: the one builder of the peer card. Headline
    and boundaries only once the person wrote them."""
    return PeerCard(
        id=user_id,
        name=name,
        headline=headline or UNSET,
        wont_cover=wont_cover or UNSET,
        rating=Rating(reputation.mean, reputation.count, reputation.score),
    )


class Calls:
    def __init__(
        self,
        *,
        config: Config,
        clock: Clock,
        sessions: SessionStore,
        ratings: Ratings,
        users: Users,
        timers: Timers,
        notifier: Notifier,
        relay: SignalRelay,
        event_context: EventContext,
    ) -> None:
        self.config = config
        self.relay = relay
        self.clock = clock
        self.sessions = sessions
        self.ratings = ratings
        self.users = users
        self.timers = timers
        self.notifier = notifier
        # The intros, shared skills and prompt of a round call.
        self.event_context = event_context
        # A session ended and both people heard it: drop-in matches the freed people, events
        # re-pair the one whose partner left. Each handler must be safe to run twice.
        self.settled: Hook[Session] = Hook("calls.settled")
        # A side of an event call first reported media flowing.
        self.event_media: Hook[EventCall] = Hook("calls.event_media")

    # -- payloads --------------------------------------------------------------------------

    async def peer_cards(self, session: Session) -> dict[str, PeerCard]:
        """user id -> how the other person sees them (name, rating, and (ext) headline and what
        they won't cover), for both people."""
        return await self.cards(list(session.people))

    async def cards(self, people: list[str]) -> dict[str, PeerCard]:
        """How others see these people, in two reads however many."""
        cards = await self.users.cards(people)
        reputations = await self.ratings.reputations(people)
        return {
            uid: peer_card(
                uid,
                cards[uid]["name"],
                cards[uid]["headline"],
                cards[uid]["wont_cover"],
                reputations[uid],
            )
            for uid in people
        }

    async def matched(
        self,
        session: Session,
        user_id: str,
        cards: dict[str, PeerCard] | None = None,
        context: dict[str, RoundSide] | None = None,
    ) -> SessionMatched:
        """``session:matched`` as ``user_id`` sees it."""
        role = session.role_of(user_id) or ""
        cards = cards or await self.peer_cards(session)
        now = self.clock.now_ms()
        message = SessionMatched(
            session_id=session.id,
            role=role,
            peer=cards[session.peer_of(user_id)],
            skill=session.skill,
            question=session.question,
            duration_s=seconds(session.duration_ms),
            offerer=role == "mentee",
            ice_servers=ice_servers(self.config, user_id, now),
            server_now=now,
        )
        if session.event_id:
            message.event_id = session.event_id
            if context is None:
                context = await self.event_context(session)
            side = (context or {}).get(user_id)
            if side is not None:
                message.peer = replace(message.peer, intro=side.peer_intro, skills=side.peer_skills)
                message.shared_skills = side.shared_skills
                message.prompt = side.prompt
                message.round = side.round
                message.rounds = side.rounds
                message.event_title = side.event_title
        else:
            message.decline_until = session.matched_at + round(self.config.decline_seconds * 1000)
        return message

    @staticmethod
    def ended(session: Session) -> SessionEnded:
        return SessionEnded(
            session_id=session.id,
            reason=session.reason,
            rate_until=session.rate_until,
            no_show=session.no_show,
            by=session.actor or None,
        )

    def started(self, session_id: str, started_at: int, ends_at: int) -> SessionStarted:
        """``session:started``: the countdown, with the server's clock to correct against."""
        return SessionStarted(
            session_id=session_id,
            started_at=started_at,
            ends_at=ends_at,
            server_now=self.clock.now_ms(),
        )

    # -- matched ---------------------------------------------------------------------------

    async def announce_claim(self, match: Match) -> Session:
        """A drop-in match, told from what the claim script read with it: no further reads,
        and direct delivery to the sockets on this node."""
        claim = match.claim or {}
        session = Session(
            id=match.session_id,
            mentor_id=match.mentor_id,
            mentee_id=match.mentee_id,
            skill=match.skill,
            question=claim["question"],
            ticket_id=claim["ticket_id"],
            state="matched",
            matched_at=claim["matched_at"],
            duration_ms=claim["duration_ms"],
            joined_at=claim.get("joined_at"),
            direct=claim.get("direct", ""),
        )
        prior = prior_mean(*claim["prior"])
        cards = {
            uid: peer_card(
                uid,
                name or DELETED_NAME,
                headline,
                wont_cover,
                bayesian(int(count), float(total), prior),
            )
            for uid, (name, headline, wont_cover, count, total) in claim["cards"].items()
        }
        metrics.matched(session.joined_at, session.matched_at)
        for uid in session.people:
            sockets = claim["sockets"].get(uid)
            await self.notifier.to_user(
                uid,
                await self.matched(session, uid, cards),
                sockets=sockets if isinstance(sockets, list) else None,
            )
        return session

    async def announce(self, session_id: str) -> Session | None:
        """Tell both people they are matched (the connect deadline was set with the claim)."""
        session = await self.sessions.get(session_id)
        if session is None:
            return None
        metrics.matched(session.joined_at, session.matched_at)
        await self.send_matched(session)
        return session

    async def send_matched(self, session: Session, *, started: bool = False) -> None:
        """``session:matched`` to both; for a call already running, ``session:started`` too."""
        cards = await self.peer_cards(session)
        context = None
        if session.event_id:
            context = await self.event_context(session)
        for user_id in session.people:
            await self.notifier.to_user(
                user_id, await self.matched(session, user_id, cards, context)
            )
            if started and session.started_at and session.ends_at:
                await self.notifier.to_user(
                    user_id, self.started(session.id, session.started_at, session.ends_at)
                )

    async def announce_round(self, sessions: list[Session], first: dict[str, EventRound]) -> None:
        """A round's calls, all at once: each person first gets ``first`` (their
        ``event:round``), then every call its ``session:matched`` and ``session:started``. The
        reads are batched (cards, context, where everyone's sockets are), delivery is direct for
        sockets on this node, and the relay learns every pair before the first offer."""
        seen = self.relay.invalidations
        sockets = await self.sessions.sockets_of(sorted(first))
        await asyncio.gather(
            *(
                self.notifier.to_user(uid, message, sockets=sockets.get(uid))
                for uid, message in first.items()
            )
        )
        for session in sessions:
            self.relay.prime(session, sockets, seen)
        cards = await self.cards(sorted({uid for s in sessions for uid in s.people}))
        contexts = await self.event_context.many(sessions)

        async def send(session: Session) -> None:
            context = contexts.get(session.id, {})
            for uid in session.people:
                matched = await self.matched(session, uid, cards, context)
                await self.notifier.to_user(uid, matched, sockets=sockets.get(uid))
                if session.started_at and session.ends_at:
                    started = self.started(session.id, session.started_at, session.ends_at)
                    await self.notifier.to_user(uid, started, sockets=sockets.get(uid))

        await asyncio.gather(*(send(s) for s in sessions))

    async def participant(self, user_id: str, session_id: str) -> Session:
        """The session, if ``user_id`` is in it; an unknown id reads the same as someone else's."""
        session = await self.sessions.get(session_id)
        if session is None or session.role_of(user_id) is None:
            raise Forbidden("You are not in that session.", code="not_in_session")
        return session

    async def connected(self, user_id: str, session_id: str) -> None:
        await self.participant(user_id, session_id)
        reply = await self.sessions.mark_connected(session_id, user_id)
        if reply[0] == "err":
            raise Conflict("That session is over.", code="session_over")
        if reply[0] == "started":
            await self._started(session_id, int(reply[1]), int(reply[2]))
        elif reply[0] == "live" and reply[3] and str(reply[4]) == "1":
            await self.event_media(EventCall(session_id, str(reply[3])))

    async def connect_due(self, session_id: str) -> None:
        """``Deadline.CONNECT``: media flowed by now, or the call ends as ``no_connection``."""
        reply = await self.sessions.mark_connected(session_id, "", force=True)
        if reply[0] == "started":
            await self._started(session_id, int(reply[1]), int(reply[2]))
        elif reply[0] == "waiting":
            await self.end(session_id, "no_connection", expect="matched")

    async def _started(self, session_id: str, started_at: int, ends_at: int) -> None:
        session = await self.sessions.get(session_id)
        if session is None:
            return
        message = self.started(session_id, started_at, ends_at)
        for user_id in session.people:
            await self.notifier.to_user(user_id, message)

    # -- live ------------------------------------------------------------------------------

    async def warning_due(self, arg: str) -> None:
        """``Deadline.WARN``: tell both how long is left ("<session id>:<ms left>")."""
        session_id, _, remaining_ms = arg.rpartition(":")
        session = await self.sessions.get(session_id)
        if session is None or session.state != "live":
            return
        message = SessionWarning(
            session_id=session_id,
            remaining_s=seconds(int(remaining_ms)),
            server_now=self.clock.now_ms(),
        )
        for user_id in session.people:
            await self.notifier.to_user(user_id, message)

    async def time_up(self, session_id: str) -> None:
        """``Deadline.END``: the countdown ran out (unless the call was made longer since)."""
        session = await self.sessions.get(session_id)
        if session is not None and session.ends_at and session.ends_at > self.clock.now_ms():
            return  # extended or credited after this deadline was claimed: its new one ends it
        if session is not None:
            reason = "event_round_over" if session.event_id else "time_up"
            await self.end(session_id, reason, expect="live")

    async def relay_signal(
        self, sender: str, socket: str, session_id: str, kind: str, data: dict[str, object]
    ) -> None:
        await self.relay.relay(sender, socket, session_id, kind, data)

    async def take(self, user_id: str, session_id: str, socket: str, replaces: str = "") -> None:
        """Hold the user's side of the call on this socket ("<node>|<sid>"): another tab of
        theirs, or a page that came back. The partner's signals go here from now on; the socket
        that held it hears ``session:moved``."""
        if await self.sessions.take(session_id, user_id, socket, replaces):
            await self.relay.moved(user_id, session_id, socket)

    async def decline(self, mentor_id: str, session_id: str) -> None:
        session = await self.participant(mentor_id, session_id)
        if session.role_of(mentor_id) != "mentor":
            raise Forbidden("Only the mentor can decline.", code="not_mentor")
        if session.event_id:
            raise Conflict(
                "Event rounds can't be declined; you can leave the call.", code="event_session"
            )
        if session.state == "ended":
            raise Conflict("That session is over.", code="session_over")
        if self.clock.now_ms() > session.matched_at + round(self.config.decline_seconds * 1000):
            raise Conflict(
                "The time to decline has passed; you can leave the call.", code="decline_closed"
            )
        await self.end(session_id, "declined", actor=mentor_id)

    async def leave(self, user_id: str, session_id: str) -> None:
        """Hang up; a session already over is a harmless no-op, someone else's is refused."""
        await self.end(session_id, "left", actor=user_id, participant=True)

    # -- ended -----------------------------------------------------------------------------

    async def end(
        self,
        session_id: str,
        reason: str,
        *,
        actor: str = "",
        expect: str = "",
        participant: bool = False,
    ) -> bool:
        """End a session once and settle both people; False when it had already ended."""
        closed = await self.sessions.end(
            session_id, reason, actor=actor, expect=expect, participant=participant
        )
        if closed is None:
            return False
        await self.settle_now(session_id, closed)
        return True

    async def after_gone(self, gone: Gone) -> None:
        """Someone's reconnect grace ran out during a call: the script ended it; settle it."""
        if gone.ended_session:
            await self.settle_now(gone.ended_session)

    async def settle_now(self, session_id: str, closed: Closed | None = None) -> None:
        """Run the follow-ups of an end at once; on failure its deadline runs them later."""
        try:
            await self.settle(session_id, closed)
        except Exception as exc:
            log_failure(log, f"settling {session_id} (its deadline retries)", exc)

    async def settle(self, session_id: str, closed: Closed | None = None) -> None:
        """Everything after an end that is not state: tell both, then :attr:`settled`. Right
        after the end script, ``closed`` carries what it read; a retry (``Deadline.SETTLE``)
        reads it again."""
        session = closed.session if closed else await self.sessions.get(session_id)
        if session is not None and session.state == "ended":
            if session.relayed or session.event_id:
                # Before anyone hears the end: no node relays for this session any more.
                await self.notifier.invalidate("session", session_id)
            message = self.ended(session)
            metrics.session_ended(session.reason, len(session.no_show))
            for user_id in session.people:
                sockets = closed.sockets_of(user_id) if closed else None
                await self.notifier.to_user(user_id, message, sockets=sockets)
            await self.settled(session)
        await self.timers.cancel(Deadline.SETTLE, session_id)
