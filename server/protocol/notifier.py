"""The one narrow interface domain services use to reach people, and the news nodes tell each
other. The domain depends on this Protocol only; ``server/transport/notifier.py`` implements it
on Socket.IO, so no domain module imports the transport."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from server.protocol.outbound import Outbound


class Notifier(Protocol):
    """Every message is an :class:`~server.protocol.outbound.Outbound` struct, which names its
    event."""

    async def to_user(
        self,
        user_id: str,
        message: Outbound,
        *,
        sockets: list[str] | None = None,
        skip: str | None = None,
    ) -> None: ...

    async def to_socket(self, socket: str, message: Outbound) -> None: ...

    async def to_each(self, user_ids: Iterable[str], message: Outbound) -> None: ...

    async def to_users(self, messages: Mapping[str, Outbound]) -> None: ...

    async def invalidate(self, kind: str, key: str) -> None: ...


@dataclass(frozen=True)
class Invalidation:
    """Node-to-node news (:meth:`Notifier.invalidate`): a cached ``kind`` ``key`` changed.
    Kinds: ``session`` and ``sockets`` (the signal relay), ``mentor`` (the ranking's copies of
    a mentor's facts), ``token`` (a signed-out token's sockets close)."""

    kind: str
    key: str
