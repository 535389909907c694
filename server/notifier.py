"""The one narrow interface domain services use to reach people. Domain code never imports
Socket.IO; this module adapts it. Events go to a per-user room, so every socket of the user on
every node receives them (via python-socketio's Redis manager)."""

from __future__ import annotations

from typing import Any, Protocol


def user_room(user_id: str) -> str:
    return f"user:{user_id}"


# Node-to-node messages ride the Socket.IO pub/sub channel, in order with everything else on it;
# no socket is ever in this room, so the manager hands them to ``ResilientRedisManager`` hooks.
INTERNAL_EVENT = "mb:internal"
INTERNAL_ROOM = "mb:nodes"


class Notifier(Protocol):
    async def to_user(
        self, user_id: str, event: str, data: dict[str, Any], *, sockets: list[str] | None = None
    ) -> None: ...

    async def invalidate(self, kind: str, key: str) -> None: ...


class SocketNotifier:
    def __init__(self, sio: Any, node_id: str) -> None:
        self._sio = sio
        self._local_prefix = f"{node_id}|"

    async def to_user(
        self, user_id: str, event: str, data: dict[str, Any], *, sockets: list[str] | None = None
    ) -> None:
        """``sockets``, when the caller already read them from presence ("<node>|<sid>"), lets a
        node that holds every one of them deliver directly, skipping the Redis pub/sub round trip
        (the signal relay's hot path). Otherwise, or if any socket is elsewhere, publish."""
        if sockets and all(s.startswith(self._local_prefix) for s in sockets):
            for socket in sockets:
                sid = socket[len(self._local_prefix) :]
                await self._sio.emit(event, data, to=sid, namespace="/", ignore_queue=True)
            return
        await self._sio.emit(event, data, room=user_room(user_id), namespace="/")

    async def invalidate(self, kind: str, key: str) -> None:
        """Tell every node (this one first, at once) that a cached ``kind`` ``key`` changed."""
        await self._sio.emit(
            INTERNAL_EVENT, {"kind": kind, "key": key}, room=INTERNAL_ROOM, namespace="/"
        )
