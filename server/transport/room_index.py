"""Which rooms each socket is in, kept as sockets enter and leave them.

python-socketio finds a closing socket's rooms by scanning every room of the namespace: with one
room per socket and one per user, that is O(sockets) per disconnect, so a reconnect storm of N
sockets costs O(N^2) on the event loop (about a quarter of the server's time when 5,000 sockets
dropped at once, in ``python -m bench reconnect_storm``), and the loop does not get round to
``accept`` while the kernel's listen queue overflows. With the index a disconnect visits only
the socket's own rooms (three here: all, its sid, its user).
"""

from __future__ import annotations

from typing import Any


class IndexedRooms:
    """A mixin for a python-socketio manager (``BaseManager`` subclass)."""

    rooms: dict[Any, dict[Any, Any]]
    callbacks: dict[str, Any]
    pending_connect: dict[Any, list[str]]
    pending_disconnect: dict[Any, list[str]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rooms_of: dict[tuple[Any, str], set[Any]] = {}

    def basic_enter_room(self, sid: str, namespace: Any, room: Any, eio_sid: Any = None) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)  # type: ignore[misc]
        self._rooms_of.setdefault((namespace, sid), set()).add(room)

    def basic_leave_room(self, sid: str, namespace: Any, room: Any) -> None:
        super().basic_leave_room(sid, namespace, room)  # type: ignore[misc]
        rooms = self._rooms_of.get((namespace, sid))
        if rooms is not None:
            rooms.discard(room)
            if not rooms:
                del self._rooms_of[(namespace, sid)]

    def get_rooms(self, sid: str, namespace: Any) -> list[Any]:
        return [room for room in self._rooms_of.get((namespace, sid), ()) if room is not None]

    def basic_disconnect(self, sid: str, namespace: Any, **kwargs: Any) -> None:
        """Upstream's, but visiting only the rooms ``sid`` is in."""
        if namespace not in self.rooms:
            return
        for room in list(self._rooms_of.get((namespace, sid), ())):
            self.basic_leave_room(sid, namespace, room)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            waiting = pending.get(namespace)
            if waiting is not None and sid in waiting:
                waiting.remove(sid)
                if not waiting:
                    del pending[namespace]
