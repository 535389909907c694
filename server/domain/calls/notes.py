"""Shared notes in a call: one Yjs document both people type into at once.

Merging is the CRDT's (Yjs in the browser, Yrs through pycrdt here), never ours. The server keeps
the document as the list of updates it was sent (``notes_append.lua``: only the session's
people, only while it is matched or live) and relays each to both people; a (re)joining client
sends its state vector and gets back exactly what it lacks. Every ``COMPACT_AT`` changes the
list is folded into one merged update (``notes_compact.lua``), so a long call does not make every
sync replay thousands of keystrokes. The notes start as the question and a "Next step:" line.

A call's notes hold at most ``MAX_BYTES`` as stored (counted by the same script that appends, so
no flood can store more), and every merge runs in the helper process (``server/runtime/offload.py``):
pycrdt holds the GIL while it works, and a crafted list of updates under the cap costs it a
tenth of a second or more.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

import pycrdt
from redis.asyncio import Redis

from server.domain.calls.sessions import Session
from server.protocol.errors import Conflict, Forbidden, InvalidPayload
from server.protocol.notifier import Notifier
from server.protocol.outbound import NotesUpdate
from server.runtime.offload import Offload
from server.store import keys
from server.store.scripts import NOTES_MAX_BYTES, Lua

log = logging.getLogger(__name__)

TEXT = "notes"  # the name of the Y.Text both sides edit
NEXT_STEP = "Next step:"
COMPACT_AT = 200
MAX_BYTES = NOTES_MAX_BYTES


def encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def first_text(question: str) -> str:
    return f"Question: {question}\n\nNotes:\n\n\n{NEXT_STEP} \n"


def _raw(updates: list[str]) -> list[bytes]:
    return [base64.b64decode(u) for u in updates]


def _document(updates: list[str]) -> pycrdt.Doc[pycrdt.Text]:
    """The updates applied one by one. Applying one merge of thousands of small appends costs
    Yrs time quadratic in their number (seconds for a few hundred KB); one by one it is linear."""
    doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    doc.get(TEXT, type=pycrdt.Text)
    for update in _raw(updates):
        doc.apply_update(update)
    return doc


def merged_text(updates: list[str]) -> str:
    """The notes as plain text from their stored updates (run in the helper process)."""
    return str(_document(updates).get(TEXT, type=pycrdt.Text)) if updates else ""


def compact(updates: list[str]) -> str:
    """The stored updates as one, base64 (run in the helper process): the document's own
    encoding, whose runs of typing are squashed into single items (cheap to apply again), unless
    the document is still waiting for a change some update depends on; then their plain merge,
    which keeps that update."""
    doc = _document(updates)
    merged = pycrdt.merge_updates(*_raw(updates))
    beyond = pycrdt.get_update(merged, doc.get_state())
    return encode(merged if beyond[0] != 0 else doc.get_update())


def missing_and_state(updates: list[str], vector: bytes) -> tuple[bytes, bytes]:
    """What a copy with state ``vector`` lacks, and the whole document's state vector (run in
    the helper process); ValueError when ``vector`` is not a Yjs state vector."""
    merged = pycrdt.merge_updates(*_raw(updates))
    return pycrdt.get_update(merged, vector), pycrdt.get_state(merged)


def next_step(text: str) -> str:
    """What follows "Next step:" on its line, trimmed; '' when the line is gone or empty."""
    for line in text.splitlines():
        if line.strip().lower().startswith(NEXT_STEP.lower()):
            return line.strip()[len(NEXT_STEP) :].strip()
    return ""


class Notes:
    def __init__(self, redis: Redis, lua: Lua, notifier: Notifier, offload: Offload) -> None:
        self._redis = redis
        self._lua = lua
        self._notifier = notifier
        self._offload = offload

    async def sync(self, user_id: str, session: Session, state_vector: str) -> dict[str, Any]:
        """What the caller's copy lacks (``update``) and the server's state vector, so the
        caller can send what the server lacks (edits made while disconnected)."""
        if session.role_of(user_id) is None:
            raise Forbidden("You are not in that session.", code="not_in_session")
        updates = await self._updates(session, seed_as=user_id)
        vector = base64.b64decode(state_vector) if state_vector else b"\x00"
        try:
            missing, state = await self._offload.run(missing_and_state, updates, vector)
        except ValueError:
            raise InvalidPayload("state_vector: not a Yjs state vector") from None
        return {"update": encode(missing), "state_vector": encode(state)}

    async def update(self, user_id: str, session_id: str, update: str) -> None:
        """Keep a change (base64, its size checked at the edge) and relay it to every socket of
        both people."""
        try:
            pycrdt.get_state(
                base64.b64decode(update)
            )  # decodes every part of it without the cost of applying it
        except ValueError:
            raise InvalidPayload("update: not a Yjs update") from None
        reply = await self._lua(self._lua.scripts.notes_append, session_id, user_id, update, 0)
        if reply[0] == "err":
            if reply[1] == "notes_full":
                raise Conflict("The notes are busy; try again in a moment.", code="notes_full")
            if reply[1] == "notes_too_large":
                raise Conflict(
                    f"The shared notes are full ({MAX_BYTES // 1024} KiB); "
                    "keep longer text in a file or the chat.",
                    code="notes_too_large",
                )
            raise Forbidden("You are not in that live session.", code="not_in_session")
        message = NotesUpdate(session_id=session_id, sender=user_id, update=update)
        for person in reply[2:4]:
            await self._notifier.to_user(person, message)
        if int(reply[1]) >= COMPACT_AT:
            await self._compact(session_id)

    async def text(self, session: Session) -> str:
        """The notes as plain text ('' if nobody opened them)."""
        updates = await self._redis.lrange(keys.notes(session.id), 0, -1)
        return await self._offload.run(merged_text, updates) if updates else ""

    async def _updates(self, session: Session, *, seed_as: str) -> list[str]:
        """The stored updates, seeded with the question the first time."""
        updates: list[str] = await self._redis.lrange(keys.notes(session.id), 0, -1)
        if not updates:
            await self._seed(session, seed_as)
            updates = await self._redis.lrange(keys.notes(session.id), 0, -1)
        return updates

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
        merged = await self._offload.run(compact, updates)
        removed = sum(len(u) for u in updates)
        done = await self._lua(
            self._lua.scripts.notes_compact, session_id, gen, len(updates), merged, removed
        )
        if not done:
            log.debug("notes of %s changed while compacting; the next change compacts", session_id)
