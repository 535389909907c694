"""Fair rotation, as a pure function: no repeats, sit-outs spread, shared skills preferred."""

from __future__ import annotations

import random
from collections import Counter

from server.domain.speed.rounds import Person, pair_round


def play(
    n_mentors: int, n_mentees: int, rounds: int, skills: int = 0
) -> list[tuple[list[tuple[str, str]], list[str]]]:
    rng = random.Random(7)
    pool = [f"s{i}" for i in range(max(skills, 1))]
    mentors = [
        Person(f"m{i}", frozenset(rng.sample(pool, 1)) if skills else frozenset())
        for i in range(n_mentors)
    ]
    mentees = [
        Person(f"e{i}", frozenset(rng.sample(pool, 1)) if skills else frozenset())
        for i in range(n_mentees)
    ]
    sat: Counter[str] = Counter()
    met: set[tuple[str, str]] = set()
    history = []
    for round_no in range(1, rounds + 1):
        rotation = pair_round(
            [Person(p.id, p.skills, sat[p.id]) for p in mentors],
            [Person(p.id, p.skills, sat[p.id]) for p in mentees],
            met,
            round_no,
        )
        met |= set(rotation.pairs)
        sat.update(rotation.sitting_out)
        history.append((rotation.pairs, rotation.sitting_out))
    return history


def test_nobody_meets_the_same_person_twice() -> None:
    pairs = [pair for round_pairs, _ in play(7, 11, 7) for pair in round_pairs]
    assert len(pairs) == len(set(pairs)) == 7 * 7


def test_the_larger_side_rotates_through_sit_outs_evenly() -> None:
    sat: Counter[str] = Counter()
    for round_pairs, sitting_out in play(7, 11, 6):
        assert len(round_pairs) == 7 and len(sitting_out) == 4
        before = dict(sat)
        sat.update(sitting_out)
        for person in sitting_out:
            if before.get(person, 0) >= 1:
                # Sitting out again is only fair once everyone else of that role has sat out.
                assert all(before.get(f"e{i}", 0) >= 1 or f"e{i}" in sitting_out for i in range(11))
    assert max(sat.values()) - min(sat.values()) <= 1


def test_shared_skills_are_preferred() -> None:
    rng = random.Random(3)
    mentors = [Person(f"m{i}", frozenset({f"s{i}"})) for i in range(10)]
    mentees = [Person(f"e{i}", frozenset({f"s{i}"})) for i in rng.sample(range(10), 10)]
    rotation = pair_round(mentors, mentees, set(), 1)
    assert all(m[1:] == e[1:] for m, e in rotation.pairs)


def test_when_everyone_has_met_people_sit_out_rather_than_repeat() -> None:
    history = play(2, 2, 3)
    assert len(history[0][0]) == 2 and len(history[1][0]) == 2
    assert history[2][0] == [] and sorted(history[2][1]) == ["e0", "e1", "m0", "m1"]


def test_five_hundred_people_are_paired_in_one_call() -> None:
    round_pairs, sitting_out = play(250, 250, 1, skills=8)[0]
    assert len(round_pairs) == 250 and sitting_out == []
