"""Schemathesis against the REST API, from the server's own ``GET /api/openapi.json``.

Two passes, both checking every answer against the document:

- coverage (schemathesis's engine, as ``st run --phases coverage``): each parameter and body
  field at and past its bounds, missing, of the wrong type, and every method a path does not
  take;
- fuzz (its Python API with Hypothesis): for every operation, requests that fit the schema
  (positive) and requests that break it (negative), a share of them with real ids in the path.

Requests carry a guest's Bearer token where the operation takes one (a fresh guest when a
fuzzed call signed it out or deleted the account). The checks: no 5xx, a documented status,
content type and headers, a body that fits the documented schema, invalid input refused with
a 4xx, Bearer operations refusing a missing or invalid token (and, in the coverage pass, 405
with ``Allow`` for an undeclared method). ``positive_data_acceptance`` is left out on purpose:
the server has rules a schema cannot say (lengths after trimming, "mentor_id or skill",
catalog slugs, a passkey ceremony that exists), so a schema-valid request may rightly be
refused.

The suite's ``tests/test_openapi.py`` runs it small; ``python -m bench fuzz_rest`` (or
``python -m bench.fuzz_rest --examples 140 --seed 1``) runs over 10,000 requests against a
``mentorburst serve`` it starts with rate limits off (the run measures correctness, not the
limits), and counts requests, 5xx, schema violations and tracebacks in the server's log.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import InvalidArgument, Unsatisfiable
from schemathesis import Case, GenerationMode, engine
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Err
from schemathesis.engine import events as engine_events
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bench.harness import figure, server_process

CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]
# Failures that mean the server answered something its document does not describe.
SCHEMA_CHECKS = frozenset(
    {
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    }
)
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
# Invalid input is refused with a 4xx: schemathesis's list, plus 413 (a body over 64 KiB, which
# an over-long generated string becomes).
REFUSALS = [
    "400",
    "401",
    "403",
    "404",
    "405",
    "406",
    "409",
    "413",
    "415",
    "422",
    "428",
    "429",
    "5xx",
]
PHASES = ("examples", "coverage", "fuzzing", "stateful")
SIGNS_OUT = ["sign_out", "sign_out_everywhere", "delete_account"]
CONFIG = schemathesis.Config.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}}}
)
TIMEOUT_S = 30
# Per operation and mode: with the coverage pass, over 10,000 requests in all.
FULL_EXAMPLES = 140


@dataclass
class Findings:
    requests: int = 0
    server_errors: int = 0  # 5xx answers
    network_errors: int = 0  # no answer at all
    failures: Counter[str] = field(default_factory=Counter)  # failed checks, by check name
    statuses: Counter[int] = field(default_factory=Counter)
    per_operation: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)  # the first few that went wrong

    @property
    def schema_violations(self) -> int:
        return sum(n for check, n in self.failures.items() if check in SCHEMA_CHECKS)

    @property
    def clean(self) -> bool:
        return not (self.server_errors or self.network_errors or self.failures)

    def note(self, what: str) -> None:
        if len(self.examples) < 10:
            self.examples.append(what[:2000])


class Guest:
    """A guest account's token, renewed when a fuzzed call signed it out or deleted it."""

    def __init__(self, http: requests.Session, base_url: str) -> None:
        self._http = http
        self._base_url = base_url
        self.token = ""
        self.renew()

    def renew(self) -> None:
        answer = self._http.post(
            self._base_url + "/api/login", json={"name": "Fuzz guest"}, timeout=TIMEOUT_S
        )
        answer.raise_for_status()
        self.token = answer.json()["token"]

    def after(self, response: schemathesis.Response) -> None:
        if response.status_code == 401 and b"token_revoked" in response.content:
            self.renew()


def fuzz_rest(base_url: str, *, examples: int, seed_value: int = 1) -> Findings:
    """Schemathesis's coverage cases, then ``examples`` generated requests per operation and
    mode (positive, negative)."""
    found = Findings()
    with requests.Session() as http:
        guest = Guest(http, base_url)
        _coverage(base_url, guest.token, seed_value, found)
        schema = schemathesis.openapi.from_url(base_url + "/api/openapi.json", config=CONFIG)
        schema.config.update(base_url=base_url, request_timeout=TIMEOUT_S)
        known = _known_ids(http, base_url, guest)
        for result in schema.get_all_operations():
            if isinstance(result, Err):
                raise result.err()  # the document itself is broken
            operation = result.ok()
            for mode in MODES:
                _fuzz_one(operation, mode, examples, seed_value, known, (http, guest, found))
    return found


def _coverage(base_url: str, token: str, seed_value: int, found: Findings) -> None:
    """The coverage phase of ``st run``, through the engine the CLI drives: each parameter and
    body field at and past its bounds, missing, of the wrong type, and every method a path
    does not take (405 with Allow). The operations that sign the guest out are left to the
    fuzz below, which renews the token."""
    config = schemathesis.Config.from_dict(
        {
            "seed": seed_value,
            "headers": {"Authorization": f"Bearer {token}"},
            "request-timeout": TIMEOUT_S,
            "phases": {phase: {"enabled": phase == "coverage"} for phase in PHASES},
            "checks": {
                "positive_data_acceptance": {"enabled": False},
                "negative_data_rejection": {"expected-statuses": REFUSALS},
            },
            "warnings": False,
        }
    )
    schema = schemathesis.openapi.from_url(base_url + "/api/openapi.json", config=config)
    schema.config.update(base_url=base_url)
    for event in engine.from_schema(schema.exclude(operation_id=SIGNS_OUT)).execute():
        if isinstance(event, engine_events.ScenarioFinished):
            _record(event, found)
        elif isinstance(event, engine_events.NonFatalError | engine_events.FatalError):
            found.network_errors += 1
            found.note(f"coverage: {event}")


def _record(event: engine_events.ScenarioFinished, found: Findings) -> None:
    for interaction in event.recorder.interactions.values():
        found.requests += 1
        found.per_operation[event.label or ""] += 1
        if interaction.response is None:
            found.network_errors += 1
            continue
        found.statuses[interaction.response.status_code] += 1
        if interaction.response.status_code >= 500:
            found.server_errors += 1
    for checks in event.recorder.checks.values():
        for check in checks:
            if check.failure_info is not None:
                found.failures[check.name] += 1
                found.note(f"{event.label}: {check.name}: {check.failure_info.failure}")


def _known_ids(http: requests.Session, base_url: str, guest: Guest) -> dict[str, str]:
    """Real ids for a share of the path parameters, so the fuzz gets past "not found": a
    mentor with a profile and office hours (listed in the directory), and an event the guest
    hosts."""
    mentor = Guest(http, base_url)
    auth = {"Authorization": f"Bearer {mentor.token}"}
    profile: dict[str, Any] = {
        "headline": "Python",
        "expertise": "asyncio, profiling",
        "skills": ["python"],
    }
    http.put(f"{base_url}/api/me/profile", json=profile, headers=auth, timeout=TIMEOUT_S)
    slot = {"kind": "weekly", "weekday": 1, "time": "18:00", "minutes": 60, "tz": "Europe/Paris"}
    hours: dict[str, Any] = {"hours": [slot]}
    http.put(f"{base_url}/api/me/office-hours", json=hours, headers=auth, timeout=TIMEOUT_S)
    event: dict[str, Any] = {
        "title": "Fuzz night",
        "round_seconds": 60,
        "rounds": 2,
        "break_seconds": 0,
    }
    created = http.post(
        f"{base_url}/api/events",
        json=event,
        headers={"Authorization": f"Bearer {guest.token}"},
        timeout=TIMEOUT_S,
    ).json()
    me = http.get(f"{base_url}/api/me", headers=auth, timeout=TIMEOUT_S).json()
    return {"user_id": me["id"], "event_id": created["event_id"]}


Run = tuple[requests.Session, Guest, Findings]


def _fuzz_one(
    operation: Any,
    mode: GenerationMode,
    examples: int,
    seed_value: int,
    known: dict[str, str],
    run_with: Run,
) -> None:
    strategy = operation.as_strategy(generation_mode=mode)
    names = {p.name for p in operation.path_parameters}
    if mode.is_positive and names and names <= set(known):
        fixed = {name: known[name] for name in names}
        strategy = strategy | operation.as_strategy(generation_mode=mode, path_parameters=fixed)
    secured = bool(operation.definition.raw.get("security"))

    @seed(seed_value)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: failures are counted, not raised
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Case[Any]) -> None:
        _send(case, secured, *run_with)

    try:
        run()
    except (Unsatisfiable, InvalidArgument, schemathesis.errors.SerializationNotPossible):
        pass  # nothing to negate (no parameters and no body) or nothing to send this way


def _send(
    case: Case[Any], secured: bool, http: requests.Session, guest: Guest, found: Findings
) -> None:
    headers = {"Authorization": f"Bearer {guest.token}"} if secured else None
    label = f"{case.method} {case.path}"
    found.requests += 1
    found.per_operation[label] += 1
    try:
        response = case.call(session=http, headers=headers, timeout=TIMEOUT_S)
    except requests.RequestException as exc:
        found.network_errors += 1
        found.note(f"{label}: no answer: {exc!r}")
        return
    found.statuses[response.status_code] += 1
    if response.status_code >= 500:
        found.server_errors += 1
    try:
        case.validate_response(
            response,
            checks=CHECKS,
            headers=headers,
            transport_kwargs={"session": http, "headers": headers, "timeout": TIMEOUT_S},
        )
    except FailureGroup as group:
        for failure in group.exceptions:
            found.failures[_check_of(failure)] += 1
        found.note(f"{label}: {group}")
    guest.after(response)


def _check_of(failure: Exception) -> str:
    checks = getattr(failure, "checks", ()) if isinstance(failure, Failure) else ()
    return str(checks[0]) if checks else type(failure).__name__


@dataclass
class Measured:
    found: Findings
    seconds: float
    tracebacks: int

    @property
    def failures(self) -> int:
        return (
            self.found.server_errors
            + self.found.network_errors
            + sum(self.found.failures.values())
            + self.tracebacks
        )

    def summary(self) -> str:
        f = self.found
        return (
            f"requests {f.requests}, 5xx {f.server_errors}, schema violations "
            f"{f.schema_violations}, tracebacks {self.tracebacks}, other failed checks "
            f"{sum(f.failures.values()) - f.schema_violations}, no answer {f.network_errors}; "
            f"{self.seconds:.0f} s"
        )


async def measure(examples: int, seed_value: int) -> Measured:
    """The fuzz against a ``mentorburst serve`` of its own (rate limits off: see
    ``server_process``), with the tracebacks its log shows."""
    async with server_process(log=True) as node:
        started = time.monotonic()
        found = await asyncio.to_thread(
            fuzz_rest, node.url, examples=examples, seed_value=seed_value
        )
        seconds = time.monotonic() - started
        tracebacks = node.log_text().count("Traceback")
    return Measured(found, seconds, tracebacks)


async def run(quick: bool, out: str) -> list[str]:
    examples = 3 if quick else FULL_EXAMPLES
    measured = await measure(examples, seed_value=1)
    found = measured.found
    return [
        figure(
            "fuzz_rest_requests",
            [found.requests],
            "requests",
            f"{examples} per operation and mode, seed 1, {measured.seconds:.0f} s, rate limits off",
        ),
        figure(
            "fuzz_rest_failures",
            [measured.failures],
            "failures",
            measured.summary(),
            target="0",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz_rest")
    parser.add_argument("--examples", type=int, default=FULL_EXAMPLES, help="per operation+mode")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    measured = asyncio.run(measure(args.examples, args.seed))
    print(f"fuzz_rest (seed {args.seed}): {measured.summary()}")
    print("failed checks:", dict(measured.found.failures.most_common()))
    print("statuses:", dict(sorted(measured.found.statuses.items())))
    for example in measured.found.examples:
        print("  ", example)
    sys.exit(0 if measured.failures == 0 else 1)


if __name__ == "__main__":
    main()
