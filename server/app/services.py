"""Everything a request handler may reach, built once per app in ``app.py``."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from redis.asyncio import Redis

from server.domain.accounts.service import Accounts
from server.domain.accounts.signer import TokenSigner
from server.domain.accounts.users import Users
from server.domain.audit.reconciler import Reconciler
from server.domain.calls.lifecycle import Calls
from server.domain.calls.precall import PrecallService
from server.domain.calls.ratings import Ratings
from server.domain.calls.records import SessionRecords
from server.domain.calls.sessions import SessionStore
from server.domain.dropin.broadcast import QueueBroadcaster
from server.domain.dropin.flow import DropIn
from server.domain.matching.catalog import SkillCatalog
from server.domain.matching.directory import Directory
from server.domain.matching.matcher import Matcher
from server.domain.matching.preparation import Preparer
from server.domain.presence import Presence
from server.domain.program import Program
from server.domain.speed import SpeedEvents
from server.queue import SkillQueue
from server.runtime.clock import Clock
from server.runtime.config import Config
from server.store.scripts import Lua
from server.timer import Timers
from server.transport.ratelimit import RateLimits


@dataclass(frozen=True)
class Services:
    config: Config
    clock: Clock
    redis: Redis
    lua: Lua
    catalog: SkillCatalog
    signer: TokenSigner
    users: Users
    queue: SkillQueue
    sessions: SessionStore
    ratings: Ratings
    timers: Timers
    broadcaster: QueueBroadcaster
    presence: Presence
    reconciler: Reconciler
    calls: Calls
    dropin: DropIn
    precall: PrecallService
    events: SpeedEvents
    accounts: Accounts
    records: SessionRecords
    limits: RateLimits
    matcher: Matcher
    directory: Directory
    preparer: Preparer
    program: Program


SERVICES = web.AppKey("services", Services)
