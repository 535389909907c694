"""The REST API as an OpenAPI 3.1 document, served at ``GET /api/openapi.json``.

Built once per process from :data:`server.rest.openapi.operations.OPERATIONS`: request bodies are the
msgspec structs the routes validate with, answers the structs of ``server/rest/openapi/answers.py``,
all turned into JSON Schema 2020-12 components by ``msgspec.json.schema_components`` (OpenAPI 3.1
takes that dialect as it is). ``document()`` is the whole API; ``add_routes(app)`` serves it.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from importlib import metadata
from typing import Any
from zoneinfo import available_timezones

import msgspec
from aiohttp import web

from server.rest.openapi.answers import ErrorAnswer
from server.rest.openapi.operations import OPERATIONS, Operation

PATH = "/api/openapi.json"
REF = "#/components/schemas/{name}"
WRITES = ("POST", "PUT", "PATCH", "DELETE")
# Ids the routes take from the path (server.rest.requests.path_id): anything else is not found.
PATH_IDS = {"user_id", "session_id", "event_id"}
ID_SCHEMA = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}
_PARAM = re.compile(r"{(\w+)}")
_WORD = re.compile(r"[a-z_]+")
_STATUS_TEXT = {200: "OK", 201: "Created"}

DESCRIPTION = """\
The REST half of mentorburst's wire protocol (the Socket.IO half is in docs/protocol.md).
JSON everywhere; times are server epoch milliseconds, durations seconds. Every failure is 4xx
(or 503 while Redis is unreachable) with `{"error": {"code", "message"}}`, never a traceback.
A write (POST, PUT, DELETE) that carries an `Origin` other than the server's own is refused
with 403 `forbidden_origin`; writes with a Bearer token share a per-user budget (429
`rate_limited` with `Retry-After`)."""


def document() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy: callers may change it)."""
    fresh: dict[str, Any] = json.loads(_encoded())
    return fresh


@functools.cache
def _encoded() -> bytes:
    return json.dumps(build(OPERATIONS), indent=1).encode()


def build(operations: tuple[Operation, ...]) -> dict[str, Any]:
    """The document describing ``operations``."""
    types: list[Any] = [ErrorAnswer]
    for op in operations:
        types += [t for t in (op.body, op.answer) if t is not None]
        types += [answer for _, answer in op.other_answers.values()]
    schemas, components = msgspec.json.schema_components(types, ref_template=REF)
    schema_of = {_key(t): s for t, s in zip(types, schemas, strict=True)}
    _refine(components)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        body = None
        if op.body is not None:
            body = schema_of[_key(op.body)]
            if op.body_omit:
                body = _without(components, op.body.__name__, op.body_omit)
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, body, schema_of)
    return {
        "openapi": "3.1.0",
        "info": {"title": "mentorburst", "version": _version(), "description": DESCRIPTION},
        "tags": [{"name": tag} for tag in dict.fromkeys(op.tag for op in operations)],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "the token of POST /api/login (or a passkey or "
                    "organisation sign-in); 401 unauthorized, token_expired or token_revoked",
                }
            },
        },
    }


def _refine(components: dict[str, Any]) -> None:
    """What the structs check in code, where a schema can say it: an office-hours slot's zone
    is one this machine's tz database knows (``server/domain/program/office_hours.zone``)."""
    tz = components["Slot"]["properties"]["tz"]
    tz["enum"] = sorted(available_timezones())


def _key(kind: Any) -> str:
    return repr(kind)


def _without(components: dict[str, Any], name: str, omit: tuple[str, ...]) -> dict[str, Any]:
    """A component minus some fields, registered as ``<name>Body``."""
    schema = copy.deepcopy(components[name])
    for field in omit:
        schema["properties"].pop(field, None)
    schema["required"] = [f for f in schema.get("required", []) if f not in omit]
    schema["title"] = f"{name}Body"
    components[f"{name}Body"] = schema
    return {"$ref": REF.format(name=f"{name}Body")}


def _operation(
    op: Operation, body: dict[str, Any] | None, schema_of: dict[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": op.operation_id, "tags": [op.tag], "summary": op.summary}
    parameters = _parameters(op)
    if parameters:
        out["parameters"] = parameters
    if body is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if op.auth != "none":
        out["security"] = [{"bearer": []}] if op.auth == "bearer" else [{}, {"bearer": []}]
    out["responses"] = _responses(op, schema_of)
    return out


def _parameters(op: Operation) -> list[dict[str, Any]]:
    in_path = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": dict(ID_SCHEMA) if name in PATH_IDS else {"type": "string", "minLength": 1},
        }
        for name in _PARAM.findall(op.path)
    ]
    in_query = [
        {"name": q.name, "in": "query", "required": False, "schema": dict(q.schema)}
        | ({"description": q.description} if q.description else {})
        for q in op.query
    ]
    return in_path + in_query


def _responses(op: Operation, schema_of: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = {}
    if op.answer is not None:
        content["application/json"] = {"schema": schema_of[_key(op.answer)]}
    for media in op.media:
        content[media] = {"schema": {"type": "string"}}
    responses: dict[str, Any] = {
        str(op.status): {"description": _STATUS_TEXT.get(op.status, "OK"), "content": content}
    }
    for status, (text, answer) in op.other_answers.items():
        responses[str(status)] = {
            "description": text,
            "content": {"application/json": {"schema": schema_of[_key(answer)]}},
        }
    for status, text in sorted(_errors(op).items()):
        responses.setdefault(str(status), _error(status, text))
    return responses


def _errors(op: Operation) -> dict[int, str]:
    """Each error status ``op`` can answer, with its codes: its own and those of its kind."""
    found: dict[int, list[str]] = {status: [text] for status, text in op.errors.items()}

    def add(status: int, text: str) -> None:
        code = text.split(" ")[0].rstrip(",")
        if not any(code in _WORD.findall(said) for said in found.get(status, [])):
            found.setdefault(status, []).append(text)

    if op.path.startswith("/api/"):
        add(503, "unavailable (Redis is unreachable)")
    if op.auth == "bearer":
        add(401, "unauthorized, token_expired, token_revoked")
    if op.body is not None:
        add(400, "invalid_payload")
        add(413, "too_large (over 64 KiB)")
    if PATH_IDS & set(_PARAM.findall(op.path)):
        add(404, "not_found")
    if op.method in WRITES and op.path.startswith("/api/"):
        add(403, "forbidden_origin")
        add(429, "rate_limited (the per-user REST write budget)")
    return {status: "; ".join(texts) for status, texts in found.items()}


def _error(status: int, text: str) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": REF.format(name="ErrorAnswer")}}},
    }
    if status == 429:
        answer["headers"] = {
            "Retry-After": {
                "required": True,
                "description": "seconds to wait",
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    return answer


def _version() -> str:
    try:
        return metadata.version("mentorburst")
    except metadata.PackageNotFoundError:
        return "0"


async def openapi_json(request: web.Request) -> web.Response:
    return web.Response(body=_encoded(), content_type="application/json")


def add_routes(app: web.Application) -> None:
    app.router.add_get(PATH, openapi_json)
