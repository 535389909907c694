"""REST for speed-mentoring events: create one, read its state, the host's summary and CSV
tables, the events one hosted, one's own results."""

from __future__ import annotations

from aiohttp import web

from server.domain.speed.reports import CSV_TABLES
from server.protocol import inbound as p
from server.protocol.errors import InvalidPayload
from server.rest.requests import IDENTITY, authenticated, body, path_id, services

routes = web.RouteTableDef()


@routes.post("/api/events")
async def create_event(request: web.Request) -> web.Response:
    s = services(request)
    identity = authenticated(request)
    await s.limits.spend(s.limits.budgets.event_create, request.remote or "")
    msg = p.parse(p.EventCreate, await body(request))
    created = await s.events.create(
        identity.user_id, msg.title, msg.round_seconds, msg.rounds, msg.break_seconds, msg.skills
    )
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
        authenticated(request).user_id, path_id(request, "event_id", "event")
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
    return web.json_response(await s.events.store.hosted(authenticated(request).user_id))


@routes.get("/api/events/{event_id}/me")
async def event_mine(request: web.Request) -> web.Response:
    s = services(request)
    return web.json_response(
        await s.events.reports.my_results(
            authenticated(request).user_id, path_id(request, "event_id", "event")
        )
    )
