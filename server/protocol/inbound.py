"""Validated payloads of every client->server message, typed at the edge.

``parse(Type, data)`` turns anything a client sends into a typed struct or raises
:class:`InvalidPayload` with a sentence saying which field is wrong. Before the typed check,
:func:`check_values` walks the whole payload (free-form parts such as a signal's ``data``
included, since they are relayed and stored): numbers outside the 64-bit range, non-finite
floats, text that is not valid Unicode and absurd nesting are refused there.

Each field's rule lives here and only here, with the contract's limit: a type and a ``Meta``
where msgspec can say it, and the struct's ``__post_init__`` where the text is trimmed or
cleaned first (a question is 1 to 500 characters *after* trimming). A handler gets a struct
whose every field already holds, and re-checks nothing.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import unicodedata
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import Meta, Struct

from server.protocol.errors import InvalidPayload

Slug = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
Id = Annotated[str, Meta(min_length=1, max_length=64)]
Tag = Annotated[str, Meta(min_length=1, max_length=32)]

T = TypeVar("T", bound=Struct)


INT_MIN, INT_MAX = -(2**63), 2**64 - 1
MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_values(data: Any) -> None:
    """Refuse what no field may hold, naming where it was found."""
    found = _first_bad(data, 0)
    if found is not None:
        where, problem = found
        raise InvalidPayload(f"{where or 'payload'}: {problem}")


def _first_bad(data: Any, depth: int) -> tuple[str, str] | None:
    """(path, problem) of the first value no field may hold; the path is built only then, so a
    good payload (every message) costs a plain walk."""
    kind = type(data)
    if kind is str:
        return ("", "text must be valid Unicode") if _SURROGATE.search(data) else None
    if kind is int:
        return (
            None if INT_MIN <= data <= INT_MAX else ("", "numbers must be within the 64-bit range")
        )
    if kind is float:
        return None if math.isfinite(data) else ("", "numbers must be finite")
    if depth > MAX_DEPTH and kind in (dict, list):
        return ("", "nested too deeply")
    if kind is dict:
        for key, value in data.items():
            found = _first_bad(key, depth + 1) or _first_bad(value, depth + 1)
            if found is not None:
                inner = found[0]
                joint = "" if not inner or inner.startswith("[") else "."
                return (f"{key}{joint}{inner}", found[1])
    elif kind is list:
        for index, value in enumerate(data):
            found = _first_bad(value, depth + 1)
            if found is not None:
                return (f"[{index}]{'.' + found[0] if found[0] else ''}", found[1])
    return None


def parse(kind: type[T], data: Any) -> T:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidPayload("The payload must be a JSON object.")
    check_values(data)
    try:
        return msgspec.convert(data, kind, strict=True)
    except msgspec.ValidationError as exc:
        raise InvalidPayload(_sentence(str(exc))) from None


def _sentence(detail: str) -> str:
    # msgspec says "Expected `int` >= 1 - at `$.stars`"; lead with the field a person can fix.
    message, _, where = detail.partition(" - at `$.")
    if where:
        return f"{where.rstrip('`')}: {message}"
    return detail


# Not in a name, a title or a label: C0 and C1 controls (a CR or LF writes lines of its own into a
# calendar feed or a Markdown record) and the bidi embeddings, overrides and isolates (U+202A to
# U+202E, U+2066 to U+2069), which make a name read in another order than it is stored.
_UNSHOWN = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SPACE_RUN = re.compile(r"\s+")


def clean_line(text: str) -> str:
    """Person-written one-line text made safe to show anywhere: NFC, every run of whitespace
    (line breaks included) one space, no control or bidi-override characters, trimmed."""
    text = _SPACE_RUN.sub(" ", unicodedata.normalize("NFC", text))
    return _UNSHOWN.sub("", text).strip()


def cleaned(value: str, field: str, low: int, high: int) -> str:
    """A name, title, label or intro: :func:`clean_line`, then ``low..high`` characters (a name
    that cleans to nothing is refused). Raises ValueError, which :func:`parse` reports."""
    text = clean_line(value)
    if not low <= len(text) <= high:
        span = f"at most {high}" if low == 0 else f"{low} to {high}"
        raise ValueError(f"{field}: must be {span} characters after cleaning")
    return text


def stripped(value: str, field: str, low: int, high: int) -> str:
    """Text trimmed, then ``low..high`` characters. Raises ValueError, which :func:`parse`
    reports."""
    text = value.strip()
    if not low <= len(text) <= high:
        raise ValueError(f"{field}: must be {low} to {high} characters after trimming")
    return text


def person_line(value: str, field: str, low: int, high: int) -> str:
    """:func:`cleaned`, for a value that is not a payload field (raises InvalidPayload)."""
    try:
        return cleaned(value, field, low, high)
    except ValueError as exc:
        raise InvalidPayload(str(exc)) from None


def base64_text(value: str, field: str, most_bytes: int | None = None) -> str:
    """Base64 text, decoding to at most ``most_bytes``. Raises ValueError."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{field}: must be base64") from None
    if most_bytes is not None and len(raw) > most_bytes:
        raise ValueError(f"{field}: at most {most_bytes} bytes; send smaller changes")
    return value


QUESTION = (1, 500)  # a question, after trimming (mentee:join, POST /api/skills/suggest)
INTRO_MAX = 140  # event:join's intro, one clean line
PROMPT_MAX = 200  # event:prompt's text, one clean line
NOTES_UPDATE_MAX_BYTES = 32 * 1024  # one notes:update, decoded

Cleaned = Annotated[str, Meta(description="one line: whitespace runs become one space, trimmed")]
Trimmed = Annotated[str, Meta(description="trimmed before its length is checked")]


class Login(Struct):
    name: Annotated[Cleaned, Meta(description="1 to 60 characters after cleaning")]

    def __post_init__(self) -> None:
        self.name = cleaned(self.name, "name", 1, 60)


class AuthRenew(Struct):
    token: Annotated[str, Meta(min_length=1, max_length=1024)]


class ClockSync(Struct):
    t0: Annotated[int, Meta(ge=-(2**53), le=2**53)] | Annotated[float, Meta(ge=-(2**53), le=2**53)]


class MentorOnline(Struct):
    skills: Annotated[list[Slug], Meta(min_length=1, max_length=20)]
    minutes: Annotated[int, Meta(ge=5, le=240)]
    max_sessions: Annotated[int, Meta(ge=1, le=100)] | None = None


class Empty(Struct):
    pass


class MenteeJoin(Struct):
    skill: Slug
    question: Annotated[Trimmed, Meta(description="1 to 500 characters after trimming")]
    # (ext) a personal request: only this mentor takes it ("Ask Jamie", "Ask again").
    mentor_id: Id | None = None

    def __post_init__(self) -> None:
        self.question = stripped(self.question, "question", *QUESTION)


class SuggestRequest(Struct):
    """``POST /api/skills/suggest``: the question a person is about to ask."""

    question: Annotated[Trimmed, Meta(description="1 to 500 characters after trimming")]

    def __post_init__(self) -> None:
        self.question = stripped(self.question, "question", *QUESTION)


class MenteeWiden(Struct):
    skill: Slug


class SessionRef(Struct):
    session_id: Id


class SessionTake(Struct):
    session_id: Id
    replaces: Id | None = None  # this tab's socket id before a reload or reconnect


class Signal(Struct):
    session_id: Id
    type: Literal["offer", "answer", "candidate"]
    data: dict[str, Any]


class ChatSend(Struct):
    session_id: Id
    text: Annotated[str, Meta(min_length=1, max_length=4000)]  # sent as typed, not trimmed

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("text: must not be blank")


class SessionExtend(Struct):
    session_id: Id
    minutes: Annotated[int, Meta(ge=1, le=10)]


class NotesSync(Struct):
    session_id: Id
    state_vector: Annotated[str, Meta(max_length=8192)] = ""  # base64; "" for none yet

    def __post_init__(self) -> None:
        base64_text(self.state_vector, "state_vector")


class NotesUpdate(Struct):
    session_id: Id
    update: Annotated[str, Meta(min_length=1, description="base64, at most 32 KiB decoded")]

    def __post_init__(self) -> None:
        base64_text(self.update, "update", NOTES_UPDATE_MAX_BYTES)


class Rate(Struct):
    session_id: Id
    stars: Annotated[int, Meta(ge=1, le=5)]
    tags: Annotated[list[Tag], Meta(max_length=10)] = []
    note: Annotated[str, Meta(max_length=1000)] = ""
    follow_up: bool = False
    reflection: Annotated[str, Meta(max_length=1000)] = ""


class Offer(Struct):
    sdp: Annotated[str, Meta(min_length=1, max_length=60_000)]
    type: Literal["offer"]


class Report(Struct):
    session_id: Id
    reason: Annotated[Trimmed, Meta(description="1 to 1000 characters after trimming")]

    def __post_init__(self) -> None:
        self.reason = stripped(self.reason, "reason", 1, 1000)


class EventCreate(Struct):
    title: Annotated[Cleaned, Meta(description="1 to 120 characters after cleaning")]
    round_seconds: Annotated[int, Meta(ge=1, le=3600)]
    rounds: Annotated[int, Meta(ge=1, le=50)]
    break_seconds: Annotated[int, Meta(ge=0, le=1800)]
    skills: Annotated[list[Slug], Meta(max_length=20)] = []

    def __post_init__(self) -> None:
        self.title = cleaned(self.title, "title", 1, 120)


class EventJoin(Struct):
    code: Annotated[str, Meta(min_length=4, max_length=12)]
    role: Literal["mentor", "mentee"]
    # None (absent): the person's profile skills / headline; [] or "": none.
    skills: Annotated[list[Slug], Meta(max_length=20)] | None = None
    intro: Annotated[Cleaned, Meta(description="at most 140 characters after cleaning")] | None = (
        None
    )

    def __post_init__(self) -> None:
        if self.intro is not None:
            self.intro = cleaned(self.intro, "intro", 0, INTRO_MAX)


class EventRef(Struct):
    event_id: Id


class EventAnnounce(Struct):
    event_id: Id
    text: Annotated[Trimmed, Meta(description="1 to 280 characters after trimming")]

    def __post_init__(self) -> None:
        self.text = stripped(self.text, "text", 1, 280)


class EventPrompt(Struct):
    event_id: Id
    round: Annotated[int, Meta(ge=1, le=50)]  # and at most the event's rounds (its state)
    text: Annotated[Cleaned, Meta(description="at most 200 characters after cleaning")]

    def __post_init__(self) -> None:
        self.text = cleaned(self.text, "text", 0, PROMPT_MAX)


class ProfileUpdate(Struct, forbid_unknown_fields=True):
    """``PUT /api/me/profile``."""

    headline: Annotated[Cleaned, Meta(description="at most 120 characters after cleaning")] = ""
    expertise: Annotated[str, Meta(max_length=1000)] = ""  # trimmed
    skills: Annotated[list[Slug], Meta(max_length=20)] = []
    name: Annotated[Cleaned, Meta(description="1 to 60 characters after cleaning")] | None = None
    # (ext) boundaries: what this mentor won't cover (shown before and during a call)
    wont_cover: (
        Annotated[Cleaned, Meta(description="at most 300 characters after cleaning")] | None
    ) = None

    def __post_init__(self) -> None:
        self.headline = cleaned(self.headline, "headline", 0, 120)
        self.expertise = self.expertise.strip()
        if self.name is not None:
            self.name = cleaned(self.name, "name", 1, 60)
        if self.wont_cover is not None:
            self.wont_cover = cleaned(self.wont_cover, "wont_cover", 0, 300)


class Ceremony(Struct):
    """A passkey ceremony's answer (``POST /api/passkeys/register``, ``.../signin``)."""

    ceremony_id: Annotated[str, Meta(min_length=1, max_length=64)]
    credential: dict[str, Any]
    label: Annotated[Cleaned, Meta(description="at most 60 characters after cleaning")] = ""

    def __post_init__(self) -> None:
        self.label = cleaned(self.label, "label", 0, 60)


class OidcFinish(Struct):
    state: Annotated[str, Meta(min_length=1, max_length=128)]
    code: Annotated[str, Meta(min_length=1, max_length=2048)]
    binding: Annotated[str, Meta(min_length=1, max_length=128)]


class WatchRequest(Struct, forbid_unknown_fields=True):
    mentor_id: Id | None = None
    skill: Slug | None = None


class AppliedRequest(Struct, forbid_unknown_fields=True):
    """How the mentee applied a call's advice (trimmed), or ``skip``."""

    note: Annotated[str, Meta(max_length=1000)] = ""
    skip: bool = False

    def __post_init__(self) -> None:
        self.note = self.note.strip()
        if not self.skip and not self.note:
            raise ValueError("note: say how you applied it, or skip")
