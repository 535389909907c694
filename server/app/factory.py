"""The app factory. Redis (embedded or external) and the background loops live in
``cleanup_ctx`` generators, so they open on start-up and close on shutdown in order."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import socketio
from aiohttp import web

from server.app.services import SERVICES, Services
from server.domain.accounts.oidc import OidcClient
from server.domain.accounts.passkeys import Passkeys
from server.domain.accounts.profile import Profiles
from server.domain.accounts.service import Accounts
from server.domain.accounts.signer import TokenSigner, load_secret
from server.domain.accounts.sso import OrgSignIn
from server.domain.accounts.store import AccountStore
from server.domain.accounts.tokens import Tokens
from server.domain.accounts.users import Users
from server.domain.audit.invariants import Violation
from server.domain.audit.reconciler import Reconciler
from server.domain.calls.candidates import RelayAddresses
from server.domain.calls.chat import Chat
from server.domain.calls.extra_time import ExtraTime
from server.domain.calls.lifecycle import Calls
from server.domain.calls.notes import Notes
from server.domain.calls.precall import PrecallService
from server.domain.calls.ratings import Ratings
from server.domain.calls.records import SessionRecords
from server.domain.calls.relay import SignalRelay
from server.domain.calls.sessions import SessionStore
from server.domain.dropin.broadcast import QueueBroadcaster
from server.domain.dropin.flow import DropIn
from server.domain.matching.catalog import SkillCatalog
from server.domain.matching.directory import Directory
from server.domain.matching.embeddings import Embedder
from server.domain.matching.expertise import Expertise
from server.domain.matching.matcher import Matcher
from server.domain.matching.preparation import Preparer
from server.domain.matching.skillmodel import SkillModel
from server.domain.presence import Gone, Presence
from server.domain.program import Program
from server.domain.program.admin import Admins
from server.domain.program.analytics import Analytics
from server.domain.program.followups import FollowUps
from server.domain.program.office_hours import OfficeHours
from server.domain.program.watches import Watches
from server.domain.speed import SpeedEvents
from server.protocol.errors import log_failure
from server.queue import SkillQueue
from server.rest import metrics as scrape
from server.rest import openapi
from server.rest.accounts import bearer_identity
from server.rest.accounts import routes as account_routes
from server.rest.matching import routes as matching_routes
from server.rest.middleware import origins, rest_write_budget, security_headers
from server.rest.program import routes as program_routes
from server.rest.routes import json_errors, routes
from server.runtime import logs
from server.runtime.clock import Clock, ClusterClock
from server.runtime.config import Config
from server.runtime.offload import Offload
from server.signaling import SignalingNamespace
from server.store import connection as redis_conn
from server.store.account_scripts import AccountScripts
from server.store.embedded import EmbeddedRedis
from server.store.scripts import SETTINGS_KEY, Lua, settings
from server.timer import Timers
from server.transport import lean_socket, proxies
from server.transport.notifier import SocketNotifier
from server.transport.ratelimit import RateLimits
from server.transport.sio import MentorburstServer, ResilientRedisManager, WirePacket
from server.transport.socket_guard import SocketGuard

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024
DRAIN_CLOSE_SECONDS = 10
REDIS_URL = web.AppKey("redis_url", str)
SIO = web.AppKey("sio", socketio.AsyncServer)
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
    app.add_routes(routes)
    app.add_routes(account_routes)
    app.add_routes(matching_routes)
    app.add_routes(program_routes)
    scrape.add_routes(app)
    openapi.add_routes(app)
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
    app.cleanup_ctx.append(_services_ctx(config, clock, catalog))
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


def _services_ctx(
    config: Config, clock: Clock | None, catalog: SkillCatalog
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def services_ctx(app: web.Application) -> AsyncIterator[None]:
        url = app[REDIS_URL]
        redis = redis_conn.connect(url)
        await redis.ping()
        now = clock or ClusterClock()
        cluster_clock = now if isinstance(now, ClusterClock) else None
        if cluster_clock is not None:
            await cluster_clock.sync(redis)
        sio = app[SIO]
        manager = sio.manager
        manager.redis_url = url
        sio.manager_initialized = True
        manager.initialize()

        lua = Lua(redis, now, settings(config, catalog.open_slug or ""))
        await redis.set(SETTINGS_KEY, lua.settings)
        node_id = f"n_{secrets.token_hex(6)}"
        logs.set_node(node_id)
        notifier = SocketNotifier(sio, node_id)
        timers = Timers(redis, lua.scripts, now)
        users = Users(redis, config.guest_ttl_seconds)
        queue = SkillQueue(redis, lua, config, catalog.open_slug)
        sessions = SessionStore(redis, lua)
        ratings = Ratings(redis, lua, sessions, users)
        embedder = Embedder()
        skill_model = SkillModel(catalog, embedder)
        embedder.warm(skill_model.build)
        matcher = Matcher(
            redis=redis,
            embedder=embedder,
            skills=skill_model,
            expertise=Expertise(redis, embedder),
            catalog=catalog,
            config=config,
            clock=now,
        )
        broadcaster = QueueBroadcaster(
            redis, queue, notifier, now, matcher=matcher, slugs=catalog.slugs
        )
        limits = RateLimits(redis.connection_pool, config, lua)
        relay = SignalRelay(sessions, notifier)
        calls = Calls(
            config=config,
            clock=now,
            sessions=sessions,
            ratings=ratings,
            users=users,
            timers=timers,
            notifier=notifier,
            relay=relay,
        )
        dropin = DropIn(
            config=config,
            clock=now,
            catalog=catalog,
            queue=queue,
            calls=calls,
            ratings=ratings,
            timers=timers,
            broadcaster=broadcaster,
            matcher=matcher,
        )
        hours = OfficeHours(redis)
        program = Program(
            hours=hours,
            watches=Watches(redis, lua, users, catalog, notifier),
            followups=FollowUps(redis, lua, ratings, now),
            admins=Admins(redis),
            analytics=Analytics(redis, sessions, users, catalog, now),
        )
        dropin.online_listeners.append(program.watches.mentor_online)
        directory = Directory(redis, matcher, ratings, hours, catalog, now)

        async def mentor_changed(mentor_id: str) -> None:
            """The ranking's copies of a mentor's facts: this node's now, every node's soon."""
            matcher.facts.forget(mentor_id)
            await notifier.invalidate("mentor", mentor_id)

        ratings.reputation_listeners.append(mentor_changed)

        async def profile_changed(user_id: str, describes_help: bool) -> None:
            matcher.expertise.forget(user_id)
            await mentor_changed(user_id)
            if describes_help:
                await directory.listed(user_id)

        events = SpeedEvents(
            redis=redis, lua=lua, catalog=catalog, calls=calls, broadcaster=broadcaster
        )

        async def gone(departed: Gone) -> None:
            if departed.ended_session:
                await calls.settle_now(departed.ended_session)
            await dropin.after_gone(
                departed.user_id,
                departed.left_skill,
                departed.mentor_skills if departed.mentor_outcome else [],
            )
            if departed.event_id:
                events.mark(departed.event_id)

        async def heartbeat() -> None:
            manager.supervise()
            if cluster_clock is not None:
                await cluster_clock.sync(redis)

        chat = Chat(redis, lua, notifier)
        offload = Offload()
        notes = Notes(redis, lua, notifier, offload)
        extensions = ExtraTime(calls, lua)

        async def moved(users: list[str]) -> None:
            for user_id in users:
                await notifier.invalidate("sockets", user_id)

        presence = Presence(
            redis, lua, timers, node_id, gone, heartbeat, extensions.credited, moved
        )

        async def repaired(violation: Violation) -> None:
            if violation.kind in ("busy_mentor", "idle_outside_pools"):
                await dropin.mentor_ready(violation.subject)

        reconciler = Reconciler(
            redis, lua, node_id, interval=config.reconcile_seconds, on_repaired=repaired
        )
        signer = TokenSigner(load_secret(config.secret, config.data_dir), config.token_ttl_seconds)
        precall = PrecallService(
            config.precall_capacity,
            config.precall_seconds,
            redis,
            per_address=config.precall_per_address,
            relays=RelayAddresses(config.turn_urls),
        )
        store = AccountStore(redis, AccountScripts(redis, lua))
        tokens = Tokens(signer, store, now)
        guard = SocketGuard(sio, redis, tokens, now)

        def internal(message: dict[str, Any]) -> None:
            """Node-to-node news from the pub/sub channel, in order."""
            if message["kind"] == "token":
                guard.heard_sign_out(message["key"])
            elif message["kind"] == "mentor":
                matcher.facts.forget(message["key"])
            else:
                relay.invalidate(message["kind"], message["key"])

        manager.on_internal = internal
        tokens.on_sign_out(lambda token_id: notifier.invalidate("token", token_id))
        accounts = Accounts(
            config=config,
            store=store,
            users=users,
            tokens=tokens,
            profiles=Profiles(store, catalog, queue, ratings, now, on_change=profile_changed),
            passkeys=Passkeys(redis, store, config, now),
            sso=OrgSignIn(redis, OidcClient(config, now), store, config)
            if config.oidc_enabled
            else None,
        )
        app[SERVICES] = Services(
            config=config,
            clock=now,
            redis=redis,
            lua=lua,
            catalog=catalog,
            signer=signer,
            users=users,
            queue=queue,
            sessions=sessions,
            ratings=ratings,
            timers=timers,
            broadcaster=broadcaster,
            presence=presence,
            reconciler=reconciler,
            calls=calls,
            dropin=dropin,
            precall=precall,
            events=events,
            accounts=accounts,
            limits=limits,
            records=SessionRecords(sessions, users, chat, notes, catalog, offload),
            matcher=matcher,
            directory=directory,
            preparer=Preparer(embedder),
            program=program,
        )
        namespace = SignalingNamespace(
            calls, dropin, events, presence, tokens, guard, limits, now, chat, notes, extensions
        )
        sio.register_namespace(namespace)

        async def resubscribed(deaf_seconds: float) -> None:
            since = now.now_ms() - round(deaf_seconds * 1000) - 1000
            try:
                await namespace.catch_up_all(since)
            except Exception as exc:
                log_failure(log, "catching sockets up after a pub/sub outage", exc)

        manager.on_resubscribed = resubscribed
        await presence.heartbeat()
        presence.start()
        timers.start()
        broadcaster.start()
        events.start()
        reconciler.start()
        guard.start()
        log.info("node %s serving", node_id)
        try:
            yield
        finally:
            await precall.close()
            await reconciler.stop()
            await guard.stop()
            await events.stop()
            await broadcaster.stop()
            await timers.stop()
            await presence.stop()
            await sio.shutdown()
            await manager.close()
            await redis.aclose()
            embedder.close()
            await offload.close()

    return services_ctx
