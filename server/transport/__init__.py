"""How messages reach people: Socket.IO and Engine.IO as we run them, the notifier the domain
uses, and the edge's protections (client addresses behind proxies, rate limits, the socket guard).

The library patches are fenced here, each written against the pinned releases
(python-socketio 5.18.1, python-engineio 4.15.1; pyproject.toml) and checked by
tests/test_library_patches.py, which fails if an override stops being the one in use:

- ``sio.py``: ``WirePacket.decode`` (malformed and reserved event names become acks, never
  tracebacks), ``MentorburstServer._handle_eio_message`` (undecodable packets answered),
  ``ResilientRedisManager`` (``_handle_emit``, ``_redis_connect``, ``_redis_listen_with_retries``:
  pooled waits, fast re-subscribe, direct batched delivery);
- ``room_index.py``: ``basic_enter_room`` / ``basic_leave_room`` / ``get_rooms`` /
  ``basic_disconnect`` (a disconnect visits only its own rooms: O(1), not O(sockets));
- ``lean_socket.py``: Engine.IO's socket class (``async_socket.AsyncSocket``), idle sockets
  without per-socket tasks and timers.
"""
