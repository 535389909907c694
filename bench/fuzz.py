"""Hostile input for every Socket.IO event and REST endpoint, as raw JSON text.

Payloads are written as text, not built from Python values, so they can carry what a JSON
encoder never produces: lone UTF-16 surrogates, NaN and Infinity, numbers thousands of digits
long, truncated or trailing garbage. ``socket_frames`` and ``rest_requests`` are seeded
generators; the suite's ``tests/test_hostile_input.py`` sends a few thousand, and

    python -m bench.fuzz --n 100000 [--seed 1]

sends as many against a ``mentorburst serve`` it starts, and reports tracebacks in the
server's log, 5xx answers and events never acknowledged (all must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from server.signaling import ROUTES as SOCKET_EVENTS

# Every event the server routes, so a new one is fuzzed the day it is added.
EVENTS = sorted(SOCKET_EVENTS)
FIELDS = [
    "t0", "skills", "minutes", "max_sessions", "skill", "question", "session_id", "type", "data",
    "stars", "tags", "note", "follow_up", "reflection", "reason", "code", "role", "event_id",
    "text", "name", "title", "round_seconds", "rounds", "break_seconds", "sdp", "intro", "round",
]  # fmt: skip
ATOMS = [
    '"python"', '"career"', '""', '" "', '"s_x"', '"u_x"', '"e_x"', '"offer"', '"mentor"',
    '"\\ud800"', '"a\\udfffb"', '"\\ud83d\\ude00"', '"\\u0000"', '"\\u202e rtl"', '"=1+1"',
    "0", "-1", "1", "5", "30", "3.5", "-0.0", "1e308", "1e999", "-1e999", "NaN", "Infinity",
    "-Infinity", "9223372036854775807", "9223372036854775808", "18446744073709551616",
    "-9223372036854775809", "1" + "0" * 30, "9" * 5000, "-" + "9" * 400, "true", "false", "null",
    "[]", "{}", '"' + "x" * 5000 + '"', '"' + "ü" * 600 + '"',
]  # fmt: skip
# A frame starting with a digit would run into the ack id before it, so none does.
GARBAGE = ["", "[", "[]", '["clock"', '"clock"', " 42", "{}", '{"a":1}', "[1,2,3]", "[null]",
           '["clock",{}]]', '["clock",{"t0":1}] trailing', "[\"\\ud800\"]", "\x00"]  # fmt: skip


def value(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth < 4 and roll < 0.12:
        return "[" + ",".join(value(rng, depth + 1) for _ in range(rng.randrange(4))) + "]"
    if depth < 4 and roll < 0.2:
        return obj(rng, depth + 1)
    if roll < 0.22:
        return "[" * 40 + "1" + "]" * 40  # deep nesting
    return rng.choice(ATOMS)


def obj(rng: random.Random, depth: int = 0) -> str:
    names = rng.sample(FIELDS, rng.randrange(0, 5))
    if rng.random() < 0.1:
        names.append("\\ud800key")
    return "{" + ",".join(f'"{n}":{value(rng, depth)}' for n in names) + "}"


# A valid payload per event; "near misses" change one field, so the fuzz reaches the domain
# code behind the validation too.
TEMPLATES = {
    "clock": '{"t0":1}',
    "mentor:online": '{"skills":["python"],"minutes":30}',
    "mentor:offline": "{}",
    "mentee:join": '{"skill":"python","question":"How do I profile asyncio?"}',
    "mentee:widen": '{"skill":"other"}',
    "mentee:leave": "{}",
    "session:decline": '{"session_id":"s_x"}',
    "session:connected": '{"session_id":"s_x"}',
    "signal": '{"session_id":"s_x","type":"offer","data":{"sdp":"v=0"}}',
    "session:leave": '{"session_id":"s_x"}',
    "rate": '{"session_id":"s_x","stars":5}',
    "report": '{"session_id":"s_x","reason":"rude"}',
    "event:join": '{"code":"ABC234","role":"mentee"}',
    "event:leave": '{"event_id":"e_x"}',
    "event:start": '{"event_id":"e_x"}',
    "event:next": '{"event_id":"e_x"}',
    "event:end": '{"event_id":"e_x"}',
    "event:announce": '{"event_id":"e_x","text":"Hello"}',
}


def near_miss(rng: random.Random, event: str) -> str:
    text = TEMPLATES.get(event, "{}")
    payload = json.loads(text)
    if not payload or rng.random() < 0.3:
        return text
    field_name = rng.choice(sorted(payload))
    old = json.dumps(payload[field_name], separators=(",", ":"))
    return text.replace(f'"{field_name}":{old}', f'"{field_name}":{value(rng)}', 1)


def socket_frames(seed: int, n: int) -> Iterator[str]:
    """JSON text of ``[event, payload]`` (or something that should have been)."""
    rng = random.Random(seed)
    for _ in range(n):
        roll = rng.random()
        event = rng.choice(EVENTS)
        if roll < 0.05:
            yield rng.choice(GARBAGE)
        elif roll < 0.1:
            yield f"[{value(rng)},{obj(rng)}]"
        elif roll < 0.5:
            yield f'["{event}",{near_miss(rng, event)}]'
        else:
            yield f'["{event}",{obj(rng) if rng.random() < 0.85 else value(rng)}]'


ROUTES = [
    ("POST", "/api/login"), ("GET", "/api/skills"), ("GET", "/api/ice"), ("POST", "/api/precall"),
    ("GET", "/api/users/{id}"), ("GET", "/api/me/history"), ("POST", "/api/sessions/{id}/rating"),
    ("POST", "/api/events"), ("GET", "/api/events/{id}"), ("GET", "/api/events/{id}/summary"),
    ("GET", "/api/events/{id}/me"), ("GET", "/api/nothing"), ("GET", "/healthz"),
    ("GET", "/api/me/events"), ("GET", "/api/settings"),
    ("POST", "/api/skills/suggest"), ("GET", "/api/mentors"), ("GET", "/api/me/pointers"),
    ("PUT", "/api/me/office-hours"), ("GET", "/api/users/{id}/office-hours"),
    ("GET", "/api/users/{id}/office-hours.ics"), ("POST", "/api/me/watches"),
    ("POST", "/api/me/watches/remove"), ("GET", "/api/me/watches"), ("GET", "/api/me/followups"),
    ("POST", "/api/sessions/{id}/applied"), ("GET", "/api/admin/analytics"),
    ("GET", "/api/admin/no-shows"), ("GET", "/api/me/admin"),
]  # fmt: skip
IDS = ["u_x", "s_x", "e_x", "%ED%A0%80", "%FF%FE", "x" * 300, "..%2F..%2Fetc", "%00", "ü", "a b"]


@dataclass
class RestRequest:
    method: str
    path: str
    body: bytes | None
    headers: dict[str, str] = field(default_factory=dict)


def rest_requests(seed: int, n: int, token: str) -> Iterator[RestRequest]:
    rng = random.Random(seed)
    for _ in range(n):
        method, path = rng.choice(ROUTES)
        path = path.replace("{id}", rng.choice(IDS))
        roll = rng.random()
        body = (
            obj(rng) if roll < 0.7 else value(rng) if roll < 0.9 else rng.choice(GARBAGE)
        ).encode()
        auth = rng.choice([f"Bearer {token}", "Bearer x.y", "Bearer \u00e9", "", "Basic abc"])
        headers = {"Content-Type": rng.choice(["application/json", "text/plain", ""])}
        if auth:
            headers["Authorization"] = auth
        if rng.random() < 0.1:
            method = rng.choice(["PUT", "DELETE", "PATCH"])
        yield RestRequest(method, path, body if method != "GET" else None, headers)


@dataclass
class Findings:
    sent: int = 0
    missing_acks: int = 0
    internal_errors: int = 0
    server_errors: int = 0  # REST 5xx
    codes: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)  # the first few that went wrong

    def note(self, what: str) -> None:
        if len(self.examples) < 10:
            self.examples.append(what[:300])

    @property
    def clean(self) -> bool:
        return not (self.missing_acks or self.internal_errors or self.server_errors)


class RawSocket:
    """One Socket.IO connection that sends frames as given and matches acks by id."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = 0
        self._acks: dict[int, asyncio.Future[object]] = {}
        self._events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, http: aiohttp.ClientSession, base_url: str, token: str) -> RawSocket:
        ws = await http.ws_connect(
            base_url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        )
        await ws.receive_str(timeout=10)
        await ws.send_str("40" + json.dumps({"token": token}))
        reply = await ws.receive_str(timeout=10)
        if not reply.startswith("40"):
            raise RuntimeError(f"connect refused: {reply[:100]}")
        return cls(ws)

    async def _read(self) -> None:
        async for message in self._ws:
            text = str(message.data)
            if text == "2":
                await self._ws.send_str("3")
            elif text.startswith("42["):
                event, *rest = json.loads(text[2:])
                self._events.put_nowait((event, rest[0] if rest else None))
            elif text.startswith("43"):
                bracket = text.index("[")
                future = self._acks.pop(int(text[2:bracket]), None)
                if future is not None and not future.done():
                    future.set_result(json.loads(text[bracket:])[0])
        for future in self._acks.values():
            if not future.done():
                future.set_exception(ConnectionError("closed"))

    @property
    def closed(self) -> bool:
        return self._ws.closed

    async def call(self, frame: str, timeout: float = 5) -> object:
        self._ids += 1
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._acks[self._ids] = future
        await self._ws.send_str(f"42{self._ids}{frame}")
        return await asyncio.wait_for(future, timeout)

    async def send(self, text: str) -> None:
        """A raw Socket.IO frame, as given."""
        await self._ws.send_str(text)

    async def next_event(self, timeout: float = 5) -> tuple[str, Any]:
        """The next event the server pushed (not an ack)."""
        return await asyncio.wait_for(self._events.get(), timeout)

    async def close(self) -> None:
        await self._ws.close()
        self._reader.cancel()


async def fuzz(base_url: str, seed: int, n_socket: int, n_rest: int) -> Findings:
    findings = Findings()
    async with aiohttp.ClientSession() as http:
        tokens = []
        for name in ("Fuzz A", "Fuzz B"):
            async with http.post(base_url + "/api/login", json={"name": name}) as response:
                tokens.append((await response.json())["token"])
        sockets = [await RawSocket.open(http, base_url, token) for token in tokens]
        for i, frame in enumerate(socket_frames(seed, n_socket)):
            index = i % len(sockets)
            if sockets[index].closed:
                sockets[index] = await RawSocket.open(http, base_url, tokens[index])
            findings.sent += 1
            try:
                ack = await sockets[index].call(frame)
            except (TimeoutError, ConnectionError) as exc:
                findings.missing_acks += 1
                findings.note(f"no ack ({type(exc).__name__}): {frame}")
                continue
            if not isinstance(ack, dict) or not isinstance(ack.get("ok"), bool):
                findings.missing_acks += 1
                findings.note(f"ack {ack!r}: {frame}")
            elif not ack["ok"]:
                code = str(ack.get("error", {}).get("code"))
                findings.codes[code] += 1
                if code == "internal_error":
                    findings.internal_errors += 1
                    findings.note(f"internal_error: {frame}")
        for request in rest_requests(seed, n_rest, tokens[0]):
            findings.sent += 1
            async with http.request(
                request.method, base_url + request.path, data=request.body, headers=request.headers
            ) as response:
                await response.read()
                if response.status >= 500 and not (
                    response.status == 503 and request.path.startswith("/api/precall")
                ):
                    findings.server_errors += 1
                    findings.note(f"{response.status}: {request.method} {request.path}")
                findings.codes[f"http_{response.status}"] += 1
        for sock in sockets:
            await sock.close()
    return findings


def main() -> None:
    from bench.harness import server_process  # the real server in its own process

    parser = argparse.ArgumentParser(prog="python -m bench.fuzz")
    parser.add_argument("--n", type=int, default=100_000, help="payloads in all")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    async def run() -> int:
        async with server_process() as server:
            started = time.monotonic()
            found = await fuzz(server.url, args.seed, args.n * 4 // 5, args.n // 5)
            took = time.monotonic() - started
            tracebacks = server.log_text().count("Traceback")
        print(
            f"fuzz: {found.sent} payloads in {took:.0f} s (seed {args.seed}): "
            f"tracebacks {tracebacks}, 5xx {found.server_errors}, missing acks "
            f"{found.missing_acks}, internal_error acks {found.internal_errors}"
        )
        print("answers:", dict(found.codes.most_common()))
        for example in found.examples:
            print("  ", example)
        return 0 if found.clean and not tracebacks else 1

    sys.exit(asyncio.run(run()))


if __name__ == "__main__":
    main()
