"""Bearer tokens with server-side revocation and renewal.

A token is signed and expires (``server.domain.accounts.signer``); it also carries the account's token epoch at
issue. Raising the epoch ("sign out everywhere", deleting the account) revokes every older token
at once, on every node, because every REST call and socket checks it against Redis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.domain.accounts.signer import Identity, TokenSigner
from server.domain.accounts.store import AccountStore
from server.protocol.errors import Unauthorized
from server.runtime.clock import Clock
from server.runtime.hooks import Hook

REVOKED = "You were signed out (everywhere, or your account was deleted). Sign in again."


@dataclass(frozen=True)
class Issued:
    token: str
    user_id: str
    name: str
    expires_at: int
    now: int

    def as_dict(self) -> dict[str, Any]:
        """The login answer: the contract's ``token`` and ``user``, plus when to renew."""
        return {
            "token": self.token,
            "user": {"id": self.user_id, "name": self.name},
            "expires_at": self.expires_at,
            "expires_in_s": round((self.expires_at - self.now) / 1000),
        }


class Tokens:
    def __init__(self, signer: TokenSigner, store: AccountStore, clock: Clock) -> None:
        self._signer = signer
        self._store = store
        self._clock = clock
        # Every token of this user (id) stopped passing: their open sockets, on any node, close.
        self.revoked: Hook[str] = Hook("tokens.revoked")
        # This one token (id) was signed out: every node closes the sockets opened with it.
        self.signed_out: Hook[str] = Hook("tokens.signed_out")

    async def issue(self, user_id: str) -> Issued:
        """A fresh token for an existing account, at its current epoch and name."""
        account = await self._store.get(user_id)
        if account is None:
            raise Unauthorized("This account no longer exists.", code="token_revoked")
        now = self._clock.now_ms()
        identity = Identity(account.id, account.name, account.epoch)
        return Issued(
            self._signer.issue(identity, now),
            account.id,
            account.name,
            now + self._signer.ttl_ms,
            now,
        )

    async def verify(self, token: object) -> Identity:
        """Signature, expiry, then the epoch: a revoked token fails like an expired one."""
        identity = self._signer.verify(token, self._clock.now_ms())
        if not await self.current(identity):
            raise Unauthorized(REVOKED, code="token_revoked")
        return identity

    async def current(self, identity: Identity) -> bool:
        return await self._store.token_valid(identity.user_id, identity.epoch, identity.token_id)

    async def sign_out(self, identity: Identity) -> None:
        """This token only (this browser): it stops passing at once, and every node closes the
        sockets opened with it when it hears so."""
        await self._store.revoke_token(identity.token_id, identity.expires_at, self._clock.now_ms())
        if identity.token_id:
            await self.signed_out(identity.token_id)

    async def bearer(self, header: str | None) -> Identity:
        if not header or not header.startswith("Bearer "):
            raise Unauthorized("Send 'Authorization: Bearer <token>'.")
        return await self.verify(header[len("Bearer ") :].strip())

    async def revoke_all(self, user_id: str) -> None:
        """Sign out everywhere: every token issued so far stops working; sockets close."""
        await self._store.bump_epoch(user_id)
        await self.close_sockets(user_id)

    async def close_sockets(self, user_id: str) -> None:
        """Tell each of the user's sockets why, then close them (their tokens no longer pass)."""
        await self.revoked(user_id)
