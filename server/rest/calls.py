"""REST around a call: ICE servers (TURN credentials), the pre-call echo check, a call's
record, and the rating sent as a closing tab's last request."""

from __future__ import annotations

from aiohttp import web

from server.domain.calls.ice import ice_servers
from server.domain.calls.ratings import GivenRating
from server.protocol import inbound as p
from server.protocol.errors import Forbidden, InvalidPayload, NotFound
from server.rest.requests import authenticated, body, path_id, services

routes = web.RouteTableDef()


@routes.get("/api/ice")
async def ice(request: web.Request) -> web.Response:
    s = services(request)
    identity = authenticated(request)
    await s.limits.spend(s.limits.budgets.ice, identity.user_id)
    return web.json_response(
        {"iceServers": ice_servers(s.config, identity.user_id, s.clock.now_ms())}
    )


@routes.get("/api/sessions/{session_id}")
async def session_record(request: web.Request) -> web.Response:
    """A participant's record of a call; ``?format=markdown`` downloads it as a document."""
    s = services(request)
    session_id = path_id(request, "session_id", "session")
    user_id = authenticated(request).user_id
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
    identity = authenticated(request)
    data = await body(request)
    if not isinstance(data, dict):
        raise InvalidPayload("The payload must be a JSON object.")
    rating = p.parse(p.Rate, {**data, "session_id": path_id(request, "session_id", "session")})
    try:
        await s.dropin.rate(
            identity.user_id,
            GivenRating(
                rating.session_id,
                rating.stars,
                rating.tags,
                rating.note,
                rating.follow_up,
                rating.reflection,
            ),
        )
    except Forbidden as exc:
        if exc.code != "not_in_session":
            raise
        raise NotFound("No such session.") from None  # someone else's reads as unknown
    return web.json_response({"ok": True})


@routes.post("/api/precall")
async def precall(request: web.Request) -> web.Response:
    """Answer an offer with an echo peer: the caller sees its own media come back."""
    s = services(request)
    identity = authenticated(request)
    offer = p.parse(p.Offer, await body(request))
    await s.limits.spend(s.limits.budgets.precall, identity.user_id)
    answer = await s.precall.answer(offer.sdp, identity.user_id, request.remote)
    return web.json_response({"sdp": answer.sdp, "type": answer.type})
