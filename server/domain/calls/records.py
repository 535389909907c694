"""The session record: what both people keep of a call (question, chat, notes, next step, how
long it ran, extension and credit), as JSON for the app and as Markdown to download.

Only a session's two people may read it; for anyone else it does not exist, exactly like an
unknown id, so ids cannot be probed. Its notes are merged, and its Markdown written, in the
helper process (``server/runtime/offload.py``), never on the event loop.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from server.domain.accounts.users import Users
from server.domain.calls.chat import Chat
from server.domain.calls.notes import Notes, next_step
from server.domain.calls.sessions import SessionStore
from server.domain.matching.catalog import SkillCatalog
from server.protocol.errors import NotFound
from server.protocol.inbound import clean_line
from server.runtime.offload import Offload

REASONS = {
    "time_up": "time was up",
    "left": "someone hung up",
    "disconnected": "the connection dropped",
    "declined": "the mentor declined",
    "no_connection": "the call could not connect",
    "event_round_over": "the event round ended",
}


class SessionRecords:
    def __init__(
        self,
        sessions: SessionStore,
        users: Users,
        chat: Chat,
        notes: Notes,
        catalog: SkillCatalog,
        offload: Offload,
    ) -> None:
        self._sessions = sessions
        self._users = users
        self._chat = chat
        self._notes = notes
        self._catalog = catalog
        self._offload = offload

    async def record(self, user_id: str, session_id: str) -> dict[str, Any]:
        session = await self._sessions.get(session_id)
        if session is None or session.role_of(user_id) is None:
            raise NotFound("No such session.")
        names = await self._users.names([session.mentor_id, session.mentee_id])
        notes = await self._notes.text(session)
        duration_ms = 0
        if session.started_at:
            end = session.ended_at or session.ends_at or session.started_at
            duration_ms = max(0, end - session.started_at)
        record: dict[str, Any] = {
            "session_id": session.id,
            "skill": session.skill,
            "skill_name": self._catalog.name(session.skill),
            "question": session.question,
            "state": session.state,
            "role": session.role_of(user_id),
            "mentor": {"id": session.mentor_id, "name": names[session.mentor_id]},
            "mentee": {"id": session.mentee_id, "name": names[session.mentee_id]},
            "matched_at": session.matched_at,
            "chat": await self._chat.messages(session.id),
            "notes": notes,
            "next_step": next_step(notes),
            "duration_s": round(duration_ms / 1000),
            "extended_s": round(session.extended_ms / 1000),
            "credited_s": round(session.credited_ms / 1000),
        }
        for name in ("started_at", "ends_at", "ended_at", "reason", "event_id"):
            value = getattr(session, name)
            if value is not None:
                record[name] = value
        if session.actor:
            record["ended_by"] = session.actor
        return record

    async def markdown(self, user_id: str, session_id: str) -> str:
        """The record as a Markdown document (``markdown``), written in the helper process."""
        return await self._offload.run(markdown, await self.record(user_id, session_id))


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _clock(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%H:%M:%S")


def _minutes(total_s: int) -> str:
    return f"{total_s // 60} min {total_s % 60:02d} s"


# Markdown from what people typed: nothing in it may be read as structure (a forged speaker
# turn, raw HTML, a link, a code fence left open to swallow what follows). Characters that start
# structure inside a line are backslash-escaped (CommonMark lets any ASCII punctuation be), and
# so are those that start a block at the start of a line. `!`, `(`, `:` need nothing once `[`,
# `<` and `&` are escaped: no link, image, autolink, entity or HTML can begin.
_INLINE = re.compile(r"([\\`*_\[\]<&|~])")
_LINE_START = re.compile(r"^([#>+=-]|\d+[.)])")
_INDENT = re.compile(r"^[ \t]+")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_BACKTICKS = re.compile(r"`+")
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{0,32}")


def escape_line(line: str) -> str:
    """One line of a person's text, to be read as exactly that text. Leading spaces become
    no-break spaces: the indentation shows, and never turns the line into a code block."""
    line = _LINE_START.sub(lambda m: m[1][:-1] + "\\" + m[1][-1], _INLINE.sub(r"\\\1", line))
    return _INDENT.sub(lambda m: m[0].replace("\t", "    ").replace(" ", "\u00a0"), line)


def escape_inline(text: str) -> str:
    """A name or other one-line text inside a line of ours."""
    return _INLINE.sub(r"\\\1", clean_line(text))


def text_block(text: str) -> list[str]:
    """A person's text as Markdown lines that read as that text: prose escaped line by line, and
    each fenced code block in it fenced again with backticks longer than any run inside it (so
    nothing inside can close it), closed even if the person left it open."""
    lines = _LINE_BREAK.split(text)
    out: list[str] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None or (opening[1][0] == "`" and "`" in opening[2]):
            out.append(escape_line(lines[i]))
            i += 1
            continue
        mark, body = opening[1], []
        closing = re.compile(rf"^ {{0,3}}{re.escape(mark[0])}{{{len(mark)},}}[ \t]*$")
        i += 1
        while i < len(lines) and not closing.match(lines[i]):
            body.append(lines[i])
            i += 1
        i += 1  # the closing line, or past the end
        longest = max((len(run) for run in _BACKTICKS.findall("\n".join(body))), default=0)
        fence = "`" * max(3, longest + 1)
        language = _LANGUAGE.match(opening[2].strip())
        out += [fence + (language[0] if language else ""), *body, fence]
    return out


def markdown(record: dict[str, Any]) -> str:
    """The record as a Markdown document. What people typed (names, question, notes, chat) is
    written so that it reads as typed and never as structure (``text_block``): fenced code stays
    fenced; the question is quoted."""
    names = {record["mentor"]["id"]: record["mentor"]["name"]}
    names[record["mentee"]["id"]] = record["mentee"]["name"]
    lines = [
        f"# Mentoring session: {escape_inline(record['skill_name'])}",
        "",
        f"- Mentor: {escape_inline(record['mentor']['name'])}",
        f"- Mentee: {escape_inline(record['mentee']['name'])}",
        f"- When: {_when(record.get('started_at') or record['matched_at'])}",
        f"- Length: {_minutes(record['duration_s'])}",
    ]
    if record["extended_s"]:
        lines.append(f"- Extended by agreement: {_minutes(record['extended_s'])}")
    if record["credited_s"]:
        lines.append(f"- Time given back after a dropped connection: {record['credited_s']} s")
    if record.get("reason"):
        lines.append(f"- Ended: {REASONS.get(record['reason'], record['reason'])}")
    lines += ["", "## Question", ""]
    lines += [f"> {line}" if line else ">" for line in text_block(record["question"])]
    lines += ["", "## Next step", ""]
    lines += [escape_inline(record["next_step"]) or "(none written)", ""]
    notes = record["notes"].rstrip()
    lines += ["## Notes", "", *(text_block(notes) if notes else ["(no notes)"]), ""]
    lines += ["## Chat", ""]
    if not record["chat"]:
        lines.append("(no messages)")
    for message in record["chat"]:
        who = escape_inline(names.get(message["from"], "Someone"))
        lines += [f"**{who}** ({_clock(message['at'])}):", "", *text_block(message["text"]), ""]
    return "\n".join(lines).rstrip() + "\n"
