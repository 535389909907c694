"""One node, built and wired: every object made here, every hook connected here.

Read it top to bottom: the store first, then the domain services in the order data flows
through them, then the edge; then who reacts to what (the hooks), then who handles each kind of
deadline (the table). Constructors take only what they use and change nothing but themselves;
no other module calls ``Hook.connect`` or ``Timers.route``. The aiohttp app and its life cycle
(starting and stopping what is built here) are ``server/app/factory.py``'s.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from redis.asyncio import Redis

from server.app.services import Services
from server.domain.accounts.oidc import OidcClient
from server.domain.accounts.passkeys import Passkeys
from server.domain.accounts.profile import Profiles
from server.domain.accounts.service import Accounts
from server.domain.accounts.signer import TokenSigner, load_secret
from server.domain.accounts.sso import OrgSignIn
from server.domain.accounts.store import AccountStore
from server.domain.accounts.tokens import Tokens
from server.domain.accounts.users import Users
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
from server.domain.matching.facts import MentorFacts
from server.domain.matching.matcher import Matcher
from server.domain.matching.preparation import Preparer
from server.domain.matching.skillmodel import SkillModel
from server.domain.presence import Presence
from server.domain.program import Program
from server.domain.program.admin import Admins
from server.domain.program.analytics import Analytics
from server.domain.program.followups import FollowUps
from server.domain.program.office_hours import OfficeHours
from server.domain.program.watches import Watches
from server.domain.speed import SpeedEvents
from server.domain.speed.booking import RoundBooker
from server.domain.speed.console import HostConsole
from server.domain.speed.context import CallContext
from server.domain.speed.reports import EventReports
from server.domain.speed.store import EventStore
from server.queue import SkillQueue
from server.runtime import logs
from server.runtime.clock import Clock, ClockSync, ClusterClock
from server.runtime.config import Config
from server.runtime.offload import Offload
from server.signaling import SignalingNamespace
from server.store import connection as redis_conn
from server.store.account_scripts import AccountScripts
from server.store.scripts import SETTINGS_KEY, Lua, settings
from server.timer import Deadline, Timers
from server.transport.notifier import SocketNotifier
from server.transport.ratelimit import RateLimits
from server.transport.sio import MentorburstServer, ResilientRedisManager
from server.transport.socket_guard import SocketGuard


@dataclass(frozen=True)
class Node:
    """What one node built: ``services`` for request handlers, the background loops and the
    resources its life cycle starts and closes, and what stories reach past the wire for."""

    id: str
    config: Config
    clock: Clock
    redis: Redis
    lua: Lua
    services: Services
    sessions: SessionStore
    queue: SkillQueue
    precall: PrecallService
    timers: Timers
    presence: Presence
    broadcaster: QueueBroadcaster
    events: SpeedEvents
    reconciler: Reconciler
    guard: SocketGuard
    embedder: Embedder
    offload: Offload


async def build(
    config: Config,
    catalog: SkillCatalog,
    redis_url: str,
    sio: MentorburstServer,
    clock: Clock | None = None,
) -> Node:
    """Build and wire a node on the Redis at ``redis_url``, for the Socket.IO server ``sio``.
    ``clock`` replaces the cluster clock (Redis time) in tests; a :class:`ClusterClock` given
    here is kept in step like the default one."""
    # -- the store: Redis, the one clock every node shares, the scripts --------------------------
    redis = redis_conn.connect(redis_url)
    await redis.ping()
    now = clock or ClusterClock()
    clock_sync = ClockSync(now, redis) if isinstance(now, ClusterClock) else None
    if clock_sync is not None:
        await clock_sync()
    lua = Lua(redis, now, settings(config, catalog.open_slug or ""))
    await redis.set(SETTINGS_KEY, lua.settings)
    node_id = f"n_{secrets.token_hex(6)}"
    logs.set_node(node_id)
    timers = Timers(redis, lua.scripts, now, lease_ms=round(config.timer_lease_seconds * 1000))
    users = Users(redis, config.guest_ttl_seconds)
    queue = SkillQueue(redis, lua, config, catalog.open_slug)
    sessions = SessionStore(redis, lua)
    # How the domain reaches people (its one interface to the edge).
    notifier = SocketNotifier(sio, node_id)

    # -- matching: understanding questions, ranking mentors --------------------------------------
    embedder = Embedder()
    skill_model = SkillModel(catalog, embedder)
    embedder.warm(skill_model.build)
    matcher = Matcher(
        redis=redis,
        embedder=embedder,
        skills=skill_model,
        expertise=Expertise(redis, embedder),
        facts=MentorFacts(redis),
        catalog=catalog,
        config=config,
        clock=now,
        notifier=notifier,
    )
    ratings = Ratings(redis, lua, sessions, users)
    broadcaster = QueueBroadcaster(
        redis, queue, notifier, now, matcher=matcher, slugs=catalog.slugs
    )

    # -- calls: one call's life, what it carries, the check before it ---------------------------
    relay = SignalRelay(sessions, notifier)
    event_store = EventStore(redis)
    calls = Calls(
        config=config,
        clock=now,
        sessions=sessions,
        ratings=ratings,
        users=users,
        timers=timers,
        notifier=notifier,
        relay=relay,
        event_context=CallContext(event_store),
    )
    extra_time = ExtraTime(calls, sessions, notifier, lua)
    chat = Chat(redis, lua, notifier)
    offload = Offload()
    notes = Notes(redis, lua, notifier, offload)
    records = SessionRecords(sessions, users, chat, notes, catalog, offload)
    precall = PrecallService(
        config.precall_capacity,
        config.precall_seconds,
        redis,
        per_address=config.precall_per_address,
        relays=RelayAddresses(config.turn_urls),
    )

    # -- drop-in: ask, match, call, rate ---------------------------------------------------------
    dropin = DropIn(
        config=config,
        clock=now,
        catalog=catalog,
        queue=queue,
        users=users,
        sessions=sessions,
        calls=calls,
        ratings=ratings,
        timers=timers,
        broadcaster=broadcaster,
        matcher=matcher,
        notifier=notifier,
    )

    # -- speed-mentoring events ------------------------------------------------------------------
    events = SpeedEvents(
        redis=redis,
        lua=lua,
        clock=now,
        catalog=catalog,
        notifier=notifier,
        calls=calls,
        broadcaster=broadcaster,
        store=event_store,
        booker=RoundBooker(lua, event_store, calls, sessions, notifier),
        reports=EventReports(event_store, ratings),
        console=HostConsole(event_store, ratings),
    )

    # -- the program around the calls, and the directory -----------------------------------------
    hours = OfficeHours(redis)
    program = Program(
        hours=hours,
        watches=Watches(redis, lua, users, catalog, notifier),
        followups=FollowUps(redis, lua, ratings, now),
        admins=Admins(redis),
        analytics=Analytics(redis, sessions, users, catalog, now),
    )
    directory = Directory(redis, matcher, ratings, hours, catalog, now)

    # -- presence across tabs and nodes; the audit that repairs -----------------------------------
    presence = Presence(redis, lua, node_id)
    reconciler = Reconciler(redis, lua, node_id, interval=config.reconcile_seconds)

    # -- accounts --------------------------------------------------------------------------------
    signer = TokenSigner(load_secret(config.secret, config.data_dir), config.token_ttl_seconds)
    account_store = AccountStore(redis, AccountScripts(redis, lua))
    tokens = Tokens(signer, account_store, now)
    profiles = Profiles(account_store, catalog, queue, ratings, now)
    accounts = Accounts(
        config=config,
        store=account_store,
        users=users,
        tokens=tokens,
        profiles=profiles,
        passkeys=Passkeys(redis, account_store, config, now),
        sso=OrgSignIn(redis, OidcClient(config, now), account_store, config)
        if config.oidc_enabled
        else None,
    )

    # -- the edge: rate limits, sockets that live as long as their login, the Socket.IO events --
    limits = RateLimits(redis.connection_pool, config, lua)
    guard = SocketGuard(redis, tokens, notifier, now)
    namespace = SignalingNamespace(
        calls=calls,
        dropin=dropin,
        events=events,
        presence=presence,
        users=users,
        tokens=tokens,
        guard=guard,
        limits=limits,
        clock=now,
        chat=chat,
        notes=notes,
        extensions=extra_time,
        notifier=notifier,
    )
    sio.register_namespace(namespace)
    manager: ResilientRedisManager = sio.manager

    # -- hooks: who reacts to what, in the order each runs ---------------------------------------
    calls.settled.connect(dropin.after_call)  # the freed mentor and a requeued mentee match
    calls.settled.connect(events.session_settled)  # an event re-pairs whoever stayed
    calls.event_media.connect(events.call_changed)  # the host console shows media flowing
    ratings.event_rated.connect(events.call_changed)  # ... and ratings
    ratings.reputation_changed.connect(matcher.mentor_changed)
    profiles.changed.connect(matcher.profile_changed)
    profiles.changed.connect(directory.profile_changed)
    dropin.came_online.connect(program.watches.mentor_online)
    presence.gone.connect(calls.after_gone)  # a call the script ended is settled
    presence.gone.connect(dropin.after_gone)  # queues and mentors' views update
    presence.gone.connect(events.after_gone)  # the event's lobby updates
    presence.credited.connect(extra_time.credited)
    presence.moved.connect(relay.sockets_moved)
    presence.beat.connect(manager.supervise)
    if clock_sync is not None:
        presence.beat.connect(clock_sync)
    reconciler.repaired.connect(dropin.after_repair)
    tokens.revoked.connect(guard.revoked)
    tokens.signed_out.connect(guard.announce_sign_out)
    manager.invalidated.connect(relay.heard)  # "session", "sockets"
    manager.invalidated.connect(matcher.heard)  # "mentor"
    manager.invalidated.connect(guard.heard)  # "token"
    manager.resubscribed.connect(namespace.resubscribed)

    # -- deadlines: who handles each kind ---------------------------------------------------------
    timers.route(
        {
            Deadline.CONNECT: calls.connect_due,
            Deadline.WARN: calls.warning_due,
            Deadline.END: calls.time_up,
            Deadline.SETTLE: calls.settle,
            Deadline.COOLDOWN: dropin.cooldown_over,
            Deadline.BURST: dropin.burst_over,
            Deadline.WIDEN: dropin.widen_due,
            Deadline.PRESENCE: presence.grace_over,
            Deadline.EVENT_ROUND: events.round_over,
            Deadline.EVENT_BREAK: events.break_over,
        }
    )

    services = Services(
        config=config,
        clock=now,
        redis=redis,
        catalog=catalog,
        users=users,
        queue=queue,
        ratings=ratings,
        limits=limits,
        accounts=accounts,
        dropin=dropin,
        records=records,
        precall=precall,
        events=events,
        matcher=matcher,
        preparer=Preparer(embedder),
        directory=directory,
        program=program,
    )
    return Node(
        id=node_id,
        config=config,
        clock=now,
        redis=redis,
        lua=lua,
        services=services,
        sessions=sessions,
        queue=queue,
        precall=precall,
        timers=timers,
        presence=presence,
        broadcaster=broadcaster,
        events=events,
        reconciler=reconciler,
        guard=guard,
        embedder=embedder,
        offload=offload,
    )
