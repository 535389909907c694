"""A real OpenID Connect provider for the tests: panva/oidc-provider (pinned in tests/oidc/) run
with node on a free loopback port, with test clients and users. Two providers can share one
signing key, so a token from the "other" issuer verifies and only its issuer gives it away."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import aiohttp
import pytest
from joserfc.jwk import RSAKey

from server.store.embedded import free_port

FOLDER = Path(__file__).resolve().parent / "oidc"
CLIENT_ID = "mentorburst"
CLIENT_SECRET = "mentorburst-test-secret"
ALICE = {
    "login": "alice",
    "password": "wonderland",
    "sub": "alice-0001",
    "name": "Alice Example",
    "email": "alice@example.org",
    "email_verified": True,
}
MALLORY = {
    "login": "mallory",
    "password": "outsider",
    "sub": "mallory-0002",
    "name": "Mallory Outsider",
    "email": "mallory@elsewhere.test",
    "email_verified": True,
}
# In the allowed domain, but the provider does not vouch for the address: false, or not said.
EVE = {
    "login": "eve",
    "password": "unverified",
    "sub": "eve-0003",
    "name": "Eve Unverified",
    "email": "eve@example.org",
    "email_verified": False,
}
OSCAR = {
    "login": "oscar",
    "password": "unsaid",
    "sub": "oscar-0004",
    "name": "Oscar Unsaid",
    "email": "oscar@example.org",
}


def require_node() -> str:
    """node, with the provider's packages installed (``npm ci`` from the lock file)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("OIDC tests need node and npm (apt-get install nodejs npm)")
    if not (FOLDER / "node_modules" / "oidc-provider").exists():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=FOLDER, check=True, capture_output=True
        )
    return node


def signing_key() -> dict[str, Any]:
    key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
    return key.as_dict(private=True)


@dataclass
class Provider:
    issuer: str
    redirect_uris: list[str]
    clients: list[dict[str, Any]] = field(default_factory=list)


@asynccontextmanager
async def oidc_provider(
    redirect_uris: list[str],
    *,
    key: dict[str, Any] | None = None,
    extra_clients: tuple[str, ...] = (),
    port: int | None = None,
    users: tuple[dict[str, Any], ...] = (),
) -> AsyncIterator[Provider]:
    """A provider with client ``mentorburst`` (and any ``extra_clients``, same secret) and the
    users Alice (example.org), Mallory (elsewhere.test), Eve and Oscar (example.org addresses
    the provider does not vouch for: ``email_verified`` false, or absent), and any ``users``."""
    node = require_node()
    port = port or free_port()
    issuer = f"http://127.0.0.1:{port}"
    clients = [
        {"client_id": cid, "client_secret": CLIENT_SECRET, "redirect_uris": redirect_uris}
        for cid in (CLIENT_ID, *extra_clients)
    ]
    config = {
        "port": port,
        "issuer": issuer,
        "jwks": {"keys": [key or signing_key()]},
        "clients": clients,
        "users": [ALICE, MALLORY, EVE, OSCAR, *users],
    }
    process = await asyncio.create_subprocess_exec(
        node,
        str(FOLDER / "provider.mjs"),
        env={**os.environ, "OIDC_TEST_CONFIG": json.dumps(config), "NODE_ENV": "test"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(20):
            while True:
                line = (await process.stdout.readline()).decode()
                if not line:
                    raise RuntimeError("the OIDC provider exited before it was ready")
                if line.startswith("ready "):
                    break
        drain = asyncio.create_task(_drain(process.stdout))
        yield Provider(issuer, redirect_uris, clients)
        drain.cancel()
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass


async def log_in_at_provider(authorize_url: str, user: dict[str, Any] = ALICE) -> dict[str, str]:
    """What a browser does at the provider: follow the redirects, post the login form, and stop
    at the redirect back to us. Returns that redirect's query (code, state, or error)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        url, form = authorize_url, None
        for _ in range(10):
            if form is None:
                response = await http.get(url, allow_redirects=False)
            else:
                response = await http.post(url, data=form, allow_redirects=False)
                form = None
            async with response:
                if response.status in (302, 303):
                    url = urljoin(url, response.headers["Location"])
                    if urlsplit(url).path == "/oidc/callback":
                        return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
                    continue
                page = await response.text()
                action = re.search(r'<form method="post" action="([^"]+)"', page)
                assert action, page[:500]
                url = urljoin(url, action.group(1))
                form = {"login": user["login"], "password": user["password"]}
        raise AssertionError("the provider never sent the browser back")
