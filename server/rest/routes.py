"""REST endpoints: validate, call the domain, answer JSON. Errors are always 4xx JSON."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from server.app.services import SERVICES, Services
from server.domain.accounts.signer import Identity
from server.domain.calls.ice import ice_servers
from server.domain.speed.reports import CSV_TABLES
from server.protocol import inbound as p
from server.protocol.errors import (
    REDIS_OUTAGE,
    Forbidden,
    InvalidPayload,
    MentorburstError,
    NotFound,
    RateLimited,
    internal_error,
    redis_unavailable,
)
from server.rest.accounts import IDENTITY, authenticated, body

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
SOCKET_PATH = "/socket.io/"


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": message}}, status=status, headers=headers
    )


@web.middleware
def json_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> Awaitable[web.StreamResponse]:
    """Every failure of a request as 4xx/5xx JSON. Socket.IO answers for itself: its requests
    pass straight through, so a WebSocket held for hours keeps no middleware frame alive."""
    if request.path.startswith(SOCKET_PATH):
        return handler(request)
    return _json_errors(request, handler)


async def _json_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except RateLimited as exc:
        return web.json_response(
            {"error": exc.as_dict()},
            status=exc.status,
            headers={"Retry-After": str(exc.retry_after_s)},
        )
    except MentorburstError as exc:
        return web.json_response({"error": exc.as_dict()}, status=exc.status)
    except REDIS_OUTAGE as exc:
        log.warning("%s %s: Redis unavailable (%s)", request.method, request.path, exc)
        error = redis_unavailable()
        return web.json_response({"error": error.as_dict()}, status=error.status)
    except web.HTTPRequestEntityTooLarge:
        return _error(413, "too_large", "The request body is too large.")
    except web.HTTPException as exc:
        if exc.status < 400 or not request.path.startswith("/api/"):
            raise
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status, "bad_request")
        # A 405 says which methods the path takes (RFC 9110 requires it): aiohttp's Allow.
        allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return _error(exc.status, code, exc.reason, allow)
    except ConnectionResetError:
        raise  # the client left mid-answer (a storm's abandoned attempts); aiohttp drops it quietly
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return web.json_response({"error": internal_error()}, status=500)


def services(request: web.Request) -> Services:
    return request.app[SERVICES]


_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def path_id(request: web.Request, name: str, what: str) -> str:
    """An id from the URL; anything that cannot be one of ours is simply not found."""
    value = request.match_info[name]
    if not _ID.match(value):
        raise NotFound(f"No such {what}.")
    return value


def caller(request: web.Request) -> Identity:
    return authenticated(request)


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    try:
        await services(request).redis.ping()
    except Exception:
        return web.json_response({"ok": False, "redis": "down"}, status=503)
    return web.json_response({"ok": True, "redis": "ok"})


@routes.post("/api/login")
async def login(request: web.Request) -> web.Response:
    s = services(request)
    await s.limits.take(s.limits.budgets.login, request.remote or "")
    await s.limits.spend(s.limits.budgets.login_window, request.remote or "")
    msg = p.parse(p.Login, await body(request))
    name = p.person_line(msg.name, "name", 1, 60)
    return web.json_response(await s.accounts.guest_login(name, s.clock.now_ms()))


@routes.get("/api/skills")
async def skills(request: web.Request) -> web.Response:
    s = services(request)
    counts = await s.queue.counts(s.catalog.slugs)
    out = []
    for skill in s.catalog.skills:
        waiting, online, service_s = counts[skill.slug]
        eta = s.queue.eta(waiting + 1, online, service_s)
        entry: dict[str, Any] = {
            "slug": skill.slug,
            "name": skill.name,
            "waiting": waiting,
            "mentors_online": online,
            "eta_s": eta.seconds,
        }
        if eta.reason:
            entry["eta_reason"] = eta.reason
        out.append(entry)
    return web.json_response(out)


@routes.get("/api/ice")
async def ice(request: web.Request) -> web.Response:
    s = services(request)
    identity = caller(request)
    await s.limits.spend(s.limits.budgets.ice, identity.user_id)
    return web.json_response(
        {"iceServers": ice_servers(s.config, identity.user_id, s.clock.now_ms())}
    )


@routes.get("/api/users/{user_id}")
async def user(request: web.Request) -> web.Response:
    profiles = services(request).accounts.profiles
    return web.json_response(await profiles.public(path_id(request, "user_id", "user")))


@routes.get("/api/me/history")
async def history(request: web.Request) -> web.Response:
    s = services(request)
    identity = caller(request)
    return web.json_response(await s.ratings.history(identity.user_id))


@routes.get("/api/sessions/{session_id}")
async def session_record(request: web.Request) -> web.Response:
    """A participant's record of a call; ``?format=markdown`` downloads it as a document."""
    s = services(request)
    session_id = path_id(request, "session_id", "session")
    user_id = caller(request).user_id
    await s.limits.spend(s.limits.budgets.records, user_id)
    if request.query.get("format") == "markdown":
        return web.Response(
            text=await s.records.markdown(user_id, session_id),
            content_type="text/markdown",
            headers={"Content-Disposition": f'attachment; filename="session-{session_id}.md"'},
        )
    return web.json_response(await s.records.record(user_id, session_id))


@routes.post("/api/sessions/{session_id}/rating")
async def rate(request: web.Request) -> web.Response:
    """The ``rate`` event over HTTP, so a closing tab can still deliver (fetch keepalive)."""
    s = services(request)
    identity = caller(request)
    data = await body(request)
    if not isinstance(data, dict):
        raise InvalidPayload("The payload must be a JSON object.")
    rating = p.parse(p.Rate, {**data, "session_id": path_id(request, "session_id", "session")})
    try:
        await s.dropin.rate(identity.user_id, rating)
    except Forbidden as exc:
        if exc.code != "not_in_session":
            raise
        raise NotFound("No such session.") from None  # someone else's reads as unknown
    return web.json_response({"ok": True})


@routes.post("/api/precall")
async def precall(request: web.Request) -> web.Response:
    """Answer an offer with an echo peer: the caller sees its own media come back."""
    s = services(request)
    identity = caller(request)
    offer = p.parse(p.Offer, await body(request))
    await s.limits.spend(s.limits.budgets.precall, identity.user_id)
    answer = await s.precall.answer(offer.sdp, identity.user_id, request.remote)
    return web.json_response({"sdp": answer.sdp, "type": answer.type})


@routes.post("/api/events")
async def create_event(request: web.Request) -> web.Response:
    s = services(request)
    identity = caller(request)
    await s.limits.spend(s.limits.budgets.event_create, request.remote or "")
    created = await s.events.create(identity.user_id, p.parse(p.EventCreate, await body(request)))
    return web.json_response(created, status=201)


@routes.get("/api/events/{event_id}")
async def event_state(request: web.Request) -> web.Response:
    event_id = path_id(request, "event_id", "event")
    state = await services(request).events.store.state(event_id)
    if (
        request.get(IDENTITY) is None
        or getattr(request[IDENTITY], "user_id", None) != state["host_id"]
    ):
        state.pop("code")  # the join code is the host's to share, not public
    return web.json_response(state)


@routes.get("/api/events/{event_id}/summary")
async def event_summary(request: web.Request) -> web.Response:
    s = services(request)
    summary = await s.events.reports.summary(
        caller(request).user_id, path_id(request, "event_id", "event")
    )
    if request.query.get("format") == "csv":
        table = request.query.get("table", "pairs")
        if table not in CSV_TABLES:
            raise InvalidPayload(f"table: one of {', '.join(CSV_TABLES)}")
        name = f"event-{summary['event']['code']}-{table}.csv"
        return web.Response(
            text=s.events.reports.summary_csv(summary, table),
            content_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return web.json_response(summary)


@routes.get("/api/me/events")
async def hosted_events(request: web.Request) -> web.Response:
    s = services(request)
    return web.json_response(await s.events.store.hosted(caller(request).user_id))


@routes.get("/api/settings")
async def public_settings(request: web.Request) -> web.Response:
    """What the web client tells people before they commit (how long a call lasts)."""
    config = services(request).config
    return web.json_response(
        {"session_seconds": config.session_seconds, "decline_seconds": config.decline_seconds}
    )


@routes.get("/api/events/{event_id}/me")
async def event_mine(request: web.Request) -> web.Response:
    s = services(request)
    return web.json_response(
        await s.events.reports.my_results(
            caller(request).user_id, path_id(request, "event_id", "event")
        )
    )
