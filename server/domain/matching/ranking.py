"""Ordering the mentors who could take a question: pure functions the tests drive directly.

Within a catalog skill (``rank_in_skill``):

- **Fairness bound first**: every mentor idle for at least ``fair_ms`` is ranked ahead of
  everyone else, longest idle first, whatever its fit or reputation; so a mentor is skipped in
  favour of better-fitting ones for at most that long (``--fair-idle-seconds``, 5 min).
- **Then fit and reputation in this skill**: ``fit + REPUTATION_WEIGHT x (stars - 1) / 4``, where
  ``fit`` is the cosine between the question and the mentor's own words (headline and
  expertise; 0 for a mentor who wrote none) and ``stars`` the mentor's Bayesian mean rating in
  this skill (pulled toward 4.0 by 5 phantom ratings). One star is worth 0.125 of fit: a
  clearly better fit (0.35 against 0.15) outweighs a star and a half. Ties go to the one idle
  longer, as before this ranking existed.

For an open question ("Something else", ``rank_open``): only mentors whose fit reaches
``threshold`` (``--open-fit-threshold``, 0.2) are candidates, best fit first. On
all-MiniLM-L6-v2 a question and expertise about the same craft score about 0.2-0.5 (a drum-mic
feedback question against a live-sound engineer's profile: 0.29) while unrelated pairs stay
under about 0.16, so below 0.2 the question waits rather than go to someone who cannot help.
"""

from __future__ import annotations

from dataclasses import dataclass

REPUTATION_WEIGHT = 0.5
PRIOR_WEIGHT = 5
PRIOR_STARS = 4.0


@dataclass(frozen=True)
class Candidate:
    mentor_id: str
    idle_since: int
    fit: float = 0.0
    ratings: int = 0  # in this skill
    stars_sum: int = 0

    @property
    def stars(self) -> float:
        """Bayesian mean of the stars received in this skill."""
        return (PRIOR_WEIGHT * PRIOR_STARS + self.stars_sum) / (PRIOR_WEIGHT + self.ratings)

    @property
    def merit(self) -> float:
        return self.fit + REPUTATION_WEIGHT * (self.stars - 1) / 4


def rank_in_skill(candidates: list[Candidate], now_ms: int, fair_ms: int) -> list[str]:
    """Mentors idle past the fairness bound first (longest idle first), then by merit."""
    overdue = [c for c in candidates if now_ms - c.idle_since >= fair_ms]
    others = [c for c in candidates if now_ms - c.idle_since < fair_ms]
    overdue.sort(key=lambda c: (c.idle_since, c.mentor_id))
    others.sort(key=lambda c: (-c.merit, c.idle_since, c.mentor_id))
    return [c.mentor_id for c in overdue + others]


def rank_open(candidates: list[Candidate], threshold: float) -> list[str]:
    """Mentors whose expertise fits at least ``threshold``, best fit first."""
    fitting = [c for c in candidates if c.fit >= threshold]
    fitting.sort(key=lambda c: (-c.fit, -c.merit, c.idle_since, c.mentor_id))
    return [c.mentor_id for c in fitting]
