"""Operators configure the server with flags or MB_* variables; flags win."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.runtime.config import Config, parse_serve_args


def test_defaults_match_the_contract() -> None:
    config = parse_serve_args([], {})
    assert config == Config()
    assert (config.session_seconds, config.connect_grace_seconds, config.decline_seconds) == (
        900,
        30,
        15,
    )
    assert (config.rating_seconds, config.mentor_cooldown_seconds, config.warn_at) == (
        600,
        60,
        (60, 10),
    )
    assert config.redis_url is None and config.data_dir == Path(".mentorburst")


def test_env_vars_apply_and_flags_win() -> None:
    env = {
        "MB_SESSION_SECONDS": "300",
        "MB_WARN_AT": "10,120",
        "REDIS_URL": "redis://r:6379/1",
        "MB_PORT": "9000",
        "MB_SECRET": "s",
    }
    config = parse_serve_args(["--port", "9100", "--decline-seconds", "5"], env)
    assert config.session_seconds == 300 and config.warn_at == (120, 10)
    assert config.redis_url == "redis://r:6379/1" and config.port == 9100
    assert config.decline_seconds == 5 and config.secret == "s"
    assert (
        parse_serve_args(["--redis-url", "redis://x"], {"MB_REDIS_URL": "redis://y"}).redis_url
        == "redis://x"
    )


def test_nonsense_flags_are_refused() -> None:
    with pytest.raises(SystemExit):
        parse_serve_args(["--session-seconds", "-5"], {})
    with pytest.raises(SystemExit):
        parse_serve_args(["--port", "eighty"], {})
