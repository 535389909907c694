"""The Lua scripts in ``server/lua``, registered once at start-up.

Scripts that take the key prefix as ARGV[1] get ``lib.lua`` prepended, so shared helpers
(eligibility, claim, enqueue) exist once.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from server import keys

_STANDALONE = {"claim_timers", "complete_timer"}


def _source(name: str) -> str:
    return resources.files("server").joinpath(f"lua/{name}.lua").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Scripts:
    enqueue_mentee: AsyncScript
    requeue_mentee: AsyncScript
    leave_queue: AsyncScript
    mentor_online: AsyncScript
    mentor_ready: AsyncScript
    mentor_offline: AsyncScript
    connected: AsyncScript
    end_session: AsyncScript
    signal_peer: AsyncScript
    rate: AsyncScript
    claim_timers: AsyncScript
    complete_timer: AsyncScript

    @classmethod
    def register(cls, redis: Redis) -> Scripts:
        lib = _source("lib")
        loaded: dict[str, AsyncScript] = {}
        for name in cls.__dataclass_fields__:
            body = _source(name)
            loaded[name] = redis.register_script(body if name in _STANDALONE else f"{lib}\n{body}")
        return cls(**loaded)

    @staticmethod
    async def call(script: AsyncScript, *args: Any, keys_: list[str] | None = None) -> Any:
        """Run a prefix-taking script: ARGV[1] is the key prefix, the rest are ``args``."""
        return await script(keys=keys_ or [], args=[keys.PREFIX, *args])
