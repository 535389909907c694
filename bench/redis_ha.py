"""A highly available Redis on loopback, from Debian's binaries: one primary, one replica and three
``redis-sentinel`` processes watching them. The Sentinel failover test and the ``failover``
benchmark share it; docs/deploy.md describes the same layout on three machines."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from redis.asyncio import Redis

from server.embedded_redis import free_port

SERVICE = "mymaster"
# How long the sentinels wait before they call the primary down. Production keeps a few
# seconds (docs/deploy.md: 5000) so a GC pause or a network blip is not a failover.
DOWN_AFTER_MS = 1000


def binaries() -> tuple[str, str] | None:
    server, sentinel = shutil.which("redis-server"), shutil.which("redis-sentinel")
    return (server, sentinel) if server and sentinel else None


@dataclass
class RedisHA:
    folder: Path
    primary_port: int
    replica_port: int
    sentinel_ports: list[int]
    processes: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/0/{SERVICE}"

    def kill(self, port: int) -> None:
        """SIGKILL a data node: a crash, no goodbye, no last AOF flush."""
        process = self.processes.pop(port)
        process.kill()
        process.wait()

    async def primary(self) -> int:
        """The port the sentinels currently name as primary."""
        for port in self.sentinel_ports:
            with contextlib.suppress(Exception):
                sentinel = Redis(port=port, decode_responses=True, socket_timeout=1)
                try:
                    _host, primary = await sentinel.sentinel_get_master_addr_by_name(SERVICE)
                    return int(primary)
                finally:
                    await sentinel.aclose()
        raise RuntimeError("no sentinel answers")


def _start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, stdout=log.open("ab"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )


async def _until(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if await check():  # type: ignore[operator]
                return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{what} within {timeout:g} s")


async def _info(port: int, section: str) -> dict[str, object]:
    client = Redis(port=port, decode_responses=True, socket_timeout=1)
    try:
        info: dict[str, object] = await client.info(section)
        return info
    finally:
        await client.aclose()


@contextlib.asynccontextmanager
async def redis_ha(sentinels: int = 3) -> AsyncIterator[RedisHA]:
    """Primary + replica (replication up) + ``sentinels`` sentinels that know each other."""
    found = binaries()
    if found is None:
        raise RuntimeError("redis-server and redis-sentinel are needed (Debian packages)")
    server, sentinel = found
    with tempfile.TemporaryDirectory(prefix="mb-ha-") as scratch:
        folder = Path(scratch)
        ha = RedisHA(folder, free_port(), free_port(), [free_port() for _ in range(sentinels)])
        common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        try:
            for port, extra in (
                (ha.primary_port, []),
                (ha.replica_port, ["--replicaof", "127.0.0.1", str(ha.primary_port)]),
            ):
                data = folder / str(port)
                data.mkdir()
                command = [server, "--port", str(port), "--dir", str(data), *common, *extra]
                ha.processes[port] = _start(command, folder / f"redis-{port}.log")

            async def replicating() -> bool:
                return (await _info(ha.replica_port, "replication")).get(
                    "master_link_status"
                ) == "up"

            await _until(replicating, 15, "the replica did not sync")
            for port in ha.sentinel_ports:
                config = folder / f"sentinel-{port}.conf"
                config.write_text(
                    f"port {port}\nbind 127.0.0.1\ndir {folder}\n"
                    f"sentinel monitor {SERVICE} 127.0.0.1 {ha.primary_port} 2\n"
                    f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
                    f"sentinel failover-timeout {SERVICE} 10000\n"
                    f"sentinel parallel-syncs {SERVICE} 1\n"
                )
                ha.processes[port] = _start(
                    [sentinel, str(config)], folder / f"sentinel-{port}.log"
                )

            async def acquainted() -> bool:
                for port in ha.sentinel_ports:
                    client = Redis(port=port, decode_responses=True, socket_timeout=1)
                    try:
                        state = await client.sentinel_master(SERVICE)
                    finally:
                        await client.aclose()
                    if int(state["num-other-sentinels"]) < sentinels - 1:
                        return False
                    if int(state["num-slaves"]) < 1:
                        return False
                return True

            await _until(acquainted, 30, "the sentinels did not find each other")
            yield ha
        finally:
            for process in ha.processes.values():
                process.terminate()
            for process in ha.processes.values():
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
