"""A Python client of the wire protocol: login over REST, then one Socket.IO connection.

Every server event lands in an inbox, so callers can ``await client.next("session:matched")``
instead of wiring callbacks; ``call`` sends an event and returns its ack.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import aiohttp
import socketio


class ProtocolError(RuntimeError):
    pass


class MentorburstClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.token: str | None = None
        self.user: dict[str, Any] = {}
        self.expires_in_s: float | None = None
        self.sio = socketio.AsyncClient(reconnection=False)
        self._inbox: dict[str, list[Any]] = defaultdict(list)
        self._arrived = asyncio.Condition()
        self.sio.on("*", self._on_any)

    @classmethod
    async def signed_in(cls, base_url: str, name: str) -> MentorburstClient:
        """Logged in as a new user named ``name`` and connected."""
        client = cls(base_url)
        await client.login(name)
        await client.connect()
        return client

    @property
    def user_id(self) -> str:
        return str(self.user["id"])

    async def _on_any(self, event: str, data: Any = None) -> None:
        async with self._arrived:
            self._inbox[event].append(data)
            self._arrived.notify_all()

    async def login(self, name: str) -> dict[str, Any]:
        """A new guest account named ``name``."""
        answer: dict[str, Any] = await self.rest("POST", "/api/login", {"name": name})
        self._signed_in(answer)
        return answer

    async def resume(self, token: str) -> dict[str, Any]:
        """Act as the account a saved token belongs to (``GET /api/me``); 401 if it is no
        longer valid (expired, signed out everywhere, account deleted)."""
        self.token = token
        me: dict[str, Any] = await self.rest("GET", "/api/me", auth=True)
        self.user = {"id": me["id"], "name": me["name"]}
        return me

    async def refresh(self) -> dict[str, Any]:
        """Trade the current token for a fresh one before it expires; a connected socket is
        told too (``auth:renew``), so the server does not close it at the old expiry."""
        answer: dict[str, Any] = await self.rest("POST", "/api/token/refresh", auth=True)
        self._signed_in(answer)
        if self.sio.connected:
            await self.must("auth:renew", {"token": self.token})
        return answer

    def _signed_in(self, answer: dict[str, Any]) -> None:
        self.token, self.user = answer["token"], answer["user"]
        self.expires_in_s = answer.get("expires_in_s")

    async def rest(self, method: str, path: str, body: Any = None, *, auth: bool = False) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if auth and self.token else {}
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, self.base_url + path, json=body, headers=headers) as response,
        ):
            data = await response.json()
            if response.status >= 400:
                raise ProtocolError(f"{method} {path}: {response.status} {data}")
            return data

    async def connect(self, token: str | None = None) -> None:
        await self.sio.connect(
            self.base_url,
            auth={"token": token or self.token},
            transports=["websocket"],
            wait_timeout=5,
        )

    async def call(self, event: str, payload: Any = None, timeout: float = 5.0) -> dict[str, Any]:
        """Emit ``event`` and return the server's ack."""
        ack: dict[str, Any] = await self.sio.call(event, payload, timeout=timeout)
        return ack

    async def must(self, event: str, payload: Any = None, timeout: float = 5.0) -> dict[str, Any]:
        """Like :meth:`call`, but an ``ok: false`` ack raises."""
        ack = await self.call(event, payload, timeout)
        if not ack.get("ok"):
            raise ProtocolError(f"{event}: {ack.get('error')}")
        return ack

    async def next(
        self, event: str, timeout: float = 10.0, where: Callable[[Any], bool] | None = None
    ) -> Any:
        """The oldest unread ``event`` (matching ``where``), waiting for it if needed."""
        _, data = await self.next_of((event,), timeout, where)
        return data

    async def next_of(
        self,
        events: tuple[str, ...],
        timeout: float = 10.0,
        where: Callable[[Any], bool] | None = None,
    ) -> tuple[str, Any]:
        """The first unread event among ``events`` (in that order of preference) and its data."""

        def take() -> tuple[str, Any] | None:
            for event in events:
                for i, data in enumerate(self._inbox[event]):
                    if where is None or where(data):
                        return event, self._inbox[event].pop(i)
            return None

        async with self._arrived:
            try:
                async with asyncio.timeout(timeout):
                    while (found := take()) is None:
                        await self._arrived.wait()
                    return found
            except TimeoutError:
                raise TimeoutError(f"none of {events} within {timeout}s") from None

    def received(self, event: str) -> list[Any]:
        """Unread ``event`` payloads, without consuming them."""
        return list(self._inbox[event])

    def drain(self, event: str) -> list[Any]:
        items, self._inbox[event] = self._inbox[event], []
        return items

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()
