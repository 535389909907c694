"""Domain errors. Each maps to ``{"code", "message"}`` at the handler edge."""

from __future__ import annotations

import logging
from typing import Any

from redis import exceptions as redis_errors

# Redis is away, restarting, failing over or full: the request may succeed in a moment, so the
# client hears ``unavailable`` (503), never ``internal_error``. redis-py raises these for a
# refused or dropped connection, a timeout, an empty blocking pool, LOADING, READONLY (a replica
# during failover), MASTERDOWN, OOM and TRYAGAIN.
REDIS_OUTAGE: tuple[type[Exception], ...] = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.BusyLoadingError,
    redis_errors.ReadOnlyError,
    redis_errors.MasterDownError,
    redis_errors.OutOfMemoryError,
    redis_errors.TryAgainError,
    redis_errors.ClusterDownError,
)


class MentorburstError(Exception):
    """A failure a client can understand and act on. ``details`` are machine-readable fields
    the error carries beside its code and message (``retry_after_s``, an extension's
    ``reason``), so a client acts on them without reading the sentence."""

    code = "error"
    status = 400

    def __init__(self, message: str, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code

    def as_dict(self) -> dict[str, Any]:
        return {**self.details, "code": self.code, "message": self.message}


class InvalidPayload(MentorburstError):
    code = "invalid_payload"
    status = 400


class Unauthorized(MentorburstError):
    code = "unauthorized"
    status = 401


class Forbidden(MentorburstError):
    code = "forbidden"
    status = 403


class NotFound(MentorburstError):
    code = "not_found"
    status = 404


class Conflict(MentorburstError):
    """The request is valid but the state does not allow it now (already waiting, window closed...)."""

    code = "conflict"
    status = 409


class Unavailable(MentorburstError):
    code = "unavailable"
    status = 503


class RateLimited(MentorburstError):
    """A budget (``server/transport/ratelimit.py``) or a capacity (the pre-call check) is spent
    for now; ``retry_after_s`` says when to try again."""

    code = "rate_limited"
    status = 429

    def __init__(self, what: str, retry_after_s: int) -> None:
        super().__init__(
            f"Too many {what} in a short time; try again in {retry_after_s} s.",
            retry_after_s=retry_after_s,
        )
        self.retry_after_s = retry_after_s


def redis_unavailable() -> Unavailable:
    return Unavailable("The service is briefly unavailable; please try again in a moment.")


def internal_error() -> dict[str, Any]:
    return {
        "code": "internal_error",
        "message": "Something went wrong on our side; please try again.",
    }


def log_failure(log: logging.Logger, what: str, exc: BaseException) -> None:
    """A background step failed: a Redis outage passes and is one warning line; anything else is
    a bug on our side, logged with its traceback."""
    if isinstance(exc, REDIS_OUTAGE):
        log.warning("%s: Redis unavailable (%s)", what, exc)
    else:
        log.error("%s failed", what, exc_info=exc)
