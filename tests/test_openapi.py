"""A developer writes a client from ``GET /api/openapi.json``: every REST route is in it, the
document is valid OpenAPI 3.1, and what the server answers is what the document says, for
generated requests (schemathesis) and for real, populated data."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests
import schemathesis
from aiohttp import web

from bench.fuzz_rest import fuzz_rest
from server.domain.program.admin import admin_command
from server.rest.openapi import document
from tests.conftest import ClientFactory, RunningServer, Tracebacks
from tests.helpers import ask, go_online, matched_pair, start_call

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
# Documented although outside /api/: the operator's endpoints.
OPERATOR_PATHS = {"/healthz", "/metrics"}


def routed(app: web.Application) -> dict[tuple[str, str], str]:
    """(method, path) -> handler name, for every REST route of the app (HEAD comes with GET)."""
    found = {}
    for route in app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if route.method in METHODS and (path.startswith("/api/") or path in OPERATOR_PATHS):
            found[(route.method, path)] = getattr(route.handler, "__name__", "")
    return found


def documented(doc: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {
        (method.upper(), path): op["operationId"]
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
    }


async def test_every_rest_route_is_in_the_document_and_every_operation_is_routed(
    server: RunningServer,
) -> None:
    routes, doc = routed(server.app), documented(document())
    assert sorted(set(routes) - set(doc)) == [], "routes missing from the OpenAPI document"
    assert sorted(set(doc) - set(routes)) == [], "documented operations no route serves"
    # operationId is the handler's name: an entry describes the code that answers it.
    assert {key: routes[key] for key in doc} == doc


async def test_the_document_is_served_as_valid_openapi_3_1_with_bearer_where_needed(
    server: RunningServer,
) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(server.url + "/api/openapi.json") as response,
    ):
        assert response.status == 200 and response.content_type == "application/json"
        served = await response.json()
    assert served == document() and served["openapi"] == "3.1.0"
    schemathesis.openapi.from_dict(served, config=schemathesis.Config()).validate()
    paths = served["paths"]
    assert paths["/api/me"]["get"]["security"] == [{"bearer": []}]
    assert "security" not in paths["/api/skills"]["get"]
    assert paths["/api/events/{event_id}"]["get"]["security"] == [{}, {"bearer": []}]
    login = paths["/api/login"]["post"]
    body = login["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Login"}  # the struct the route validates with
    assert served["components"]["schemas"]["Login"]["required"] == ["name"]
    assert {"200", "400", "403", "413", "429", "503"} <= set(login["responses"])
    error = login["responses"]["400"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/ErrorAnswer"}
    assert "Retry-After" in login["responses"]["429"]["headers"]
    rating = paths["/api/sessions/{session_id}/rating"]["post"]
    body = served["components"]["schemas"]["RateBody"]
    assert "session_id" not in body["properties"] and body["required"] == ["stars"]
    assert rating["parameters"][0]["in"] == "path"
    mentors = {p["name"] for p in paths["/api/mentors"]["get"]["parameters"]}
    assert mentors == {"q", "skill", "online", "limit"}


@pytest.mark.timeout(240)  # about 20 s alone, twice that on a busy 2-core machine
@pytest.mark.slow
async def test_schemathesis_finds_no_5xx_schema_violation_or_traceback(
    server: RunningServer, tracebacks: Tracebacks
) -> None:
    # Schemathesis's coverage cases, then positive and negative cases for every operation, a
    # guest's token where one is needed; the full run (over 10,000) is `python -m bench fuzz_rest`.
    found = await asyncio.to_thread(fuzz_rest, server.url, examples=50, seed_value=7)
    assert found.requests > 3000
    assert found.server_errors == 0 and found.network_errors == 0, found.examples
    assert not found.failures, found.examples
    # Every operation but the document's own (schemathesis leaves out the URL it loaded).
    every = {f"{method} {path}" for method, path in documented(document())}
    assert set(found.per_operation) == every - {"GET /api/openapi.json"}
    assert tracebacks.records == []


async def test_real_answers_full_of_data_fit_the_document(
    make_client: ClientFactory, redis_url: str, tmp_path: Path
) -> None:
    grace, ada, host = (
        await make_client("Grace"),
        await make_client("Ada"),
        await make_client("Hal"),
    )
    bo = await make_client("Bo")
    await grace.rest(
        "PUT",
        "/api/me/profile",
        {"headline": "Python", "expertise": "asyncio", "skills": ["python"], "wont_cover": "Go"},
        auth=True,
    )
    slot = {"kind": "weekly", "weekday": 2, "time": "09:00", "minutes": 30, "tz": "Asia/Tokyo"}
    await grace.rest("PUT", "/api/me/office-hours", {"hours": [slot]}, auth=True)
    await ada.rest("POST", "/api/me/watches", {"mentor_id": grace.user_id}, auth=True)
    await ada.rest("POST", "/api/me/watches", {"skill": "writing"}, auth=True)
    to_grace, _ = await matched_pair(grace, ada)
    sid = to_grace["session_id"]
    await start_call(grace, ada, sid)
    await ada.must("chat:send", {"session_id": sid, "text": "```py\nawait x\n```"})
    await ada.next("session:ended", timeout=5)
    await ada.must("rate", {"session_id": sid, "stars": 5, "tags": ["clear"], "follow_up": True})
    await grace.must("rate", {"session_id": sid, "stars": 4, "note": "private", "follow_up": True})
    await grace.must("mentor:offline")
    created = await host.rest(
        "POST",
        "/api/events",
        {"title": "Speed", "round_seconds": 1, "rounds": 1, "break_seconds": 0},
        auth=True,
    )
    event_id = created["event_id"]
    await grace.must("event:join", {"code": created["code"], "role": "mentor"})
    await ada.must("event:join", {"code": created["code"], "role": "mentee"})
    await host.must("event:start", {"event_id": event_id})
    await host.next("event:update", where=lambda u: u["state"] == "ended", timeout=10)
    await go_online(host, "python")
    await ask(bo, "writing", "How do I end an essay without repeating the introduction?")
    said: list[str] = []
    assert await admin_command("grant", host.user_id, redis_url, tmp_path, said.append) == 0

    schema = schemathesis.openapi.from_dict(document(), config=schemathesis.Config())
    checked = []
    for who, path, template in [
        (ada, "/api/me", "/api/me"),
        (ada, "/api/me/history", "/api/me/history"),
        (grace, "/api/me/history", "/api/me/history"),
        (ada, f"/api/sessions/{sid}", "/api/sessions/{session_id}"),
        (ada, "/api/me/followups", "/api/me/followups"),
        (ada, "/api/me/watches", "/api/me/watches"),
        (ada, f"/api/users/{grace.user_id}", "/api/users/{user_id}"),
        (ada, f"/api/users/{grace.user_id}/office-hours", "/api/users/{user_id}/office-hours"),
        (ada, "/api/mentors?q=event+loop", "/api/mentors"),
        (ada, "/api/skills", "/api/skills"),
        (host, f"/api/events/{event_id}", "/api/events/{event_id}"),
        (ada, f"/api/events/{event_id}", "/api/events/{event_id}"),
        (host, f"/api/events/{event_id}/summary", "/api/events/{event_id}/summary"),
        (ada, f"/api/events/{event_id}/me", "/api/events/{event_id}/me"),
        (host, "/api/me/events", "/api/me/events"),
        (bo, "/api/me/pointers", "/api/me/pointers"),
        (host, "/api/me/admin", "/api/me/admin"),
        (host, "/api/admin/analytics", "/api/admin/analytics"),
        (host, "/api/admin/no-shows", "/api/admin/no-shows"),
    ]:
        headers = {"Authorization": f"Bearer {who.token}"}
        response = await asyncio.to_thread(
            requests.get, who.base_url + path, headers=headers, timeout=10
        )
        assert response.status_code == 200, (path, response.text)
        schema[template]["GET"].validate_response(response)  # raises on any mismatch
        checked.append(response.json())
    (call,) = [h for h in checked[1] if h["session_id"] == sid]
    assert call["rating_given"]["stars"] == 5 and call["peer"]["name"] == "Grace"
    assert checked[3]["chat"][0]["from"] == ada.user_id
    (listed,) = [m for m in checked[8]["mentors"] if m["id"] == grace.user_id]
    assert listed["next_office_hours"]["tz"] == "Asia/Tokyo" and listed["fit"] > 0
    assert checked[12]["rounds"][0]["pairs"] and "code" not in checked[11]
    assert checked[15]["examples"] and checked[16] == {"admin": True}
    assert checked[17]["matched_share"]["matched"] >= 1
