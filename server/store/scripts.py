"""The Lua scripts in ``server/lua``, registered once at start-up.

Every script but the two standalone timer ones gets ``lib.lua`` prepended (the audit and the
repairs also ``judges.lua``) and the same first three arguments: the key prefix, the cluster's
now (so every node stamps state and deadlines from one clock), and the settings the scripts
share (durations, warning marks), encoded once. A script's own arguments follow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from server.runtime.clock import Clock
from server.runtime.config import Config
from server.store import keys

_STANDALONE = {"claim_timers", "complete_timer"}
# Scripts that share more than lib.lua: the invariants' judges serve the audit and its repairs.
_PRELUDES = {"audit": ("judges",), "repair": ("judges",)}

# A node that has not heartbeated for this long is dead: its sockets are swept.
STALE_MS = 20_000
# A call's chat holds at most this many messages (a 15-minute call uses a few dozen).
CHAT_MAX_MESSAGES = 500
# A call's notes hold at most this many changes between compactions (server/domain/calls/notes.py compacts
# every NOTES_COMPACT_AT), so a stuck compaction cannot grow them without bound.
NOTES_MAX_CHANGES = 2_000
# A call's notes hold at most this many bytes as stored (base64 Yjs updates). Two people typing
# into them without pause for 15 minutes (5 keystrokes a second between them, in 300 ms batches
# as the web client sends them, compacted as the server does) store about 100 KB, simulated with
# pycrdt; a call is mostly talk. 280 pastes of 30 KB stored 11 MB before this cap.
NOTES_MAX_BYTES = 256 * 1024
# The moderation list (mb:reports) keeps the newest this many reports; each report is also kept
# with its session (mb:report:<sid>) for the history retention.
REPORTS_MAX = 10_000


def _source(name: str) -> str:
    return resources.files("server.store.lua").joinpath(f"{name}.lua").read_text(encoding="utf-8")


def settings(config: Config, open_skill: str = "other") -> str:
    """What every script may read as ``S``: the call and deadline lengths, in milliseconds, and
    the catalog's open skill ("Something else"), whose queue is matched by fit, not in order."""
    return json.dumps(
        {
            "session_ms": config.session_ms,
            "grace_ms": round(config.connect_grace_seconds * 1000),
            "cooldown_ms": round(config.mentor_cooldown_seconds * 1000),
            "rating_ms": round(config.rating_seconds * 1000),
            "settle_ms": round(config.settle_seconds * 1000),
            "stale_ms": STALE_MS,
            "warn_ms": [round(mark * 1000) for mark in config.warn_at],
            "max_extensions": config.max_extensions,
            "max_credit_ms": round(config.max_credit_seconds * 1000),
            "chat_max": CHAT_MAX_MESSAGES,
            "notes_max": NOTES_MAX_CHANGES,
            "notes_max_bytes": NOTES_MAX_BYTES,
            "reports_max": REPORTS_MAX,
            "history_ttl_s": round(config.history_retention_days * 86400),
            "event_ttl_s": round(config.event_retention_days * 86400),
            "noshow_limit": config.no_show_limit,
            "widen_ms": round(config.widen_after_seconds * 1000),
            "open_skill": open_skill,
        }
    )


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
    session_take: AsyncScript
    rate: AsyncScript
    chat_send: AsyncScript
    notes_append: AsyncScript
    notes_compact: AsyncScript
    extend_session: AsyncScript
    mentee_mentors: AsyncScript
    queue_places: AsyncScript
    widen_mentee: AsyncScript
    widen_offer: AsyncScript
    applied_note: AsyncScript
    watch_fire: AsyncScript
    report: AsyncScript
    presence_connect: AsyncScript
    presence_disconnect: AsyncScript
    presence_gone: AsyncScript
    presence_heartbeat: AsyncScript
    event_create: AsyncScript
    event_join: AsyncScript
    event_leave: AsyncScript
    event_begin_round: AsyncScript
    event_book_call: AsyncScript
    event_end_round: AsyncScript
    audit: AsyncScript
    repair: AsyncScript
    token_bucket: AsyncScript
    claim_timers: AsyncScript
    complete_timer: AsyncScript


SETTINGS_KEY = f"{keys.PREFIX}settings"


class Lua:
    """Runs the project's scripts with the shared leading arguments. ``settings`` defaults to
    :func:`settings` of a default :class:`Config`; the server publishes its own under
    ``SETTINGS_KEY`` so tools (``mentorburst doctor``) repair with the cluster's durations."""

    def __init__(self, redis: Redis, clock: Clock, settings_json: str | None = None) -> None:
        lib = _source("lib")
        loaded: dict[str, AsyncScript] = {}
        for field in fields(Scripts):
            parts = [_source(name) for name in (*_PRELUDES.get(field.name, ()), field.name)]
            if field.name not in _STANDALONE:
                parts.insert(0, lib)
            loaded[field.name] = redis.register_script("\n".join(parts))
        self.scripts = Scripts(**loaded)
        self._clock = clock
        self.settings = settings_json or settings(Config())

    def now_ms(self) -> int:
        return self._clock.now_ms()

    async def __call__(self, script: AsyncScript, *args: Any) -> Any:
        """ARGV: prefix, now, settings, then ``args``."""
        return await script(args=[keys.PREFIX, self._clock.now_ms(), self.settings, *args])
