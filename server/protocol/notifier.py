"""The one narrow interface domain services use to reach people, and the news nodes tell each
other. The domain depends on this Protocol only; ``server/transport/notifier.py`` implements it
on Socket.IO, so no domain module imports the transport."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class Notifier(Protocol):
    async def to_user(
        self,
        user_id: str,
        event: str,
        data: dict[str, Any],
        *,
        sockets: list[str] | None = None,
        skip: str | None = None,
    ) -> None: ...

    async def to_socket(self, socket: str, event: str, data: dict[str, Any]) -> None: ...

    async def to_users(self, event: str, data_by_user: dict[str, dict[str, Any]]) -> None: ...

    async def invalidate(self, kind: str, key: str) -> None: ...


@dataclass(frozen=True)
class Invalidation:
    """Node-to-node news (:meth:`Notifier.invalidate`): a cached ``kind`` ``key`` changed.
    Kinds: ``session`` and ``sockets`` (the signal relay), ``mentor`` (the ranking's copies of
    a mentor's facts), ``token`` (a signed-out token's sockets close)."""

    kind: str
    key: str
