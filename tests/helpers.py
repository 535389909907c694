"""Small steps the stories share."""

from __future__ import annotations

from typing import Any

from peer.client import MentorburstClient


async def go_online(
    mentor: MentorburstClient, *skills: str, minutes: int = 30, **extra: Any
) -> dict[str, Any]:
    return await mentor.must(
        "mentor:online", {"skills": list(skills or ("python",)), "minutes": minutes, **extra}
    )


async def ask(
    mentee: MentorburstClient,
    skill: str = "python",
    question: str = "How do I profile asyncio code?",
) -> dict[str, Any]:
    return await mentee.must("mentee:join", {"skill": skill, "question": question})


async def matched_pair(
    mentor: MentorburstClient, mentee: MentorburstClient, skill: str = "python"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Mentor goes online, mentee asks; returns both session:matched payloads."""
    await go_online(mentor, skill)
    await ask(mentee, skill)
    return await mentor.next("session:matched"), await mentee.next("session:matched")


async def start_call(
    mentor: MentorburstClient, mentee: MentorburstClient, session_id: str
) -> dict[str, Any]:
    """Both report media flowing; returns the mentee's session:started."""
    await mentee.must("session:connected", {"session_id": session_id})
    await mentor.must("session:connected", {"session_id": session_id})
    await mentor.next("session:started")
    return await mentee.next("session:started")


async def finished_call(
    mentor: MentorburstClient, mentee: MentorburstClient, skill: str = "python"
) -> str:
    """Match, connect, and let the countdown run out; returns the session id."""
    to_mentor, _ = await matched_pair(mentor, mentee, skill)
    sid: str = to_mentor["session_id"]
    await start_call(mentor, mentee, sid)
    await mentee.next("session:ended", timeout=5)
    await mentor.next("session:ended", timeout=5)
    return sid
