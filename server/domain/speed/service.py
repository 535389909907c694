"""Speed-mentoring events: a host runs rounds where every pair's call starts and ends together.

The life cycle: create, join (which takes a person out of drop-in while the event lasts),
leave, the host's start / next / end / announce, and the schedule. The schedule (round ends,
break ends) runs on the same Redis deadlines as drop-in countdowns, written by the scripts that
start and end rounds, so any node fires them and a restarted server picks them up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from typing import Any

from redis.asyncio import Redis

from server.domain.accounts.users import new_id
from server.domain.calls.lifecycle import Calls
from server.domain.calls.sessions import EventCall, Session
from server.domain.dropin.broadcast import QueueBroadcaster
from server.domain.matching.catalog import SkillCatalog
from server.domain.presence import Gone
from server.domain.speed.booking import RoundBooker
from server.domain.speed.console import HostConsole
from server.domain.speed.context import intro_of
from server.domain.speed.reports import EventReports
from server.domain.speed.store import EventStore
from server.protocol.errors import Conflict, Forbidden, InvalidPayload, NotFound, log_failure
from server.protocol.notifier import Notifier
from server.protocol.outbound import EventConsole, EventUpdate, Outbound
from server.runtime.clock import Clock
from server.runtime.loops import BackgroundLoop
from server.store import keys
from server.store.scripts import Lua

log = logging.getLogger(__name__)

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

_JOIN_ERRORS = {
    "unknown_code": (NotFound, "No event has that code."),
    "event_over": (Conflict, "That event has ended."),
    "is_host": (Conflict, "You are hosting this event."),
    "in_other_event": (Conflict, "You are in another event; leave it first."),
}


class SpeedEvents(BackgroundLoop):
    name = "events"

    def __init__(
        self,
        *,
        redis: Redis,
        lua: Lua,
        clock: Clock,
        catalog: SkillCatalog,
        notifier: Notifier,
        calls: Calls,
        broadcaster: QueueBroadcaster,
        store: EventStore,
        booker: RoundBooker,
        reports: EventReports,
        console: HostConsole,
        interval: float = 0.2,
    ) -> None:
        super().__init__()
        self._redis = redis
        self._lua = lua
        self._clock = clock
        self._catalog = catalog
        self._notifier = notifier
        self._calls = calls
        self._broadcaster = broadcaster
        self._interval = interval
        self._dirty: set[str] = set()
        self._console_dirty: set[str] = set()
        self.store = store
        self.booker = booker
        self.reports = reports
        self.console = console

    def _check_skills(self, skills: list[str]) -> None:
        for slug in skills:
            if slug not in self._catalog:
                raise InvalidPayload(f"Unknown skill {slug!r}.", code="unknown_skill")

    # -- people ----------------------------------------------------------------------------

    async def create(
        self,
        host_id: str,
        title: str,
        round_seconds: int,
        rounds: int,
        break_seconds: int,
        skills: list[str],
    ) -> dict[str, Any]:
        """A new event hosted by ``host_id`` (``title`` already one clean line)."""
        self._check_skills(skills)
        event_id = new_id("e")
        for _ in range(20):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
            created = await self._lua(
                self._lua.scripts.event_create, event_id, code, host_id, title,
                round_seconds, rounds, break_seconds, ",".join(skills),
            )  # fmt: skip
            if created:
                return {"event_id": event_id, "code": code}
        raise Conflict("Could not allocate a join code; try again.", code="try_again")

    async def join(
        self,
        user_id: str,
        name: str,
        code: str,
        role: str,
        skills: list[str] | None = None,
        intro: str | None = None,
    ) -> dict[str, Any]:
        """Join by code with a one-line intro and skills; either left out (None) comes from the
        person's profile (its headline, its skills)."""
        headline, profile_skills = await self.store.profile_defaults(user_id)
        skills = profile_skills if skills is None else skills
        self._check_skills(skills)
        person = {
            "name": name,
            "role": role,
            "skills": list(dict.fromkeys(skills)),
            "intro": intro_of(intro, headline),
        }
        reply = await self._lua(
            self._lua.scripts.event_join, code.strip().upper(), user_id, json.dumps(person)
        )
        if reply[0] == "err":
            kind, message = _JOIN_ERRORS[reply[1]]
            raise kind(message, code=reply[1])
        event_id, left_skill, mentor_outcome, mentor_skills = reply
        if left_skill:
            self._broadcaster.mark(left_skill)
        if mentor_outcome:
            self._broadcaster.mark(*[s for s in mentor_skills.split(",") if s])
            await self._broadcaster.send_mentor_update(user_id)
        self.mark(event_id)
        return await self.store.state(event_id)

    async def leave(self, user_id: str, expected: str) -> None:
        """Out of this and later rounds; a partner mid-call is told and re-paired if possible."""
        reply = await self._lua(self._lua.scripts.event_leave, user_id, expected)
        if reply is None:
            raise Forbidden("You are not in that event.", code="not_in_event")
        event_id, ended_sid = reply[0], reply[1]
        if ended_sid:
            await self._calls.settle_now(ended_sid)
        self.mark(event_id)

    # -- host controls ---------------------------------------------------------------------

    async def start_event(self, user_id: str, event_id: str) -> None:
        ev = await self.store.host_only(user_id, event_id)
        if ev["state"] != "lobby":
            raise Conflict("The event has already started.", code="already_started")
        people = [p for p in await self.store.people(event_id) if p.active_in(1)]
        if not {"mentor", "mentee"} <= {p.role for p in people}:
            raise Conflict(
                "Start needs at least one mentor and one mentee.", code="not_enough_people"
            )
        if await self.booker.begin_round(event_id, 1):
            await self._broadcast(event_id)

    async def next_round(self, user_id: str, event_id: str) -> None:
        """During a round: end it now. During a break: start the next round now."""
        ev = await self.store.host_only(user_id, event_id)
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
        ev = await self.store.host_only(user_id, event_id)
        if ev["state"] != "ended":
            await self._end_round(event_id, int(ev["round"]), final=True)

    async def announce(self, user_id: str, event_id: str, text: str) -> None:
        """Shown to everyone with its time, until the next round begins (which clears it)."""
        await self.store.host_only(user_id, event_id)
        await self._redis.hset(
            keys.event(event_id),
            mapping={"announcement": text, "announcement_at": self._clock.now_ms()},
        )
        await self._broadcast(event_id)

    async def set_prompt(self, user_id: str, event_id: str, round_no: int, text: str) -> None:
        """The host's prompt for one round, shown in every call of that round ("" clears it).
        The running round's prompt reaches its calls at once, through ``event:update``."""
        ev = await self.store.host_only(user_id, event_id)
        upcoming = self.store.upcoming_round(ev)
        if upcoming is None:
            raise Conflict("That event has ended.", code="event_over")
        if round_no > int(ev["rounds"]):
            raise InvalidPayload(f"round: the event has {ev['rounds']} rounds")
        if round_no < upcoming:
            raise Conflict(f"Round {round_no} is over.", code="round_over")
        key = keys.event_prompts(event_id)
        if text:
            await self._redis.hset(key, str(round_no), text)
        else:
            await self._redis.hdel(key, str(round_no))
        await self._broadcast(event_id)

    # -- the schedule ----------------------------------------------------------------------

    async def _begin_round(self, event_id: str, round_no: int) -> None:
        if await self.booker.begin_round(event_id, round_no):
            await self._broadcast(event_id)

    async def _end_round(self, event_id: str, round_no: int, *, final: bool = False) -> None:
        state = await self.booker.end_round(event_id, round_no, final=final)
        if state is not None:
            await self._broadcast(event_id, include_left=state == "ended")

    async def round_over(self, arg: str) -> None:
        """``Deadline.EVENT_ROUND``: round ``"<event id>:<round>"`` is over."""
        event_id, _, round_no = arg.rpartition(":")
        await self._end_round(event_id, int(round_no))

    async def break_over(self, arg: str) -> None:
        """``Deadline.EVENT_BREAK``: the break after ``"<event id>:<round>"`` is over."""
        event_id, _, round_no = arg.rpartition(":")
        await self._begin_round(event_id, int(round_no) + 1)

    async def session_settled(self, session: Session) -> None:
        """An event call ended and both heard it: re-pair the one who stayed, if possible."""
        if not session.event_id:
            return
        if await self.booker.repair(session):
            self.mark(session.event_id)
        else:
            self.mark_console(session.event_id)

    async def call_changed(self, call: EventCall) -> None:
        self.mark_console(call.event_id)

    async def after_gone(self, gone: Gone) -> None:
        """Someone's grace ran out: if they were in an event, the lobby shows it."""
        if gone.event_id:
            self.mark(gone.event_id)

    # -- catching up and broadcasting ------------------------------------------------------

    async def resume(self, user_id: str) -> list[Outbound]:
        out: list[Outbound] = []
        event_ids = set(await self._redis.smembers(keys.hosted_events(user_id)))
        current = await self._redis.get(keys.user_event(user_id))
        if current:
            event_ids.add(current)
        for event_id in sorted(event_ids):
            try:
                state = await self.store.state(event_id)
            except NotFound:
                continue  # expired
            if state["state"] != "ended" or event_id == current:
                out.append(EventUpdate.of(state))
            if state["state"] != "ended" and state["host_id"] == user_id:
                out.append(await self.console_view(event_id))
        return out

    async def console_view(self, event_id: str) -> EventConsole:
        return await self.console.view(event_id, self._clock.now_ms())

    def mark(self, event_id: str) -> None:
        """Coalesce lobby churn: one ``event:update`` per event per interval."""
        self._dirty.add(event_id)
        self.wake()

    def mark_console(self, event_id: str) -> None:
        """Something only the host's console shows changed (media, a rating, a call's end)."""
        self._console_dirty.add(event_id)
        self.wake()

    async def _broadcast(self, event_id: str, *, include_left: bool = False) -> None:
        self._dirty.discard(event_id)
        state = await self.store.state(event_id)
        people = await self.store.people(event_id)
        recipients = {p.id for p in people if include_left or p.left_round is None}
        recipients.add(state["host_id"])
        await self._notifier.to_each(recipients, EventUpdate.of(state))
        await self._push_console(event_id, state["host_id"])

    async def _push_console(self, event_id: str, host_id: str) -> None:
        self._console_dirty.discard(event_id)
        view = await self.console_view(event_id)
        await self._notifier.to_user(host_id, view)

    async def run(self) -> None:
        while not self.stopping:
            if not self._dirty and not self._console_dirty:
                await self.pause(60)
                continue
            for event_id in list(self._dirty):
                try:
                    await self._broadcast(event_id)
                except Exception as exc:
                    log_failure(log, "event broadcast", exc)
                    self._dirty.add(event_id)
            for event_id in list(self._console_dirty):
                try:
                    await self._push_console(event_id, (await self.store.event(event_id))["host"])
                except NotFound:
                    self._console_dirty.discard(event_id)  # gone: nobody to tell
                except Exception as exc:
                    log_failure(log, "host console push", exc)  # an outage: a warning line
                    self._console_dirty.add(event_id)
            await asyncio.sleep(self._interval)
