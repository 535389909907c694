"""One typed, frozen configuration built from flags and ``MB_*`` environment variables.

Nothing else in the project reads ``os.environ`` or ``sys.argv``.
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _seconds(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative")
    return value


def _marks(text: str) -> tuple[float, ...]:
    marks = tuple(
        sorted({_seconds(part) for part in text.split(",") if part.strip()}, reverse=True)
    )
    return marks


def _urls(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive rate")
    return value


def _networks(text: str) -> tuple[str, ...]:
    entries = _urls(text)
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{entry!r} is not an address or network") from None
    return entries


def _choice(*allowed: str) -> Any:
    def check(text: str) -> str:
        if text.lower() not in allowed:
            raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(allowed)}")
        return text.lower()

    return check


def _on_off(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("on", "true", "yes", "1"):
        return True
    if lowered in ("off", "false", "no", "0"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not on or off")


def _optional_limits(text: str) -> str:
    """A rate budget, or empty for none."""
    return _limits(text) if text.strip() else ""


def _limits(text: str) -> str:
    """A rate budget such as ``10/second;120/minute`` (the ``limits`` library's notation)."""
    from limits import parse_many

    try:
        parse_many(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a budget like 10/second;120/minute"
        ) from exc
    return text.strip()


def _public_url(text: str) -> str:
    url = text.strip().rstrip("/")
    if not url.startswith(("https://", "http://")) or "/" in url.split("://", 1)[1]:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an origin like https://mentors.example.org"
        )
    return url


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8080
    redis_url: str | None = None
    data_dir: Path = Path(".mentorburst")
    session_seconds: float = 900
    connect_grace_seconds: float = 30
    decline_seconds: float = 15
    rating_seconds: float = 600
    mentor_cooldown_seconds: float = 60
    warn_at: tuple[float, ...] = (60, 10)
    skills_file: Path | None = None
    max_extensions: int = 1
    max_credit_seconds: float = 120
    # ExtraTime beyond the shared contract (documented in docs/protocol.md).
    secret: str | None = field(default=None, repr=False)
    # A day: a laptop closed in the evening is still signed in next morning; an open app renews
    # its token silently at half-life (POST /api/token/refresh).
    token_ttl_seconds: float = 24 * 3600
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str | None = field(default=None, repr=False)
    # Long enough for a 15-min call, an extension and a drop credit; a leaked credential dies soon.
    turn_ttl_seconds: float = 1800
    precall_capacity: int = 8
    precall_seconds: float = 30
    # Of a node's checks, at most this many for one client address (two people at one home or
    # desk, not 1; a script's accounts made in bulk from one address get no more). The check is
    # optional: a refused one tells the page "busy", and the call still works.
    precall_per_address: int = 2
    web_dir: Path | None = None
    log_level: str = "INFO"
    log_format: str = "text"
    workers: int = 1
    # The kernel caps it at net.core.somaxconn (4096 on current Linux): raise that too.
    listen_backlog: int = 8192
    trusted_proxies: tuple[str, ...] = ()
    reconcile_seconds: float = 30
    # Engine.IO pings (python-socketio's defaults): a dead socket is noticed within 45 s, then the
    # presence grace runs. Not flags: tests shorten them.
    ping_interval_seconds: float = 25
    ping_timeout_seconds: float = 20
    # An ended call's follow-ups (notifications, matching the freed people) run inline right
    # after the end; this is how long the ``settle`` deadline waits before any node runs them
    # again. And how long a node holds a deadline it claimed before another node may fire it
    # (a node that died mid-handler). Not flags: recovery times, which tests shorten.
    settle_seconds: float = 5
    timer_lease_seconds: float = 10
    # Abuse limits (server/transport/ratelimit.py; budgets in the `limits` notation, docs/protocol.md).
    rate_limits: bool = True
    # Retention (docs/protocol.md "Retention"): nothing in Redis grows forever.
    guest_ttl_seconds: float = 24 * 3600
    history_retention_days: float = 365
    event_retention_days: float = 90
    no_show_limit: int = 3
    # Matching (issue 15, docs/protocol.md "Matching by meaning"): among a skill's idle mentors,
    # one idle this long is taken first whatever the fit (the fairness bound).
    fair_idle_seconds: float = 300
    # A mentee waiting this long with no mentor online in its skill is offered wider skills.
    widen_after_seconds: float = 120
    # An open question ("Something else") goes only to a mentor whose expertise fits at least
    # this well (cosine of all-MiniLM-L6-v2 vectors; see server/domain/matching/ranking.py).
    open_fit_threshold: float = 0.2
    allowed_origins: tuple[str, ...] = ()
    # GET /metrics answers loopback clients; with a token, also anyone sending it as a Bearer.
    metrics_token: str | None = field(default=None, repr=False)
    # Logins per client address: a token bucket (server/transport/ratelimit.py). A venue's Wi-Fi where 300
    # people sign in at "join now" passes at once; then 5 a second, 300 a minute, refill it.
    limit_login_burst: int = 300
    limit_login_refill: float = 5.0
    # An extra sliding-window ceiling on logins per address, off by default (the bucket above is
    # the limit); kept so a deployment that set --limit-login before the bucket still starts.
    limit_login: str = ""
    limit_event_create: str = "10/minute;100/hour"
    limit_events: str = "10/second;120/minute"
    limit_signal: str = "400/second;12000/minute"
    limit_chat: str = "20/second;300/minute"
    limit_rest: str = "10/second;300/minute"
    limit_precall: str = "10/minute"
    limit_code_guesses: str = "10/minute;50/hour"
    limit_ice: str = "30/minute"
    # One suggestion costs ~5 ms of one core: the ask form's typing (one every 400 ms) and a
    # script checking a few hundred questions pass; a sustained flood does not.
    limit_suggest: str = "200/second;3000/minute"
    # Browsing the directory (GET /api/mentors without q): a page reads at most 200 entries.
    # A person pages and filters a few times a minute; a room behind one address browses too.
    limit_directory: str = "20/second;600/minute"
    # Reading a session record merges its notes (in the helper process, server/runtime/offload.py): the
    # pages that show a record read it once or twice a visit; a loop of downloads is refused.
    limit_records: str = "5/second;60/minute"
    # Accounts (docs/accounts.md): WebAuthn relying party and organisation sign-in.
    public_url: str | None = None
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = field(default=None, repr=False)
    oidc_allowed_domains: tuple[str, ...] = ()
    oidc_required: bool = False
    oidc_label: str = "your organisation"

    @property
    def origin(self) -> str:
        """Where people reach us: the WebAuthn origin and the base of the OIDC redirect. A
        loopback or wildcard bind means a local run, reached as localhost (an IP address cannot
        be a WebAuthn relying-party id)."""
        if self.public_url:
            return self.public_url
        local = self.host in ("127.0.0.1", "0.0.0.0", "::", "::1", "localhost", "")
        return f"http://{'localhost' if local else self.host}:{self.port}"

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def session_ms(self) -> int:
        return round(self.session_seconds * 1000)

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)


# flag name -> (type, help); every flag also reads MB_<NAME_IN_CAPS>.
_FLAGS: dict[str, tuple[Any, str]] = {
    "host": (str, "address to bind"),
    "port": (int, "port to bind"),
    "redis-url": (
        str,
        "redis://, rediss://, unix:// or redis+sentinel://h1:26379,h2:26379/0/mymaster "
        "(env REDIS_URL too)",
    ),
    "data-dir": (Path, "where the embedded Redis keeps its AOF and the token secret"),
    "session-seconds": (_seconds, "the fixed countdown of a drop-in call"),
    "connect-grace-seconds": (_seconds, "match -> both connected, else no_connection"),
    "decline-seconds": (_seconds, "a mentor may decline this long after a match"),
    "rating-seconds": (_seconds, "rating window after a call ends"),
    "mentor-cooldown-seconds": (
        _seconds,
        "after a call a mentor is matchable once it rated, or after this",
    ),
    "warn-at": (_marks, "session:warning marks, seconds left, comma separated"),
    "skills-file": (Path, "skills catalog JSON"),
    "max-extensions": (int, "how many times both people may agree to extend one call"),
    "max-credit-seconds": (_seconds, "most time a drop in a live call adds back to it"),
    "stun-urls": (_urls, "STUN URLs handed to peers, comma separated"),
    "turn-urls": (_urls, "TURN URLs handed to peers, comma separated"),
    "turn-secret": (str, "TURN REST shared secret: peers get short-lived credentials"),
    "turn-ttl-seconds": (_seconds, "lifetime of TURN credentials"),
    "token-ttl-seconds": (_seconds, "lifetime of login tokens"),
    "precall-capacity": (int, "concurrent pre-call echo checks"),
    "precall-seconds": (_seconds, "a pre-call echo peer closes itself after this"),
    "precall-per-address": (
        _positive,
        "concurrent pre-call echo checks on a node for one client address",
    ),
    "web-dir": (Path, "serve the web client from this folder"),
    "log-level": (_choice("debug", "info", "warning", "error"), "DEBUG, INFO, WARNING or ERROR"),
    "log-format": (_choice("text", "json"), "text, or json: one object a line"),
    "workers": (_positive, "full server processes sharing this port (and the same Redis)"),
    "listen-backlog": (
        _positive,
        "TCP accept queue length (capped by net.core.somaxconn); room for reconnect storms",
    ),
    "trusted-proxies": (
        _networks,
        "reverse proxies (addresses or CIDRs, comma separated) whose X-Forwarded-For is believed",
    ),
    "reconcile-seconds": (_seconds, "how often one node audits and repairs the invariants"),
    "guest-ttl-seconds": (_seconds, "a guest who never used the product is forgotten after this"),
    "history-retention-days": (_seconds, "sessions, ratings, chat and notes are kept this long"),
    "event-retention-days": (_seconds, "events (people, rounds, results) are kept this long"),
    "no-show-limit": (int, "no-shows in a day after which asking again waits (0 = never)"),
    "fair-idle-seconds": (
        _seconds,
        "a mentor idle this long is matched first in its skill, whatever the fit",
    ),
    "widen-after-seconds": (
        _seconds,
        "after this long with no mentor online for its skill, a mentee is offered wider skills",
    ),
    "open-fit-threshold": (
        float,
        "least expertise fit (cosine) for an open question to be offered to a mentor",
    ),
    "rate-limits": (
        _on_off,
        "on|off: the abuse limits below (tests of other behaviour turn them off)",
    ),
    "limit-login-burst": (
        _positive,
        "POST /api/login per client address: how many at once (a token bucket's size)",
    ),
    "limit-login-refill": (
        _rate,
        "POST /api/login per client address: logins a second the bucket refills at",
    ),
    "limit-login": (
        _optional_limits,
        "an extra sliding-window ceiling on POST /api/login per client address (default: none)",
    ),
    "limit-event-create": (_limits, "POST /api/events per client address"),
    "limit-events": (_limits, "each Socket.IO event, per user and event"),
    "limit-signal": (_limits, "signal messages per user (bursts at call set-up)"),
    "limit-chat": (_limits, "chat and notes messages per user"),
    "limit-rest": (_limits, "REST writes (POST/PUT/DELETE) per user"),
    "limit-precall": (_limits, "pre-call checks per user (and at most one at a time)"),
    "limit-code-guesses": (_limits, "event:join with a wrong code, per user"),
    "limit-ice": (_limits, "GET /api/ice (TURN credentials) per user"),
    "limit-suggest": (
        _limits,
        "POST /api/skills/suggest and GET /api/mentors?q= per client address",
    ),
    "metrics-token": (
        str,
        "GET /metrics from anywhere with 'Authorization: Bearer TOKEN' (prefer the env var "
        "MB_METRICS_TOKEN); without it only loopback clients are served",
    ),
    "limit-directory": (_limits, "GET /api/mentors without q (a page), per client address"),
    "limit-records": (_limits, "GET /api/sessions/{id} (JSON or Markdown) per user"),
    "public-url": (_public_url, "the origin people use, e.g. https://mentors.example.org"),
    "oidc-issuer": (str, "OpenID Connect issuer URL of the organisation's sign-in"),
    "oidc-client-id": (str, "OpenID Connect client id registered for this server"),
    "oidc-client-secret": (str, "its client secret (prefer the env var MB_OIDC_CLIENT_SECRET)"),
    "oidc-allowed-domains": (_urls, "only e-mails of these domains may sign in, comma separated"),
    "oidc-required": (_on_off, "on: organisation sign-in only (no guests, no passkeys)"),
    "oidc-label": (str, "what the sign-in button names, e.g. 'Acme'"),
}


# What an unset flag means, where "none" would not say it.
_UNSET = {
    "redis-url": "an embedded redis-server in --data-dir",
    "skills-file": "the built-in catalog",
    "web-dir": "web/ beside the server package",
    "turn-secret": "none: TURN URLs are handed out without credentials",
    "public-url": "http://HOST:PORT, localhost for a loopback bind",
    "oidc-issuer": "none: no organisation sign-in",
    "metrics-token": "none: /metrics for loopback clients only",
}


def _shown(flag: str, value: Any) -> str:
    if value is None or value == ():
        return _UNSET.get(flag, "none")
    if isinstance(value, tuple):
        return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the ``serve`` flags; defaults stay None so env and dataclass defaults apply."""
    defaults = Config()
    for flag, (kind, help_text) in _FLAGS.items():
        shown = _shown(flag, getattr(defaults, flag.replace("-", "_")))
        parser.add_argument(
            f"--{flag}",
            type=kind,
            default=None,
            metavar=flag.split("-")[-1].upper(),
            help=f"{help_text} (default: {shown}; env MB_{flag.replace('-', '_').upper()})",
        )


def config_from(args: argparse.Namespace | None, env: Mapping[str, str]) -> Config:
    """Flags win over ``MB_*`` env vars, which win over the defaults."""
    values: dict[str, Any] = {}
    for flag, (kind, _help) in _FLAGS.items():
        attr = flag.replace("-", "_")
        given = getattr(args, attr, None) if args is not None else None
        if given is None:
            raw = env.get("MB_" + attr.upper())
            if attr == "redis_url" and raw is None:
                raw = env.get("REDIS_URL")
            if raw is not None and raw != "":
                given = kind(raw)
        if given is not None:
            values[attr] = given
    secret = env.get("MB_SECRET")
    if secret:
        values["secret"] = secret
    return Config(**values)


def parse_serve_args(argv: Sequence[str], env: Mapping[str, str]) -> Config:
    parser = argparse.ArgumentParser(prog="mentorburst serve")
    add_serve_arguments(parser)
    return config_from(parser.parse_args(list(argv)), env)
