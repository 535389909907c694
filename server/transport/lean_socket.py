"""Engine.IO WebSocket sockets that cost less while idle (issue 17: an idle socket within 30 KiB).

python-engineio keeps, for every WebSocket: an ``asyncio.Queue`` (four deques and an Event), a
writer task that waits on it through ``asyncio.wait_for`` (a second task and a timer), a reader
that wraps every receive in yet another task and timer, and a task sleeping until the socket's
next ping. At 10,000 idle sockets that is some 50,000 tasks and 30,000 timers. Here:

- :class:`LeanQueue` is the little the socket needs of a queue: a deque and one waiter;
- :class:`LeanSocket` writes from its queue directly, reads under ``asyncio.timeout`` (the same
  ping interval + timeout as upstream, so a silent client is still dropped), and asks
  :class:`Pinger` for its pings: one task per server walks the sockets due a ping, which, since
  every socket waits the same interval, are already in order in a deque.

The protocol is upstream's: the same packets, the same ping/pong and timeouts, and polling
transports or a polling-to-WebSocket upgrade go through the library's own code. Engine.IO has
no hook for its socket class, so :func:`install` replaces it in ``engineio.async_socket``; the
pinned ``python-engineio`` range in pyproject.toml is the version this was written against.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
import weakref
from typing import Any

from engineio import async_socket, exceptions, packet


class LeanQueue:
    """The part of ``asyncio.Queue`` python-engineio uses, for one consumer at a time."""

    __slots__ = ("_drained", "_items", "_unfinished", "_waiter")

    def __init__(self) -> None:
        self._items: collections.deque[Any] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._unfinished = 0
        self._drained: asyncio.Future[None] | None = None

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        self._unfinished += 1
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def put(self, item: Any) -> None:
        self.put_nowait(item)

    def get_nowait(self) -> Any:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.popleft()

    async def get(self) -> Any:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.popleft()

    def task_done(self) -> None:
        self._unfinished -= 1
        if self._unfinished <= 0 and self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    async def join(self) -> None:
        if self._unfinished > 0:
            self._drained = asyncio.get_running_loop().create_future()
            await self._drained


class Pinger:
    """Sends each socket its next ping ``interval`` after it asked, from one task per server."""

    TICK = 0.25
    BATCH = 32

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._due: collections.deque[tuple[float, weakref.ref[LeanSocket]]] = collections.deque()
        self._task: asyncio.Task[None] | None = None

    def add(self, socket: LeanSocket) -> None:
        self._due.append((time.monotonic() + self._interval, weakref.ref(socket)))
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while self._due:
            await asyncio.sleep(self.TICK)
            now = time.monotonic()
            sent = 0
            while self._due and self._due[0][0] <= now:
                _, ref = self._due.popleft()
                socket = ref()
                if socket is not None and not socket.closing and not socket.closed:
                    socket.last_ping = time.time()
                    with contextlib.suppress(Exception):  # a socket closing under us
                        await socket.send(packet.Packet(packet.PING))
                    sent += 1
                    if sent % self.BATCH == 0:
                        # sockets that connected together come due together (a room arriving, a
                        # reconnect storm): let other work in between, not one long stall
                        await asyncio.sleep(0)


_pingers: weakref.WeakKeyDictionary[Any, Pinger] = weakref.WeakKeyDictionary()


class LeanSocket(async_socket.AsyncSocket):  # type: ignore[misc]
    last_ping: float | None
    connected: bool
    upgraded: bool
    closing: bool
    closed: bool

    def __init__(self, server: Any, sid: str) -> None:
        super().__init__(server, sid)
        self.queue = LeanQueue()

    def schedule_ping(self) -> None:
        # As upstream: only once the previous ping was answered (last_ping is then set).
        if self.last_ping:
            self.last_ping = None
            pinger = _pingers.get(self.server)
            if pinger is None:
                pinger = _pingers[self.server] = Pinger(self.server.ping_interval)
            pinger.add(self)

    async def _websocket_handler(self, ws: Any) -> Any:
        if self.connected:  # an upgrade from long-polling: the library's own handshake
            return await super()._websocket_handler(ws)
        self.connected = True
        self.upgraded = True
        writer = asyncio.ensure_future(self._write(ws))
        silence = self.server.ping_interval + self.server.ping_timeout
        while True:
            try:
                async with asyncio.timeout(silence):
                    data = await ws.wait()
            except (asyncio.CancelledError, Exception):
                break
            if data is None or len(data) > self.server.max_http_buffer_size:
                break  # closed by the client, or too large (upstream drops the socket too)
            try:
                await self.receive(packet.Packet(encoded_packet=data))
            except exceptions.UnknownPacketError:
                pass
            except exceptions.SocketIsClosedError:
                break
            except Exception:
                self.server.logger.exception("Unknown receive error")
        await self.queue.put(None)  # the writer ends after what is already queued
        await writer
        await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)

    async def _write(self, ws: Any) -> None:
        while True:
            packets = [await self.queue.get()]
            self.queue.task_done()
            while packets[-1] is not None and not self.queue.empty():
                packets.append(self.queue.get_nowait())
                self.queue.task_done()
            ending = packets[-1] is None
            try:
                for pkt in packets:
                    if pkt is not None:
                        await ws.send(pkt.encode())
            except Exception:
                break
            if ending:
                break
        await ws.close()


def install() -> None:
    """Make Engine.IO create :class:`LeanSocket` for every new connection."""
    async_socket.AsyncSocket = LeanSocket
