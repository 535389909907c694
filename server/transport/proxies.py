"""Who is on the other end of a request when a reverse proxy (nginx, a cloud balancer) sits in
front: ``X-Forwarded-For`` is believed only when the direct peer is one of ``--trusted-proxies``.

The client address is the right-most address in the chain that is not a trusted proxy: anything
to its left was written by the client itself and proves nothing. A request straight from an
untrusted peer is that peer, whatever headers it sends.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """``10.0.0.5``, ``10.0.0.0/8`` or ``::1`` -> networks; raises ValueError on nonsense."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(
    peer: str | None, forwarded_for: str | None, networks: tuple[Network, ...]
) -> str | None:
    """The client's address given the direct ``peer`` and its ``X-Forwarded-For`` header."""
    if peer is None or not networks or not _trusted(peer, networks):
        return peer
    chain = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    for hop in reversed(chain):
        if not _trusted(hop, networks):
            return hop
    return chain[0] if chain else peer


def request_client(request: web.Request) -> str | None:
    """The client address of a request: after :func:`middleware`, ``request.remote`` is it."""
    return request.remote


def middleware(networks: tuple[Network, ...]) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Resolve the client once per request; ``request.remote`` (and so aiohttp's access log and
    python-socketio's ``REMOTE_ADDR``) then names the client, not the proxy."""

    @web.middleware
    def forwarded(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> Awaitable[web.StreamResponse]:
        # Not a coroutine: it hands on the handler's awaitable, so a WebSocket held for hours
        # keeps no frame of this middleware alive.
        client = client_address(request.remote, request.headers.get("X-Forwarded-For"), networks)
        if client is not None and client != request.remote:
            request = request.clone(remote=client)
        return handler(request)

    return forwarded
