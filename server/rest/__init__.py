"""Every REST route, one module per area, registered in one place (:func:`add_routes`); what every
request passes through is ``middleware.py``, what every handler uses ``requests.py``."""

from __future__ import annotations

from aiohttp import web

from server.rest import (
    accounts,
    calls,
    events,
    matching,
    metrics,
    openapi,
    operations,
    people,
    program,
)


def add_routes(app: web.Application) -> None:
    """Every route of the API, ``GET /metrics`` and ``GET /api/openapi.json``."""
    for area in (operations, people, matching, calls, events, accounts, program):
        app.add_routes(area.routes)
    metrics.add_routes(app)
    openapi.add_routes(app)
