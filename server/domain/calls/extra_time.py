"""More time in a call: an extension both people agree to, and time given back after a drop.

Both move ``ends_at`` in one Lua step that also moves the end and warning deadlines
(``extend_session.lua``; the credit is ``credit_return`` in lib.lua, run by
``presence_connect.lua`` when the user's socket comes back within its grace). This module turns
the outcomes into what both people hear: ``session:extend_requested`` for a first ask, and
``session:started`` with the new ``ends_at`` and ``extended_s`` or ``credited_s``.
"""

from __future__ import annotations

from server.domain.calls.lifecycle import Calls, seconds
from server.domain.calls.sessions import SessionStore
from server.domain.presence import Credit
from server.protocol.errors import Forbidden, MentorburstError
from server.protocol.notifier import Notifier
from server.protocol.outbound import ExtendRequested, Outbound
from server.store.scripts import Lua

REFUSALS = {
    "event": "Event rounds keep to the event's schedule; they can't be extended.",
    "not_live": "Only a running call can be extended.",
    "limit": "This call has already been extended as often as allowed.",
    "burst": "The mentor's burst ends before the extra time would.",
    "waiting": "Someone is waiting for this mentor, so the call can't be extended.",
}


class ExtendRefused(MentorburstError):
    code = "extend_refused"
    status = 409

    def __init__(self, reason: str) -> None:
        super().__init__(REFUSALS.get(reason, "The call can't be extended."), reason=reason)
        self.reason = reason


class ExtraTime:
    def __init__(self, calls: Calls, sessions: SessionStore, notifier: Notifier, lua: Lua) -> None:
        self._calls = calls
        self._sessions = sessions
        self._notifier = notifier
        self._lua = lua

    async def request(self, user_id: str, session_id: str, minutes: int) -> bool:
        """One person's ask; True when it was the second and the call is now longer."""
        reply = await self._lua(self._lua.scripts.extend_session, session_id, user_id, minutes)
        kind = reply[0]
        if kind == "err":
            raise Forbidden("You are not in that session.", code="not_in_session")
        if kind == "refused":
            raise ExtendRefused(str(reply[1]))
        if kind == "requested":
            await self._tell_both(
                session_id,
                ExtendRequested(session_id=session_id, by=user_id, minutes=int(reply[1])),
            )
            return False
        _, started_at, ends_at, added_ms = reply
        started = self._calls.started(session_id, int(started_at), int(ends_at))
        started.extended_s = seconds(int(added_ms))
        await self._tell_both(session_id, started)
        return True

    async def credited(self, credit: Credit) -> None:
        """Tell both people a drop was given back."""
        started = self._calls.started(credit.session_id, credit.started_at, credit.ends_at)
        started.credited_s = seconds(credit.credited_ms)
        await self._tell_both(credit.session_id, started)

    async def _tell_both(self, session_id: str, message: Outbound) -> None:
        session = await self._sessions.get(session_id)
        if session is None:
            return
        for user_id in session.people:
            await self._notifier.to_user(user_id, message)
