"""A lean Socket.IO client for load: the Engine.IO 4 / Socket.IO 5 text protocol spoken directly
over one aiohttp WebSocket, sharing one ``ClientSession`` across thousands of connections.

python-socketio's ``AsyncClient`` opens a session, a ping task and several queues per client,
which caps one load process at a few hundred clients; this speaks only what the benchmarks need:
connect with a token, events, acks, and answering pings.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import msgspec

OnEvent = Callable[["WireClient", str, Any, float], None]
_encode = msgspec.json.encode
_decode = msgspec.json.decode


class WireError(RuntimeError):
    pass


def http_session() -> aiohttp.ClientSession:
    """One session for any number of sockets: no per-host connection cap."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=False))


async def login(http: aiohttp.ClientSession, base_url: str, name: str) -> tuple[str, str]:
    """(user id, token) of a new user, through the real REST login."""
    async with http.post(base_url + "/api/login", json={"name": name}) as response:
        answer = await response.json()
        if response.status != 200:
            raise WireError(f"login failed: {response.status} {answer}")
        return str(answer["user"]["id"]), str(answer["token"])


async def signed_in(
    http: aiohttp.ClientSession, base_url: str, name: str, on_event: OnEvent | None = None
) -> WireClient:
    """A new user, logged in over REST and connected."""
    user_id, token = await login(http, base_url, name)
    client = WireClient(user_id, on_event)
    await client.connect(http, base_url, token)
    return client


class WireClient:
    """One authenticated Socket.IO connection. ``on_event(client, event, data, received_at)``
    runs for every server event, with ``time.monotonic()`` taken as the frame arrived."""

    def __init__(self, user_id: str, on_event: OnEvent | None = None) -> None:
        self.user_id = user_id
        self.on_event = on_event
        self.tag: Any = None  # the load generator's own per-client state
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._acks: dict[int, asyncio.Future[Any]] = {}

    async def connect(self, http: aiohttp.ClientSession, base_url: str, token: str) -> None:
        ws_url = base_url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self._ws = ws = await http.ws_connect(ws_url, autoping=False, max_msg_size=0)
        opened = await ws.receive_str(timeout=10)
        if not opened.startswith("0"):
            raise WireError(f"no Engine.IO open packet: {opened[:80]!r}")
        await ws.send_str("40" + _encode({"token": token}).decode())
        early: list[str] = []  # catch-up events the server sends before its connect answer
        while True:
            reply = await ws.receive_str(timeout=10)
            if reply == "2":
                await ws.send_str("3")
                continue
            if reply.startswith("42"):
                early.append(reply)
                continue
            break
        if not reply.startswith("40"):
            raise WireError(f"connect refused: {reply[:120]!r}")
        for text in early:
            self._dispatch(text, time.monotonic())
        self._reader = asyncio.create_task(self._read(ws))

    @property
    def closed(self) -> bool:
        return self._ws is None or self._ws.closed

    async def emit(self, event: str, data: Any = None) -> None:
        await self._send(b"42" + _encode([event, data]))

    async def call(self, event: str, data: Any = None, timeout: float = 10) -> Any:
        """Emit with an ack id and return the ack's payload."""
        ack_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = future
        try:
            await self._send(b"42" + str(ack_id).encode() + _encode([event, data]))
            return await asyncio.wait_for(future, timeout)
        finally:
            self._acks.pop(ack_id, None)

    async def _send(self, frame: bytes) -> None:
        if self._ws is None or self._ws.closed:
            raise WireError("not connected")
        await self._ws.send_str(frame.decode())

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            text: str = message.data
            if text.startswith("42"):
                self._dispatch(text, time.monotonic())
            elif text.startswith("43"):
                bracket = text.index("[")
                future = self._acks.get(int(text[2:bracket]))
                if future is not None and not future.done():
                    payload = _decode(text[bracket:])
                    future.set_result(payload[0] if payload else None)
            elif text == "2":
                await ws.send_str("3")
        for future in self._acks.values():
            if not future.done():
                future.set_exception(WireError("connection closed"))

    def _dispatch(self, text: str, at: float) -> None:
        event, *rest = _decode(text[text.index("[") :])
        if self.on_event is not None:
            self.on_event(self, event, rest[0] if rest else None, at)

    async def close(self) -> None:
        if self._ws is not None and not self._ws.closed:
            with contextlib.suppress(Exception):
                await self._ws.send_str("41")
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


async def must(client: WireClient, event: str, data: Any = None) -> dict[str, Any]:
    """``call`` that raises on an ``ok: false`` ack."""
    ack = await client.call(event, data)
    if not isinstance(ack, dict) or not ack.get("ok"):
        raise WireError(f"{event} refused: {ack}")
    return ack


_BACKGROUND: set[asyncio.Task[Any]] = set()


def spawn(coro: Any) -> asyncio.Task[Any]:
    """Fire and forget, keeping a reference so the task is not collected mid-flight."""
    task: asyncio.Task[Any] = asyncio.ensure_future(coro)
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)
    return task


async def bounded(coros: list[Any], limit: int = 200) -> list[Any]:
    """Run coroutines with at most ``limit`` in flight, results in order."""
    gate = asyncio.Semaphore(limit)

    async def one(coro: Any) -> Any:
        async with gate:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros))
