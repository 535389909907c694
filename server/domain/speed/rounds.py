"""Fair rotation for speed-mentoring rounds: a pure function, so it is easy to test and fast.

Each round pairs every person of the smaller side with someone of the larger side they have not
met in this event. Whoever has sat out most often plays first, so nobody sits out twice before
everyone of that role has sat out once; among equals, a shared skill is preferred, then a
rotation that changes every round. Greedy picks give a near-maximum matching in O(n*m); short
augmenting paths then place anyone the greedy pass left out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Person:
    id: str
    skills: frozenset[str] = field(default_factory=frozenset)
    sat_out: int = 0


@dataclass(frozen=True)
class Rotation:
    pairs: list[tuple[str, str]]  # (mentor id, mentee id)
    sitting_out: list[str]


def _tiebreak(round_no: int, person_id: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(f"{round_no}:{person_id}".encode(), digest_size=4).digest(), "big"
    )


def pair_round(
    mentors: Sequence[Person],
    mentees: Sequence[Person],
    met: Iterable[tuple[str, str]],
    round_no: int,
) -> Rotation:
    met_pairs = set(met)
    mentors_small = len(mentors) <= len(mentees)
    small, large = (mentors, mentees) if mentors_small else (mentees, mentors)

    def key(a: Person, b: Person) -> tuple[str, str]:
        return (a.id, b.id) if mentors_small else (b.id, a.id)

    # The larger side is ranked once: most sat out first, then this round's rotation.
    ranked = sorted(large, key=lambda p: (-p.sat_out, _tiebreak(round_no, p.id)))
    rank = {p.id: i for i, p in enumerate(ranked)}
    allowed: dict[str, list[Person]] = {}
    for person in small:
        options = [other for other in ranked if key(person, other) not in met_pairs]
        # Stable sort: shared skills first, fairness order kept within each group.
        options.sort(key=lambda other: not (person.skills & other.skills))
        allowed[person.id] = options

    partner_of: dict[str, str] = {}  # large id -> small id
    chosen: dict[str, str] = {}  # small id -> large id
    # Hardest first: people with the fewest possible partners choose before the rest.
    for person in sorted(
        small, key=lambda p: (len(allowed[p.id]), -p.sat_out, _tiebreak(round_no, p.id))
    ):
        for other in allowed[person.id]:
            if other.id not in partner_of:
                partner_of[other.id] = person.id
                chosen[person.id] = other.id
                break

    for person in small:
        if person.id not in chosen:
            _augment(person.id, allowed, partner_of, chosen, set())

    pairs = [
        (chosen[p.id], p.id) if not mentors_small else (p.id, chosen[p.id])
        for p in small
        if p.id in chosen
    ]
    sitting_out = [p.id for p in small if p.id not in chosen]
    sitting_out += sorted((p.id for p in large if p.id not in partner_of), key=rank.__getitem__)
    return Rotation(pairs, sitting_out)


def _augment(
    small_id: str,
    allowed: dict[str, list[Person]],
    partner_of: dict[str, str],
    chosen: dict[str, str],
    seen: set[str],
) -> bool:
    """Kuhn's augmenting path from one unplaced person (iterative depth is small in practice)."""
    for other in allowed[small_id]:
        if other.id in seen:
            continue
        seen.add(other.id)
        holder = partner_of.get(other.id)
        if holder is None or _augment(holder, allowed, partner_of, chosen, seen):
            partner_of[other.id] = small_id
            chosen[small_id] = other.id
            return True
    return False
