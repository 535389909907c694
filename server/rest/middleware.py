"""What every request passes through: JSON errors, the caller's identity, which web origins may
talk to us, the security headers every answer carries, and the per-user budget for REST writes.

- Errors: every failure of a REST request is 4xx/5xx JSON ``{"error": {"code", "message"}}``,
  never a traceback.
- Identity: ``bearer_identity`` checks a request's token once (signature, expiry, epoch) before
  any handler runs, so ``requests.authenticated(request)`` stays a plain function.

- Origins: a Socket.IO connection, or a state-changing REST request, that carries an ``Origin``
  other than our own (an ``Origin`` whose host:port equals the request's ``Host``, or the
  configured ``--public-url``) or one of ``--allowed-origins`` is refused with 403
  ``forbidden_origin``. No ``Origin`` (the Python client, bots, curl) is allowed: browsers always
  send one on these requests, so this is what stops another site's page from using a person's
  session.
- Headers: a Content-Security-Policy with no inline script and ``frame-ancestors 'none'``,
  ``X-Content-Type-Options: nosniff`` and a ``Referrer-Policy`` on every answer.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

from server.protocol.errors import (
    REDIS_OUTAGE,
    MentorburstError,
    RateLimited,
    Unauthorized,
    internal_error,
    redis_unavailable,
)
from server.rest.requests import IDENTITY, services
from server.runtime.config import Config

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
WRITES = ("POST", "PUT", "PATCH", "DELETE")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


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


@web.middleware
def bearer_identity(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> Awaitable[web.StreamResponse]:
    # Not a coroutine unless it must check a token: a WebSocket keeps no frame of it alive.
    header = request.headers.get("Authorization")
    if header is not None and request.path.startswith("/api/"):
        return _with_identity(request, handler, header)
    return handler(request)


async def _with_identity(
    request: web.Request,
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    header: str,
) -> web.StreamResponse:
    try:
        request[IDENTITY] = await services(request).accounts.tokens.bearer(header)
    except Unauthorized as exc:
        request[IDENTITY] = exc
    return await handler(request)


def _host_port(netloc: str, scheme: str) -> str:
    host, _, port = netloc.rpartition(":") if netloc.count(":") == 1 else (netloc, "", "")
    if not port:
        return f"{netloc.lower()}:{_DEFAULT_PORTS.get(scheme, 80)}"
    return f"{host.lower()}:{port}"


def origin_allowed(origin: str, host: str, scheme: str, allowed: tuple[str, ...]) -> bool:
    """Is ``origin`` our own (same host:port as the request) or one of ``allowed``?"""
    parts = urlsplit(origin)
    if not parts.scheme or not parts.netloc:
        return False
    if origin.rstrip("/").lower() in allowed:
        return True
    return _host_port(parts.netloc, parts.scheme) == _host_port(host, scheme)


def origins(config: Config) -> Middleware:
    allowed = tuple(o.rstrip("/").lower() for o in (*config.allowed_origins, config.origin))

    @web.middleware
    def check_origin(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
        # Not a coroutine: it hands on the handler's awaitable, so a WebSocket held for hours
        # keeps no frame of this middleware alive.
        origin = request.headers.get("Origin")
        guarded = request.path.startswith("/socket.io/") or (
            request.method in WRITES and request.path.startswith(("/api/", "/oidc/"))
        )
        if guarded and origin and not origin_allowed(origin, request.host, request.scheme, allowed):
            refusal = web.json_response(
                {
                    "error": {
                        "code": "forbidden_origin",
                        "message": f"Requests from {origin[:100]} are not accepted here.",
                    }
                },
                status=403,
            )
            return _answer(refusal)
        return handler(request)

    return check_origin


async def _answer(response: web.StreamResponse) -> web.StreamResponse:
    return response


# POSTs that change nothing (a question in, suggestions out): they have budgets of their own.
READS = frozenset({"/api/skills/suggest"})


@web.middleware
def rest_write_budget(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
    """Per user, every REST write counts against one budget (after ``bearer_identity``)."""
    if request.method in WRITES and request.path.startswith("/api/") and request.path not in READS:
        user_id = getattr(request.get(IDENTITY), "user_id", None)
        if user_id:
            return _spend_then(request, handler, user_id)
    return handler(request)


async def _spend_then(request: web.Request, handler: Handler, user_id: str) -> web.StreamResponse:
    limits = services(request).limits
    await limits.spend(limits.budgets.rest_writes, user_id)
    return await handler(request)


@functools.lru_cache(maxsize=64)
def content_security_policy(host: str) -> str:
    """One string per host, shared by every answer (a WebSocket's upgrade answer lives long)."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "media-src 'self' blob: mediastream:",
            # 'self' covers ws: in CSP 3; named for browsers that predate it.
            f"connect-src 'self' ws://{host} wss://{host}",
            "font-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: every answer, files and errors included (not the WebSocket
    upgrade of /socket.io/, which is none of HTML, script or style)."""
    if request.path.startswith("/socket.io/"):
        return
    response.headers.setdefault("Content-Security-Policy", content_security_policy(request.host))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
