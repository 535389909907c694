"""What every REST handler uses: the node's services, the caller (its token checked once, before
any handler, by ``middleware.bearer_identity``), the JSON body, and ids from the path."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from server.app.services import SERVICES, Services
from server.domain.accounts.signer import Identity
from server.protocol.errors import InvalidPayload, MentorburstError, NotFound, Unauthorized
from server.transport import wirejson

IDENTITY = web.RequestKey("identity", object)
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def services(request: web.Request) -> Services:
    return request.app[SERVICES]


def authenticated(request: web.Request) -> Identity:
    """The caller, or 401: no token, a bad one, an expired one or a revoked one."""
    found = request.get(IDENTITY)
    if isinstance(found, Identity):
        return found
    if isinstance(found, MentorburstError):
        raise found
    raise Unauthorized("Send 'Authorization: Bearer <token>'.")


async def body(request: web.Request) -> Any:
    """A REST body: hostile JSON (lone surrogates, huge numbers) is refused cleanly, and so is
    ``null``, which ``payloads.parse`` would read as ``{}`` (an empty profile, for a PUT)."""
    try:
        data = wirejson.decode(await request.read())
    except wirejson.Malformed as exc:
        raise InvalidPayload(f"The body must be JSON: {exc}.") from None
    if data is None:
        raise InvalidPayload("The body must be a JSON object, not null.")
    return data


def path_id(request: web.Request, name: str, what: str) -> str:
    """An id from the URL; anything that cannot be one of ours is simply not found."""
    value = request.match_info[name]
    if not _ID.match(value):
        raise NotFound(f"No such {what}.")
    return value
