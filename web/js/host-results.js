// An ended event's results on the host's screen: attendance, pairs per round with whether they
// connected and how they rated, sit-outs, average ratings and mutual follow-ups.
import { request } from "./api.js";
import { el, parts, viewSection } from "./dom.js";
import { state } from "./state.js";

const ui = parts(viewSection("event-host"), {
  hostError: "host-error", hostAttendance: "host-attendance", hostAttendanceList: "host-attendance-list",
  hostRatings: "host-ratings", hostFollowUps: "host-follow-ups", hostRounds: "host-rounds",
});

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
let loading = null;

/** Fetch the summary and show it; a newer call (a late rating arrived) wins over an older one. */
export async function loadResults(eventId) {
  const mine = Symbol(eventId);
  loading = mine;
  try {
    const summary = await request("GET", `/api/events/${encodeURIComponent(eventId)}/summary`, undefined, { auth: true });
    if (loading === mine && state.hosting && state.hosting.event_id === eventId) renderResults(summary);
  } catch (failure) {
    ui.hostError.textContent = failure.message;
  }
}

function attendanceLine(people) {
  const mentors = people.filter((p) => p.role === "mentor").length;
  const left = people.filter((p) => p.left_round !== null).length;
  const late = people.filter((p) => p.joined_round > 1).length;
  const parts = [`${plural(people.length, "person", "people")} came: ${plural(mentors, "mentor", "mentors")}, ${plural(people.length - mentors, "mentee", "mentees")}`];
  if (late) parts.push(`${late} joined late`);
  if (left) parts.push(`${left} left early`);
  return `${parts.join("; ")}.`;
}

function stayed(person) {
  if (person.left_round === 0) return "left before the start";
  const from = person.joined_round > 1 ? `from round ${person.joined_round}` : "from the start";
  return person.left_round === null ? from : `${from}, left in round ${person.left_round}`;
}

function starsOf(rating) {
  return rating ? `${rating.stars}★${rating.follow_up ? " + follow-up" : ""}` : "not rated";
}

const ROLE_ORDER = { mentor: 0, mentee: 1 };

export function renderResults(summary) {
  const people = [...summary.attendance].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.name.localeCompare(b.name));
  ui.hostAttendance.textContent = attendanceLine(people);
  ui.hostAttendanceList.replaceChildren(...people.map((p) => el("tr", {}, [
    el("th", { scope: "row", text: p.name }),
    el("td", { text: p.role }),
    el("td", { text: String(p.rounds_played) }),
    el("td", { text: p.sat_out_rounds.length ? `round ${p.sat_out_rounds.join(", ")}` : "–" }),
    el("td", { text: stayed(p) }),
  ])));
  const { count, mean } = summary.ratings;
  ui.hostRatings.textContent = count ? `${mean}★ on average from ${plural(count, "rating", "ratings")}.` : "No ratings yet.";
  ui.hostFollowUps.replaceChildren(...(summary.mutual_follow_ups.length
    ? summary.mutual_follow_ups.map((m) => el("li", { text: `${m.mentor.name} and ${m.mentee.name} (round ${m.round})` }))
    : [el("li", { class: "muted", text: "None this time." })]));
  ui.hostRounds.replaceChildren(...summary.rounds.map((rnd) => {
    const connected = rnd.pairs.filter((p) => p.connected).length;
    const pairs = rnd.pairs.map((p) => el("li", {
      text: `${p.mentor.name} with ${p.mentee.name} · ${p.connected ? "connected" : "never connected"} · ${p.mentee.name}: ${starsOf(p.ratings.mentee)} · ${p.mentor.name}: ${starsOf(p.ratings.mentor)}${p.mutual_follow_up ? " · both want to follow up" : ""}`,
    }));
    if (rnd.sitting_out.length) pairs.push(el("li", { class: "muted", text: `Sat out: ${rnd.sitting_out.map((s) => s.name).join(", ")}` }));
    return el("li", {}, [
      el("strong", { text: `Round ${rnd.round}: ${plural(rnd.pairs.length, "pair", "pairs")}, ${connected} connected` }),
      el("ul", { class: "plain" }, pairs),
    ]);
  }));
}
