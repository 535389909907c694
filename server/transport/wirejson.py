"""The JSON codec of every wire: Socket.IO packets (python-socketio takes it as ``json=``), REST
bodies and the Redis manager's messages. msgspec, so it is fast, and total on input.

python-socketio decodes a packet before it knows which handler it is for; if decoding raises,
it logs a traceback and the event is never acknowledged. So :func:`loads` never raises: text
that is not JSON a client could mean (malformed, a lone UTF-16 surrogate, a number no JSON
reader can hold, NaN) decodes to ``[MALFORMED, reason]``, an event the dispatcher answers with
``invalid_payload`` under the packet's own ack id. Numbers that do decode but lie outside the
64-bit range are refused later, by :func:`server.protocol.inbound.parse`, with the field named.
"""

from __future__ import annotations

from typing import Any

import msgspec

MALFORMED = "\x00malformed"

_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()


class Malformed(ValueError):
    """A REST body that is not JSON a client could mean."""


def decode(data: str | bytes) -> Any:
    """Strict decoding, for REST bodies: raises :class:`Malformed` with a reason."""
    try:
        return _decoder.decode(data)
    except UnicodeEncodeError:
        raise Malformed("text must be valid Unicode (no lone surrogates)") from None
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise Malformed(_reason(str(exc))) from None


def _reason(detail: str) -> str:
    if "out of range" in detail:
        return "numbers must be finite and within the 64-bit range"
    if "surrogate" in detail or "truncated" in detail or "unicode" in detail.lower():
        return "not valid JSON text (truncated, or a lone UTF-16 surrogate)"
    return "not valid JSON"


def loads(data: str | bytes, *args: Any, **kwargs: Any) -> Any:
    """Total decoding, for Socket.IO packets: never raises (see the module docstring)."""
    try:
        return decode(data)
    except Malformed as exc:
        return [MALFORMED, str(exc)]


def dumps(obj: Any, *args: Any, **kwargs: Any) -> str:
    """Compact JSON; python-socketio passes ``separators``, which compact output already is."""
    return _encoder.encode(obj).decode()
