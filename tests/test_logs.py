"""An operator feeds the server's log to a pipeline: one JSON object a line, with the node, user
and session each line is about, and never a token or what someone typed."""

from __future__ import annotations

import json
from pathlib import Path

from redis.asyncio import Redis

from peer.client import MentorburstClient
from tests.helpers import ask, go_online
from tests.processes import serve

QUESTION = "Where does my event loop block? (private words 7f3a)"


async def test_json_logs_parse_and_name_node_user_and_session(
    redis: Redis, redis_url: str, tmp_path: Path
) -> None:
    async with serve(
        tmp_path, "--log-format", "json", "--log-level", "debug", redis_url=redis_url
    ) as node:
        mentee = await MentorburstClient.signed_in(node.url, "Ada")
        mentor = await MentorburstClient.signed_in(node.url, "Grace")
        try:
            await ask(mentee, "python", QUESTION)
            await go_online(mentor, "python")
            sid = (await mentee.next("session:matched"))["session_id"]
            await mentee.must("session:leave", {"session_id": sid})
            await mentor.next("session:ended")
            bad = await mentee.call("signal", {"session_id": "s_none", "type": "offer", "data": {}})
            assert bad["error"]["code"] == "not_in_session"
        finally:
            await mentee.close()
            await mentor.close()
        assert await node.stop() == 0
        text = node.stderr()

    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert records, "no log lines at all"
    for record in records:
        assert {"ts", "level", "logger", "msg"} <= set(record), record
    nodes = {r.get("node") for r in records if r["logger"].startswith("server")}
    assert len(nodes - {None}) == 1
    mine = {mentee.user_id, mentor.user_id}
    assert mine <= {r.get("user_id") for r in records}
    assert any(r.get("session_id") == sid and r.get("user_id") == mentee.user_id for r in records)
    assert any("not_in_session" in r["msg"] and r.get("session_id") == "s_none" for r in records)
    for secret in (mentee.token, mentor.token, "private words 7f3a"):
        assert secret and secret not in text
