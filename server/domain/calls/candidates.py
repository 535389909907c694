"""Which addresses a server-side peer may send STUN to. An ICE agent checks every candidate it is
given, so a peer that takes a stranger's offer as it is would probe any host:port the stranger
names: a blind UDP prober at our address. The pre-call echo peer only gets the candidates that
name the requester itself (the client address of the request, resolved through
``--trusted-proxies``) or our TURN relay; the rest are cut from the offer before aiortc sees it.

Private, loopback, link-local and shared (CGNAT) addresses name someone's own network, never the
internet: a requester on the internet cannot make us probe them; a requester on such an address
(a LAN, this machine) is on that network already. A requester on loopback is this machine, so
this machine's own addresses (those our ICE agent gathers on) are its own too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aioice.ice import get_host_addresses

log = logging.getLogger(__name__)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
CGNAT = ipaddress.ip_network("100.64.0.0/10")
RESOLVE_EVERY_S = 300


def address(text: str | None) -> Address | None:
    """An IP literal (an IPv4-mapped IPv6 address as its IPv4), or None for anything else."""
    try:
        ip = ipaddress.ip_address((text or "").strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def local_network(ip: Address) -> bool:
    """An address of someone's own network rather than of the internet."""
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip in CGNAT


def this_machine() -> frozenset[Address]:
    """The addresses our ICE agent gathers on, and loopback."""
    found = {address(a) for a in get_host_addresses(use_ipv4=True, use_ipv6=True)}
    found |= {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")}
    return frozenset(ip for ip in found if ip is not None)


@dataclass(frozen=True)
class Reach:
    """Whom one requester's check may contact."""

    requester: Address | None
    relays: frozenset[Address] = frozenset()
    machine: frozenset[Address] = frozenset()

    def allows(self, ip: Address) -> bool:
        if ip.is_multicast or ip.is_unspecified:
            return False
        if ip == self.requester:
            return True
        if self.requester is not None and self.requester.is_loopback and ip in self.machine:
            return True
        if ip in self.relays:
            return not local_network(ip) or (
                self.requester is not None and local_network(self.requester)
            )
        return False


def filter_offer(sdp: str, reach: Reach) -> tuple[str, int]:
    """The offer without the candidates ``reach`` does not allow (names that are not IP
    literals, such as mDNS ``.local`` hosts, go too: we resolve nobody's names). Returns the
    offer and how many candidates were cut."""
    kept, cut = [], 0
    for line in sdp.splitlines(keepends=True):
        if line.startswith("a=candidate:"):
            parts = line.split()
            ip = address(parts[4]) if len(parts) > 5 else None
            if ip is None or not reach.allows(ip):
                cut += 1
                continue
        kept.append(line)
    return "".join(kept), cut


def turn_hosts(urls: Iterable[str]) -> set[str]:
    """The hosts of ``turn:``/``turns:`` URLs (``turn:host:3478?transport=udp``)."""
    hosts = set()
    for url in urls:
        scheme, _, rest = url.partition(":")
        if scheme.lower() not in ("turn", "turns") or not rest:
            continue
        host = urlsplit("//" + rest.split("?", 1)[0]).hostname
        if host:
            hosts.add(host)
    return hosts


class RelayAddresses:
    """Our TURN relay's addresses, from ``--turn-urls``, resolved now and then: a caller's relay
    candidates name them."""

    def __init__(self, urls: Iterable[str]) -> None:
        self._hosts = turn_hosts(urls)
        self._known: frozenset[Address] = frozenset()
        self._at = -float("inf")

    async def get(self) -> frozenset[Address]:
        if self._hosts and time.monotonic() - self._at > RESOLVE_EVERY_S:
            self._at = time.monotonic()
            self._known = await self._resolve()
        return self._known

    async def _resolve(self) -> frozenset[Address]:
        loop = asyncio.get_running_loop()
        found: set[Address] = set()
        for host in self._hosts:
            try:
                infos = await loop.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
            except OSError as exc:
                log.warning("cannot resolve TURN host %s (%s)", host, exc)
                continue
            found |= {ip for info in infos if (ip := address(str(info[4][0]))) is not None}
        return frozenset(found)
