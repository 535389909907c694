"""Everything a request handler may reach, built once per app in ``app.py``."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from redis.asyncio import Redis

from server.accounts.service import Accounts
from server.auth import TokenSigner
from server.broadcast import QueueBroadcaster
from server.calls import Calls
from server.clock import Clock
from server.config import Config
from server.dropin import DropIn
from server.events import SpeedEvents
from server.matching.directory import Directory
from server.matching.matcher import Matcher
from server.matching.preparation import Preparer
from server.precall import PrecallService
from server.presence import Presence
from server.program import Program
from server.queue import SkillQueue
from server.ratelimit import RateLimits
from server.ratings import Ratings
from server.reconciler import Reconciler
from server.records import SessionRecords
from server.scripts import Lua
from server.sessions import SessionStore
from server.skills import SkillCatalog
from server.timer import Timers
from server.users import Users


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
