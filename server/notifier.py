"""The one narrow interface domain services use to reach people. Domain code never imports
Socket.IO; this module adapts it. Events go to a per-user room, so every socket of the user on
every node receives them (via python-socketio's Redis manager)."""

from __future__ import annotations

from typing import Any, Protocol


def user_room(user_id: str) -> str:
    return f"user:{user_id}"


class Notifier(Protocol):
    async def to_user(self, user_id: str, event: str, data: dict[str, Any]) -> None: ...


class SocketNotifier:
    def __init__(self, sio: Any) -> None:
        self._sio = sio

    async def to_user(self, user_id: str, event: str, data: dict[str, Any]) -> None:
        await self._sio.emit(event, data, room=user_room(user_id), namespace="/")
