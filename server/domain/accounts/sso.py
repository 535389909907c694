"""Organisation sign-in: one flow from "Sign in with Acme" to an account.

``start`` keeps the flow's secrets (nonce, PKCE verifier) in Redis under its ``state`` for ten
minutes and hands the browser a ``binding`` that only this browser tab holds; the provider sends
the browser back to ``/oidc/callback`` and the web client calls ``finish`` with the code, the
state and that binding. A state that is unknown, used, expired or presented by another browser
(login CSRF) is refused. The identity (issuer, ``sub``) maps to exactly one account.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from server.domain.accounts.oidc import OidcClient, OidcRefused
from server.domain.accounts.store import KEPT_KINDS, AccountStore
from server.domain.accounts.users import new_id
from server.protocol.errors import Conflict, Forbidden
from server.protocol.inbound import clean_line
from server.runtime.config import Config
from server.store import keys

FLOW_SECONDS = 600
STATE_REFUSED = (
    "This sign-in link is not valid here: it expired, was already used, or started in another "
    "browser. Start the sign-in again."
)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    user_id: str
    outcome: str  # existing | linked | created


def _vouched(value: Any) -> bool:
    # Some providers send the boolean as a string ("true").
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def verified_email(claims: dict[str, Any]) -> str:
    """The e-mail address the provider vouches for, else ``""``. Anyone can type an address into
    an account at many providers: without ``email_verified: true`` it says nothing about who
    signed in, so it is never kept, shown, or checked against the allowed domains. Entra ID sends
    no ``email_verified``; its ``xms_edov: true`` (the domain's owner verified it) counts."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        return ""
    if _vouched(claims.get("email_verified")) or _vouched(claims.get("xms_edov")):
        return email.strip()
    return ""


def display_name(claims: dict[str, Any]) -> str:
    """The provider's name for the person, cleaned as every name typed here is; else the local
    part of an e-mail address the provider verified."""
    names = [claims.get(claim) for claim in ("name", "preferred_username", "given_name")]
    email = verified_email(claims)
    if email:
        names.append(email.split("@", 1)[0])
    for value in names:
        if isinstance(value, str) and (name := clean_line(value)):
            return name[:60]
    return "Member"


class OrgSignIn:
    def __init__(
        self, redis: Redis, client: OidcClient, store: AccountStore, config: Config
    ) -> None:
        self._redis = redis
        self._client = client
        self._store = store
        self.label = config.oidc_label
        self._domains = tuple(d.lower().lstrip("@") for d in config.oidc_allowed_domains)

    async def start(self, link_uid: str | None) -> dict[str, str]:
        state, nonce, binding = (secrets.token_urlsafe(32) for _ in range(3))
        verifier = secrets.token_urlsafe(48)
        url = await self._client.authorize_url(state, nonce, verifier)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                keys.oidc_flow(state),
                mapping={
                    "nonce": nonce,
                    "verifier": verifier,
                    "binding": _digest(binding),
                    "link": link_uid or "",
                },
            )
            pipe.expire(keys.oidc_flow(state), FLOW_SECONDS)
            await pipe.execute()
        return {"authorize_url": url, "binding": binding}

    async def finish(self, state: str, code: str, binding: str) -> SignedIn:
        flow = await self._take(state)
        if not flow or not hmac.compare_digest(flow.get("binding", ""), _digest(binding)):
            raise OidcRefused("oidc_state", STATE_REFUSED)
        token = await self._client.exchange(code, flow["verifier"])
        claims = await self._client.profile(token, await self._client.claims(token, flow["nonce"]))
        email = self._allowed_email(claims)
        link = flow.get("link") or None
        outcome, user_id = await self._store.link_sso(
            digest=_digest(self._client.issuer)[:16],
            sub=str(claims["sub"]),
            link_uid=link,
            new_uid=new_id("u"),
            name=display_name(claims),
            issuer=self._client.issuer,
            email=email,
        )
        if link and outcome == "existing" and user_id != link:
            linking = await self._store.get(link)
            if linking is not None and linking.kind in KEPT_KINDS:
                raise Conflict(
                    "This organisation identity already has its own mentorburst account. "
                    "Sign out and sign in with your organisation to use it.",
                    code="identity_taken",
                )
        return SignedIn(user_id, outcome)

    def _allowed_email(self, claims: dict[str, Any]) -> str:
        """The verified address to keep (``""`` if none); with allowed domains, one of them is
        required."""
        email = verified_email(claims)
        if not self._domains:
            return email
        allowed = ", ".join("@" + d for d in self._domains)
        if not email:
            raise Forbidden(
                f"Only {allowed} addresses may sign in here, and your organisation has not "
                "verified an e-mail address for you.",
                code="oidc_domain",
            )
        if email.rsplit("@", 1)[1].lower() not in self._domains:
            raise Forbidden(f"Only {allowed} addresses may sign in here.", code="oidc_domain")
        return email

    async def _take(self, state: str) -> dict[str, str]:
        if not 0 < len(state) <= 128:
            return {}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(keys.oidc_flow(state))
            pipe.delete(keys.oidc_flow(state))
            found, _ = await pipe.execute()
        return dict(found)
