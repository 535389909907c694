"""A bot's lasting account: its token kept in a file between runs.

The first run signs up as a guest and writes the token (mode 0600); every later run resumes that
account (same reputation and history), renews the token at once and again at half-life while it
runs, and rewrites the file each time. A token only renews while it is valid, so a bot that stays
off longer than the server's token lifetime (``--token-ttl-seconds``) has to start over.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

from peer.client import MentorburstClient, ProtocolError


class TokenFileError(RuntimeError):
    pass


class TokenFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> str | None:
        if not self.path.exists():
            return None
        return self.path.read_text().strip() or None

    def write(self, token: str) -> None:
        """Atomically, readable by the owner only: the file is a password."""
        partial = self.path.with_name(self.path.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(token + "\n")
        os.replace(partial, self.path)

    async def sign_in(self, client: MentorburstClient, name: str) -> None:
        """Resume the saved account (and renew its token), or sign up and save a new one."""
        token = self.read()
        if token is None:
            await client.login(name)
        else:
            try:
                await client.resume(token)
                await client.refresh()
            except ProtocolError as exc:
                raise TokenFileError(
                    f"the token in {self.path} no longer works ({exc}); remove the file to "
                    "start a new account"
                ) from None
        assert client.token is not None
        self.write(client.token)

    async def keep_renewed(self, client: MentorburstClient) -> None:
        """Renew at half-life for as long as the bot runs; a failed renewal retries sooner."""
        while True:
            await asyncio.sleep(max(5.0, (client.expires_in_s or 3600) / 2))
            with contextlib.suppress(ProtocolError, OSError):
                await client.refresh()
                assert client.token is not None
                self.write(client.token)
