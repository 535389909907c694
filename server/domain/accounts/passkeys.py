"""Passkeys (WebAuthn) with py_webauthn: register one on the signed-in account, sign in with any
of them later. The relying party is ``Config.origin`` (``--public-url``), so it works behind a
proxy. Each ceremony's challenge lives in Redis for a few minutes and is used once.

Passkeys are the only factor, so user verification (PIN, fingerprint, face) is required, and
they are discoverable credentials: "Sign in with a passkey" needs no name first.
"""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import urlsplit

from redis.asyncio import Redis
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from server.domain.accounts.store import Account, AccountStore, Passkey
from server.protocol.errors import InvalidPayload, Unauthorized
from server.runtime.clock import Clock
from server.runtime.config import Config
from server.store import keys

CEREMONY_SECONDS = 300
RP_NAME = "mentorburst"


class PasskeyRefused(InvalidPayload):
    code = "passkey_invalid"


# What each answer's ``response`` must hold (WebAuthn Level 3, the *ResponseJSON dictionaries):
# required strings, then optional fields and the JSON type each must have when present.
REGISTRATION_FIELDS: tuple[tuple[str, ...], dict[str, type]] = (
    ("clientDataJSON", "attestationObject"),
    {"transports": list},
)
AUTHENTICATION_FIELDS: tuple[tuple[str, ...], dict[str, type]] = (
    ("clientDataJSON", "authenticatorData", "signature"),
    {"userHandle": str},
)


def well_formed(
    credential: dict[str, Any], fields: tuple[tuple[str, ...], dict[str, type]]
) -> dict[str, Any]:
    """The credential's ``response``, once its shape is right: a malformed answer is bad input
    (400 ``invalid_payload``), told apart from a well-formed one that fails verification."""
    response = credential.get("response")
    if not isinstance(response, dict):
        raise InvalidPayload("credential.response: must be an object.")
    required, optional = fields
    for name in required:
        if not isinstance(response.get(name), str):
            raise InvalidPayload(f"credential.response.{name}: must be a string.")
    for name, kind in optional.items():
        value = response.get(name)
        if value is not None and not isinstance(value, kind):
            raise InvalidPayload(f"credential.response.{name}: must be a {kind.__name__}.")
    if not all(isinstance(t, str) for t in response.get("transports") or []):
        raise InvalidPayload("credential.response.transports: must be strings.")
    return response


class Passkeys:
    def __init__(self, redis: Redis, store: AccountStore, config: Config, clock: Clock) -> None:
        self._redis = redis
        self._store = store
        self._clock = clock
        self.origin = config.origin
        self.rp_id = urlsplit(config.origin).hostname or "localhost"

    async def registration_options(self, account: Account) -> dict[str, Any]:
        handle = await self._handle(account.id)
        existing = await self._store.passkeys(account.id)
        options = generate_registration_options(
            rp_id=self.rp_id,
            rp_name=RP_NAME,
            user_id=base64url_to_bytes(handle),
            user_name=account.email or account.name,
            user_display_name=account.name,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
            exclude_credentials=[
                PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.id)) for p in existing
            ],
        )
        ceremony = await self._begin("register", options.challenge, account.id)
        return {"ceremony_id": ceremony, "options": json.loads(options_to_json(options))}

    async def register(
        self, account: Account, ceremony_id: str, credential: dict[str, Any], label: str
    ) -> tuple[Passkey, str]:
        """Verify the authenticator's answer and keep the passkey; returns it and the kind."""
        challenge = await self._take(ceremony_id, "register", account.id)
        response = well_formed(credential, REGISTRATION_FIELDS)
        try:
            verified = verify_registration_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=self.rp_id,
                expected_origin=self.origin,
                require_user_verification=True,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            raise PasskeyRefused(f"The passkey could not be verified: {exc}") from None
        transports = response.get("transports") or []
        count = len(await self._store.passkeys(account.id))
        passkey = Passkey(
            id=bytes_to_base64url(verified.credential_id),
            label=label or f"Passkey {count + 1}",
            public_key=bytes_to_base64url(verified.credential_public_key),
            sign_count=verified.sign_count,
            created_at=self._clock.now_ms(),
            transports=[str(t) for t in transports][:8],
            backed_up=verified.credential_backed_up,
        )
        kind = await self._store.add_passkey(account.id, passkey, await self._handle(account.id))
        return passkey, kind

    async def _handle(self, user_id: str) -> str:
        """The account's WebAuthn user handle: random, so it says nothing about the person."""
        return await self._store.ensure_webauthn_handle(
            user_id, bytes_to_base64url(secrets.token_bytes(16))
        )

    async def signin_options(self) -> dict[str, Any]:
        options = generate_authentication_options(
            rp_id=self.rp_id, user_verification=UserVerificationRequirement.REQUIRED
        )
        ceremony = await self._begin("signin", options.challenge, "")
        return {"ceremony_id": ceremony, "options": json.loads(options_to_json(options))}

    async def signin(self, ceremony_id: str, credential: dict[str, Any]) -> str:
        """The account a verified passkey assertion belongs to."""
        challenge = await self._take(ceremony_id, "signin", "")
        credential_id = credential.get("id")
        owner = (
            await self._store.passkey_owner(credential_id)
            if isinstance(credential_id, str)
            else None
        )
        passkey = await self._store.passkey(owner, str(credential_id)) if owner else None
        account = await self._store.get(owner) if owner else None
        if passkey is None or account is None:
            raise Unauthorized(
                "This passkey isn't registered here any more. Sign in another way.",
                code="passkey_unknown",
            )
        response = well_formed(credential, AUTHENTICATION_FIELDS)
        handle = response.get("userHandle")
        if handle and handle != account.webauthn_handle:
            raise PasskeyRefused("This passkey belongs to another account.")
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=self.rp_id,
                expected_origin=self.origin,
                credential_public_key=base64url_to_bytes(passkey.public_key),
                credential_current_sign_count=passkey.sign_count,
                require_user_verification=True,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            raise PasskeyRefused(f"The passkey could not be verified: {exc}") from None
        await self._store.touch_passkey(
            account.id, passkey, verified.new_sign_count, self._clock.now_ms()
        )
        return account.id

    async def _begin(self, purpose: str, challenge: bytes, user_id: str) -> str:
        ceremony = secrets.token_urlsafe(18)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                keys.ceremony(ceremony),
                mapping={
                    "purpose": purpose,
                    "challenge": bytes_to_base64url(challenge),
                    "user": user_id,
                },
            )
            pipe.expire(keys.ceremony(ceremony), CEREMONY_SECONDS)
            await pipe.execute()
        return ceremony

    async def _take(self, ceremony_id: str, purpose: str, user_id: str) -> bytes:
        """The ceremony's challenge, once: a replayed or foreign answer finds nothing."""
        found: dict[str, str] = {}
        if 0 < len(ceremony_id) <= 64:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hgetall(keys.ceremony(ceremony_id))
                pipe.delete(keys.ceremony(ceremony_id))
                found, _ = await pipe.execute()
        if found.get("purpose") != purpose or found.get("user", "") != user_id:
            raise InvalidPayload(
                "This passkey request expired or was already used. Try again.",
                code="passkey_ceremony",
            )
        return base64url_to_bytes(found["challenge"])
