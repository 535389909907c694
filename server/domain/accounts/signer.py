"""Signed, expiring bearer tokens (HMAC-SHA256): the stateless half of identity. The stateful
half (the per-user token epoch that revokes every older token) is checked by
``server.domain.accounts.tokens``, which every REST call and socket goes through."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from server.protocol.errors import Unauthorized


@dataclass(frozen=True)
class Identity:
    user_id: str
    name: str
    # The account's token epoch when the token was issued; a later epoch revokes it.
    epoch: int = 0
    expires_at: int = 0
    # This token's own id, so one device's sign-out revokes only its token.
    token_id: str = ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_secret(configured: str | None, data_dir: Path) -> bytes:
    """MB_SECRET if given, else one generated once and kept in the data dir (mode 0600)."""
    if configured:
        return configured.encode()
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_bytes().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(secret)
    return secret


class TokenSigner:
    def __init__(self, secret: bytes, ttl_seconds: float) -> None:
        self._secret = secret
        self._ttl_ms = round(ttl_seconds * 1000)

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode(), hashlib.sha256).digest())

    @property
    def ttl_ms(self) -> int:
        return self._ttl_ms

    def issue(self, identity: Identity, now_ms: int, ttl_ms: int | None = None) -> str:
        claims = {
            "sub": identity.user_id,
            "name": identity.name,
            "ep": identity.epoch,
            "exp": now_ms + (self._ttl_ms if ttl_ms is None else ttl_ms),
            "jti": secrets.token_urlsafe(12),
        }
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{body}.{self._mac(body)}"

    def verify(self, token: object, now_ms: int) -> Identity:
        if (
            not isinstance(token, str)
            or not token.isascii()
            or token.count(".") != 1
            or len(token) > 1024
        ):
            raise Unauthorized("A valid token is required; log in again.")
        body, mac = token.split(".")
        if not hmac.compare_digest(mac, self._mac(body)):
            raise Unauthorized("A valid token is required; log in again.")
        try:
            claims = json.loads(_unb64(body))
            user_id, name, expires = str(claims["sub"]), str(claims["name"]), int(claims["exp"])
            epoch = int(claims.get("ep", 0))
            token_id = str(claims.get("jti", ""))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise Unauthorized("A valid token is required; log in again.") from exc
        if expires < now_ms:
            raise Unauthorized("Your login has expired; log in again.", code="token_expired")
        return Identity(user_id, name, epoch, expires, token_id)

    def bearer(self, header: str | None, now_ms: int) -> Identity:
        if not header or not header.startswith("Bearer "):
            raise Unauthorized("Send 'Authorization: Bearer <token>'.")
        return self.verify(header[len("Bearer ") :].strip(), now_ms)
