"""REST about the service itself: is it healthy, and the settings the web client shows."""

from __future__ import annotations

from aiohttp import web

from server.rest.requests import services

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    try:
        await services(request).redis.ping()
    except Exception:
        return web.json_response({"ok": False, "redis": "down"}, status=503)
    return web.json_response({"ok": True, "redis": "ok"})


@routes.get("/api/settings")
async def public_settings(request: web.Request) -> web.Response:
    """What the web client tells people before they commit (how long a call lasts)."""
    config = services(request).config
    return web.json_response(
        {"session_seconds": config.session_seconds, "decline_seconds": config.decline_seconds}
    )
