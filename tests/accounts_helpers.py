"""REST calls for the account stories (status and JSON, whatever the status), and a passkey
made in Python."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any

import aiohttp
import cbor2
from cryptography.hazmat.primitives.asymmetric import ec


async def api(
    base_url: str,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, base_url + path, json=body, headers=sent) as response,
    ):
        return response.status, await response.json()


def software_passkey(options: dict[str, Any], origin: str) -> dict[str, Any]:
    """A registration answer from a passkey made here: a fresh P-256 key with user presence and
    verification and no attestation (``fmt: none``), as a platform authenticator answers a
    server that asks for none. The server checks it exactly as it checks a browser's."""
    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    cose_key = cbor2.dumps(
        {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
    )
    credential_id = secrets.token_bytes(16)
    flags = 0x01 | 0x04 | 0x40  # user present, user verified, attested credential data
    auth_data = (
        hashlib.sha256(options["rp"]["id"].encode()).digest()
        + bytes([flags])
        + (0).to_bytes(4, "big")
        + bytes(16)  # AAGUID
        + len(credential_id).to_bytes(2, "big")
        + credential_id
        + cose_key
    )
    client_data = json.dumps(
        {"type": "webauthn.create", "challenge": options["challenge"], "origin": origin}
    ).encode()
    attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
    return {
        "id": _b64url(credential_id),
        "rawId": _b64url(credential_id),
        "type": "public-key",
        "response": {
            "clientDataJSON": _b64url(client_data),
            "attestationObject": _b64url(attestation),
            "transports": ["internal"],
        },
        "clientExtensionResults": {},
    }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
