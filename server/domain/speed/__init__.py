"""Speed-mentoring events: the life cycle and host controls (``service``), booking rounds and
re-pairing (``booking``), reading an event (``store``), the summary and results (``reports``),
and the fair rotation (``rounds``, a pure function)."""

from server.domain.speed.service import SpeedEvents

__all__ = ["SpeedEvents"]
