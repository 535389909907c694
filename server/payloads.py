"""Validated payloads of every client->server message, typed at the edge.

``parse(Type, data)`` turns anything a client sends into a typed struct or raises
:class:`InvalidPayload` with a sentence saying which field is wrong.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import Meta, Struct

from server.errors import InvalidPayload

Slug = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
Id = Annotated[str, Meta(min_length=1, max_length=64)]
Tag = Annotated[str, Meta(min_length=1, max_length=32)]

T = TypeVar("T", bound=Struct)


def parse(kind: type[T], data: Any) -> T:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidPayload("The payload must be a JSON object.")
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


def trimmed(value: str, field: str, low: int, high: int) -> str:
    text = value.strip()
    if not low <= len(text) <= high:
        raise InvalidPayload(f"{field}: must be {low} to {high} characters after trimming")
    return text


class Login(Struct):
    name: Annotated[str, Meta(max_length=200)]


class AuthRenew(Struct):
    token: Annotated[str, Meta(min_length=1, max_length=1024)]


class ClockSync(Struct):
    t0: int | float


class MentorOnline(Struct):
    skills: Annotated[list[Slug], Meta(min_length=1, max_length=20)]
    minutes: Annotated[int, Meta(ge=5, le=240)]
    max_sessions: Annotated[int, Meta(ge=1, le=100)] | None = None


class Empty(Struct):
    pass


class MenteeJoin(Struct):
    skill: Slug
    question: Annotated[str, Meta(max_length=2000)]


class SessionRef(Struct):
    session_id: Id


class Signal(Struct):
    session_id: Id
    type: Literal["offer", "answer", "candidate"]
    data: dict[str, Any]


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
    reason: Annotated[str, Meta(min_length=1, max_length=1000)]


class EventCreate(Struct):
    title: Annotated[str, Meta(max_length=300)]
    round_seconds: Annotated[int, Meta(ge=1, le=3600)]
    rounds: Annotated[int, Meta(ge=1, le=50)]
    break_seconds: Annotated[int, Meta(ge=0, le=1800)]
    skills: Annotated[list[Slug], Meta(max_length=20)] = []


class EventJoin(Struct):
    code: Annotated[str, Meta(min_length=4, max_length=12)]
    role: Literal["mentor", "mentee"]
    skills: Annotated[list[Slug], Meta(max_length=20)] = []


class EventRef(Struct):
    event_id: Id


class EventAnnounce(Struct):
    event_id: Id
    text: Annotated[str, Meta(max_length=280)]
