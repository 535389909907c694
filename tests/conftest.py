"""Fixtures: one real redis-server for the run (flushed per test), servers built by the real app
factory on free loopback ports, and real Socket.IO clients over real sockets."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from redis.asyncio import Redis

from peer.client import MentorburstClient
from server.app.factory import NODE, create_app
from server.app.wiring import Node
from server.runtime.clock import Clock
from server.runtime.config import Config
from server.store.embedded import EmbeddedRedis, free_port

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    if os.environ.get("MB_TEST_REDIS_URL"):
        yield os.environ["MB_TEST_REDIS_URL"]
        return
    with tempfile.TemporaryDirectory(prefix="mb-redis-") as folder:
        embedded = EmbeddedRedis(Path(folder), appendonly=False)
        url = asyncio.run(embedded.start())
        try:
            yield url
        finally:
            embedded._terminate()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)
    await client.flushall()
    yield client
    await client.aclose()


@dataclass
class RunningServer:
    url: str
    app: web.Application
    runner: web.AppRunner

    @property
    def services(self) -> Node:
        """Everything the node built (``server/app/wiring.py``), for stories that look past
        the wire: its request handlers' services, its timers, presence, reconciler, store."""
        return self.app[NODE]


ServerFactory = Callable[..., Awaitable[RunningServer]]
ClientFactory = Callable[..., Awaitable[MentorburstClient]]

FAST = {
    "session_seconds": 2,
    "connect_grace_seconds": 2,
    "decline_seconds": 5,
    "rating_seconds": 30,
    "mentor_cooldown_seconds": 30,
    "warn_at": (1,),
    # Stories about other behaviour; tests/test_abuse.py turns the limits on.
    "rate_limits": False,
}


@pytest.fixture
async def start_server(
    redis: Redis, redis_url: str, tmp_path: Path, running: list[RunningServer]
) -> AsyncIterator[ServerFactory]:

    async def start(*, clock: Clock | None = None, **overrides: Any) -> RunningServer:
        settings = {"redis_url": redis_url, **FAST, **overrides}
        config = Config(
            host="127.0.0.1",
            port=free_port(),
            data_dir=tmp_path / "data",
            secret="test-secret",
            **settings,
        )
        app = create_app(config, clock=clock)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, config.host, config.port).start()
        started = RunningServer(f"http://{config.host}:{config.port}", app, runner)
        running.append(started)
        return started

    yield start
    for started in reversed(running):
        await started.runner.cleanup()


@pytest.fixture
def running() -> list[RunningServer]:
    """Servers this test started, oldest first."""
    return []


@pytest.fixture
async def server(start_server: ServerFactory) -> RunningServer:
    return await start_server()


@pytest.fixture
async def make_client(
    start_server: ServerFactory, running: list[RunningServer]
) -> AsyncIterator[ClientFactory]:
    """Clients of the newest server this test started (a default one if none)."""
    clients: list[MentorburstClient] = []

    async def make(
        name: str = "Ada", *, url: str | None = None, connect: bool = True
    ) -> MentorburstClient:
        if url is None and not running:
            await start_server()
        client = MentorburstClient(url or running[-1].url)
        await client.login(name)
        if connect:
            await client.connect()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


class Tracebacks(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.levelno >= logging.ERROR:
            self.records.append(record)


@pytest.fixture
def tracebacks() -> Iterator[Tracebacks]:
    handler = Tracebacks()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that drives Chromium ``browser``: those that take a ``browser`` fixture
    or launch one themselves (tests/browser.py's ``launch``)."""
    import inspect

    for item in items:
        function = getattr(item, "function", None)
        launches = function is not None and "launch(" in inspect.getsource(function)
        if "browser" in getattr(item, "fixturenames", ()) or launches:
            item.add_marker(pytest.mark.browser)
