"""Every server->client event, as a typed struct that carries its name.

The domain builds these and hands them to the notifier (``server/transport/notifier.py``),
which encodes each once with msgspec. A field the server leaves out in some messages defaults to
``UNSET`` and is then absent from the JSON (the contract's ``"announcement"?``); a field sent as
``null`` is typed ``... | None`` and always present. ``EVENT`` is the event's name on the wire,
spelled here and nowhere else in the server (``tests/test_protocol_doc.py`` holds that).
"""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec
from msgspec import UNSET, Struct, UnsetType, field


class Outbound(Struct):
    """A server->client event; ``EVENT`` is its name."""

    EVENT: ClassVar[str]


# -- parts -------------------------------------------------------------------------------------


class PersonRef(Struct):
    id: str
    name: str | None


class SkillRef(Struct):
    slug: str
    name: str


class Rating(Struct):
    """A mentor's reputation: the Bayesian mean of the stars mentees gave, how many, its score."""

    mean: float | None
    count: int
    score: float


class PeerCard(Struct, kw_only=True):
    """How one side of a call sees the other. ``headline`` and ``wont_cover`` only when the person
    wrote them; ``intro`` and ``skills`` in a round call of an event."""

    id: str
    name: str
    headline: str | UnsetType = UNSET
    wont_cover: str | UnsetType = UNSET
    rating: Rating
    intro: str | UnsetType = UNSET
    skills: list[str] | UnsetType = UNSET


class WaitingQuestion(Struct, kw_only=True):
    """A question waiting in a mentor's skills (no names, no ids)."""

    skill: str
    question: str
    since: int
    personal: bool | UnsetType = UNSET  # True for a personal request to this mentor
    declined: bool
    connect_failed: bool


class WidenOption(Struct):
    slug: str
    name: str
    score: float | None
    mentors_online: int | UnsetType = UNSET


class WatchRef(Struct):
    kind: str
    target: str


class EventCounts(Struct):
    mentor: int
    mentee: int


class ConsolePerson(Struct):
    id: str
    name: str
    role: str
    intro: str
    skills: list[str]
    status: str
    joined_round: int
    left_round: int | None
    played: int
    sat_out: int


class PairStars(Struct):
    mentor: int | None
    mentee: int | None


class ConsolePair(Struct):
    session_id: str
    round: int
    mentor: PersonRef
    mentee: PersonRef
    media: str
    media_at: int | None
    state: str
    reason: str | None
    stars: PairStars


class RatingsCount(Struct):
    count: int
    mean: float | None


class RoundStats(Struct):
    round: int
    started_at: int
    ends_at: int
    pairs: int
    connected: int
    connected_share: float | None
    sitting_out: int
    ratings: RatingsCount


# -- drop-in: the queue and the mentor's burst -------------------------------------------------


class QueueUpdate(Outbound):
    EVENT: ClassVar[str] = "queue:update"

    ticket_id: str
    skill: str
    position: int
    eta_s: int | None
    waiting: int
    eta_reason: str | UnsetType = UNSET
    question: str | UnsetType = UNSET  # on a (re)connecting socket's catch-up
    mentor: PersonRef | UnsetType = UNSET  # a personal request: whose
    widen: list[SkillRef] | UnsetType = UNSET  # wider skills on offer


class QueueWiden(Outbound):
    EVENT: ClassVar[str] = "queue:widen"

    ticket_id: str
    skill: str
    options: list[WidenOption]


class MentorUpdate(Outbound):
    EVENT: ClassVar[str] = "mentor:update"

    burst_ends_at: int
    sessions_done: int
    waiting: dict[str, int]
    personal_waiting: int
    state: str
    max_sessions: int | None
    questions: list[WaitingQuestion]


# -- a call --------------------------------------------------------------------------------------


class SessionMatched(Outbound):
    EVENT: ClassVar[str] = "session:matched"

    session_id: str
    role: str
    peer: PeerCard
    skill: str
    question: str
    duration_s: int | float
    offerer: bool
    ice_servers: list[dict[str, Any]]
    server_now: int
    # an event's round call
    event_id: str | UnsetType = UNSET
    shared_skills: list[str] | UnsetType = UNSET
    prompt: str | UnsetType | None = UNSET
    round: int | UnsetType = UNSET
    rounds: int | UnsetType = UNSET
    event_title: str | UnsetType = UNSET
    # a drop-in call
    decline_until: int | UnsetType = UNSET
    # a (re)connecting socket's catch-up
    resumed: bool | UnsetType = UNSET
    held_elsewhere: bool | UnsetType = UNSET


class SessionStarted(Outbound):
    EVENT: ClassVar[str] = "session:started"

    session_id: str
    started_at: int
    ends_at: int
    server_now: int
    extended_s: int | float | UnsetType = UNSET
    credited_s: int | float | UnsetType = UNSET


class SessionWarning(Outbound):
    EVENT: ClassVar[str] = "session:warning"

    session_id: str
    remaining_s: int | float
    server_now: int


class SessionEnded(Outbound):
    EVENT: ClassVar[str] = "session:ended"

    session_id: str
    reason: str | None
    rate_until: int | None
    no_show: list[str]
    by: str | None


class ExtendRequested(Outbound):
    EVENT: ClassVar[str] = "session:extend_requested"

    session_id: str
    by: str
    minutes: int


class SessionMoved(Outbound):
    EVENT: ClassVar[str] = "session:moved"

    session_id: str


class Signal(Outbound, gc=False):
    """The relay's hot path: no garbage-collector tracking (it holds no cycles)."""

    EVENT: ClassVar[str] = "signal"

    session_id: str
    sender: str = field(name="from")
    type: str
    data: dict[str, Any]


class ChatMessage(Outbound):
    EVENT: ClassVar[str] = "chat:message"

    session_id: str
    id: str
    seq: int
    sender: str = field(name="from")
    text: str
    at: int


class NotesUpdate(Outbound):
    EVENT: ClassVar[str] = "notes:update"

    session_id: str
    sender: str = field(name="from")
    update: str


# -- speed-mentoring events ------------------------------------------------------------------


class EventUpdate(Outbound, forbid_unknown_fields=True):
    """An event's public state (also ``GET /api/events/{id}`` and the ``event:join`` ack)."""

    EVENT: ClassVar[str] = "event:update"

    event_id: str
    title: str
    state: str
    round: int
    rounds: int
    ends_at: int | None
    participants: int
    counts: EventCounts
    code: str
    round_seconds: int
    break_seconds: int
    host_id: str
    announcement: str | UnsetType = UNSET
    announcement_at: int | UnsetType | None = UNSET
    prompt: str | UnsetType = UNSET

    @classmethod
    def of(cls, state: dict[str, Any]) -> EventUpdate:
        """From the state the event store reads (a key this struct lacks is an error)."""
        return msgspec.convert(state, cls)


class EventRound(Outbound):
    EVENT: ClassVar[str] = "event:round"

    event_id: str
    round: int
    sitting_out: bool
    ends_at: int
    session_id: str | UnsetType = UNSET


class EventConsole(Outbound):
    """The host's live console."""

    EVENT: ClassVar[str] = "event:console"

    event_id: str
    state: str
    round: int
    rounds: int
    ends_at: int | None
    server_now: int
    people: list[ConsolePerson]
    pairs: list[ConsolePair]
    stats: list[RoundStats]
    prompts: dict[str, str]


# -- everything else -------------------------------------------------------------------------


class Notify(Outbound):
    """A watched mentor (or a mentor in a watched skill) went online."""

    EVENT: ClassVar[str] = "notify"

    kind: str
    mentor: PersonRef
    skills: list[SkillRef]
    watch: WatchRef


class Error(Outbound):
    """A failure not tied to an ack (e.g. ``token_expired`` before the server closes a socket)."""

    EVENT: ClassVar[str] = "error"

    code: str
    message: str


def every_event() -> dict[str, type[Outbound]]:
    """Event name -> its struct, for every server->client event."""
    return {kind.EVENT: kind for kind in _subclasses(Outbound)}


def _subclasses(kind: type[Outbound]) -> list[type[Outbound]]:
    found = []
    for sub in kind.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found
