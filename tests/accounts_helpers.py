"""REST calls for the account stories: status and JSON, whatever the status."""

from __future__ import annotations

from typing import Any

import aiohttp


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
