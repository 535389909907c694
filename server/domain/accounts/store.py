"""What an account is in Redis, and its guarded transitions.

``mb:user:{uid}`` holds the account (name, kind, token epoch, profile, the WebAuthn user handle,
the organisation identity); passkeys and the two indexes that find an account from a passkey or
an organisation identity have keys of their own (``server/store/keys.py``). Every transition that
touches more than one of these keys is one Lua script (``server/store/lua/account_*.lua``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from redis.asyncio import Redis

from server.domain.accounts.users import DELETED_NAME
from server.protocol.errors import Conflict, NotFound
from server.store import keys
from server.store.account_scripts import AccountScripts

# guest: name only, may expire when unused (issue 11); the others are kept, never expired.
Kind = Literal["guest", "passkey", "sso"]
KEPT_KINDS = ("passkey", "sso")


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    kind: str
    epoch: int
    created_at: int
    headline: str = ""
    expertise: str = ""
    skills: list[str] = field(default_factory=list)
    email: str = ""
    sso_issuer: str = ""
    webauthn_handle: str = ""
    wont_cover: str = ""

    @classmethod
    def from_hash(cls, uid: str, h: dict[str, str]) -> Account:
        return cls(
            id=uid,
            name=h.get("name", ""),
            kind=h.get("kind", "guest"),
            epoch=int(h.get("epoch") or 0),
            created_at=int(h.get("created_at") or 0),
            headline=h.get("headline", ""),
            expertise=h.get("expertise", ""),
            skills=[s for s in h.get("profile_skills", "").split(",") if s],
            email=h.get("email", ""),
            sso_issuer=h.get("sso_issuer", ""),
            webauthn_handle=h.get("webauthn_handle", ""),
            wont_cover=h.get("wont_cover", ""),
        )


@dataclass(frozen=True)
class Passkey:
    id: str  # the credential id, base64url
    label: str
    public_key: str  # COSE, base64url
    sign_count: int
    created_at: int
    last_used_at: int | None = None
    transports: list[str] = field(default_factory=list)
    backed_up: bool = False

    def public(self) -> dict[str, Any]:
        """What the account page shows: never the key itself."""
        return {
            "id": self.id,
            "label": self.label,
            "created_at": self.created_at,
            "last_used_at": self.last_used_at,
            "synced": self.backed_up,
        }


class AccountStore:
    def __init__(self, redis: Redis, scripts: AccountScripts) -> None:
        self._redis = redis
        self._scripts = scripts

    async def get(self, uid: str) -> Account | None:
        if not uid or len(uid) > 64:
            return None
        h = await self._redis.hgetall(keys.user(uid))
        return Account.from_hash(uid, h) if h.get("name") is not None else None

    async def epoch(self, uid: str) -> int | None:
        """The account's token epoch; None when the account is gone."""
        name, epoch = await self._redis.hmget(keys.user(uid), "name", "epoch")
        return None if name is None else int(epoch or 0)

    async def token_valid(self, uid: str, epoch: int, token_id: str) -> bool:
        """The account exists at this epoch and this one token was not signed out (one read)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hmget(keys.user(uid), "name", "epoch")
            pipe.exists(keys.revoked_token(token_id or "-"))
            (name, current), revoked = await pipe.execute()
        return name is not None and int(current or 0) == epoch and not revoked

    async def revoke_token(self, token_id: str, until_ms: int, now_ms: int) -> None:
        """Sign one token out; the mark lasts as long as the token would have."""
        if token_id:
            await self._redis.set(keys.revoked_token(token_id), 1, px=max(1, until_ms - now_ms))

    async def bump_epoch(self, uid: str) -> int:
        """Revoke every token issued so far (sign out everywhere)."""
        if not await self._redis.hexists(keys.user(uid), "name"):
            raise NotFound("No such account.")
        return int(await self._redis.hincrby(keys.user(uid), "epoch", 1))

    async def update_profile(self, uid: str, values: dict[str, str]) -> None:
        await self._redis.hset(keys.user(uid), mapping=values)

    async def ensure_webauthn_handle(self, uid: str, candidate: str) -> str:
        """The account's one WebAuthn user handle, fixed the first time a passkey is offered."""
        await self._redis.hsetnx(keys.user(uid), "webauthn_handle", candidate)
        return str(await self._redis.hget(keys.user(uid), "webauthn_handle"))

    # -- passkeys ------------------------------------------------------------------------------

    async def passkeys(self, uid: str) -> list[Passkey]:
        raw = await self._redis.hgetall(keys.passkeys(uid))
        found = [Passkey(id=cid, **json.loads(value)) for cid, value in raw.items()]
        return sorted(found, key=lambda p: p.created_at)

    async def passkey(self, uid: str, credential_id: str) -> Passkey | None:
        raw = await self._redis.hget(keys.passkeys(uid), credential_id)
        return Passkey(id=credential_id, **json.loads(raw)) if raw else None

    async def passkey_owner(self, credential_id: str) -> str | None:
        if len(credential_id) > 1400:  # 1023 bytes at most, base64url
            return None
        owner = await self._redis.get(keys.credential(credential_id))
        return str(owner) if owner else None

    async def add_passkey(self, uid: str, passkey: Passkey, handle: str) -> str:
        """Store it; returns the account's kind afterwards (a guest becomes 'passkey')."""
        record = {k: v for k, v in asdict(passkey).items() if k != "id"}
        status, detail = await self._scripts.call(
            self._scripts.add_passkey, uid, passkey.id, json.dumps(record), handle
        )
        if status == "err" and detail == "passkey_exists":
            raise Conflict("This passkey is already registered.", code="passkey_exists")
        if status == "err":
            raise NotFound("No such account.")
        return detail

    async def touch_passkey(self, uid: str, passkey: Passkey, sign_count: int, now: int) -> None:
        record = {k: v for k, v in asdict(passkey).items() if k != "id"}
        record.update(sign_count=sign_count, last_used_at=now)
        await self._redis.hset(keys.passkeys(uid), passkey.id, json.dumps(record))

    async def remove_passkey(self, uid: str, credential_id: str) -> None:
        status, detail = await self._scripts.call(self._scripts.remove_passkey, uid, credential_id)
        if status == "ok":
            return
        if detail == "last_sign_in":
            raise Conflict(
                "This is your only way back into this account. Add another passkey first, "
                "or delete the account.",
                code="last_sign_in",
            )
        raise NotFound("No such passkey on your account.")

    # -- organisation identity -----------------------------------------------------------------

    async def link_sso(
        self,
        *,
        digest: str,
        sub: str,
        link_uid: str | None,
        new_uid: str,
        name: str,
        issuer: str,
        email: str,
    ) -> tuple[str, str]:
        """(outcome, uid): 'existing' (this identity's account), 'linked' (to ``link_uid``) or
        'created' (a new kept account)."""
        outcome, uid = await self._scripts.call(
            self._scripts.link_sso, digest, sub, link_uid or "", new_uid, name, issuer, email
        )
        if outcome == "err":
            raise Conflict(
                "This account is already linked to another organisation identity.",
                code="identity_taken",
            )
        return outcome, uid

    async def delete(self, uid: str) -> None:
        status, *detail = await self._scripts.call(self._scripts.delete, uid, DELETED_NAME)
        if status == "ok":
            return
        if detail and detail[0] == "account_busy":
            raise Conflict(
                "Finish what you're doing first: leave the queue, go offline, end your call "
                "or leave the event, then delete the account.",
                code="account_busy",
            )
        raise NotFound("No such account.")
