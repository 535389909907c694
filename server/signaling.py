"""The Socket.IO edge: authenticate sockets, validate every payload, call the domain, and turn
each outcome into an ack. Handlers own no state; errors never leak a traceback."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import socketio
from msgspec import Struct

from server.domain.accounts.tokens import Tokens
from server.domain.accounts.users import Users
from server.domain.calls.chat import Chat
from server.domain.calls.extra_time import ExtraTime
from server.domain.calls.lifecycle import Calls
from server.domain.calls.notes import Notes
from server.domain.calls.ratings import GivenRating
from server.domain.dropin.flow import DropIn
from server.domain.presence import Presence
from server.domain.speed import SpeedEvents
from server.protocol import inbound as p
from server.protocol.errors import (
    REDIS_OUTAGE,
    InvalidPayload,
    MentorburstError,
    NotFound,
    Unauthorized,
    internal_error,
    log_failure,
    redis_unavailable,
)
from server.protocol.notifier import Notifier
from server.runtime import logs, metrics
from server.runtime.clock import Clock
from server.transport import proxies
from server.transport.notifier import user_room
from server.transport.ratelimit import RateLimits
from server.transport.sio import RESERVED
from server.transport.socket_guard import SocketGuard
from server.transport.wirejson import MALFORMED

log = logging.getLogger(__name__)

# (namespace, user id, payload) or, for a route about the asking socket itself,
# (namespace, user id, payload, socket id).
Handler = Callable[..., Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class Route:
    payload: type[Struct]
    handler: Handler
    per_socket: bool  # the handler is also given the asking socket's id


ROUTES: dict[str, Route] = {}


def route(
    event: str, payload: type[Struct], *, per_socket: bool = False
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES[event] = Route(payload, handler, per_socket)
        return handler

    return register


def _session_of(data: Any) -> str | None:
    """The session a payload names, for log lines (never logged itself)."""
    found = data.get("session_id") if isinstance(data, dict) else None
    return found if isinstance(found, str) and len(found) <= 64 else None


def _client(environ: dict[str, Any]) -> str | None:
    request = environ.get("aiohttp.request")
    return proxies.request_client(request) if request is not None else None


class SignalingNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    def __init__(
        self,
        *,
        calls: Calls,
        dropin: DropIn,
        events: SpeedEvents,
        presence: Presence,
        users: Users,
        tokens: Tokens,
        guard: SocketGuard,
        limits: RateLimits,
        clock: Clock,
        chat: Chat,
        notes: Notes,
        extensions: ExtraTime,
        notifier: Notifier,
    ) -> None:
        super().__init__("/")
        self.notifier = notifier
        self.users = users
        self.chat = chat
        self.notes = notes
        self.extensions = extensions
        self.limits = limits
        self.calls = calls
        self.dropin = dropin
        self.events = events
        self.presence = presence
        self.tokens = tokens
        self.guard = guard
        self.clock = clock

    async def trigger_event(self, event: str, *args: Any) -> Any:
        # Only python-socketio itself calls these two: a client's event of either name arrives
        # renamed to RESERVED (server/transport/sio.py's WirePacket) and is refused in dispatch.
        if event == "connect":
            await self.on_connect(*args)
            metrics.SOCKETS.inc()
            return None
        if event == "disconnect":
            metrics.SOCKETS.dec()
            return await self.on_disconnect(args[0])
        sid, data = args[0], (args[1] if len(args) > 1 else None)
        started = time.perf_counter()
        ack = await self.dispatch(event, sid, data)
        known = event if event in ROUTES else "unknown"  # clients pick names: keep labels bounded
        metrics.handled(known, ack, time.perf_counter() - started)
        log.debug("%s answered %s", known, "ok" if ack.get("ok") else ack["error"]["code"])
        return ack

    async def dispatch(self, event: str, sid: str, data: Any) -> dict[str, Any]:
        if event == MALFORMED:
            reason = data if isinstance(data, str) else "not valid JSON"
            return _refused(InvalidPayload(f"The message could not be read: {reason}."))
        if event == RESERVED:
            name = data if isinstance(data, str) else "?"
            return _refused(
                MentorburstError(
                    f"{name!r} is a name Socket.IO keeps for itself; a client cannot send it.",
                    code="reserved_event",
                )
            )
        entry = ROUTES.get(event)
        if entry is None:
            return _refused(
                MentorburstError(f"Unknown event {event[:64]!r}.", code="unknown_event")
            )
        user_id = (await self.get_session(sid)).get("uid")
        logs.bind(user_id=user_id, session_id=_session_of(data))
        if user_id is None:
            return _refused(Unauthorized("Connect with a valid token first."))
        try:
            await self._spend(event, user_id)
            msg = p.parse(entry.payload, data)
            socket = (sid,) if entry.per_socket else ()
            result = await entry.handler(self, user_id, msg, *socket)
            return {"ok": True, **(result or {})}
        except MentorburstError as exc:
            return _refused(exc)
        except REDIS_OUTAGE as exc:
            log.warning("handler %s: Redis unavailable (%s)", event, exc)
            return _refused(redis_unavailable())
        except Exception:
            log.exception("handler %s failed", event)
            return {"ok": False, "error": internal_error()}

    async def _spend(self, event: str, user_id: str) -> None:
        """Per user: bursty call set-up and chat get budgets of their own; every other event is
        counted on its own, so joining and leaving cannot eat each other's budget."""
        budgets = self.limits.budgets
        if event == "signal":
            return  # counted per node in its handler, the relay's hot path (spend_signal)
        if event.startswith(("chat:", "notes:")):
            await self.limits.spend(budgets.chat, user_id)
        else:
            await self.limits.spend(budgets.events, user_id, event)

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            identity = await self.tokens.verify(token)
        except Unauthorized:
            raise socketio.exceptions.ConnectionRefusedError("unauthorized") from None
        except REDIS_OUTAGE as exc:
            log.warning("connect refused: Redis unavailable (%s)", exc)
            raise socketio.exceptions.ConnectionRefusedError("unavailable") from None
        await self.save_session(sid, {"uid": identity.user_id, "name": identity.name})
        logs.bind(user_id=identity.user_id)
        log.debug("socket %s connected from %s", sid, _client(environ))
        await self.enter_room(sid, user_room(identity.user_id))
        try:
            credits = await self.presence.connected(identity.user_id, sid)
            if not await self.guard.admit(sid, identity):  # revoked while we registered it
                await self.presence.disconnected(identity.user_id, sid)
                raise socketio.exceptions.ConnectionRefusedError("unauthorized")
            catch_up = await self.events.resume(identity.user_id) + await self.dropin.resume(
                identity.user_id, self._socket(sid)
            )
        except REDIS_OUTAGE as exc:
            log.warning("connect refused: Redis unavailable (%s)", exc)
            raise socketio.exceptions.ConnectionRefusedError("unavailable") from None
        for message in catch_up:
            await self.notifier.to_socket(self._socket(sid), message)
        for credit in credits:  # after the catch-up, so the new end is heard last
            await self.extensions.credited(credit)

    async def catch_up_all(self, since_ms: int) -> None:
        """After this node could not hear pub/sub (Redis was away), re-send every local socket
        what it may have missed: its place, its burst, its call, and a call that ended since."""
        for sid, user_id in self.presence.local_sockets().items():
            catch_up = await self.events.resume(user_id) + await self.dropin.resume(
                user_id, self._socket(sid), ended_since=since_ms
            )
            for message in catch_up:
                await self.notifier.to_socket(self._socket(sid), message)

    async def resubscribed(self, deaf_seconds: float) -> None:
        """Pub/sub is heard again after ``deaf_seconds``: catch every local socket up on what
        it may have missed then (and a second more)."""
        since = self.clock.now_ms() - round(deaf_seconds * 1000) - 1000
        try:
            await self.catch_up_all(since)
        except Exception as exc:
            log_failure(log, "catching sockets up after a pub/sub outage", exc)

    def _socket(self, sid: str) -> str:
        """How presence and the call's holder name this socket: "<node>|<sid>"."""
        return f"{self.presence.node_id}|{sid}"

    async def on_disconnect(self, sid: str) -> None:
        self.guard.forget(sid)
        user_id = (await self.get_session(sid)).get("uid")
        if user_id is not None:
            await self.presence.disconnected(user_id, sid)

    # -- events: one short function each ------------------------------------------------------

    @route("clock", p.ClockSync)
    async def clock_sync(self, user_id: str, msg: p.ClockSync) -> dict[str, Any]:
        return {"t0": msg.t0, "server_now": self.clock.now_ms()}

    @route("auth:renew", p.AuthRenew, per_socket=True)
    async def auth_renew(self, user_id: str, msg: p.AuthRenew, sid: str) -> dict[str, Any]:
        """A renewed token keeps this socket (only: another socket of the account may have been
        opened with a stolen token) open past its old token's expiry."""
        identity = await self.tokens.verify(msg.token)
        if identity.user_id != user_id:
            raise Unauthorized("That token belongs to someone else.")
        self.guard.renew(sid, identity)
        return {"expires_at": identity.expires_at}

    @route("mentor:online", p.MentorOnline)
    async def mentor_online(self, user_id: str, msg: p.MentorOnline) -> dict[str, Any]:
        ends = await self.dropin.mentor_online(user_id, msg.skills, msg.minutes, msg.max_sessions)
        return {"burst_ends_at": ends}

    @route("mentor:offline", p.Empty)
    async def mentor_offline(self, user_id: str, msg: p.Empty) -> None:
        await self.dropin.mentor_offline(user_id)

    @route("mentee:join", p.MenteeJoin)
    async def mentee_join(self, user_id: str, msg: p.MenteeJoin) -> dict[str, Any]:
        return await self.dropin.mentee_join(user_id, msg.skill, msg.question, msg.mentor_id)

    @route("mentee:widen", p.MenteeWiden)
    async def mentee_widen(self, user_id: str, msg: p.MenteeWiden) -> dict[str, Any]:
        """Accept a wider skill offered in ``queue:widen`` (its own rate budget, as every event)."""
        return await self.dropin.widen(user_id, msg.skill)

    @route("mentee:leave", p.Empty)
    async def mentee_leave(self, user_id: str, msg: p.Empty) -> None:
        await self.dropin.mentee_leave(user_id)

    @route("session:decline", p.SessionRef)
    async def decline(self, user_id: str, msg: p.SessionRef) -> None:
        await self.calls.decline(user_id, msg.session_id)

    @route("session:connected", p.SessionRef)
    async def connected(self, user_id: str, msg: p.SessionRef) -> None:
        await self.calls.connected(user_id, msg.session_id)

    @route("signal", p.Signal, per_socket=True)
    async def signal(self, user_id: str, msg: p.Signal, sid: str) -> None:
        self.limits.spend_signal(user_id)
        await self.calls.relay_signal(
            user_id, self._socket(sid), msg.session_id, msg.type, msg.data
        )

    @route("session:take", p.SessionTake, per_socket=True)
    async def take(self, user_id: str, msg: p.SessionTake, sid: str) -> None:
        """Hold this person's side of the call on this socket: "Use here" in another tab, or
        a page taking its call back after a reload or reconnect (``replaces``)."""
        await self.calls.take(user_id, msg.session_id, self._socket(sid), msg.replaces or "")

    @route("session:leave", p.SessionRef)
    async def leave(self, user_id: str, msg: p.SessionRef) -> None:
        await self.calls.leave(user_id, msg.session_id)

    @route("session:extend", p.SessionExtend)
    async def extend(self, user_id: str, msg: p.SessionExtend) -> dict[str, Any]:
        return {"agreed": await self.extensions.request(user_id, msg.session_id, msg.minutes)}

    # -- the call as a workspace: chat and shared notes ----------------------------------------

    @route("chat:send", p.ChatSend)
    async def chat_send(self, user_id: str, msg: p.ChatSend) -> dict[str, Any]:
        return {"message": await self.chat.send(user_id, msg.session_id, msg.text)}

    @route("notes:sync", p.NotesSync)
    async def notes_sync(self, user_id: str, msg: p.NotesSync) -> dict[str, Any]:
        session = await self.calls.participant(user_id, msg.session_id)
        return await self.notes.sync(user_id, session, msg.state_vector)

    @route("notes:update", p.NotesUpdate)
    async def notes_update(self, user_id: str, msg: p.NotesUpdate) -> None:
        await self.notes.update(user_id, msg.session_id, msg.update)

    @route("rate", p.Rate)
    async def rate(self, user_id: str, msg: p.Rate) -> None:
        await self.dropin.rate(user_id, given(msg))

    @route("report", p.Report)
    async def report(self, user_id: str, msg: p.Report) -> None:
        await self.dropin.report(user_id, msg.session_id, msg.reason)

    # -- speed-mentoring events ---------------------------------------------------------------

    @route("event:join", p.EventJoin)
    async def event_join(self, user_id: str, msg: p.EventJoin) -> dict[str, Any]:
        guesses = self.limits.budgets.code_guesses
        await self.limits.check(guesses, user_id)
        name = await self.users.name(user_id) or ""
        try:
            joined = await self.events.join(
                user_id, name, msg.code, msg.role, skills=msg.skills, intro=msg.intro
            )
            return {"event": joined}
        except NotFound:
            await self.limits.spend(guesses, user_id)  # codes are not for guessing
            raise

    @route("event:leave", p.EventRef)
    async def event_leave(self, user_id: str, msg: p.EventRef) -> None:
        await self.events.leave(user_id, msg.event_id)

    @route("event:start", p.EventRef)
    async def event_start(self, user_id: str, msg: p.EventRef) -> None:
        await self.events.start_event(user_id, msg.event_id)

    @route("event:next", p.EventRef)
    async def event_next(self, user_id: str, msg: p.EventRef) -> None:
        await self.events.next_round(user_id, msg.event_id)

    @route("event:end", p.EventRef)
    async def event_end(self, user_id: str, msg: p.EventRef) -> None:
        await self.events.end_event(user_id, msg.event_id)

    @route("event:announce", p.EventAnnounce)
    async def event_announce(self, user_id: str, msg: p.EventAnnounce) -> None:
        await self.events.announce(user_id, msg.event_id, msg.text)

    @route("event:prompt", p.EventPrompt)
    async def event_prompt(self, user_id: str, msg: p.EventPrompt) -> None:
        await self.events.set_prompt(user_id, msg.event_id, msg.round, msg.text)


def given(msg: p.Rate) -> GivenRating:
    return GivenRating(msg.session_id, msg.stars, msg.tags, msg.note, msg.follow_up, msg.reflection)


def _refused(error: MentorburstError) -> dict[str, Any]:
    return {"ok": False, "error": error.as_dict()}
