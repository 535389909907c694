"""Production puts nginx in front of the nodes: a drop-in story works through it end to end, over
WebSocket upgrades spread across two nodes, and the nodes see each person's own address (from
X-Forwarded-For, believed only because nginx is a trusted proxy)."""

from __future__ import annotations

import logging
import os
import re
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import socketio

from peer.client import MentorburstClient
from server.store import keys
from server.store.embedded import free_port
from tests.conftest import RunningServer, ServerFactory
from tests.helpers import start_call
from tests.processes import Daemon, require, wait_port

SITE = Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "mentorburst.conf"
PROXY = "127.0.0.2"  # nginx talks to the nodes from here (proxy_bind): the trusted proxy
PERSON = "127.0.0.3"  # people connect from here: the address the nodes must report
SPOOFED = "203.0.113.7"  # what a client claims in its own X-Forwarded-For


def site_config(port: int, nodes: list[str]) -> str:
    """The documented site, listening on loopback, with our nodes as its upstream."""
    text = SITE.read_text()
    upstreams = "".join(f"    server {node};\n" for node in nodes)
    text = re.sub(r"(    server 10\.0\.0\.\d+:8080[^\n]*\n)+", upstreams, text)
    text = text.replace("    listen 80;", f"    listen 127.0.0.1:{port};")
    return re.sub(r"(\n(\s+)proxy_pass [^\n]+\n)", rf"\1\2proxy_bind {PROXY};\n", text)


@dataclass
class Nginx:
    url: str


@pytest.fixture
def nginx_binary() -> str:
    return require("nginx", "nginx")


@pytest.fixture
async def two_nodes(start_server: ServerFactory) -> list[RunningServer]:
    return [
        await start_server(session_seconds=2, warn_at=(), trusted_proxies=(PROXY,))
        for _ in range(2)
    ]


@pytest.fixture
async def nginx(
    nginx_binary: str, two_nodes: list[RunningServer], tmp_path: Path
) -> AsyncIterator[Nginx]:
    port = free_port()
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    (prefix / "site.conf").write_text(
        site_config(port, [n.url.removeprefix("http://") for n in two_nodes])
    )
    temp = " ".join(
        f"{kind}_temp_path {prefix / kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    (prefix / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\nworker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        + f"error_log {prefix / 'error.log'} warn;\n"
        + "events { worker_connections 512; }\n"
        + f"http {{\n access_log {prefix / 'access.log'};\n {temp}\n"
        + f" uwsgi_temp_path {prefix / 'uwsgi'}; scgi_temp_path {prefix / 'scgi'};\n"
        + f" include {prefix / 'site.conf'};\n}}\n"
    )
    checked = subprocess.run(  # noqa: ASYNC221 - nginx -t takes milliseconds
        [nginx_binary, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "stderr"],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    daemon = Daemon(
        [nginx_binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "stderr"],
        prefix / "stderr.log",
    )
    try:
        await wait_port(port)
        yield Nginx(f"http://127.0.0.1:{port}")
    finally:
        daemon.stop()


@pytest.fixture(autouse=True)
def _debug_connects(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="server.signaling")


def connected_from(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The client address each node logged for each socket it accepted."""
    return [
        r.getMessage().rsplit(" ", 1)[1]
        for r in caplog.records
        if r.name == "server.signaling" and " connected from " in r.getMessage()
    ]


async def person(base_url: str, name: str, *, via: str = PERSON) -> MentorburstClient:
    """A signed-in person whose socket connects from ``via`` and claims to be SPOOFED."""
    client = MentorburstClient(base_url)
    await client.login(name)
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(via, 0)))
    client.sio = socketio.AsyncClient(reconnection=False, http_session=http)
    client.sio.on("*", client._on_any)
    await client.sio.connect(
        base_url,
        auth={"token": client.token},
        transports=["websocket"],
        headers={"X-Forwarded-For": SPOOFED},
        wait_timeout=5,
    )
    return client


async def test_a_drop_in_story_through_nginx_across_two_nodes(
    nginx: Nginx,
    two_nodes: list[RunningServer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    redis = two_nodes[0].services.redis
    mentor = await person(nginx.url, "Grace")
    mentee = await person(nginx.url, "Ada")
    try:
        # Both went through nginx, spread over both nodes, and each node saw the person's own
        # address, neither nginx's nor the one the client made up.
        holders = {
            (await redis.smembers(keys.sockets(c.user_id))).pop().split("|")[0]
            for c in (mentor, mentee)
        }
        assert len(holders) == 2
        assert connected_from(caplog) == [PERSON, PERSON]

        await mentor.must("mentor:online", {"skills": ["python"], "minutes": 30})
        await mentee.must("mentee:join", {"skill": "python", "question": "Through a proxy?"})
        to_mentee = await mentee.next("session:matched")
        sid = to_mentee["session_id"]
        await mentor.next("session:matched")
        offer = {"type": "offer", "sdp": "v=0 (through nginx)"}
        await mentee.must("signal", {"session_id": sid, "type": "offer", "data": offer})
        relayed = await mentor.next("signal")
        assert relayed["data"] == offer and relayed["from"] == mentee.user_id
        await start_call(mentor, mentee, sid)
        assert (await mentee.next("session:ended", timeout=6))["reason"] == "time_up"
        await mentor.next("session:ended", timeout=5)

        # The rating goes over REST through nginx too.
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{nginx.url}/api/sessions/{sid}/rating",
                json={"stars": 5},
                headers={"Authorization": f"Bearer {mentee.token}"},
            ) as response,
        ):
            assert response.status == 200, await response.text()
        async with aiohttp.ClientSession() as http, http.get(nginx.url + "/metrics") as response:
            assert response.status == 403  # scraped per node, never through the public proxy
    finally:
        for client in (mentor, mentee):
            await client.close()
            await client.sio.eio.http.close()


async def test_a_client_talking_to_a_node_directly_cannot_claim_another_address(
    two_nodes: list[RunningServer], caplog: pytest.LogCaptureFixture
) -> None:
    sneaky = await person(two_nodes[0].url, "Mallory")
    try:
        assert connected_from(caplog) == [PERSON]
    finally:
        await sneaky.close()
        await sneaky.sio.eio.http.close()
