"""Hooks: what a service announces, typed and named, for others to react to.

A service owns its hooks (``calls.settled: Hook[Session]``) and calls them when the thing
happened; it never knows who listens. Only ``server/app/wiring.py`` connects handlers, so that
one module says who reacts to what. Handlers run one after another in the order they were
connected, and a failure propagates to the announcer as a direct call would.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")

Handler = Callable[[T], Awaitable[None]]


class Hook(Generic[T]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._handlers: list[Handler[T]] = []

    def connect(self, handler: Handler[T]) -> None:
        """Run ``handler`` each time this happens, after the handlers connected before it."""
        self._handlers.append(handler)

    async def __call__(self, value: T) -> None:
        for handler in self._handlers:
            await handler(value)

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, {len(self._handlers)} handlers)"
