"""REST for office hours, watches, follow-through and program analytics."""

from __future__ import annotations

from aiohttp import web

from server.app.services import Services
from server.domain.program.analytics import CSV_TABLES, Analytics
from server.domain.program.office_hours import HoursUpdate, OfficeHours, calendar, describe
from server.protocol import inbound as p
from server.protocol.errors import InvalidPayload, NotFound
from server.rest.requests import authenticated, body, path_id, services

routes = web.RouteTableDef()


# -- office hours ------------------------------------------------------------------------------


@routes.put("/api/me/office-hours")
async def set_hours(request: web.Request) -> web.Response:
    s = services(request)
    user_id = authenticated(request).user_id
    update = p.parse(HoursUpdate, await body(request))
    await s.program.hours.set(user_id, update.hours)
    await s.directory.listed(user_id)
    return web.json_response(await _hours_view(s, user_id))


@routes.get("/api/users/{user_id}/office-hours")
async def get_hours(request: web.Request) -> web.Response:
    s = services(request)
    user_id = path_id(request, "user_id", "user")
    if await s.users.name(user_id) is None:
        raise NotFound("No such user.")
    return web.json_response(await _hours_view(s, user_id))


@routes.get("/api/users/{user_id}/office-hours.ics")
async def hours_feed(request: web.Request) -> web.Response:
    s = services(request)
    user_id = path_id(request, "user_id", "user")
    name = await s.users.name(user_id)
    if name is None:
        raise NotFound("No such user.")
    slots = await s.program.hours.get(user_id)
    return web.Response(
        body=calendar(user_id, name, slots, s.clock.now_ms()),
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": f'inline; filename="office-hours-{user_id}.ics"'},
    )


async def _hours_view(s: Services, user_id: str) -> dict[str, object]:
    slots = await s.program.hours.get(user_id)
    now = s.clock.now_ms()
    return {
        "hours": [describe(slot, now) for slot in slots],
        "next": OfficeHours.next_of(slots, now),
        "ics": f"/api/users/{user_id}/office-hours.ics",
    }


# -- watches: tell me when a mentor (or any mentor of a skill) comes online ---------------------


@routes.get("/api/me/watches")
async def list_watches(request: web.Request) -> web.Response:
    s = services(request)
    return web.json_response(
        {"watches": await s.program.watches.of(authenticated(request).user_id)}
    )


@routes.post("/api/me/watches")
async def add_watch(request: web.Request) -> web.Response:
    s = services(request)
    msg = p.parse(p.WatchRequest, await body(request))
    watches = await s.program.watches.add(authenticated(request).user_id, msg.mentor_id, msg.skill)
    return web.json_response({"watches": watches}, status=201)


@routes.post("/api/me/watches/remove")
async def remove_watch(request: web.Request) -> web.Response:
    s = services(request)
    msg = p.parse(p.WatchRequest, await body(request))
    watches = await s.program.watches.remove(
        authenticated(request).user_id, msg.mentor_id, msg.skill
    )
    return web.json_response({"watches": watches})


# -- follow-through ----------------------------------------------------------------------------


@routes.get("/api/me/followups")
async def followups(request: web.Request) -> web.Response:
    s = services(request)
    return web.json_response(await s.program.followups.overview(authenticated(request).user_id))


@routes.post("/api/sessions/{session_id}/applied")
async def applied(request: web.Request) -> web.Response:
    s = services(request)
    user_id = authenticated(request).user_id  # before the body: its note rule is a 400
    msg = p.parse(p.AppliedRequest, await body(request))
    await s.program.followups.answer(
        user_id, path_id(request, "session_id", "session"), msg.note, msg.skip
    )
    return web.json_response({"ok": True})


# -- program analytics (admins) ----------------------------------------------------------------


def _weeks(request: web.Request) -> int:
    try:
        weeks = int(request.query.get("weeks", "12"))
    except ValueError:
        raise InvalidPayload("weeks: a number from 1 to 52") from None
    if not 1 <= weeks <= 52:
        raise InvalidPayload("weeks: a number from 1 to 52")
    return weeks


@routes.get("/api/admin/analytics")
async def analytics(request: web.Request) -> web.Response:
    s = services(request)
    await s.program.admins.require(authenticated(request).user_id)
    weeks = _weeks(request)
    report = await s.program.analytics.report(weeks)
    if request.query.get("format") == "csv":
        table = request.query.get("table", "weekly")
        if table not in CSV_TABLES:
            raise InvalidPayload(f"table: one of {', '.join(CSV_TABLES)}")
        return web.Response(
            text=Analytics.csv(report, table),
            content_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="program-{table}.csv"'},
        )
    return web.json_response(report)


@routes.get("/api/admin/no-shows")
async def no_shows(request: web.Request) -> web.Response:
    s = services(request)
    await s.program.admins.require(authenticated(request).user_id)
    return web.json_response({"people": await s.program.analytics.no_show_people(_weeks(request))})


@routes.get("/api/me/admin")
async def am_i_admin(request: web.Request) -> web.Response:
    """Whether the web client should show the program page."""
    s = services(request)
    return web.json_response(
        {"admin": await s.program.admins.is_admin(authenticated(request).user_id)}
    )
