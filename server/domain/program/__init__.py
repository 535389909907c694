"""The program around the calls: office hours, watches, follow-through, admins and analytics."""

from __future__ import annotations

from dataclasses import dataclass

from server.domain.program.admin import Admins
from server.domain.program.analytics import Analytics
from server.domain.program.followups import FollowUps
from server.domain.program.office_hours import OfficeHours
from server.domain.program.watches import Watches


@dataclass(frozen=True)
class Program:
    hours: OfficeHours
    watches: Watches
    followups: FollowUps
    admins: Admins
    analytics: Analytics
