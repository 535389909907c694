"""Shared notes in a call: one Yjs document both people type into at once.

Merging is the CRDT's (Yjs in the browser, Yrs through pycrdt here), never ours. The server keeps
the document as the list of updates it was sent (``notes_append.lua``: only the session's
people, only while it is matched or live) and relays each to both people; a (re)joining client
sends its state vector and gets back exactly what it lacks. Every ``COMPACT_AT`` changes the
list is folded into one merged update (``notes_compact.lua``), so a long call does not make every
sync replay thousands of keystrokes. The notes start as the question and a "Next step:" line.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

import pycrdt
from redis.asyncio import Redis

from server import keys
from server.errors import Conflict, Forbidden, InvalidPayload
from server.notifier import Notifier
from server.scripts import Lua
from server.sessions import Session

log = logging.getLogger(__name__)

TEXT = "notes"  # the name of the Y.Text both sides edit
NEXT_STEP = "Next step:"
COMPACT_AT = 200
MAX_UPDATE_BYTES = 32 * 1024


def decode(data: str, field: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidPayload(f"{field}: must be base64") from None


def encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def first_text(question: str) -> str:
    return f"Question: {question}\n\nNotes:\n\n\n{NEXT_STEP} \n"


def text_of(update: bytes) -> str:
    doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    doc.apply_update(update)
    return str(doc.get(TEXT, type=pycrdt.Text))


def next_step(text: str) -> str:
    """What follows "Next step:" on its line, trimmed; '' when the line is gone or empty."""
    for line in text.splitlines():
        if line.strip().lower().startswith(NEXT_STEP.lower()):
            return line.strip()[len(NEXT_STEP) :].strip()
    return ""


class Notes:
    def __init__(self, redis: Redis, lua: Lua, notifier: Notifier) -> None:
        self._redis = redis
        self._lua = lua
        self._notifier = notifier

    async def sync(self, user_id: str, session: Session, state_vector: str) -> dict[str, Any]:
        """What the caller's copy lacks (``update``) and the server's state vector, so the
        caller can send what the server lacks (edits made while disconnected)."""
        if session.role_of(user_id) is None:
            raise Forbidden("You are not in that session.", code="not_in_session")
        merged = await self.merged(session, seed_as=user_id)
        vector = decode(state_vector, "state_vector") if state_vector else b"\x00"
        try:
            missing = pycrdt.get_update(merged, vector)
        except ValueError:
            raise InvalidPayload("state_vector: not a Yjs state vector") from None
        return {"update": encode(missing), "state_vector": encode(pycrdt.get_state(merged))}

    async def update(self, user_id: str, session_id: str, update: str) -> None:
        """Keep a change and relay it to every socket of both people."""
        raw = decode(update, "update")
        if len(raw) > MAX_UPDATE_BYTES:
            raise InvalidPayload(f"update: at most {MAX_UPDATE_BYTES} bytes; send smaller changes")
        try:
            pycrdt.Doc().apply_update(raw)
        except ValueError:
            raise InvalidPayload("update: not a Yjs update") from None
        reply = await self._lua(self._lua.scripts.notes_append, session_id, user_id, update, 0)
        if reply[0] == "err":
            if reply[1] == "notes_full":
                raise Conflict("The notes are busy; try again in a moment.", code="notes_full")
            raise Forbidden("You are not in that live session.", code="not_in_session")
        payload = {"session_id": session_id, "from": user_id, "update": update}
        for person in reply[2:4]:
            await self._notifier.to_user(person, "notes:update", payload)
        if int(reply[1]) >= COMPACT_AT:
            await self._compact(session_id)

    async def text(self, session: Session) -> str:
        """The notes as plain text ('' if nobody opened them)."""
        updates = await self._redis.lrange(keys.notes(session.id), 0, -1)
        if not updates:
            return ""
        return text_of(pycrdt.merge_updates(*(base64.b64decode(u) for u in updates)))

    async def merged(self, session: Session, *, seed_as: str) -> bytes:
        """The whole document as one update, seeded with the question the first time."""
        updates = await self._redis.lrange(keys.notes(session.id), 0, -1)
        if not updates:
            await self._seed(session, seed_as)
            updates = await self._redis.lrange(keys.notes(session.id), 0, -1)
        return pycrdt.merge_updates(*(base64.b64decode(u) for u in updates))

    async def _seed(self, session: Session, user_id: str) -> None:
        doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
        text = doc.get(TEXT, type=pycrdt.Text)
        text += first_text(session.question)
        first = encode(doc.get_update())
        await self._lua(self._lua.scripts.notes_append, session.id, user_id, first, 1)

    async def _compact(self, session_id: str) -> None:
        """Fold the changes so far into one; a lost race with another node changes nothing."""
        gen = await self._redis.hget(keys.session(session_id), "notes_gen") or ""
        updates = await self._redis.lrange(keys.notes(session_id), 0, -1)
        merged = pycrdt.merge_updates(*(base64.b64decode(u) for u in updates))
        done = await self._lua(
            self._lua.scripts.notes_compact, session_id, gen, len(updates), encode(merged)
        )
        if not done:
            log.debug("notes of %s changed while compacting; the next change compacts", session_id)
