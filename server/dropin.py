"""The drop-in flow: ask -> match -> call on a fixed countdown -> end -> rate.

Handlers call in here; this service drives the skill queue, the session store and the timers,
and speaks to people only through the notifier. Every transition that could race is a Lua
script, so this module holds no state of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from server import metrics
from server.broadcast import QueueBroadcaster
from server.clock import Clock
from server.config import Config
from server.errors import Conflict, Forbidden, InvalidPayload
from server.ice import ice_servers
from server.notifier import Notifier
from server.payloads import Rate, Report
from server.queue import Match, SkillQueue, Ticket
from server.ratings import Ratings
from server.sessions import Session, SessionStore
from server.skills import SkillCatalog
from server.timer import Countdown, Timers
from server.users import Users

log = logging.getLogger(__name__)


def seconds(ms: int) -> int | float:
    value = ms / 1000
    return int(value) if value.is_integer() else value


class DropIn:
    def __init__(
        self,
        *,
        config: Config,
        clock: Clock,
        catalog: SkillCatalog,
        queue: SkillQueue,
        sessions: SessionStore,
        ratings: Ratings,
        users: Users,
        timers: Timers,
        notifier: Notifier,
        broadcaster: QueueBroadcaster,
    ) -> None:
        self.config = config
        self.clock = clock
        self.catalog = catalog
        self.queue = queue
        self.sessions = sessions
        self.ratings = ratings
        self.users = users
        self.timers = timers
        self.notifier = notifier
        self.broadcaster = broadcaster
        # Called after any session ends (session, reason, actor): speed events re-pair here.
        self.session_end_listeners: list[Callable[[Session, str, str], Awaitable[None]]] = []
        timers.on("connect", self._connect_deadline)
        timers.on("warn", self._warning)
        timers.on("end", self._time_up)
        timers.on("cooldown", self._cooldown_over)
        timers.on("burst", self._burst_over)

    def _ms(self, seconds_: float) -> int:
        return round(seconds_ * 1000)

    def _check_skill(self, slug: str) -> None:
        if slug not in self.catalog:
            raise InvalidPayload(f"Unknown skill {slug!r}.", code="unknown_skill")

    # -- mentees ---------------------------------------------------------------------------

    async def mentee_join(self, mentee_id: str, skill: str, question: str) -> dict[str, Any]:
        self._check_skill(skill)
        result = await self.queue.join(mentee_id, skill, question, self.clock.now_ms())
        if isinstance(result, Match):
            session = await self._announce(result)
            ticket_id = session.ticket_id if session else ""
            return {
                "ticket_id": ticket_id,
                "position": 0,
                "eta_s": 0,
                "session_id": result.session_id,
            }
        self.broadcaster.mark(skill)
        return await self._ticket_ack(result)

    async def _ticket_ack(self, ticket: Ticket) -> dict[str, Any]:
        return self._ticket_view(ticket, (await self.queue.counts([ticket.skill]))[ticket.skill])

    def _ticket_view(self, ticket: Ticket, counts: tuple[int, int, float]) -> dict[str, Any]:
        _, online, service_s = counts
        eta = self.queue.eta(ticket.position, online, service_s)
        ack: dict[str, Any] = {
            "ticket_id": ticket.ticket_id,
            "position": ticket.position,
            "eta_s": eta.seconds,
        }
        if eta.reason:
            ack["eta_reason"] = eta.reason
        return ack

    async def mentee_leave(self, mentee_id: str) -> None:
        skill = await self.queue.leave(mentee_id)
        if skill:
            self.broadcaster.mark(skill)

    # -- mentors ---------------------------------------------------------------------------

    async def mentor_online(
        self, mentor_id: str, skills: list[str], minutes: int, max_sessions: int | None
    ) -> int:
        for slug in skills:
            self._check_skill(slug)
        skills = list(dict.fromkeys(skills))
        now = self.clock.now_ms()
        previous = (await self.queue.mentor(mentor_id)).get("skills", "")
        burst = await self.queue.mentor_online(
            mentor_id, skills, now + minutes * 60_000, max_sessions, now
        )
        await self.timers.schedule("burst", mentor_id, burst.burst_ends_at)
        self.broadcaster.mark(*skills, *[s for s in previous.split(",") if s])
        if burst.state == "idle":
            await self._mentor_ready(mentor_id)  # tells the mentor, matched or not
        else:
            await self.broadcaster.send_mentor_update(mentor_id)
        return burst.burst_ends_at

    async def mentor_offline(self, mentor_id: str) -> None:
        skills = [s for s in (await self.queue.mentor(mentor_id)).get("skills", "").split(",") if s]
        outcome = await self.queue.mentor_offline(mentor_id)
        if outcome == "offline":
            await self.timers.cancel_many([("burst", mentor_id), ("cooldown", mentor_id)])
        if outcome:
            self.broadcaster.mark(*skills)
            await self.broadcaster.send_mentor_update(mentor_id)

    async def _mentor_ready(self, mentor_id: str, *, wake: bool = False) -> None:
        outcome = await self.queue.mentor_ready(mentor_id, self.clock.now_ms(), wake=wake)
        if isinstance(outcome, Match):
            await self._announce(outcome)
            return
        if outcome == "offline":
            await self.timers.cancel("burst", mentor_id)
        await self.broadcaster.send_mentor_update(mentor_id)

    async def _cooldown_over(self, mentor_id: str) -> None:
        await self._mentor_ready(mentor_id, wake=True)

    async def _burst_over(self, mentor_id: str) -> None:
        burst = await self.queue.mentor(mentor_id)
        if burst and int(burst.get("burst_ends_at", 0)) <= self.clock.now_ms():
            await self.mentor_offline(mentor_id)

    # -- matching --------------------------------------------------------------------------

    async def _announce(self, match: Match) -> Session | None:
        """Tell both people they are matched and start the connect grace."""
        session = await self.sessions.get(match.session_id)
        if session is None:
            return None
        await self.timers.schedule(
            "connect", session.id, session.matched_at + self._ms(self.config.connect_grace_seconds)
        )
        metrics.matched(session.joined_at, session.matched_at)
        cards = await self.peer_cards(session)
        for user_id in (session.mentee_id, session.mentor_id):
            await self.notifier.to_user(
                user_id, "session:matched", await self.matched_payload(session, user_id, cards)
            )
        self.broadcaster.mark(session.skill)
        await self.broadcaster.send_mentor_update(session.mentor_id)
        return session

    async def peer_cards(self, session: Session) -> dict[str, dict[str, Any]]:
        """user id -> how the other person sees them (name, rating), for both people."""
        people = [session.mentee_id, session.mentor_id]
        names = await self.users.names(people)
        reputations = await self.ratings.reputations(people)
        return {
            uid: {"id": uid, "name": names.get(uid, ""), "rating": reputations[uid].as_dict()}
            for uid in people
        }

    async def matched_payload(
        self, session: Session, user_id: str, cards: dict[str, dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """The ``session:matched`` payload as ``user_id`` sees it."""
        role = session.role_of(user_id)
        peer = session.peer_of(user_id)
        cards = cards or await self.peer_cards(session)
        now = self.clock.now_ms()
        payload: dict[str, Any] = {
            "session_id": session.id,
            "role": role,
            "peer": cards[peer],
            "skill": session.skill,
            "question": session.question,
            "duration_s": seconds(session.duration_ms),
            "offerer": role == "mentee",
            "ice_servers": ice_servers(self.config, user_id, now),
            "server_now": now,
        }
        if session.event_id:
            payload["event_id"] = session.event_id
        else:
            payload["decline_until"] = session.matched_at + self._ms(self.config.decline_seconds)
        return payload

    # -- the call --------------------------------------------------------------------------

    async def _participant(self, user_id: str, session_id: str) -> Session:
        session = await self.sessions.get(session_id)
        if session is None or session.role_of(user_id) is None:
            raise Forbidden("You are not in that session.", code="not_in_session")
        return session

    async def connected(self, user_id: str, session_id: str) -> None:
        await self._participant(user_id, session_id)
        reply = await self.sessions.mark_connected(session_id, user_id, self.clock.now_ms())
        if reply[0] == "err":
            raise Conflict("That session is over.", code="session_over")
        if reply[0] == "started":
            await self._start(session_id, int(reply[1]), int(reply[2]))

    async def _connect_deadline(self, session_id: str) -> None:
        reply = await self.sessions.mark_connected(session_id, "", self.clock.now_ms(), force=True)
        if reply[0] == "started":
            await self._start(session_id, int(reply[1]), int(reply[2]))
        elif reply[0] == "waiting":
            await self.end(session_id, "no_connection", expect="matched")

    async def _start(self, session_id: str, started_at: int, ends_at: int) -> None:
        session = await self.sessions.get(session_id)
        if session is None:
            return
        await self.timers.schedule_many(
            [("end", session_id, ends_at), *self.warning_deadlines(session_id, started_at, ends_at)]
        )
        await self.timers.cancel("connect", session_id)
        for user_id in (session.mentee_id, session.mentor_id):
            await self.notifier.to_user(
                user_id, "session:started", self.started_payload(session_id, started_at, ends_at)
            )

    def started_payload(self, session_id: str, started_at: int, ends_at: int) -> dict[str, Any]:
        """``session:started``: the countdown, with the server's clock to correct against."""
        return {
            "session_id": session_id,
            "started_at": started_at,
            "ends_at": ends_at,
            "server_now": self.clock.now_ms(),
        }

    def warning_deadlines(
        self, session_id: str, started_at: int, ends_at: int
    ) -> list[tuple[str, str, int]]:
        """The ``session:warning`` deadlines of a call running from ``started_at`` to ``ends_at``."""
        countdown = Countdown(started_at, ends_at - started_at)
        return [
            ("warn", _warn_arg(session_id, r), at)
            for r, at in countdown.warnings(self.config.warn_at)
        ]

    async def _warning(self, arg: str) -> None:
        session_id, _, remaining = arg.rpartition(":")
        session = await self.sessions.get(session_id)
        if session is None or session.state != "live":
            return
        value = float(remaining)
        for user_id in (session.mentee_id, session.mentor_id):
            await self.notifier.to_user(
                user_id,
                "session:warning",
                {
                    "session_id": session_id,
                    "remaining_s": int(value) if value.is_integer() else value,
                    "server_now": self.clock.now_ms(),
                },
            )

    async def _time_up(self, session_id: str) -> None:
        await self.end(session_id, "time_up", expect="live")

    async def relay_signal(
        self, sender: str, session_id: str, kind: str, data: dict[str, Any]
    ) -> None:
        found = await self.sessions.signal_peer(session_id, sender)
        if found is None:
            raise Forbidden("You are not in that live session.", code="not_in_session")
        peer, sockets = found
        await self.notifier.to_user(
            peer,
            "signal",
            {"session_id": session_id, "from": sender, "type": kind, "data": data},
            sockets=sockets,
        )

    async def decline(self, mentor_id: str, session_id: str) -> None:
        session = await self._participant(mentor_id, session_id)
        if session.role_of(mentor_id) != "mentor":
            raise Forbidden("Only the mentor can decline.", code="not_mentor")
        if session.event_id:
            raise Conflict(
                "Event rounds can't be declined; you can leave the call.", code="event_session"
            )
        if session.state == "ended":
            raise Conflict("That session is over.", code="session_over")
        if self.clock.now_ms() > session.matched_at + self._ms(self.config.decline_seconds):
            raise Conflict(
                "The time to decline has passed; you can leave the call.", code="decline_closed"
            )
        await self.end(session_id, "declined", actor=mentor_id)

    async def leave(self, user_id: str, session_id: str) -> None:
        session = await self._participant(user_id, session_id)
        if session.state != "ended":
            await self.end(session_id, "left", actor=user_id)

    async def end(self, session_id: str, reason: str, *, actor: str = "", expect: str = "") -> bool:
        """End a session once and settle both people; False when it had already ended."""
        now = self.clock.now_ms()
        ended = await self.sessions.end(
            session_id,
            reason,
            now,
            self._ms(self.config.rating_seconds),
            actor=actor,
            expect=expect,
        )
        if ended is None:
            return False
        await self.timers.cancel_many(
            [
                *(("warn", _warn_arg(session_id, r)) for r in self.config.warn_at),
                ("end", session_id),
                ("connect", session_id),
            ]
        )
        payload = {"session_id": session_id, "reason": reason, "rate_until": ended.rate_until}
        metrics.session_ended(payload)
        for user_id in (ended.mentee_id, ended.mentor_id):
            await self.notifier.to_user(user_id, "session:ended", payload)
        session = await self.sessions.get(session_id)
        if session and session.event_id:
            # Event calls are scheduled by their event, never by the drop-in queue.
            for listener in self.session_end_listeners:
                await listener(session, reason, actor)
            return True
        if (
            ended.was_live
            and session
            and session.started_at
            and reason not in ("declined", "no_connection")
        ):
            await self.queue.record_service(ended.skill, (now - session.matched_at) / 1000)
        if ended.requeued:
            match = await self.queue.requeued_match(ended.mentee_id, now)
            if match:
                await self._announce(match)
        self.broadcaster.mark(ended.skill)
        if ended.mentor_state == "idle":
            await self._mentor_ready(ended.mentor_id)
            return True
        if ended.mentor_state == "cooldown":
            await self.timers.schedule(
                "cooldown", ended.mentor_id, now + self._ms(self.config.mentor_cooldown_seconds)
            )
        elif ended.mentor_state == "offline":
            await self.timers.cancel("burst", ended.mentor_id)
        await self.broadcaster.send_mentor_update(ended.mentor_id)
        return True

    # -- after the call --------------------------------------------------------------------

    async def rate(self, rater: str, rating: Rate) -> None:
        role = await self.ratings.rate(rater, rating, self.clock.now_ms())
        if role == "mentor":
            latest = await self.sessions.live_session_id(rater)
            if latest is None:
                await self.timers.cancel("cooldown", rater)
                await self._mentor_ready(rater, wake=True)

    async def report(self, reporter: str, report: Report) -> None:
        await self.ratings.report(reporter, report, self.clock.now_ms())
        session_id = report.session_id
        session = await self.sessions.get(session_id)
        if session and session.state != "ended":
            await self.end(session_id, "left", actor=reporter)

    # -- presence --------------------------------------------------------------------------

    async def user_gone(self, user_id: str) -> None:
        """The grace after the last socket closed ran out: no ghosts anywhere."""
        await self.mentee_leave(user_id)
        await self.mentor_offline(user_id)
        session_id = await self.sessions.live_session_id(user_id)
        if session_id:
            await self.end(session_id, "disconnected", actor=user_id)

    async def resume(self, user_id: str) -> list[tuple[str, dict[str, Any]]]:
        """What a (re)connecting socket needs to catch up: its ticket, its burst, its live session."""
        out: list[tuple[str, dict[str, Any]]] = []
        ticket = await self.queue.ticket(user_id)
        if ticket:
            counts = (await self.queue.counts([ticket.skill]))[ticket.skill]
            update = {
                **self._ticket_view(ticket, counts),
                "skill": ticket.skill,
                "waiting": counts[0],
            }
            out.append(("queue:update", update))
        burst = await self.queue.mentor(user_id)
        if burst and burst.get("state", "offline") != "offline":
            out.append(("mentor:update", await self.broadcaster.mentor_update(user_id)))
        session_id = await self.sessions.live_session_id(user_id)
        session = await self.sessions.get(session_id) if session_id else None
        if session:
            out.append(
                (
                    "session:matched",
                    {**await self.matched_payload(session, user_id), "resumed": True},
                )
            )
            if session.state == "live" and session.started_at and session.ends_at:
                out.append(
                    (
                        "session:started",
                        self.started_payload(session.id, session.started_at, session.ends_at),
                    )
                )
        return out


def _warn_arg(session_id: str, remaining: float) -> str:
    """The deadline argument of one warning mark, e.g. ``s_abc:60``."""
    return f"{session_id}:{seconds(round(remaining * 1000))}"
