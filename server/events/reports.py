"""What an event leaves behind: the host's summary (JSON and CSV) and each participant's own
pairs and mutual follow-ups. Ratings show stars, tags and follow-up, never private notes."""

from __future__ import annotations

import csv
import io
from typing import Any

from server.errors import Forbidden
from server.events.store import EventStore
from server.ratings import Ratings


def public_rating(rating: dict[str, Any] | None) -> dict[str, Any] | None:
    if rating is None:
        return None
    return {
        "stars": rating["stars"],
        "tags": rating.get("tags", []),
        "follow_up": rating.get("follow_up", False),
    }


class EventReports:
    def __init__(self, store: EventStore, ratings: Ratings) -> None:
        self._store = store
        self._ratings = ratings

    async def summary(self, user_id: str, event_id: str) -> dict[str, Any]:
        """Host only: attendance, pairs per round with ratings, sit-outs, mutual follow-ups."""
        await self._store.host_only(user_id, event_id)
        state = await self._store.state(event_id)
        people = {p.id: p for p in await self._store.people(event_id)}

        def who(uid: str) -> dict[str, str]:
            return {"id": uid, "name": people[uid].name if uid in people else ""}

        rounds, mutual, stars = [], [], []
        for rnd in await self._store.rounds(event_id):
            pairs = []
            for pair in rnd.pairs:
                ratings = await self._ratings.ratings_of(pair.session_id)
                given = {
                    "mentor": ratings.get(pair.mentor_id),
                    "mentee": ratings.get(pair.mentee_id),
                }
                both = all(r and r.get("follow_up") for r in given.values())
                stars += [r["stars"] for r in given.values() if r]
                pairs.append(
                    {
                        "session_id": pair.session_id,
                        "mentor": who(pair.mentor_id),
                        "mentee": who(pair.mentee_id),
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
            rounds.append(
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
                    "joined_round": p.joined_round,
                    "left_round": p.left_round,
                }
                for p in people.values()
            ],
            "rounds": rounds,
            "ratings": {
                "count": len(stars),
                "mean": round(sum(stars) / len(stars), 2) if stars else None,
            },
            "mutual_follow_ups": mutual,
        }

    @staticmethod
    def summary_csv(summary: dict[str, Any]) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            ["kind", "round", "mentor_id", "mentor_name", "mentee_id", "mentee_name", "session_id",
             "mentor_stars", "mentee_stars", "mentor_follow_up", "mentee_follow_up", "mutual_follow_up",
             "user_id", "user_name", "role", "joined_round", "left_round"]
        )  # fmt: skip
        for person in summary["attendance"]:
            writer.writerow(
                ["attendee", "", "", "", "", "", "", "", "", "", "", "", person["id"], person["name"],
                 person["role"], person["joined_round"], person["left_round"] or ""]
            )  # fmt: skip
        for rnd in summary["rounds"]:
            for pair in rnd["pairs"]:
                r = pair["ratings"]

                def field(role: str, key: str, ratings: dict[str, Any] = r) -> Any:
                    return ratings[role][key] if ratings[role] else ""

                writer.writerow(
                    ["pair", rnd["round"], pair["mentor"]["id"], pair["mentor"]["name"],
                     pair["mentee"]["id"], pair["mentee"]["name"], pair["session_id"],
                     field("mentor", "stars"), field("mentee", "stars"),
                     field("mentor", "follow_up"), field("mentee", "follow_up"), pair["mutual_follow_up"],
                     "", "", "", "", ""]
                )  # fmt: skip
            for person in rnd["sitting_out"]:
                writer.writerow(
                    ["sit_out", rnd["round"], "", "", "", "", "", "", "", "", "", "",
                     person["id"], person["name"], person["role"], "", ""]
                )  # fmt: skip
        return out.getvalue()

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
