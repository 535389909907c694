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
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from redis.asyncio import Redis

from server.store.embedded import free_port

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
    primary_port: int = 0
    replica_port: int = 0
    sentinel_ports: list[int] = field(default_factory=list)
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


async def _launch(ha: RedisHA, command_for: Callable[[int], list[str]], name: str) -> int:
    """Start one process on a fresh free port and wait until it answers PING. ``free_port`` hands
    out a port from the ephemeral range, so an outgoing connection (the replica's link, a probe)
    can take it before the process binds; then the process exits and we try another port."""
    for _attempt in range(5):
        port = free_port()
        process = _start(command_for(port), ha.folder / f"{name}-{port}.log")
        ha.processes[port] = process
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(Exception):
                client = Redis(port=port, socket_timeout=1)
                try:
                    if await client.ping():
                        return port
                finally:
                    await client.aclose()
            await asyncio.sleep(0.05)
        ha.processes.pop(port)
        if process.poll() is None:
            process.kill()
        process.wait()
    raise RuntimeError(f"{name} did not start; see {ha.folder}")


def _log_tails(folder: Path, lines: int = 8) -> str:
    """The end of every process log, for an error that says why rather than only that."""
    parts = []
    for log in sorted(folder.glob("*.log")):
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        parts.append(f"--- {log.name}\n" + "\n".join(tail))
    return "\n".join(parts)


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
    """Primary + replica (replication up) + ``sentinels`` sentinels that know each other.

    Set-up is tried twice: on a loaded machine a sentinel has, rarely, not met the others
    within 30 s, and a fresh set of processes on fresh ports is cheaper than a red run."""
    found = binaries()
    if found is None:
        raise RuntimeError("redis-server and redis-sentinel are needed (Debian packages)")
    failure: Exception | None = None
    for _attempt in range(2):
        with tempfile.TemporaryDirectory(prefix="mb-ha-") as scratch:
            ha = RedisHA(Path(scratch))
            try:
                try:
                    await _set_up(ha, *found, sentinels)
                except (TimeoutError, RuntimeError) as error:
                    failure = RuntimeError(f"{error}\n{_log_tails(ha.folder)}")
                    continue
                yield ha
                return
            finally:
                _stop(ha)
    assert failure is not None
    raise failure


async def _set_up(ha: RedisHA, server: str, sentinel: str, sentinels: int) -> None:
    common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]

    def data_node(port: int, *extra: str) -> list[str]:
        data = ha.folder / str(port)
        data.mkdir(exist_ok=True)
        return [server, "--port", str(port), "--dir", str(data), *common, *extra]

    ha.primary_port = await _launch(ha, data_node, "redis")
    ha.replica_port = await _launch(
        ha, lambda port: data_node(port, "--replicaof", "127.0.0.1", str(ha.primary_port)), "redis"
    )

    async def replicating() -> bool:
        return (await _info(ha.replica_port, "replication")).get("master_link_status") == "up"

    await _until(replicating, 15, "the replica did not sync")

    def sentinel_node(port: int) -> list[str]:
        config = ha.folder / f"sentinel-{port}.conf"
        config.write_text(
            f"port {port}\nbind 127.0.0.1\ndir {ha.folder}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {ha.primary_port} 2\n"
            f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {SERVICE} 10000\n"
            f"sentinel parallel-syncs {SERVICE} 1\n"
        )
        return [sentinel, str(config)]

    for _ in range(sentinels):
        ha.sentinel_ports.append(await _launch(ha, sentinel_node, "sentinel"))

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


def _stop(ha: RedisHA) -> None:
    for process in ha.processes.values():
        process.terminate()
    for process in ha.processes.values():
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    ha.processes.clear()
