"""In-call chat: messages kept with their session, in one order, delivered to every socket of
both people.

``chat_send.lua`` checks the sender and the session's state and appends in the same step, so the
session's list is the conversation's one order; each message carries its place in it (``seq``).
Messages from one socket arrive in the order sent (a socket's events are handled one at a
time); two people sending at the same instant through different nodes may be delivered in
either order, so a client places messages by ``seq``, as the session record lists them.
"""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

from server.domain.accounts.users import new_id
from server.protocol.errors import Conflict, Forbidden
from server.protocol.notifier import Notifier
from server.protocol.outbound import ChatMessage
from server.store import keys
from server.store.scripts import Lua

MAX_TEXT = 4000


class Chat:
    def __init__(self, redis: Redis, lua: Lua, notifier: Notifier) -> None:
        self._redis = redis
        self._lua = lua
        self._notifier = notifier

    async def send(self, sender: str, session_id: str, text: str) -> dict[str, Any]:
        """Keep the message and deliver it to both people; returns it as the ack shows it."""
        message_id = new_id("m")
        reply = await self._lua(self._lua.scripts.chat_send, session_id, sender, text, message_id)
        if reply[0] == "err":
            if reply[1] == "chat_full":
                raise Conflict("This call's chat is full.", code="chat_full")
            raise Forbidden("You are not in that session.", code="not_in_session")
        _, seq, mentee, mentor, at = reply
        delivered = ChatMessage(
            session_id=session_id,
            id=message_id,
            seq=int(seq),
            sender=sender,
            text=text,
            at=int(at),
        )
        for user_id in (mentee, mentor):
            await self._notifier.to_user(user_id, delivered)
        return {"id": message_id, "seq": int(seq), "from": sender, "text": text, "at": int(at)}

    async def messages(self, session_id: str) -> list[dict[str, Any]]:
        """The session's chat, oldest first."""
        return [json.loads(raw) for raw in await self._redis.lrange(keys.chat(session_id), 0, -1)]
