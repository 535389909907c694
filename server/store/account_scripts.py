"""The accounts' Lua scripts (``server/store/lua/account_*.lua``), registered once at start-up with the
shared ``lib.lua`` prepended, and run through :class:`server.store.scripts.Lua` so they get the same
leading arguments as every other script (prefix, cluster now, settings); theirs start at ARGV[4].
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from server.store.scripts import Lua


def _source(name: str) -> str:
    return resources.files("server.store.lua").joinpath(f"{name}.lua").read_text(encoding="utf-8")


class AccountScripts:
    def __init__(self, redis: Redis, lua: Lua) -> None:
        lib = _source("lib")
        self._lua = lua

        def load(name: str) -> AsyncScript:
            return redis.register_script(f"{lib}\n{_source(f'account_{name}')}")

        self.add_passkey = load("add_passkey")
        self.remove_passkey = load("remove_passkey")
        self.link_sso = load("link_sso")
        self.delete = load("delete")

    async def call(self, script: AsyncScript, *args: Any) -> list[str]:
        """Replies are lists of strings."""
        reply = await self._lua(script, *args)
        return [str(part) for part in reply]
