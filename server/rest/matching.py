"""REST for skills and matching by meaning: the skills with their queues, skill suggestions
(with the preparation check), the mentor directory, and pointers while waiting."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.domain.matching.directory import LIMIT, BadCursor, Cursor, Query
from server.protocol import inbound as p
from server.protocol.errors import InvalidPayload
from server.rest.requests import authenticated, body, services

routes = web.RouteTableDef()
SUGGESTIONS = 5
# Past sessions this close in meaning to the waiting question are offered as pointers.
PAST_SIMILAR = 0.35


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


@routes.post("/api/skills/suggest")
async def suggest(request: web.Request) -> web.Response:
    """The catalog skills a question belongs to, best first, and what the question still
    lacks for a good call. Anyone may ask (the ask form is used before signing in); it has a
    budget of its own per address, and is not counted as a change."""
    s = services(request)
    await s.limits.spend(s.limits.budgets.suggest, request.remote or "")
    question = p.parse(p.SuggestRequest, await body(request)).question
    ranked = await s.matcher.suggest(question)
    preparation = await s.preparer.check(question)
    return web.json_response(
        {
            "skills": [x.as_dict() for x in ranked[:SUGGESTIONS]],
            "preparation": preparation.as_dict(),
        }
    )


@routes.get("/api/mentors")
async def mentors(request: web.Request) -> web.Response:
    s = services(request)
    params = request.query
    q = params.get("q", "")
    if len(q) > 500 or "\x00" in q:  # as sent: stripping first let any length through
        raise InvalidPayload("q: at most 500 characters")
    q = q.strip()
    skill = params.get("skill") or None
    if skill is not None and skill not in s.catalog:
        raise InvalidPayload(f"skill: unknown skill {skill[:40]!r}", code="unknown_skill")
    online = params.get("online", "").lower()
    if online not in ("", "true", "false", "1", "0"):
        raise InvalidPayload("online: true or false")
    try:
        limit = int(params.get("limit", LIMIT))
    except ValueError:
        raise InvalidPayload("limit: a number from 1 to 100") from None
    if not 1 <= limit <= 100:
        raise InvalidPayload("limit: a number from 1 to 100")
    try:
        cursor = Cursor.parse(params.get("cursor", ""))
    except BadCursor:
        raise InvalidPayload("cursor: the next_cursor of an earlier page") from None
    if q:  # embedding the words costs what a suggestion does: the same budget
        await s.limits.spend(s.limits.budgets.suggest, request.remote or "")
    else:
        await s.limits.spend(s.limits.budgets.directory, request.remote or "")
    query = Query(q=q, skill=skill, online=online in ("true", "1"), limit=limit, cursor=cursor)
    page = await s.directory.search(query)
    return web.json_response({"mentors": page.mentors, "next_cursor": page.next_cursor})


@routes.get("/api/me/pointers")
async def pointers(request: web.Request) -> web.Response:
    """While waiting: the skill's example questions nearest the caller's question, and the
    caller's own past sessions on similar questions (with their records)."""
    s = services(request)
    user_id = authenticated(request).user_id
    ticket = await s.queue.ticket(user_id)
    if ticket is None:
        return web.json_response({"question": None, "examples": [], "past": []})
    question = await s.matcher.embedder.one(ticket.question)
    skill = ticket.label
    if skill not in s.catalog.topical:
        ranked = s.matcher.skills.rank(question)
        skill = ranked[0].slug if ranked else skill
    examples = s.matcher.skills.examples_near(question, skill)
    history = [h for h in await s.ratings.history(user_id, limit=50) if h["question"]]
    past: list[dict[str, Any]] = []
    if history:
        vectors = await s.matcher.embedder.embed([h["question"] for h in history])
        scored = sorted(
            zip((vectors @ question).tolist(), history, strict=True), key=lambda x: -x[0]
        )
        past = [
            {
                "session_id": h["session_id"],
                "question": h["question"],
                "skill": h["skill"],
                "peer": h["peer"],
                "when": h["matched_at"],
                "score": round(score, 3),
            }
            for score, h in scored[:3]
            if score >= PAST_SIMILAR
        ]
    return web.json_response(
        {"question": ticket.question, "skill": skill, "examples": examples, "past": past}
    )
