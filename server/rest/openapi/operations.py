"""Every HTTP operation of the server, as the OpenAPI document describes it: what it takes (the
msgspec struct its handler validates with, query parameters), who may call it, and what it
answers. ``operation_id`` is the handler's name: ``tests/test_openapi.py`` walks the app's
router and fails on any route missing here, any entry routed nowhere, and any handler mismatch.

Errors every route of a kind can answer are added by the builder (``server/rest/openapi/__init__``):
503 ``unavailable`` under /api/, 401 with Bearer, 400/413 with a body, 404 with an id in the
path, 403 ``forbidden_origin`` and 429 ``rate_limited`` on writes. ``errors`` names the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from msgspec import Struct

from server.domain.program.analytics import CSV_TABLES as PROGRAM_TABLES
from server.domain.program.office_hours import HoursUpdate
from server.domain.speed.reports import CSV_TABLES as EVENT_TABLES
from server.protocol import inbound as p
from server.rest.openapi import answers as a

Auth = Literal["none", "bearer", "optional"]
# The account was deleted between the token check and the change (another tab, another node).
GONE = "not_found (the account was deleted a moment before)"


@dataclass(frozen=True)
class Param:
    """A query parameter."""

    name: str
    schema: Mapping[str, Any]
    description: str = ""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    tag: str
    summary: str
    answer: Any = None  # what msgspec describes as the success body; None: not JSON
    status: int = 200
    media: tuple[str, ...] = ()  # the success answer's other (or only) media types
    auth: Auth = "none"
    body: type[Struct] | None = None
    body_omit: tuple[str, ...] = ()  # fields the path supplies instead of the body
    query: tuple[Param, ...] = ()
    errors: Mapping[int, str] = field(default_factory=dict)
    other_answers: Mapping[int, tuple[str, Any]] = field(default_factory=dict)


WEEKS = Param(
    "weeks", {"type": "integer", "minimum": 1, "maximum": 52, "default": 12}, "the window"
)


def _format(download: str) -> Param:
    return Param("format", {"type": "string"}, f"`{download}` downloads it; anything else: JSON")


def _table(tables: tuple[str, ...], default: str) -> Param:
    return Param(
        "table",
        {"type": "string", "enum": list(tables), "default": default},
        "which table, with format=csv (another value answers 400 then; ignored otherwise)",
    )


OPERATIONS: tuple[Operation, ...] = (
    # -- operations ------------------------------------------------------------------------------
    Operation(
        "GET", "/healthz", "healthz", "operations", "Liveness and Redis reachability",
        answer=a.Health, other_answers={503: ("Redis is unreachable", a.Health)},
    ),
    Operation(
        "GET", "/metrics", "metrics_endpoint", "operations", "Prometheus text exposition",
        media=("text/plain",),
    ),
    Operation(
        "GET", "/api/openapi.json", "openapi_json", "operations", "This document",
        answer=dict[str, Any],
    ),
    # -- drop-in ---------------------------------------------------------------------------------
    Operation(
        "POST", "/api/login", "login", "accounts", "A new guest account",
        answer=a.Issued, body=p.Login,
        errors={400: "invalid_payload (name: 1-60 characters after trimming)",
                403: "sso_required (--oidc-required)",
                429: "rate_limited (--limit-login, per address)"},
    ),
    Operation(
        "GET", "/api/skills", "skills", "drop-in", "The catalog with live waiting counts",
        answer=list[a.SkillCount],
    ),
    Operation(
        "GET", "/api/settings", "public_settings", "drop-in", "How long a call lasts",
        answer=a.Settings,
    ),
    Operation(
        "GET", "/api/ice", "ice", "drop-in", "ICE servers, TURN credentials when configured",
        answer=a.IceAnswer, auth="bearer", errors={429: "rate_limited (--limit-ice)"},
    ),
    Operation(
        "POST", "/api/precall", "precall", "drop-in", "The pre-call echo check",
        answer=a.PrecallAnswer, auth="bearer", body=p.Offer,
        errors={400: "invalid_payload, bad_offer (an SDP it cannot use)",
                429: "rate_limited (--limit-precall; one check at a time)",
                503: "precall_busy (--precall-capacity)"},
    ),
    Operation(
        "GET", "/api/users/{user_id}", "user", "drop-in", "A person's public profile",
        answer=a.PublicUser,
    ),
    Operation(
        "GET", "/api/me/history", "history", "drop-in", "The caller's sessions, newest first",
        answer=list[a.HistoryEntry], auth="bearer",
    ),
    Operation(
        "GET", "/api/sessions/{session_id}", "session_record", "drop-in",
        "A participant's record of a call", answer=a.SessionRecord, media=("text/markdown",),
        auth="bearer", query=(_format("markdown"),),
    ),
    Operation(
        "POST", "/api/sessions/{session_id}/rating", "rate", "drop-in",
        "The `rate` event over HTTP (a closing tab's keepalive fetch)",
        answer=a.Ok, auth="bearer", body=p.Rate, body_omit=("session_id",),
        errors={404: "not_found (no such session, or someone else's)",
                409: "session_live, rating_closed, already_rated"},
    ),
    # -- events ----------------------------------------------------------------------------------
    Operation(
        "POST", "/api/events", "create_event", "events", "Create a speed-mentoring event",
        answer=a.EventCreated, status=201, auth="bearer", body=p.EventCreate,
        errors={400: "invalid_payload, unknown_skill", 409: "try_again",
                429: "rate_limited (--limit-event-create)"},
    ),
    Operation(
        "GET", "/api/events/{event_id}", "event_state", "events",
        "An event's public state (its code only to the host)",
        answer=a.EventState, auth="optional",
    ),
    Operation(
        "GET", "/api/events/{event_id}/summary", "event_summary", "events",
        "The host's results of an event", answer=a.EventSummary, media=("text/csv",),
        auth="bearer", query=(_format("csv"), _table(EVENT_TABLES, "pairs")),
        errors={400: "invalid_payload (table)", 403: "not_host"},
    ),
    Operation(
        "GET", "/api/events/{event_id}/me", "event_mine", "events",
        "A participant's pairs and mutual follow-ups", answer=a.EventResults, auth="bearer",
        errors={403: "not_in_event"},
    ),
    Operation(
        "GET", "/api/me/events", "hosted_events", "events", "Events the caller hosts",
        answer=list[a.HostedEvent], auth="bearer",
    ),
    # -- accounts --------------------------------------------------------------------------------
    Operation(
        "GET", "/api/auth/config", "auth_config", "accounts", "What the landing page offers",
        answer=a.AuthConfig,
    ),
    Operation(
        "POST", "/api/token/refresh", "refresh", "accounts", "A fresh token, same account",
        answer=a.Issued, auth="bearer",
    ),
    Operation(
        "GET", "/api/me", "me", "accounts", "The account page", answer=a.Me, auth="bearer",
    ),
    Operation(
        "PUT", "/api/me/profile", "update_profile", "accounts", "Edit the profile",
        answer=a.Profile, auth="bearer", body=p.ProfileUpdate,
        errors={400: "invalid_payload, unknown_skill", 404: GONE},
    ),
    Operation(
        "POST", "/api/me/signout", "sign_out", "accounts", "Sign this browser out",
        answer=a.Ok, auth="bearer", errors={404: GONE},
    ),
    Operation(
        "POST", "/api/me/signout-all", "sign_out_everywhere", "accounts", "Sign out everywhere",
        answer=a.Ok, auth="bearer", errors={404: GONE},
    ),
    Operation(
        "DELETE", "/api/me", "delete_account", "accounts", "Delete the account",
        answer=a.Deleted, auth="bearer",
        errors={404: GONE,
                409: "account_busy (waiting, online as a mentor, in a call or an event)"},
    ),
    Operation(
        "POST", "/api/passkeys/register/options", "passkey_register_options", "accounts",
        "Start adding a passkey", answer=a.CeremonyOptions, auth="bearer",
        errors={403: "sso_required"},
    ),
    Operation(
        "POST", "/api/passkeys/register", "passkey_register", "accounts", "Add a passkey",
        answer=a.PasskeyAdded, status=201, auth="bearer", body=p.Ceremony,
        errors={400: "invalid_payload, passkey_invalid, passkey_ceremony",
                403: "sso_required", 404: GONE, 409: "passkey_exists"},
    ),
    Operation(
        "DELETE", "/api/me/passkeys/{credential_id}", "passkey_remove", "accounts",
        "Remove a passkey", answer=a.Passkeys, auth="bearer",
        errors={404: "not_found", 409: "last_sign_in"},
    ),
    Operation(
        "POST", "/api/passkeys/signin/options", "passkey_signin_options", "accounts",
        "Start signing in with a passkey", answer=a.CeremonyOptions,
        errors={403: "sso_required"},
    ),
    Operation(
        "POST", "/api/passkeys/signin", "passkey_signin", "accounts", "Sign in with a passkey",
        answer=a.Issued, body=p.Ceremony,
        errors={400: "invalid_payload, passkey_invalid, passkey_ceremony",
                401: "passkey_unknown", 403: "sso_required"},
    ),
    Operation(
        "POST", "/api/oidc/start", "oidc_start", "accounts",
        "Start organisation sign-in (with a Bearer token: link it to that account)",
        answer=a.OidcStart, auth="optional",
        errors={401: "unauthorized, token_expired, token_revoked (a Bearer token that fails)",
                404: "oidc_disabled"},
    ),
    Operation(
        "POST", "/api/oidc/finish", "oidc_finish", "accounts", "Finish organisation sign-in",
        answer=a.SignedIn, body=p.OidcFinish,
        errors={400: "invalid_payload, oidc_state, oidc_provider, oidc_signature, oidc_issuer, "
                     "oidc_audience, oidc_expired, oidc_nonce, oidc_claims",
                403: "oidc_domain", 404: "oidc_disabled",
                409: "identity_taken", 503: "oidc_unavailable"},
    ),
    # -- matching by meaning ---------------------------------------------------------------------
    Operation(
        "POST", "/api/skills/suggest", "suggest", "matching",
        "The skills a question belongs to, and what it lacks", answer=a.Suggestions,
        body=p.SuggestRequest,
        errors={400: "invalid_payload (question: 1-500 characters after trimming)",
                429: "rate_limited (--limit-suggest, per address)"},
    ),
    Operation(
        "GET", "/api/mentors", "mentors", "matching", "The mentor directory",
        answer=a.Mentors,
        query=(
            Param("q", {"type": "string", "maxLength": 500}, "rank by fit to these words"),
            Param("skill", {"type": "string"}, "a catalog slug"),
            Param("online", {"type": "string", "enum": ["true", "false", "1", "0", ""]},
                  "true: only mentors online now (any case)"),
            Param("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}),
        ),
        errors={400: "invalid_payload, unknown_skill",
                429: "rate_limited (--limit-suggest, with q)"},
    ),
    Operation(
        "GET", "/api/me/pointers", "pointers", "matching",
        "While waiting: example questions and one's own similar past sessions",
        answer=a.Pointers, auth="bearer",
    ),
    # -- program ---------------------------------------------------------------------------------
    Operation(
        "PUT", "/api/me/office-hours", "set_hours", "program", "Publish office hours",
        answer=a.HoursView, auth="bearer", body=HoursUpdate,
        errors={400: "invalid_payload (unknown zone, a slot missing its time)"},
    ),
    Operation(
        "GET", "/api/users/{user_id}/office-hours", "get_hours", "program",
        "A person's office hours", answer=a.HoursView,
    ),
    Operation(
        "GET", "/api/users/{user_id}/office-hours.ics", "hours_feed", "program",
        "A person's office hours as an iCalendar feed", media=("text/calendar",),
    ),
    Operation(
        "GET", "/api/me/watches", "list_watches", "program", "The caller's watches",
        answer=a.Watches, auth="bearer",
    ),
    Operation(
        "POST", "/api/me/watches", "add_watch", "program",
        "Tell me when a mentor (or a skill's mentor) comes online",
        answer=a.Watches, status=201, auth="bearer", body=p.WatchRequest,
        errors={400: "invalid_payload, unknown_skill", 404: "not_found (no such mentor)"},
    ),
    Operation(
        "POST", "/api/me/watches/remove", "remove_watch", "program", "Remove a watch",
        answer=a.Watches, auth="bearer", body=p.WatchRequest,
        errors={400: "invalid_payload, unknown_skill", 404: "not_found (no such mentor)"},
    ),
    Operation(
        "GET", "/api/me/followups", "followups", "program",
        "Apply prompts, mutual follow-ups, one's no-shows", answer=a.FollowUps, auth="bearer",
    ),
    Operation(
        "POST", "/api/sessions/{session_id}/applied", "applied", "program",
        "How the mentee applied the advice (once)", answer=a.Ok, auth="bearer",
        body=p.AppliedRequest,
        errors={403: "not_in_session",
                409: "session_live, not_applicable, already_answered"},
    ),
    Operation(
        "GET", "/api/admin/analytics", "analytics", "program", "Program analytics (admins)",
        answer=a.Analytics, media=("text/csv",), auth="bearer",
        query=(WEEKS, _format("csv"), _table(PROGRAM_TABLES, "weekly")),
        errors={400: "invalid_payload (weeks, table)", 403: "not_admin"},
    ),
    Operation(
        "GET", "/api/admin/no-shows", "no_shows", "program", "No-shows per person (admins)",
        answer=a.NoShows, auth="bearer", query=(WEEKS,),
        errors={400: "invalid_payload (weeks)", 403: "not_admin"},
    ),
    Operation(
        "GET", "/api/me/admin", "am_i_admin", "program", "Whether to show the program page",
        answer=a.AdminFlag, auth="bearer",
    ),
)  # fmt: skip
