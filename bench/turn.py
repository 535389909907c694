"""A real coturn on loopback, configured from the documented ``deploy/coturn/turnserver.conf``
(ports, addresses and the secret substituted; loopback peers allowed explicitly, since here both
peers and the relay live on 127.0.0.1). Shared by tests/test_turn.py and the ``turn_call``
benchmark."""

from __future__ import annotations

import contextlib
import random
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bench.harness import wait_port
from server.store.embedded import free_port

CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "coturn" / "turnserver.conf"


def binary() -> str | None:
    return shutil.which("turnserver")


@dataclass(frozen=True)
class Coturn:
    port: int
    secret: str
    log: Path

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=udp"


def loopback_config(port: int, secret: str, folder: Path) -> str:
    """The documented config, made to run on 127.0.0.1 with loopback peers let through."""
    base = random.randrange(40_000, 48_000, 200)
    replace = {
        "listening-port": str(port),
        "tls-listening-port": str(free_port()),
        "listening-ip": "127.0.0.1",
        "relay-ip": "127.0.0.1",
        "min-port": str(base),
        "max-port": str(base + 199),
        "static-auth-secret": secret,
        "log-file": str(folder / "turnserver.log"),
    }
    lines = []
    for line in CONFIG.read_text().splitlines():
        key = line.split("=", 1)[0].strip()
        lines.append(f"{key}={replace[key]}" if key in replace and "=" in line else line)
    lines += [
        "no-tls",
        "no-dtls",
        f"pidfile={folder / 'turnserver.pid'}",
        f"userdb={folder / 'turndb'}",
        # Test only: the documented config denies loopback peers, as production must.
        "allow-loopback-peers",
        "allowed-peer-ip=127.0.0.1",
    ]
    return "\n".join(lines) + "\n"


@contextlib.asynccontextmanager
async def coturn(secret: str = "turn-test-secret") -> AsyncIterator[Coturn]:
    found = binary()
    if found is None:
        raise RuntimeError("turnserver is needed (Debian's coturn)")
    with tempfile.TemporaryDirectory(prefix="mb-turn-") as scratch:
        folder = Path(scratch)
        port = free_port()
        config = folder / "turnserver.conf"
        config.write_text(loopback_config(port, secret, folder))
        log = folder / "stdout.log"
        process = subprocess.Popen(  # noqa: ASYNC220 - a quick fork, not a wait
            [found, "-c", str(config)],
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            # coturn answers on its TCP listener once it is ready for UDP too
            await wait_port(port, process=process)
            yield Coturn(port, secret, folder / "turnserver.log")
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
