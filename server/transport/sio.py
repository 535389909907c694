"""python-socketio, hardened for hostile input and Redis restarts.

- :class:`WirePacket` decodes with :mod:`server.transport.wirejson` and turns anything that is not an
  ``[event, payload]`` list into the ``MALFORMED`` event, so the dispatcher acknowledges it with
  ``invalid_payload`` under the packet's own ack id instead of python-socketio raising.
- :class:`WirePacket` also renames an event a client sends under one of Socket.IO's reserved
  names (``connect``, ``disconnect``, ...) to ``RESERVED``: python-socketio hands such an event to
  the namespace as if it were its own connect or disconnect, so a client could make the server
  forget an open socket, or switch the socket's user. The dispatcher refuses it with
  ``reserved_event``; python-socketio's own connects and disconnects never come from a packet.
- :class:`MentorburstServer` answers a packet that cannot be decoded at all (an ack id of more
  than 100 digits, an unknown packet type) with an ``error`` event rather than a traceback.
- :class:`ResilientRedisManager` waits for a free pooled connection instead of failing under a
  burst, closes the clients it replaces, and re-subscribes within a quarter second of Redis
  coming back (upstream backs off to a minute, and its listener can die for good:
  python-socketio #1581), with :meth:`ResilientRedisManager.supervise` restarting a listener
  that ended. Pub/sub keeps nothing for a node that was not subscribed, so once it is again,
  its ``resubscribed`` hook lets the server re-send its sockets what they may have missed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import socketio
from engineio import packet as eio_packet
from redis.asyncio import Redis
from socketio import packet

from server.protocol.notifier import Invalidation
from server.protocol.outbound import Error
from server.runtime import metrics
from server.runtime.hooks import Hook
from server.transport import wirejson
from server.transport.notifier import DELIVER, INTERNAL_EVENT, user_room
from server.transport.room_index import IndexedRooms

log = logging.getLogger(__name__)

_EVENT_TYPES = (packet.EVENT, packet.BINARY_EVENT)
# The names Socket.IO's client API keeps for itself (socket.io-client's RESERVED_EVENTS), and
# what python-socketio calls a namespace's connect and disconnect handlers with.
RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)
RESERVED = "\x00reserved"  # the event a packet naming one of them becomes: [RESERVED, name]
DELIVER_BATCH = 64  # users per turn of the event loop when delivering a to_users batch


class WirePacket(packet.Packet):  # type: ignore[misc]
    json = wirejson
    data: Any
    packet_type: int

    def decode(self, encoded_packet: str | bytes) -> int:
        attachments: int = super().decode(encoded_packet)
        if self.packet_type not in _EVENT_TYPES:
            return attachments
        if not (isinstance(self.data, list) and self.data and isinstance(self.data[0], str)):
            self.data = [wirejson.MALFORMED, "an event must be a list: [name, payload]"]
        elif self.data[0] in RESERVED_EVENTS:
            self.data = [RESERVED, self.data[0]]
        return attachments


class MentorburstServer(socketio.AsyncServer):  # type: ignore[misc]
    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        try:
            await super()._handle_eio_message(eio_sid, data)
        except ValueError as exc:
            # Raised while decoding, before any handler ran: there is no usable ack id.
            log.info("undecodable packet from %s: %s", eio_sid, exc)
            sid = self.manager.sid_from_eio_sid(eio_sid, "/")
            if sid is not None:
                error = Error(code="invalid_payload", message=f"Undecodable packet: {exc}.")
                await self.emit(error.EVENT, error, to=sid, namespace="/", ignore_queue=True)


RedisFactory = Callable[[str], Redis]


class ResilientRedisManager(IndexedRooms, socketio.AsyncRedisManager):  # type: ignore[misc]
    # A connection attempt to a Redis that is down fails at once, so trying often costs little
    # and keeps the deaf window after it returns short.
    RETRY_SECONDS = 0.25
    redis: Any
    pubsub: Any

    def __init__(self, connect: RedisFactory, *, channel: str) -> None:
        # The URL is known once the embedded Redis runs; set ``redis_url`` before initialize().
        super().__init__("redis://127.0.0.1:6379/0", channel=channel, json=wirejson)
        self._connect = connect
        self._retired: list[Any] = []
        # Pub/sub is heard again after an outage: how long (seconds) this node could not hear it.
        self.resubscribed: Hook[float] = Hook("manager.resubscribed")
        # Node-to-node news (``Notifier.invalidate``), handed over in channel order.
        self.invalidated: Hook[Invalidation] = Hook("manager.invalidated")

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        if message.get("event") == INTERNAL_EVENT:
            data = message.get("data")
            if not (isinstance(data, list) and data and isinstance(data[0], dict)):
                return
            if data[0].get("kind") == DELIVER:
                await self._deliver(data[0])
            else:
                await self.invalidated(Invalidation(data[0]["kind"], data[0]["key"]))
            return
        await super()._handle_emit(message)

    async def _deliver(self, batch: dict[str, Any]) -> None:
        """A :meth:`SocketNotifier.to_users` batch: each payload to the user's sockets here.

        Straight onto each Engine.IO socket, framed as python-socketio's own emit would
        (``2["event",payload]``) but without its task per recipient: a queue pass hands over
        thousands of these at once, and a task each was most of the pass's cost."""
        event = batch["event"]
        sent = 0
        rooms = self.rooms.get("/", {})
        eio = self.server.eio
        for user_id, payload in batch["to"].items():
            members = rooms.get(user_room(user_id))
            if not members:
                continue
            frame = eio_packet.Packet(
                eio_packet.MESSAGE, f"{packet.EVENT}{wirejson.dumps([event, payload])}"
            )
            for eio_sid in list(members.values()):
                await eio.send_packet(eio_sid, frame)
            sent += 1
            if sent % DELIVER_BATCH == 0:
                await asyncio.sleep(0)  # a pass of thousands: let a join in between, not after

    def _redis_connect(self) -> None:
        if self.redis is not None:
            self._retired.append(self.redis)  # closed by the listener, which can await
        self.redis = self._connect(self.redis_url)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.connected = True

    async def _close_retired(self) -> None:
        retired, self._retired = self._retired, []
        for client in retired:
            try:
                await client.aclose()
            except Exception:  # a dead connection may fail to close; it is gone either way
                log.debug("closing a replaced Redis client failed", exc_info=True)

    async def _redis_listen_with_retries(self) -> AsyncIterator[Any]:
        attempt = 0
        subscribed = False
        deaf_since = 0.0
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    await self._close_retired()
                    await self.pubsub.subscribe(self.channel)
                    subscribed = True
                    if attempt:
                        log.warning("socket.io pub/sub re-subscribed after %d attempts", attempt)
                        self.server.start_background_task(
                            self.resubscribed, time.monotonic() - deaf_since
                        )
                    attempt = 0
                async for message in self.pubsub.listen():
                    metrics.PUBSUB_MESSAGES.inc()
                    yield message
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if attempt == 0:
                    deaf_since = time.monotonic()
                    log.warning("socket.io pub/sub lost Redis (%s); re-subscribing", exc)
                attempt += 1
                subscribed = False
                await asyncio.sleep(self.RETRY_SECONDS)

    async def supervise(self, _beat: None = None) -> None:
        """Restart the listener task if it ended (on every presence heartbeat)."""
        task = getattr(self, "thread", None)
        if task is not None and task.done() and not task.cancelled():
            log.error("socket.io pub/sub listener had stopped; restarting it")
            self.thread = self.server.start_background_task(self._thread)

    async def close(self) -> None:
        task = getattr(self, "thread", None)
        if task is not None:
            task.cancel()
        if self.redis is not None:
            self._retired.append(self.redis)
            self.redis = None
        await self._close_retired()
