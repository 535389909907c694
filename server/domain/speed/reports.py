"""What an event leaves behind: the host's summary (JSON, and tidy CSV tables of its pairs and
its people) and each participant's own pairs and mutual follow-ups. Ratings show stars, tags
and follow-up, never private notes."""

from __future__ import annotations

from collections import Counter
from typing import Any

from server.domain.calls.ratings import Ratings
from server.domain.speed.store import EventStore
from server.protocol import csvsafe
from server.protocol.errors import Forbidden


def public_rating(rating: dict[str, Any] | None) -> dict[str, Any] | None:
    if rating is None:
        return None
    return {
        "stars": rating["stars"],
        "tags": rating.get("tags", []),
        "follow_up": rating.get("follow_up", False),
    }


PAIRS_HEADER = (
    "round", "session_id", "mentor_id", "mentor_name", "mentee_id", "mentee_name", "connected",
    "mentor_gave_stars", "mentee_gave_stars", "mentor_wants_follow_up", "mentee_wants_follow_up",
    "mutual_follow_up",
)  # fmt: skip
PEOPLE_HEADER = (
    "user_id", "name", "role", "intro", "joined_round", "left", "left_round", "rounds_played",
    "rounds_sat_out", "sat_out_rounds",
)  # fmt: skip
CSV_TABLES = ("pairs", "people")


class EventReports:
    def __init__(self, store: EventStore, ratings: Ratings) -> None:
        self._store = store
        self._ratings = ratings

    async def summary(self, user_id: str, event_id: str) -> dict[str, Any]:
        """Host only: attendance, pairs per round with ratings, sit-outs, mutual follow-ups."""
        await self._store.host_only(user_id, event_id)
        state = await self._store.state(event_id)
        people = {p.id: p for p in await self._store.people(event_id)}
        rounds = await self._store.rounds(event_id)
        sids = [pair.session_id for rnd in rounds for pair in rnd.pairs]
        outcomes = await self._store.outcomes(sids)
        all_ratings = await self._ratings.ratings_of_many(sids)

        def who(uid: str) -> dict[str, str]:
            return {"id": uid, "name": people[uid].name if uid in people else ""}

        out_rounds, mutual, stars = [], [], []
        played: Counter[str] = Counter()
        sat_out: dict[str, list[int]] = {}
        for rnd in rounds:
            pairs = []
            for pair in rnd.pairs:
                ratings = all_ratings[pair.session_id]
                given = {
                    "mentor": ratings.get(pair.mentor_id),
                    "mentee": ratings.get(pair.mentee_id),
                }
                both = all(r and r.get("follow_up") for r in given.values())
                stars += [r["stars"] for r in given.values() if r]
                played.update((pair.mentor_id, pair.mentee_id))
                pairs.append(
                    {
                        "session_id": pair.session_id,
                        "mentor": who(pair.mentor_id),
                        "mentee": who(pair.mentee_id),
                        "connected": outcomes[pair.session_id].connected,
                        "ratings": {role: public_rating(r) for role, r in given.items()},
                        "mutual_follow_up": both,
                    }
                )
                if both:
                    mutual.append(
                        {
                            "round": rnd.number,
                            "mentor": who(pair.mentor_id),
                            "mentee": who(pair.mentee_id),
                        }
                    )
            for uid in rnd.sitting_out:
                sat_out.setdefault(uid, []).append(rnd.number)
            out_rounds.append(
                {
                    "round": rnd.number,
                    "started_at": rnd.started_at,
                    "ends_at": rnd.ends_at,
                    "pairs": pairs,
                    "sitting_out": [
                        {**who(u), "role": people[u].role if u in people else ""}
                        for u in rnd.sitting_out
                    ],
                }
            )
        return {
            "event": state,
            "attendance": [
                {
                    "id": p.id,
                    "name": p.name,
                    "role": p.role,
                    "skills": p.skills,
                    "intro": p.intro,
                    "joined_round": p.joined_round,
                    "left_round": p.left_round,
                    "rounds_played": played[p.id],
                    "sat_out_rounds": sat_out.get(p.id, []),
                }
                for p in people.values()
            ],
            "rounds": out_rounds,
            "ratings": {
                "count": len(stars),
                "mean": round(sum(stars) / len(stars), 2) if stars else None,
            },
            "mutual_follow_ups": mutual,
        }

    @staticmethod
    def summary_csv(summary: dict[str, Any], table: str) -> str:
        """One tidy table of the summary: ``pairs`` (one row per round call) or ``people``
        (one row per attendee, with their sit-outs)."""
        if table == "people":
            return csvsafe.table(
                PEOPLE_HEADER,
                (
                    [p["id"], p["name"], p["role"], p["intro"], p["joined_round"],
                     p["left_round"] is not None, p["left_round"], p["rounds_played"],
                     len(p["sat_out_rounds"]), ";".join(str(n) for n in p["sat_out_rounds"])]
                    for p in summary["attendance"]
                ),
            )  # fmt: skip
        rows = []
        for rnd in summary["rounds"]:
            for pair in rnd["pairs"]:
                by_mentor, by_mentee = pair["ratings"]["mentor"], pair["ratings"]["mentee"]
                rows.append(
                    [rnd["round"], pair["session_id"], pair["mentor"]["id"], pair["mentor"]["name"],
                     pair["mentee"]["id"], pair["mentee"]["name"], pair["connected"],
                     by_mentor and by_mentor["stars"], by_mentee and by_mentee["stars"],
                     by_mentor and by_mentor["follow_up"], by_mentee and by_mentee["follow_up"],
                     pair["mutual_follow_up"]]
                )  # fmt: skip
        return csvsafe.table(PAIRS_HEADER, rows)

    async def my_results(self, user_id: str, event_id: str) -> dict[str, Any]:
        """A participant's own pairs, and the people who also want to keep talking."""
        state = await self._store.state(event_id)
        people = {p.id: p for p in await self._store.people(event_id)}
        if user_id not in people and state["host_id"] != user_id:
            raise Forbidden("You did not take part in this event.", code="not_in_event")
        pairs, mutual = [], []
        for rnd in await self._store.rounds(event_id):
            for pair in rnd.pairs:
                if user_id not in (pair.mentor_id, pair.mentee_id):
                    continue
                partner = pair.mentee_id if user_id == pair.mentor_id else pair.mentor_id
                ratings = await self._ratings.ratings_of(pair.session_id)
                mine, theirs = ratings.get(user_id), ratings.get(partner)
                both = bool(mine and theirs and mine.get("follow_up") and theirs.get("follow_up"))
                who = {"id": partner, "name": people[partner].name if partner in people else ""}
                pairs.append(
                    {
                        "round": rnd.number,
                        "session_id": pair.session_id,
                        "partner": who,
                        "my_rating": mine,
                        "mutual_follow_up": both,
                    }
                )
                if both:
                    mutual.append({**who, "round": rnd.number})
            if user_id in rnd.sitting_out:
                pairs.append({"round": rnd.number, "sitting_out": True})
        return {"event": state, "pairs": pairs, "mutual_follow_ups": mutual}
