"""REST for people: a guest's login, someone's public profile, one's own call history."""

from __future__ import annotations

from aiohttp import web

from server.protocol import inbound as p
from server.rest.requests import authenticated, body, path_id, services

routes = web.RouteTableDef()


@routes.post("/api/login")
async def login(request: web.Request) -> web.Response:
    s = services(request)
    await s.limits.take(s.limits.budgets.login, request.remote or "")
    await s.limits.spend(s.limits.budgets.login_window, request.remote or "")
    name = p.parse(p.Login, await body(request)).name
    return web.json_response(await s.accounts.guest_login(name, s.clock.now_ms()))


@routes.get("/api/users/{user_id}")
async def user(request: web.Request) -> web.Response:
    profiles = services(request).accounts.profiles
    return web.json_response(await profiles.public(path_id(request, "user_id", "user")))


@routes.get("/api/me/history")
async def history(request: web.Request) -> web.Response:
    s = services(request)
    identity = authenticated(request)
    return web.json_response(await s.ratings.history(identity.user_id))
