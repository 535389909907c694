"""The notifier on Socket.IO: the one narrow interface domain services use to reach people
(:class:`server.protocol.notifier.Notifier`). Domain code never imports Socket.IO; this module
adapts it. Events go to a per-user room, so every socket of the user on every node receives them
(via python-socketio's Redis manager).

A message is an :class:`~server.protocol.outbound.Outbound` struct, which names its event, and
msgspec encodes it (``server/transport/wirejson.py``). A message with one copy to send (one
socket on this node: the signal relay) is encoded as its packet is written; one with more
(several sockets; every publish, which is handled here and sent to the other nodes; one message
to many users) is encoded once into JSON each copy embeds as it is. :meth:`to_users` is the
exception, measured: its thousands of small messages cost less encoded twice (in the pub/sub
message, and in this node's frames) than once into ``msgspec.Raw`` each."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from server.protocol.outbound import Error, Outbound


def user_room(user_id: str) -> str:
    return f"user:{user_id}"


# Node-to-node messages ride the Socket.IO pub/sub channel, in order with everything else on it;
# no socket is ever in this room, so the manager hands them to ``ResilientRedisManager`` hooks.
INTERNAL_EVENT = "mb:internal"
INTERNAL_ROOM = "mb:nodes"
DELIVER = "deliver"  # an internal message that carries events for users (to_users)

_encode = msgspec.json.Encoder().encode


def encoded(message: Outbound) -> msgspec.Raw:
    """The message's JSON, which python-socketio's packets and pub/sub messages
    (``server/transport/wirejson.py``) embed without encoding it again."""
    return msgspec.Raw(_encode(message))


Data = Outbound | msgspec.Raw  # what python-socketio is handed: a struct, or its JSON


class SocketNotifier:
    def __init__(self, sio: Any, node_id: str) -> None:
        self._sio = sio
        self._local_prefix = f"{node_id}|"

    def here(self, sid: str) -> str:
        """How presence names a socket of this node: "<node>|<sid>"."""
        return self._local_prefix + sid

    async def to_user(
        self,
        user_id: str,
        message: Outbound,
        *,
        sockets: list[str] | None = None,
        skip: str | None = None,
    ) -> None:
        """``sockets``, when the caller already read them from presence ("<node>|<sid>"), lets a
        node that holds every one of them deliver directly, skipping the Redis pub/sub round trip
        (the signal relay's hot path). Otherwise, or if any socket is elsewhere, publish.
        ``skip`` ("<node>|<sid>") is left out, on whichever node it is."""
        one_copy = (
            sockets is not None
            and len(sockets) == 1
            and sockets[0] != skip
            and sockets[0].startswith(self._local_prefix)
        )
        data = message if one_copy else encoded(message)
        await self._to_user(user_id, message.EVENT, data, sockets, skip)

    async def _to_user(
        self,
        user_id: str,
        event: str,
        data: Data,
        sockets: list[str] | None = None,
        skip: str | None = None,
    ) -> None:
        if sockets and all(s.startswith(self._local_prefix) for s in sockets):
            for socket in sockets:
                if socket != skip:
                    await self._emit_local(socket, event, data)
            return
        skip_sid = skip.split("|", 1)[1] if skip else None
        await self._sio.emit(event, data, room=user_room(user_id), skip_sid=skip_sid, namespace="/")

    async def to_each(self, user_ids: Iterable[str], message: Outbound) -> None:
        """The same message to each of many users (an event's update to everyone in it),
        encoded once, all published at once."""
        data = encoded(message)
        await asyncio.gather(*(self._to_user(uid, message.EVENT, data) for uid in user_ids))

    async def to_socket(self, socket: str, message: Outbound) -> None:
        """One socket ("<node>|<sid>") only: directly when it is on this node, else through
        pub/sub to the node that holds it."""
        if socket.startswith(self._local_prefix):
            await self._emit_local(socket, message.EVENT, message)
        else:
            sid = socket.split("|", 1)[1]
            await self._sio.emit(message.EVENT, encoded(message), to=sid, namespace="/")

    async def _emit_local(self, socket: str, event: str, data: Data) -> None:
        sid = socket[len(self._local_prefix) :]
        await self._sio.emit(event, data, to=sid, namespace="/", ignore_queue=True)

    async def to_users(self, messages: Mapping[str, Outbound]) -> None:
        """One kind of event to many users, each its own message, in one pub/sub message: every
        node hands each message to the sockets of that user it holds. A queue pass that moves
        10,000 places costs one publish, not 10,000. Every message must be of one struct."""
        if not messages:
            return
        event = next(iter(messages.values())).EVENT
        await self._sio.emit(
            INTERNAL_EVENT,
            {"kind": DELIVER, "event": event, "to": messages},
            room=INTERNAL_ROOM,
            namespace="/",
        )

    async def close(self, socket: str, error: Error) -> None:
        """Tell one socket ("<node>|<sid>") why, then close it, on whichever node holds it."""
        await self.to_socket(socket, error)
        await self._sio.disconnect(socket.split("|", 1)[1], namespace="/")

    async def invalidate(self, kind: str, key: str) -> None:
        """Tell every node (this one too, through the channel) that a cached ``kind`` ``key`` changed."""
        await self._sio.emit(
            INTERNAL_EVENT, {"kind": kind, "key": key}, room=INTERNAL_ROOM, namespace="/"
        )
