"""The accounts' Lua scripts (``server/lua/account_*.lua``), registered once at start-up with
the shared ``lib.lua`` helpers prepended, like the domain's scripts in ``server.scripts``."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from server import keys


def _source(name: str) -> str:
    return resources.files("server").joinpath(f"lua/{name}.lua").read_text(encoding="utf-8")


@dataclass(frozen=True)
class AccountScripts:
    add_passkey: AsyncScript
    remove_passkey: AsyncScript
    link_sso: AsyncScript
    delete: AsyncScript

    @classmethod
    def register(cls, redis: Redis) -> AccountScripts:
        lib = _source("lib")
        return cls(
            **{
                name: redis.register_script(f"{lib}\n{_source(f'account_{name}')}")
                for name in cls.__dataclass_fields__
            }
        )

    @staticmethod
    async def call(script: AsyncScript, *args: Any) -> list[str]:
        """ARGV[1] is the key prefix, the rest are ``args``; replies are lists of strings."""
        reply = await script(keys=[], args=[keys.PREFIX, *args])
        return [str(part) for part in reply]
