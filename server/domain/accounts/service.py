"""The account life cycle the REST edge calls: a guest arrives, keeps the account with a passkey or
an organisation identity, renews its token, signs out everywhere, deletes the account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.domain.accounts.passkeys import Passkeys
from server.domain.accounts.profile import Profiles, profile_of
from server.domain.accounts.signer import Identity
from server.domain.accounts.sso import OrgSignIn
from server.domain.accounts.store import KEPT_KINDS, Account, AccountStore
from server.domain.accounts.tokens import Issued, Tokens
from server.domain.accounts.users import Users
from server.protocol.errors import Forbidden, NotFound, Unauthorized
from server.runtime.config import Config

# Said in the UI and docs/accounts.md: what deleting an account leaves behind, and why.
KEPT_AFTER_DELETE = (
    "Reports you made or that were made about you are kept for moderation, with the account id "
    "but no name. Your past sessions stay in the other person's history as 'Deleted user', "
    "with the question, the call's chat and shared notes, and the stars, but without your "
    "private notes."
)


@dataclass(frozen=True)
class Accounts:
    config: Config
    store: AccountStore
    users: Users
    tokens: Tokens
    profiles: Profiles
    passkeys: Passkeys
    sso: OrgSignIn | None

    def auth_config(self) -> dict[str, Any]:
        """What the landing page offers."""
        return {
            "guests": not self.config.oidc_required,
            "passkeys": not self.config.oidc_required,
            "sso": {"label": self.sso.label} if self.sso else None,
            "kept_after_delete": KEPT_AFTER_DELETE,
        }

    def require_guests_allowed(self) -> None:
        if self.config.oidc_required:
            raise Forbidden(
                f"Sign in with {self.config.oidc_label}: this server only accepts "
                "organisation accounts.",
                code="sso_required",
            )

    def require_sso(self) -> OrgSignIn:
        if self.sso is None:
            raise NotFound(
                "Organisation sign-in is not set up on this server.", code="oidc_disabled"
            )
        return self.sso

    async def guest_login(self, name: str, now_ms: int) -> dict[str, Any]:
        self.require_guests_allowed()
        identity = await self.users.create(name, now_ms)
        return (await self.tokens.issue(identity.user_id)).as_dict()

    async def account(self, identity: Identity) -> Account:
        account = await self.store.get(identity.user_id)
        if account is None:
            raise Unauthorized("This account no longer exists.", code="token_revoked")
        return account

    async def refresh(self, identity: Identity) -> Issued:
        return await self.tokens.issue(identity.user_id)

    async def me(self, account: Account) -> dict[str, Any]:
        """The account page: profile, how the person signs in, what deletion keeps."""
        passkeys = await self.store.passkeys(account.id)
        return {
            **profile_of(account),
            "kind": account.kind,
            "kept": account.kind in KEPT_KINDS,
            "created_at": account.created_at,
            "passkeys": [p.public() for p in passkeys],
            "sso": {"issuer": account.sso_issuer, "email": account.email}
            if account.sso_issuer
            else None,
            "kept_after_delete": KEPT_AFTER_DELETE,
        }

    async def delete(self, account: Account) -> dict[str, Any]:
        await self.store.delete(account.id)
        await self.tokens.close_sockets(account.id)
        return {"ok": True, "kept": KEPT_AFTER_DELETE}
