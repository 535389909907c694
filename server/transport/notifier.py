"""The notifier on Socket.IO: the one narrow interface domain services use to reach people
(:class:`server.protocol.notifier.Notifier`). Domain code never imports Socket.IO; this module
adapts it. Events go to a per-user room, so every socket of the user on every node receives them
(via python-socketio's Redis manager)."""

from __future__ import annotations

from typing import Any


def user_room(user_id: str) -> str:
    return f"user:{user_id}"


# Node-to-node messages ride the Socket.IO pub/sub channel, in order with everything else on it;
# no socket is ever in this room, so the manager hands them to ``ResilientRedisManager`` hooks.
INTERNAL_EVENT = "mb:internal"
INTERNAL_ROOM = "mb:nodes"
DELIVER = "deliver"  # an internal message that carries events for users (to_users)


class SocketNotifier:
    def __init__(self, sio: Any, node_id: str) -> None:
        self._sio = sio
        self._local_prefix = f"{node_id}|"

    async def to_user(
        self,
        user_id: str,
        event: str,
        data: dict[str, Any],
        *,
        sockets: list[str] | None = None,
        skip: str | None = None,
    ) -> None:
        """``sockets``, when the caller already read them from presence ("<node>|<sid>"), lets a
        node that holds every one of them deliver directly, skipping the Redis pub/sub round trip
        (the signal relay's hot path). Otherwise, or if any socket is elsewhere, publish.
        ``skip`` ("<node>|<sid>") is left out, on whichever node it is."""
        if sockets and all(s.startswith(self._local_prefix) for s in sockets):
            for socket in sockets:
                if socket != skip:
                    await self._emit_local(socket, event, data)
            return
        skip_sid = skip.split("|", 1)[1] if skip else None
        await self._sio.emit(event, data, room=user_room(user_id), skip_sid=skip_sid, namespace="/")

    async def to_socket(self, socket: str, event: str, data: dict[str, Any]) -> None:
        """One socket ("<node>|<sid>") only: directly when it is on this node, else through
        pub/sub to the node that holds it."""
        if socket.startswith(self._local_prefix):
            await self._emit_local(socket, event, data)
        else:
            await self._sio.emit(event, data, to=socket.split("|", 1)[1], namespace="/")

    async def _emit_local(self, socket: str, event: str, data: dict[str, Any]) -> None:
        sid = socket[len(self._local_prefix) :]
        await self._sio.emit(event, data, to=sid, namespace="/", ignore_queue=True)

    async def to_users(self, event: str, data_by_user: dict[str, dict[str, Any]]) -> None:
        """One ``event`` to many users, each its own payload, in one pub/sub message: every node
        hands each payload to the sockets of that user it holds. A queue pass that moves 10,000
        places costs one publish, not 10,000."""
        if data_by_user:
            await self._sio.emit(
                INTERNAL_EVENT,
                {"kind": DELIVER, "event": event, "to": data_by_user},
                room=INTERNAL_ROOM,
                namespace="/",
            )

    async def invalidate(self, kind: str, key: str) -> None:
        """Tell every node (this one too, through the channel) that a cached ``kind`` ``key`` changed."""
        await self._sio.emit(
            INTERNAL_EVENT, {"kind": kind, "key": key}, room=INTERNAL_ROOM, namespace="/"
        )
