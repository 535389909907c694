"""Our overrides of python-socketio and python-engineio are the ones in use, on the versions they
were written against. A release that renamed a private member, or stopped creating sockets through
the attribute we replace, would otherwise silently bypass them: these tests fail instead."""

from __future__ import annotations

import inspect
import re
import tomllib
from importlib import metadata
from pathlib import Path

import socketio
from engineio import async_server, async_socket
from socketio import base_manager, packet

from server.app.factory import SIO
from server.transport import lean_socket
from server.transport.room_index import IndexedRooms
from server.transport.sio import MentorburstServer, ResilientRedisManager, WirePacket
from tests.conftest import ClientFactory, RunningServer

ROOT = Path(__file__).resolve().parent.parent

# (upstream class, the members our subclass or mixin overrides or relies on)
OVERRIDDEN = [
    (packet.Packet, ["decode", "json"]),
    (socketio.AsyncServer, ["_handle_eio_message", "manager", "eio"]),
    (
        socketio.AsyncRedisManager,
        ["_handle_emit", "_redis_connect", "_redis_listen_with_retries", "_thread"],
    ),
    (
        base_manager.BaseManager,
        ["basic_enter_room", "basic_leave_room", "get_rooms", "basic_disconnect"],
    ),
    (async_socket.AsyncSocket, ["schedule_ping", "_websocket_handler", "receive", "close"]),
]


def _pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    for requirement in project["dependencies"]:
        name, _, version = requirement.partition("==")
        if version:
            pins[name.strip()] = version.strip()
    return pins


def test_the_patched_libraries_are_pinned_and_installed_at_their_pins() -> None:
    pins = _pins()
    for name in ("python-socketio", "python-engineio"):
        assert name in pins, f"{name} must be pinned with == in pyproject.toml"
        assert metadata.version(name) == pins[name]
        locked = (ROOT / "requirements" / "run.txt").read_text()
        assert f"\n{name}=={pins[name]} " in locked, f"the lock file must hold {name}=={pins[name]}"


def test_every_overridden_member_still_exists_upstream() -> None:
    for upstream, members in OVERRIDDEN:
        for member in members:
            found = hasattr(upstream, member) or member in _assigned_in_init(upstream)
            assert found, f"{upstream.__module__}.{upstream.__qualname__} has no {member!r}"


def test_engineio_creates_its_sockets_through_the_attribute_we_replace() -> None:
    """lean_socket.install() swaps ``async_socket.AsyncSocket``: that works only while the server
    looks the class up there at connect time."""
    assert "async_socket.AsyncSocket(" in inspect.getsource(async_server)


def test_the_lean_queue_has_every_method_engineio_calls_on_a_socket_queue() -> None:
    used = set(re.findall(r"self\.queue\.(\w+)", inspect.getsource(async_socket)))
    assert used, "upstream no longer uses self.queue: re-read server/transport/lean_socket.py"
    missing = {name for name in used if not hasattr(lean_socket.LeanQueue, name)}
    assert not missing, f"LeanQueue lacks {sorted(missing)}"


async def test_a_running_server_uses_every_override(
    server: RunningServer, make_client: ClientFactory
) -> None:
    client = await make_client("Ada")
    assert client.sio.connected
    sio = server.app[SIO]
    assert type(sio) is MentorburstServer
    assert type(sio.manager) is ResilientRedisManager
    assert isinstance(sio.manager, IndexedRooms)
    assert sio.packet_class is WirePacket
    sockets = list(sio.eio.sockets.values())
    assert sockets, "the client's Engine.IO socket is not on the server"
    for socket in sockets:
        assert type(socket) is lean_socket.LeanSocket
        assert type(socket.queue) is lean_socket.LeanQueue
    sid = sio.manager.sid_from_eio_sid(next(iter(sio.eio.sockets)), "/")
    assert sio.manager.get_rooms(sid, "/"), "the room index holds no rooms for a live socket"


def _assigned_in_init(upstream: type) -> set[str]:
    """Instance attributes the class's ``__init__`` sets (``self.name = ...``)."""
    names: set[str] = set()
    for klass in upstream.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            names |= set(re.findall(r"self\.(\w+)\s*=", inspect.getsource(init)))
        except (OSError, TypeError):
            continue
    return names
