"""Logging for ``mentorburst serve``: plain text for a person at a terminal, or JSON, one object a
line, for a log pipeline (``--log-format json``).

Every record carries the node id and, when a client event is being handled, the user and session
ids it concerns (context variables set at the Socket.IO edge, so domain code never passes them
along). Nothing here logs payloads: tokens and what people typed never reach a log line.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from typing import Any

from aiohttp.http_exceptions import HttpProcessingError

USER: contextvars.ContextVar[str | None] = contextvars.ContextVar("mb_user", default=None)
SESSION: contextvars.ContextVar[str | None] = contextvars.ContextVar("mb_session", default=None)
_node_id: str | None = None

# Libraries whose INFO lines are routine chatter for an operator (every ICE check, every
# connection state of every pre-call peer): shown only at --log-level DEBUG.
CHATTY = ("aioice", "aiortc")
# These log whole packets below WARNING, tokens and typed text included: never below it.
PAYLOAD_LOGGERS = ("engineio.server", "socketio.server", "engineio.client", "socketio.client")

_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_FIELDS = ("node", "user_id", "session_id", "client")


def set_node(node_id: str) -> None:
    """The node id every record of this process carries from now on."""
    global _node_id
    _node_id = node_id


def bind(*, user_id: str | None = None, session_id: str | None = None) -> None:
    """Name the user and session the current task works for (until it ends)."""
    USER.set(user_id)
    SESSION.set(session_id)


class _Context(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "node"):
            record.node = _node_id
        if not hasattr(record, "user_id"):
            record.user_id = USER.get()
        if not hasattr(record, "session_id"):
            record.session_id = SESSION.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts, level, logger, msg, the context ids, and exc when any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in _FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The classic line, with ``[node user session]`` appended where known."""

    def __init__(self) -> None:
        super().__init__(_TEXT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = [str(getattr(record, name)) for name in _FIELDS if getattr(record, name, None)]
        return f"{line} [{' '.join(ids)}]" if ids else line


class _ClientFault(logging.Filter):
    """aiohttp logs a request it could not even parse (a bad header byte, a line too long) as
    an ERROR with a traceback, though it is the client's fault and is answered 400: one INFO line
    instead, naming the fault but not the bytes (they may hold a token)."""

    def filter(self, record: logging.LogRecord) -> bool:
        fault = record.exc_info[1] if record.exc_info else None
        if not isinstance(fault, HttpProcessingError):
            return True
        reason = fault.message.splitlines()[0].rstrip(": ") if fault.message else ""
        said = record.getMessage()
        record.msg = "%s (answered %s: %s)"
        record.args = (said, fault.code, reason or type(fault).__name__)
        record.levelno, record.levelname = logging.INFO, "INFO"
        record.exc_info = record.exc_text = None
        return logging.getLogger(record.name).isEnabledFor(logging.INFO)


def quiet_client_faults() -> None:
    """Install :class:`_ClientFault` on aiohttp's server logger (once per process)."""
    server_log = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, _ClientFault) for f in server_log.filters):
        server_log.addFilter(_ClientFault())


def configure(level: str, fmt: str) -> None:
    """Root logging for the server process: one stderr handler in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(_Context())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    numeric = logging.getLevelName(level.upper())
    root.setLevel(numeric)
    quiet = logging.DEBUG if numeric <= logging.DEBUG else logging.WARNING
    for name in CHATTY:
        logging.getLogger(name).setLevel(quiet)
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
