"""Office hours a mentor publishes: one-off or weekly, each in the mentor's own time zone.

Kept as a JSON list in the account hash (``office_hours``), so they live and expire with the
account. A weekly slot is "Tuesdays 18:00 for 60 minutes in Europe/Paris": its next start is
computed in that zone, so it stays at 18:00 local across daylight-saving changes. The feed is
an iCalendar document built with ``icalendar`` (weekly slots as ``RRULE:FREQ=WEEKLY`` with the
zone's ``TZID``), for any calendar app to subscribe to.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import msgspec
from icalendar import Calendar, Event, vText
from msgspec import Meta, Struct
from redis.asyncio import Redis

from server.protocol.errors import InvalidPayload
from server.protocol.inbound import clean_line, person_line
from server.store import keys

MAX_SLOTS = 20
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
_DATETIME = r"^\d{4}-\d{2}-\d{2}T([01][0-9]|2[0-3]):[0-5][0-9]$"


class Slot(Struct, forbid_unknown_fields=True):
    kind: Literal["once", "weekly"]
    tz: Annotated[str, Meta(min_length=1, max_length=64)]
    minutes: Annotated[int, Meta(ge=15, le=480)]
    start: Annotated[str, Meta(pattern=_DATETIME)] | None = None  # once: local date and time
    weekday: Annotated[int, Meta(ge=0, le=6)] | None = None  # weekly: 0 = Monday
    time: Annotated[str, Meta(pattern=_TIME)] | None = None  # weekly: local time
    note: Annotated[str, Meta(description="at most 140 characters after cleaning")] = ""


class HoursUpdate(Struct, forbid_unknown_fields=True):
    hours: Annotated[list[Slot], Meta(max_length=MAX_SLOTS)]


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    if name not in _zones():
        raise InvalidPayload(f"tz: unknown time zone {name[:64]!r} (use e.g. Europe/Paris)")
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        raise InvalidPayload(f"tz: unknown time zone {name[:64]!r}") from None


def check(slot: Slot) -> Slot:
    """The slot, if it is one, with its note cleaned as every name and title is."""
    zone(slot.tz)
    if slot.kind == "once":
        if slot.start is None or slot.weekday is not None or slot.time is not None:
            raise InvalidPayload("a one-off slot has a local 'start' (YYYY-MM-DDTHH:MM) only")
        try:
            datetime.fromisoformat(slot.start)
        except ValueError:
            raise InvalidPayload("start: not a real date") from None
        try:
            # Its start and end as instants, as the view and the feed compute them: a date
            # near year 1 or 9999 runs out of the calendar there (OverflowError).
            first = _first_start(slot)
            (first + timedelta(minutes=slot.minutes)).timestamp()
            first.astimezone(UTC)
        except (OverflowError, ValueError):
            raise InvalidPayload("start: too far in the past or the future") from None
    elif slot.weekday is None or slot.time is None or slot.start is not None:
        raise InvalidPayload("a weekly slot has a 'weekday' (0 = Monday) and a local 'time'")
    return msgspec.structs.replace(slot, note=person_line(slot.note, "note", 0, 140))


def _usable(slot: Slot) -> bool:
    """A stored slot the view can describe (one saved before ``check`` refused dates at the
    calendar's edges would break every page that shows it)."""
    try:
        check(slot)
    except InvalidPayload:
        return False
    return True


def _first_start(slot: Slot) -> datetime:
    """The slot's first (or only) start, in its own zone."""
    tz = zone(slot.tz)
    if slot.kind == "once":
        assert slot.start is not None
        return datetime.fromisoformat(slot.start).replace(tzinfo=tz)
    assert slot.time is not None and slot.weekday is not None
    hour, minute = map(int, slot.time.split(":"))
    anchor = datetime(2024, 1, 1, hour, minute, tzinfo=tz)  # a Monday
    return anchor + timedelta(days=slot.weekday)


def next_start(slot: Slot, now_ms: int) -> int | None:
    """Epoch ms of the next start whose slot has not ended yet (the running one counts)."""
    now = datetime.fromtimestamp(now_ms / 1000, UTC)
    length = timedelta(minutes=slot.minutes)
    first = _first_start(slot)
    if slot.kind == "once":
        return round(first.timestamp() * 1000) if first + length > now else None
    local_now = now.astimezone(zone(slot.tz))
    days = (slot.weekday or 0) - local_now.weekday()
    candidate = local_now.replace(
        hour=first.hour, minute=first.minute, second=0, microsecond=0
    ) + timedelta(days=days)
    # wall-clock arithmetic in the zone: re-attach it so DST shifts keep the local time
    candidate = candidate.replace(tzinfo=None).replace(tzinfo=zone(slot.tz))
    if candidate + length <= now:
        candidate = (candidate.replace(tzinfo=None) + timedelta(days=7)).replace(
            tzinfo=zone(slot.tz)
        )
    return round(candidate.timestamp() * 1000)


def describe(slot: Slot, now_ms: int) -> dict[str, Any]:
    view = msgspec.to_builtins(slot)
    view["next_at"] = next_start(slot, now_ms)
    view["label"] = (
        f"{WEEKDAYS[slot.weekday or 0]}s {slot.time}"
        if slot.kind == "weekly"
        else (slot.start or "").replace("T", " ")
    ) + f" ({slot.tz}, {slot.minutes} min)"
    return dict(view)


def calendar(user_id: str, name: str, slots: list[Slot], now_ms: int) -> bytes:
    """The mentor's office hours as an iCalendar feed. Text goes in as TEXT values, which
    icalendar escapes (RFC 5545: a line break is written ``\\n``, never a new line), and is
    cleaned again here for names and notes stored before they were cleaned on the way in."""
    name = clean_line(name)
    cal = Calendar()
    cal.add("prodid", "-//mentorburst//office hours//EN")
    cal.add("version", "2.0")
    # an X- property is added raw (vUnknown) unless it is given as TEXT
    cal.add("x-wr-calname", vText(f"{name}: office hours"))
    stamp = datetime.fromtimestamp(now_ms / 1000, UTC)
    for i, slot in enumerate(slots):
        start = _first_start(slot)
        if slot.kind == "weekly":
            # the first occurrence from now on, so the series starts in the present
            upcoming = next_start(slot, now_ms)
            if upcoming is not None:
                start = datetime.fromtimestamp(upcoming / 1000, zone(slot.tz))
        event = Event()
        event.add("uid", f"{user_id}-{i}@mentorburst")
        event.add("dtstamp", stamp)
        note = clean_line(slot.note)
        event.add("summary", f"Office hours with {name}" + (f": {note}" if note else ""))
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=slot.minutes))
        if slot.kind == "weekly":
            event.add("rrule", {"freq": "weekly"})
        cal.add_component(event)
    if slots:
        cal.add_missing_timezones()
    return bytes(cal.to_ical())


class OfficeHours:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def set(self, user_id: str, slots: list[Slot]) -> None:
        slots = [check(slot) for slot in slots]
        value = json.dumps([msgspec.to_builtins(s) for s in slots])
        await self._redis.hset(keys.user(user_id), "office_hours", value)

    async def get(self, user_id: str) -> list[Slot]:
        return (await self.many([user_id]))[user_id]

    async def many(self, user_ids: list[str]) -> dict[str, list[Slot]]:
        if not user_ids:
            return {}
        async with self._redis.pipeline(transaction=False) as pipe:
            for uid in user_ids:
                pipe.hget(keys.user(uid), "office_hours")
            raw = await pipe.execute()
        return {
            uid: [s for s in msgspec.convert(json.loads(value), list[Slot]) if _usable(s)]
            if value
            else []
            for uid, value in zip(user_ids, raw, strict=True)
        }

    @staticmethod
    def next_of(slots: list[Slot], now_ms: int) -> dict[str, Any] | None:
        """The soonest upcoming slot, described."""
        upcoming = [(next_start(s, now_ms), s) for s in slots]
        found = [(at, s) for at, s in upcoming if at is not None]
        if not found:
            return None
        _, slot = min(found, key=lambda pair: pair[0])
        return describe(slot, now_ms)
