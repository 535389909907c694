"""What request handlers use: built once per node in ``server/app/wiring.py``, reached with
``request.app[SERVICES]``. Nothing here that no handler uses."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from redis.asyncio import Redis

from server.domain.accounts.service import Accounts
from server.domain.accounts.users import Users
from server.domain.calls.precall import PrecallService
from server.domain.calls.ratings import Ratings
from server.domain.calls.records import SessionRecords
from server.domain.dropin.flow import DropIn
from server.domain.matching.catalog import SkillCatalog
from server.domain.matching.directory import Directory
from server.domain.matching.matcher import Matcher
from server.domain.matching.preparation import Preparer
from server.domain.program import Program
from server.domain.speed import SpeedEvents
from server.queue import SkillQueue
from server.runtime.clock import Clock
from server.runtime.config import Config
from server.transport.ratelimit import RateLimits


@dataclass(frozen=True)
class Services:
    config: Config
    clock: Clock
    redis: Redis  # /healthz and /metrics read it directly
    catalog: SkillCatalog
    users: Users
    queue: SkillQueue
    ratings: Ratings
    limits: RateLimits
    accounts: Accounts
    dropin: DropIn
    records: SessionRecords
    precall: PrecallService
    events: SpeedEvents
    matcher: Matcher
    preparer: Preparer
    directory: Directory
    program: Program


SERVICES = web.AppKey("services", Services)
