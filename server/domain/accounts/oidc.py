"""OpenID Connect, the relying-party side, with authlib: discovery, the authorization URL
(code flow, PKCE S256, state and nonce), the code exchange, and the ID token's checks
(signature against the provider's JWKS, issuer, audience, expiry, nonce).

Every refusal is an :class:`OidcRefused` with its own code, so a person (and an operator reading
the logs) learns which check failed.
"""

from __future__ import annotations

from typing import Any

import httpx2
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.errors import (
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
)
from joserfc.jwk import KeySet

from server.protocol.errors import MentorburstError, Unavailable
from server.runtime.clock import Clock
from server.runtime.config import Config

SCOPE = "openid email profile"
LEEWAY_SECONDS = 60
_CLAIM_CODES = {
    "iss": ("oidc_issuer", "The ID token was issued by another provider than the one configured."),
    "aud": ("oidc_audience", "The ID token was issued for another application."),
    "azp": ("oidc_audience", "The ID token was issued for another application."),
    "nonce": ("oidc_nonce", "The ID token does not answer this sign-in (nonce mismatch)."),
    "exp": ("oidc_expired", "The ID token has expired. Sign in again."),
}


class OidcRefused(MentorburstError):
    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


def callback_url(config: Config) -> str:
    """The redirect URI to register at the provider: the web client finishes the sign-in."""
    return f"{config.origin}/oidc/callback"


def verify_id_token(
    id_token: str,
    *,
    jwks: dict[str, Any],
    issuer: str,
    client_id: str,
    nonce: str,
    now_s: int,
    algorithms: list[str],
    access_token: str | None = None,
) -> dict[str, Any]:
    """The ID token's claims, once its signature, issuer, audience, expiry and nonce hold."""
    try:
        key_set = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        token = jwt.decode(id_token, key_set, algorithms=algorithms)
    except InvalidKeyIdError:
        raise
    except (JoseError, ValueError) as exc:
        raise OidcRefused(
            "oidc_signature", f"The ID token's signature does not verify ({exc})."
        ) from None
    claims = CodeIDToken(
        token.claims,
        token.header,
        {
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": client_id},
        },
        {"nonce": nonce, "client_id": client_id, "access_token": access_token},
    )
    try:
        claims.validate(now=now_s, leeway=LEEWAY_SECONDS)
    except ExpiredTokenError:
        raise OidcRefused(*_CLAIM_CODES["exp"]) from None
    except ClaimError as exc:
        code, message = _CLAIM_CODES.get(
            exc.claim, ("oidc_claims", f"The ID token's '{exc.claim}' claim is missing or wrong.")
        )
        raise OidcRefused(code, message) from None
    return dict(claims)


class OidcClient:
    """One configured provider. Its metadata and keys are fetched once and kept; the keys are
    fetched again when a token names a key we do not know (the provider rotated)."""

    def __init__(self, config: Config, clock: Clock) -> None:
        assert config.oidc_issuer and config.oidc_client_id
        self.issuer = config.oidc_issuer.rstrip("/")
        self._config = config
        self._client_id = config.oidc_client_id
        self._clock = clock
        self._metadata: dict[str, Any] | None = None
        self._jwks: dict[str, Any] | None = None

    def _session(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self._client_id,
            client_secret=self._config.oidc_client_secret,
            scope=SCOPE,
            redirect_uri=callback_url(self._config),
            code_challenge_method="S256",
            timeout=10,
        )

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            url = f"{self.issuer}/.well-known/openid-configuration"
            metadata = OpenIDProviderMetadata(await self._get_json(url))
            if metadata.get("issuer", "").rstrip("/") != self.issuer:
                raise OidcRefused(
                    "oidc_issuer",
                    f"The provider at {self.issuer} calls itself {metadata.get('issuer')!r}.",
                )
            self._metadata = dict(metadata)
        return self._metadata

    async def authorize_url(self, state: str, nonce: str, verifier: str) -> str:
        endpoint = (await self.metadata())["authorization_endpoint"]
        async with self._session() as session:
            url, _ = session.create_authorization_url(
                endpoint, state=state, nonce=nonce, code_verifier=verifier
            )
        return str(url)

    async def exchange(self, code: str, verifier: str) -> dict[str, Any]:
        """Trade the authorization code (and the PKCE verifier) for tokens."""
        endpoint = (await self.metadata())["token_endpoint"]
        try:
            async with self._session() as session:
                token = await session.fetch_token(endpoint, code=code, code_verifier=verifier)
        except OAuthError as exc:
            raise OidcRefused(
                "oidc_provider", f"The provider refused the sign-in ({exc.error})."
            ) from None
        except httpx2.HTTPError as exc:
            raise Unavailable(
                f"The sign-in provider can't be reached ({exc}).", code="oidc_unavailable"
            ) from None
        if "id_token" not in token:
            raise OidcRefused("oidc_provider", "The provider sent no ID token.")
        return dict(token)

    async def claims(self, token: dict[str, Any], nonce: str) -> dict[str, Any]:
        metadata = await self.metadata()
        algorithms = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        for fresh in (False, True):
            try:
                return verify_id_token(
                    token["id_token"],
                    jwks=await self._keys(fresh),
                    issuer=self.issuer,
                    client_id=self._client_id,
                    nonce=nonce,
                    now_s=self._clock.now_ms() // 1000,
                    algorithms=list(algorithms),
                    access_token=token.get("access_token"),
                )
            except InvalidKeyIdError:
                continue
        raise OidcRefused(
            "oidc_signature", "The ID token is signed with a key the provider does not publish."
        )

    async def profile(self, token: dict[str, Any], claims: dict[str, Any]) -> dict[str, Any]:
        """The ID token's claims, completed from the userinfo endpoint when the provider keeps
        name and e-mail there (as a conformant provider does when it issues an access token).
        Userinfo counts only for the same ``sub``."""
        if "email" in claims and "name" in claims:
            return claims
        endpoint = (await self.metadata()).get("userinfo_endpoint")
        if not endpoint or not token.get("access_token"):
            return claims
        info = await self._get_json(
            endpoint, headers={"Authorization": f"Bearer {token['access_token']}"}
        )
        if info.get("sub") != claims.get("sub"):
            raise OidcRefused("oidc_claims", "The provider's userinfo names another person.")
        return {**info, **claims}

    async def _keys(self, fresh: bool) -> dict[str, Any]:
        if self._jwks is None or fresh:
            self._jwks = await self._get_json((await self.metadata())["jwks_uri"])
        return self._jwks

    async def _get_json(self, url: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            async with httpx2.AsyncClient(timeout=10) as http:
                response = await http.get(url, headers=headers)
                response.raise_for_status()
                data = response.json()
        except (httpx2.HTTPError, ValueError) as exc:
            raise Unavailable(
                f"The sign-in provider can't be reached ({exc}).", code="oidc_unavailable"
            ) from None
        if not isinstance(data, dict):
            raise Unavailable("The sign-in provider answered nonsense.", code="oidc_unavailable")
        return data
