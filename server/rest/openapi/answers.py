"""What the REST routes answer, as msgspec structs: the shapes ``GET /api/openapi.json``
documents. The routes still build plain dicts; these types only describe them, and the fuzzer
(``tests/test_openapi.py``, ``python -m bench fuzz_rest``) checks every answer against them.

Objects stay open (a client must ignore fields it does not know, so the server may add some);
a field with a default is one the server leaves out in some answers. Where a value's type varies
with state the server does not pin down here, it is ``Any``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct, field

Ms = Annotated[int, Meta(description="server epoch milliseconds")]


# -- errors ------------------------------------------------------------------------------------


class ErrorDetail(Struct):
    code: Annotated[str, Meta(description="snake_case, stable: what to branch on")]
    message: Annotated[str, Meta(description="a sentence for people")]
    retry_after_s: Annotated[int, Meta(description="with rate_limited only")] = 0


class ErrorAnswer(Struct):
    """Every 4xx and 503 of /api/: never a traceback."""

    error: ErrorDetail


# -- small parts -------------------------------------------------------------------------------


class UserRef(Struct):
    id: str
    name: str


class SkillRef(Struct):
    slug: str
    name: str


class Rating(Struct):
    """Reputation as a mentor: a Bayesian average over stars given by mentees."""

    mean: float | None
    count: int
    score: float


class Ok(Struct):
    ok: bool


# -- accounts ----------------------------------------------------------------------------------


class Issued(Struct):
    """The login answer: a token and who it is for."""

    token: str
    user: UserRef
    expires_at: Ms
    expires_in_s: int


class SignedIn(Issued):
    outcome: Literal["existing", "linked", "created"]


class SsoLabel(Struct):
    label: str


class AuthConfig(Struct):
    guests: bool
    passkeys: bool
    sso: SsoLabel | None
    kept_after_delete: str


class Passkey(Struct):
    id: str
    label: str
    created_at: Ms
    last_used_at: int | None
    synced: bool


class SsoIdentity(Struct):
    issuer: str
    email: str


class Profile(Struct):
    id: str
    name: str
    headline: str
    expertise: str
    skills: list[str]
    wont_cover: str = ""


class Me(Profile, kw_only=True):
    kind: Literal["guest", "passkey", "sso"]
    kept: bool
    created_at: Ms
    passkeys: list[Passkey]
    sso: SsoIdentity | None
    kept_after_delete: str


class Deleted(Struct):
    ok: bool
    kept: str


class CeremonyOptions(Struct):
    ceremony_id: str
    options: Annotated[dict[str, Any], Meta(description="WebAuthn options JSON")]


class PasskeyAdded(Struct):
    passkey: Passkey
    kind: Literal["guest", "passkey", "sso"]


class Passkeys(Struct):
    passkeys: list[Passkey]


class OidcStart(Struct):
    authorize_url: str
    binding: str


class PublicUser(Struct):
    id: str
    name: str
    headline: str
    expertise: str
    skills: list[str]
    rating: Rating
    sessions: int
    wont_cover: str = ""


# -- drop-in -----------------------------------------------------------------------------------


class Health(Struct):
    ok: bool
    redis: Literal["ok", "down"]


class Settings(Struct):
    session_seconds: float
    decline_seconds: float


class SkillCount(Struct):
    slug: str
    name: str
    waiting: int
    mentors_online: int
    eta_s: float | None
    eta_reason: str = ""


class IceServer(Struct):
    urls: list[str]
    username: str = ""
    credential: str = ""


class IceAnswer(Struct):
    iceServers: list[IceServer]  # the WebRTC name, as RTCConfiguration spells it


class PrecallAnswer(Struct):
    sdp: str
    type: Literal["answer"]


class GivenRating(Struct):
    stars: int
    tags: list[str] = []
    follow_up: bool = False
    at: int = 0
    note: str = ""
    reflection: str = ""


class Applied(Struct):
    note: str
    at: int | None


class HistoryEntry(Struct):
    session_id: str
    role: str | None
    peer: UserRef
    skill: str
    question: str
    state: str
    reason: str | None
    matched_at: Ms
    started_at: int | None
    ended_at: int | None
    duration_s: int
    rate_until: int | None
    event_id: str | None
    rating_given: GivenRating | None
    rating_received: GivenRating | None
    no_show: list[str]
    direct: bool = False
    mutual_follow_up: bool = False
    applied: Applied | None = None
    applied_skipped: bool = False


class ChatMessage(Struct):
    id: str
    seq: int
    sender: Annotated[str, Meta(description="the sender's user id")] = field(name="from")
    text: str
    at: Ms


class SessionRecord(Struct):
    """A participant's record of a call."""

    session_id: str
    skill: str
    skill_name: str
    question: str
    state: str
    role: str | None
    mentor: UserRef
    mentee: UserRef
    matched_at: Ms
    chat: list[ChatMessage]
    notes: str
    next_step: str
    duration_s: int
    extended_s: int
    credited_s: int
    started_at: int | None = None
    ends_at: int | None = None
    ended_at: int | None = None
    reason: str | None = None
    event_id: str | None = None
    ended_by: str | None = None


# -- events ------------------------------------------------------------------------------------


class EventCreated(Struct):
    event_id: str
    code: str


class EventCounts(Struct):
    mentor: int
    mentee: int


class EventState(Struct):
    """What ``event:update`` carries; ``code`` only for the host."""

    event_id: str
    title: str
    state: Literal["lobby", "round", "break", "ended"]
    round: int
    rounds: int
    ends_at: int | None
    participants: int
    counts: EventCounts
    round_seconds: int
    break_seconds: int
    host_id: str
    code: str = ""
    announcement: str = ""
    announcement_at: int | None = None
    prompt: str = ""


class HostedEvent(Struct):
    event_id: str
    title: str
    code: str
    state: str
    round: int
    rounds: int
    created_at: Ms
    people: int


class StarsCount(Struct):
    count: int
    mean: float | None


class EventSummary(Struct):
    """Attendance, pairs per round, sit-outs, ratings, mutual follow-ups."""

    event: EventState
    attendance: list[dict[str, Any]]
    rounds: list[dict[str, Any]]
    ratings: StarsCount
    mutual_follow_ups: list[dict[str, Any]]


class EventResults(Struct):
    """One participant's pairs and mutual follow-ups in an event."""

    event: EventState
    pairs: list[dict[str, Any]]
    mutual_follow_ups: list[dict[str, Any]]


# -- matching by meaning -----------------------------------------------------------------------


class Suggestion(Struct):
    slug: str
    name: str
    score: float


class Preparation(Struct):
    parts: dict[str, bool]
    nudges: list[str]


class Suggestions(Struct):
    skills: list[Suggestion]
    preparation: Preparation


class SlotView(Struct):
    kind: Literal["once", "weekly"]
    tz: str
    minutes: int
    next_at: int | None
    label: str
    start: str | None = None
    weekday: int | None = None
    time: str | None = None
    note: str = ""


class DirectoryMentor(Struct):
    id: str
    name: str
    headline: str
    expertise: str
    skills: list[str]
    online: bool
    state: Literal["idle", "busy", "cooldown", "offline"]
    online_skills: list[str]
    wont_cover: str
    skill_ratings: dict[str, Rating]
    rating: Rating
    next_office_hours: SlotView | None
    fit: Annotated[float, Meta(description="with q only")] = 0.0


class Mentors(Struct):
    mentors: list[DirectoryMentor]


class PastSession(Struct):
    session_id: str
    question: str
    skill: str
    peer: UserRef
    when: Ms
    score: float


class Pointers(Struct):
    question: str | None
    examples: list[str]
    past: list[PastSession]
    skill: str = ""


# -- program -----------------------------------------------------------------------------------


class HoursView(Struct):
    hours: list[SlotView]
    next: SlotView | None
    ics: str


class Watch(Struct):
    kind: Literal["mentor", "skill"]
    mentor: UserRef | None = None
    skill: SkillRef | None = None


class Watches(Struct):
    watches: list[Watch]


class NoShowCounts(Struct):
    total: int
    last_30_days: int


class FollowUps(Struct):
    apply_prompts: list[dict[str, Any]]
    follow_ups: list[dict[str, Any]]
    no_shows: NoShowCounts


class AdminFlag(Struct):
    admin: bool


class Analytics(Struct):
    """Aggregates only: no question, note or reflection leaves the server this way."""

    since: Ms
    until: Ms
    weeks: list[dict[str, Any]]
    wait_by_skill: list[dict[str, Any]]
    matched_share: dict[str, Any]
    no_shows: dict[str, Any]
    ratings: dict[str, Any]
    follow_up_notes: dict[str, Any]
    repeat_use: dict[str, Any]
    mentor_utilisation: dict[str, Any]
    events: list[dict[str, Any]]


class NoShowPerson(Struct):
    id: str
    name: str
    no_shows: int


class NoShows(Struct):
    people: list[NoShowPerson]
