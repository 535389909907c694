"""The app factory: the aiohttp app and its life cycle. Redis (embedded or external) and the node
(built and wired in ``server/app/wiring.py``) live in ``cleanup_ctx`` generators, so they open
on start-up and close on shutdown in order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import socketio
from aiohttp import web

from server import rest
from server.app import wiring
from server.app.services import SERVICES
from server.domain.matching.catalog import SkillCatalog
from server.rest.middleware import (
    bearer_identity,
    json_errors,
    origins,
    rest_write_budget,
    security_headers,
)
from server.runtime import logs
from server.runtime.clock import Clock
from server.runtime.config import Config
from server.store import connection as redis_conn
from server.store.embedded import EmbeddedRedis
from server.transport import lean_socket, proxies
from server.transport.sio import MentorburstServer, ResilientRedisManager, WirePacket

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024
DRAIN_CLOSE_SECONDS = 10
REDIS_URL = web.AppKey("redis_url", str)
SIO = web.AppKey("sio", socketio.AsyncServer)
NODE = web.AppKey("node", wiring.Node)
WEB_DIR = Path(__file__).resolve().parents[2] / "web"


def create_app(config: Config, *, clock: Clock | None = None) -> web.Application:
    """The whole server. ``clock`` replaces the cluster clock (Redis time) in tests; a
    :class:`ClusterClock` given here is synced like the default one."""
    catalog = SkillCatalog.load(config.skills_file)
    lean_socket.install()
    logs.quiet_client_faults()
    app = web.Application(
        client_max_size=MAX_MESSAGE_BYTES,
        middlewares=[
            proxies.middleware(proxies.parse_networks(config.trusted_proxies)),
            json_errors,
            origins(config),
            bearer_identity,
            rest_write_budget,
        ],
    )
    app.on_response_prepare.append(security_headers)
    # The Redis URL is known only once the embedded server runs; the manager connects lazily.
    manager = ResilientRedisManager(redis_conn.pubsub_client, channel="mentorburst")
    sio = MentorburstServer(
        async_mode="aiohttp",
        client_manager=manager,
        serializer=WirePacket,
        cors_allowed_origins=[],
        max_http_buffer_size=MAX_MESSAGE_BYTES,
        # python-socketio's defaults: a dead socket is noticed within 45 s, and then the
        # presence grace runs. 10 s pings cost 18-20% of a core at 10,000 idle connections.
        ping_interval=config.ping_interval_seconds,
        ping_timeout=config.ping_timeout_seconds,
        # One client's events are handled in order: an offer must be relayed before the
        # candidates that follow it.
        async_handlers=False,
    )
    sio.attach(app)
    app[SIO] = sio
    rest.add_routes(app)
    web_dir = config.web_dir or WEB_DIR
    if (web_dir / "index.html").exists():
        app.router.add_get("/", _file(web_dir / "index.html"))
        # Where an organisation's sign-in sends people back; the web client finishes it.
        app.router.add_get("/oidc/callback", _file(web_dir / "index.html"))
        if (web_dir / "favicon.svg").exists():
            # /favicon.ico too: a browser asks for it on any page that names no icon.
            for path in ("/favicon.svg", "/favicon.ico"):
                app.router.add_get(path, _file(web_dir / "favicon.svg"))
        # One static route per asset folder, so /api/* never falls into a file lookup.
        for folder in sorted(p for p in web_dir.iterdir() if p.is_dir()):
            app.router.add_static(f"/{folder.name}", folder, show_index=False)
    app.cleanup_ctx.append(_redis_ctx(config))
    app.cleanup_ctx.append(_node_ctx(config, clock, catalog))
    app.on_shutdown.append(_drain)
    return app


async def _drain(app: web.Application) -> None:
    """Shutdown (SIGTERM): the listener is closed already; close every socket too, so each client
    reconnects at once to another worker or node, and the presence grace keeps its place."""
    eio = app[SIO].eio
    closing = [
        asyncio.create_task(socket.close(wait=False, reason=eio.reason.SERVER_DISCONNECT))
        for socket in list(eio.sockets.values())
    ]
    if closing:
        # Not eio.disconnect(): it waits for each socket's writer to flush, forever for a socket
        # whose client vanished a moment ago.
        await asyncio.wait(closing, timeout=DRAIN_CLOSE_SECONDS)


def _file(path: Path) -> Callable[[web.Request], Awaitable[web.FileResponse]]:
    async def serve_file(request: web.Request) -> web.FileResponse:
        return web.FileResponse(path)

    return serve_file


def _redis_ctx(config: Config) -> Callable[[web.Application], AsyncIterator[None]]:
    async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
        embedded = None
        url = config.redis_url
        if url is None:
            embedded = EmbeddedRedis(config.data_dir)
            url = await embedded.start()
        app[REDIS_URL] = url
        try:
            yield
        finally:
            if embedded is not None:
                await embedded.stop()

    return redis_ctx


def _node_ctx(
    config: Config, clock: Clock | None, catalog: SkillCatalog
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def node_ctx(app: web.Application) -> AsyncIterator[None]:
        sio = app[SIO]
        manager = sio.manager
        manager.redis_url = app[REDIS_URL]
        sio.manager_initialized = True
        manager.initialize()
        node = await wiring.build(config, catalog, app[REDIS_URL], sio, clock)
        app[NODE] = node
        app[SERVICES] = node.services
        await node.presence.heartbeat()
        node.presence.start()
        node.timers.start()
        node.broadcaster.start()
        node.events.start()
        node.reconciler.start()
        node.guard.start()
        log.info("node %s serving", node.id)
        try:
            yield
        finally:
            await node.precall.close()
            await node.reconciler.stop()
            await node.guard.stop()
            await node.events.stop()
            await node.broadcaster.stop()
            await node.timers.stop()
            await node.presence.stop()
            await sio.shutdown()
            await manager.close()
            await node.redis.aclose()
            node.embedder.close()
            await node.offload.close()

    return node_ctx
