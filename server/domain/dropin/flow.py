"""The drop-in flow: a mentee asks, an idle mentor in a burst is matched, they meet (the call's
own life is in :mod:`server.domain.calls.lifecycle`), then rate.

Handlers call in here; this service drives the skill queue and speaks to people only through
the notifier. Every transition that could race is a Lua script, so it holds no state of its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from msgspec import UNSET

from server.domain.accounts.users import Users
from server.domain.audit.invariants import Violation
from server.domain.calls.lifecycle import Calls
from server.domain.calls.ratings import GivenRating, Ratings
from server.domain.calls.sessions import Session, SessionStore
from server.domain.dropin.broadcast import QueueBroadcaster
from server.domain.matching.catalog import SkillCatalog
from server.domain.matching.matcher import Matcher
from server.domain.presence import Gone
from server.protocol.errors import Conflict, InvalidPayload, NotFound
from server.protocol.notifier import Notifier
from server.protocol.outbound import (
    Outbound,
    PersonRef,
    QueueUpdate,
    QueueWiden,
    SkillRef,
    WidenOption,
)
from server.queue import Eta, Match, SkillQueue, Ticket
from server.runtime.clock import Clock
from server.runtime.config import Config
from server.runtime.hooks import Hook
from server.store import keys
from server.timer import Deadline, Timers

log = logging.getLogger(__name__)

# Repairs after which a mentor is idle again and should look for a match at once.
READY_AFTER_REPAIR = ("busy_mentor", "idle_outside_pools")


@dataclass(frozen=True)
class CameOnline:
    """A mentor who was offline started a burst in these skills."""

    mentor_id: str
    skills: list[str]


class DropIn:
    def __init__(
        self,
        *,
        config: Config,
        clock: Clock,
        catalog: SkillCatalog,
        queue: SkillQueue,
        users: Users,
        sessions: SessionStore,
        calls: Calls,
        ratings: Ratings,
        timers: Timers,
        broadcaster: QueueBroadcaster,
        matcher: Matcher,
        notifier: Notifier,
    ) -> None:
        self.config = config
        self.clock = clock
        self.catalog = catalog
        self.queue = queue
        self.users = users
        self.sessions = sessions
        self.calls = calls
        self.ratings = ratings
        self.broadcaster = broadcaster
        self.matcher = matcher
        self.timers = timers
        self.notifier = notifier
        # A mentor started a burst (office-hours watchers hear it).
        self.came_online: Hook[CameOnline] = Hook("dropin.came_online")

    def check_skill(self, slug: str) -> None:
        if slug not in self.catalog:
            raise InvalidPayload(f"Unknown skill {slug!r}.", code="unknown_skill")

    # -- mentees ---------------------------------------------------------------------------

    async def mentee_join(
        self, mentee_id: str, skill: str, question: str, mentor_id: str | None = None
    ) -> dict[str, Any]:
        """Ask in a catalog skill (ranked among its idle mentors), as an open question
        ("Something else": the mentor whose expertise fits best), or of one mentor
        (``mentor_id``: a personal request, about ``skill``, that only that mentor takes)."""
        self.check_skill(skill)
        if mentor_id is not None:
            if mentor_id == mentee_id:
                raise InvalidPayload("mentor_id: you can't ask yourself.")
            if await self.users.name(mentor_id) is None:
                raise NotFound("No such mentor.")
            queue, topic = keys.direct_queue(mentor_id), skill
            candidates, fallback, widen = [mentor_id], False, False
        elif skill == self.catalog.open_slug:
            queue, topic = skill, ""
            candidates, fallback, widen = await self.matcher.for_open(question), False, False
        else:
            queue, topic = skill, ""
            candidates = await self.matcher.for_skill(skill, question)
            fallback, widen = True, True
        result = await self.queue.join(
            mentee_id,
            queue,
            question,
            topic=topic,
            candidates=candidates,
            fallback=fallback,
            widen=widen,
        )
        if isinstance(result, Match):
            session = await self._announce(result)
            return {
                "ticket_id": session.ticket_id if session else "",
                "position": 0,
                "eta_s": 0,
                "session_id": result.session_id,
            }
        self.broadcaster.mark(queue)
        return await self._ticket_view(
            mentee_id, result, (await self.queue.counts([result.skill]))[result.skill]
        )

    async def widen(self, mentee_id: str, skill: str) -> dict[str, Any]:
        """The mentee accepts a wider skill it was offered (``queue:widen``); only then does it
        move, with its place in time."""
        ticket = await self.queue.ticket(mentee_id)
        if ticket is None:
            raise Conflict("You are not waiting.", code="not_waiting")
        if skill == self.catalog.open_slug:
            candidates, fallback = await self.matcher.for_open(ticket.question), False
        else:
            candidates = await self.matcher.for_skill(skill, ticket.question)
            fallback = True
        result = await self.queue.widen(mentee_id, ticket.ticket_id, skill, candidates, fallback)
        self.broadcaster.mark(ticket.skill, skill)
        if isinstance(result, Match):
            await self._announce(result)
            return {"ticket_id": ticket.ticket_id, "position": 0, "eta_s": 0, "skill": skill}
        counts = (await self.queue.counts([skill]))[skill]
        return {**await self._ticket_view(mentee_id, result, counts), "skill": skill}

    async def widen_due(self, mentee_id: str) -> None:
        """``Deadline.WIDEN``: a mentee has waited ``--widen-after-seconds``: with no mentor
        online for its skill, offer the nearest skills that have one, and "Something else"; else
        look again later."""
        ticket = await self.queue.ticket(mentee_id)
        if ticket is None or ticket.direct or ticket.skill == self.catalog.open_slug:
            return
        if ticket.widen_offer:
            return
        if (await self.queue.counts([ticket.skill]))[ticket.skill][1] > 0:
            later = self.clock.now_ms() + round(self.config.widen_after_seconds * 1000)
            await self.timers.schedule(Deadline.WIDEN, mentee_id, later)
            return
        options = await self.widen_options(ticket.question, ticket.skill)
        if await self.queue.offer_widening(mentee_id, ticket.ticket_id, [o.slug for o in options]):
            await self.notifier.to_user(
                mentee_id,
                QueueWiden(ticket_id=ticket.ticket_id, skill=ticket.skill, options=options),
            )

    async def widen_options(self, question: str, skill: str) -> list[WidenOption]:
        """Up to two nearest catalog skills with a mentor online now, then the open skill."""
        near = await self.matcher.adjacent(question, skill, limit=len(self.catalog.slugs))
        counts = await self.queue.counts([s.slug for s in near])
        options = [
            WidenOption(s.slug, s.name, round(s.score, 4), mentors_online=counts[s.slug][1])
            for s in near
            if counts[s.slug][1] > 0
        ][:2]
        open_slug = self.catalog.open_slug
        if open_slug:
            options.append(WidenOption(open_slug, self.catalog.name(open_slug), None))
        return options

    async def _eta(self, mentee_id: str, ticket: Ticket, counts: tuple[int, int, float]) -> Eta:
        _, online, service_s = counts
        return await self.queue.mentee_eta(
            mentee_id, ticket.skill, ticket.position, online, service_s, ticket.passed
        )

    async def _ticket_view(
        self, mentee_id: str, ticket: Ticket, counts: tuple[int, int, float]
    ) -> dict[str, Any]:
        eta = await self._eta(mentee_id, ticket, counts)
        ack: dict[str, Any] = {
            "ticket_id": ticket.ticket_id,
            "position": ticket.position,
            "eta_s": eta.seconds,
        }
        if eta.reason:
            ack["eta_reason"] = eta.reason
        return ack

    async def queue_update(self, mentee_id: str) -> QueueUpdate | None:
        """A waiting mentee's ``queue:update`` now, with (ext) its question, so a reloaded
        page can show what it asked; None when it is not waiting."""
        ticket = await self.queue.ticket(mentee_id)
        if ticket is None:
            return None
        counts = (await self.queue.counts([ticket.skill]))[ticket.skill]
        eta = await self._eta(mentee_id, ticket, counts)
        update = QueueUpdate(
            ticket_id=ticket.ticket_id,
            skill=ticket.label,
            position=ticket.position,
            eta_s=eta.seconds,
            waiting=counts[0],
            eta_reason=eta.reason or UNSET,
            question=ticket.question,
        )
        if ticket.direct:
            name = await self.users.name(ticket.direct) or ""
            update.mentor = PersonRef(ticket.direct, name)
        if ticket.widen_offer:
            update.widen = [SkillRef(slug, self.catalog.name(slug)) for slug in ticket.widen_offer]
        return update

    async def mentee_leave(self, mentee_id: str) -> None:
        skill = await self.queue.leave(mentee_id)
        if skill:
            self.broadcaster.mark(skill)

    # -- mentors ---------------------------------------------------------------------------

    async def mentor_online(
        self, mentor_id: str, skills: list[str], minutes: int, max_sessions: int | None
    ) -> int:
        for slug in skills:
            self.check_skill(slug)
        skills = list(dict.fromkeys(skills))
        before = await self.queue.mentor(mentor_id)
        previous = before.get("skills", "")
        burst = await self.queue.mentor_online(
            mentor_id, skills, self.clock.now_ms() + minutes * 60_000, max_sessions
        )
        self.broadcaster.mark(*skills, *[s for s in previous.split(",") if s])
        if before.get("state", "offline") == "offline":
            await self.came_online(CameOnline(mentor_id, skills))
        if burst.state == "idle":
            await self.mentor_ready(mentor_id)  # tells the mentor, matched or not
        else:
            await self.broadcaster.send_mentor_update(mentor_id)
        return burst.burst_ends_at

    async def mentor_offline(self, mentor_id: str) -> None:
        skills = [s for s in (await self.queue.mentor(mentor_id)).get("skills", "").split(",") if s]
        if await self.queue.mentor_offline(mentor_id):
            self.broadcaster.mark(*skills)
            await self.broadcaster.send_mentor_update(mentor_id)

    async def mentor_ready(self, mentor_id: str, *, wake: bool = False) -> None:
        """An idle mentor takes whoever waited longest, or waits in its pools; it is told."""
        open_fits = await self.matcher.open_for_mentor(mentor_id)
        outcome = await self.queue.mentor_ready(mentor_id, wake=wake, open_fits=open_fits)
        if isinstance(outcome, Match):
            await self._announce(outcome)
        else:
            await self.broadcaster.send_mentor_update(mentor_id)

    async def cooldown_over(self, mentor_id: str) -> None:
        """``Deadline.COOLDOWN``: a mentor that has not rated is matchable again."""
        await self.mentor_ready(mentor_id, wake=True)

    async def burst_over(self, mentor_id: str) -> None:
        """``Deadline.BURST``: the burst's time is up (unless it was made longer since)."""
        burst = await self.queue.mentor(mentor_id)
        if burst and int(burst.get("burst_ends_at", 0)) <= self.clock.now_ms():
            await self.mentor_offline(mentor_id)

    # -- matches and what follows a call ---------------------------------------------------

    async def _announce(self, match: Match) -> Session | None:
        """Both people hear the match (``session:matched`` also tells the mentor it is busy, so
        no ``mentor:update`` goes with it); the queue's places move on."""
        session = await self.calls.announce_claim(match)
        self.broadcaster.mark(match.skill)
        return session

    async def after_call(self, session: Session) -> None:
        """The freed people of a drop-in call: the requeued mentee and an idle mentor look for
        their next match at once. Safe to repeat (both scripts re-check everything)."""
        if session.event_id:
            return
        self.broadcaster.mark(session.skill)
        match = None
        if session.requeued:
            candidates = (
                await self.matcher.for_open(session.question)
                if session.skill == self.catalog.open_slug
                else []
            )
            match = await self.queue.requeued_match(session.mentee_id, candidates)
        if match:
            await self._announce(match)
        if session.mentor_after == "idle":
            await self.mentor_ready(session.mentor_id)
        elif session.mentor_after:
            await self.broadcaster.send_mentor_update(session.mentor_id)
        if session.requeued and not match:
            # At once, whatever it heard before: its place and ETA changed with the decline.
            update = await self.queue_update(session.mentee_id)
            if update:
                await self.notifier.to_user(session.mentee_id, update)

    async def after_gone(self, gone: Gone) -> None:
        """A user's presence grace ran out and the script took them out of drop-in."""
        mentor_skills = gone.mentor_skills if gone.mentor_outcome else []
        if gone.left_skill:
            self.broadcaster.mark(gone.left_skill)
        if mentor_skills:
            self.broadcaster.mark(*mentor_skills)
            await self.broadcaster.send_mentor_update(gone.user_id)

    async def after_repair(self, violation: Violation) -> None:
        """The reconciler freed a mentor stuck busy or outside its pools: look for a match."""
        if violation.kind in READY_AFTER_REPAIR:
            await self.mentor_ready(violation.subject)

    # -- after the call --------------------------------------------------------------------

    async def rate(self, rater: str, rating: GivenRating) -> None:
        role = await self.ratings.rate(rater, rating)
        if role == "mentor" and await self.sessions.live_session_id(rater) is None:
            await self.mentor_ready(rater, wake=True)

    async def report(self, reporter: str, session_id: str, reason: str) -> None:
        session = await self.calls.participant(reporter, session_id)
        await self.ratings.report(reporter, session, reason)
        if session.state != "ended":
            await self.calls.end(session.id, "left", actor=reporter)

    # -- catching up -----------------------------------------------------------------------

    async def resume(
        self, user_id: str, socket: str, *, ended_since: int | None = None
    ) -> list[Outbound]:
        """What a (re)connecting ``socket`` ("<node>|<sid>") needs to catch up: its ticket, its
        burst, its live session (and whether another open socket holds that call); with
        ``ended_since``, also the end of a session that ended after then (a socket that stayed
        connected while its node could not hear pub/sub may have missed it)."""
        out: list[Outbound] = []
        if ended_since is not None:
            latest = await self.ratings.latest_session(user_id)
            if latest and latest.state == "ended" and (latest.ended_at or 0) >= ended_since:
                out.append(self.calls.ended(latest))
        update = await self.queue_update(user_id)
        if update:
            out.append(update)
        burst = await self.queue.mentor(user_id)
        if burst and burst.get("state", "offline") != "offline":
            mentor_update = await self.broadcaster.mentor_update(user_id)
            if mentor_update is not None:
                out.append(mentor_update)
        session_id = await self.sessions.live_session_id(user_id)
        session = await self.sessions.get(session_id) if session_id else None
        if session:
            matched = await self.calls.matched(session, user_id)
            held = await self.sessions.holder(session.id, user_id)
            matched.resumed = True
            matched.held_elsewhere = held is not None and held != socket
            out.append(matched)
            if session.state == "live" and session.started_at and session.ends_at:
                out.append(self.calls.started(session.id, session.started_at, session.ends_at))
        return out
