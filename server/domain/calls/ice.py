"""ICE servers handed to peers. Nothing by default: on loopback and LAN host candidates connect,
and a public STUN server that cannot be reached would only stall gathering."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from server.runtime.config import Config


def ice_servers(config: Config, user_id: str, now_ms: int) -> list[dict[str, Any]]:
    servers: list[dict[str, Any]] = []
    if config.stun_urls:
        servers.append({"urls": list(config.stun_urls)})
    if config.turn_urls:
        entry: dict[str, Any] = {"urls": list(config.turn_urls)}
        if config.turn_secret:
            # TURN REST API (draft-uberti-behave-turn-rest): username "<expiry>:<user>",
            # credential base64(HMAC-SHA1(secret, username)); coturn's use-auth-secret.
            expires = now_ms // 1000 + int(config.turn_ttl_seconds)
            username = f"{expires}:{user_id}"
            digest = hmac.new(config.turn_secret.encode(), username.encode(), hashlib.sha1).digest()
            entry["username"] = username
            entry["credential"] = base64.b64encode(digest).decode()
        servers.append(entry)
    return servers
