// The host's console. Controls (ending a round or the event asks once), announcements and
// round prompts, and the live view the server pushes as it changes (event:console): who is
// where, this round's calls and whether their media connected, and round-by-round numbers.
// Once the event ends the same screen shows its results.
import { login } from "./api.js";
import { drawRounds } from "./chart.js";
import { confirmer } from "./confirm.js";
import { el, parts, show, viewSection } from "./dom.js";
import { eventClock } from "./event-clock.js";
import { loadResults } from "./host-results.js";
import * as server from "./server.js";
import { hostingEvent, state } from "./state.js";

const STATUS = {
  lobby: "ready", in_call: "in a call", sitting_out: "sits out this round",
  next_round: "joined late · plays next round", call_ended: "call ended early",
  break: "in the break", left: "left",
};
const MEDIA = {
  connected: "Connected", one_side: "Connecting: one side has media",
  not_yet: "Not connected yet", never: "Never connected",
};
const MEDIA_ORDER = { never: 0, not_yet: 1, one_side: 2, connected: 3 };
const ROLE_ORDER = { mentor: 0, mentee: 1 };

const section = viewSection("event-host");
const ui = parts(section, {
  hostTitle: "host-title", hostCode: "host-code", hostRound: "host-round", hostClockLabel: "host-clock-label",
  hostClock: "host-clock", hostShare: "host-share", hostLink: "host-link", hostStart: "host-start",
  hostNext: "host-next", hostEnd: "host-end", hostConfirm: "host-confirm", hostConfirmText: "host-confirm-text",
  hostConfirmYes: "host-confirm-yes", hostConfirmNo: "host-confirm-no", announceForm: "announce-form",
  announceFields: "announce-fields", announceText: "announce-text", hostAnnouncement: "host-announcement",
  promptForm: "prompt-form", promptFields: "prompt-fields", promptRound: "prompt-round",
  promptText: "prompt-text", hostPrompts: "host-prompts", csvPeople: "csv-people", csvPairs: "csv-pairs",
  hostError: "host-error", hostPeopleCard: "host-people-card", hostCounts: "host-counts",
  hostPeople: "host-people", hostSummary: "host-summary", hostResults: "host-results",
  hostPairsCard: "host-pairs-card", hostPairsTitle: "host-pairs-title", hostPairs: "host-pairs",
  hostPairsEmpty: "host-pairs-empty", hostChart: "host-chart", hostStats: "host-stats",
});

const consoles = new Map(); // event id -> the last event:console the server pushed
const clock = eventClock(ui.hostClock, ui.hostClockLabel);
let ask = null;

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
const timeOf = (ms) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

export function wireHost() {
  ask = confirmer({ box: ui.hostConfirm, text: ui.hostConfirmText, yes: ui.hostConfirmYes, no: ui.hostConfirmNo });
  ui.hostStart.addEventListener("click", () => hostControl("event:start"));
  ui.hostNext.addEventListener("click", () => {
    const event = state.hosting;
    if (event.state !== "round") { hostControl("event:next"); return; }
    ask.ask(situation(event), `End round ${event.round} now for everyone? Its calls end and the break starts.`,
      "End the round", () => hostControl("event:next"));
  });
  ui.hostEnd.addEventListener("click", () => {
    ask.ask(situation(state.hosting), "End the event for everyone? Running calls end and nobody can join any more.",
      "End the event", () => hostControl("event:end"));
  });
  ui.announceForm.addEventListener("submit", (event) => { event.preventDefault(); announce(); });
  ui.promptForm.addEventListener("submit", (event) => { event.preventDefault(); setPrompt(); });
  ui.promptRound.addEventListener("change", () => fillPrompt());
  for (const [link, table] of [[ui.csvPeople, "people"], [ui.csvPairs, "pairs"]]) {
    link.addEventListener("click", (event) => { event.preventDefault(); downloadCsv(table); });
  }
}

const situation = (event) => `${event.event_id}:${event.state}:${event.round}`;

/** The console of `event`, which this person hosts. */
export function openHost(event) {
  hostingEvent(event);
  show("event-host");
  renderHost();
}

/** The event's state (event:update) on the console. */
export function renderHost() {
  const event = state.hosting;
  if (!event) return;
  const ended = event.state === "ended";
  ui.hostTitle.textContent = event.title;
  ui.hostCode.textContent = event.code;
  ui.hostLink.textContent = `${location.origin}/?event=${event.code}`;
  ui.hostShare.classList.toggle("closed", ended);
  ui.hostShare.firstChild.textContent = ended ? "The event has ended; this link no longer lets anyone in: " : "Share this link: ";
  ui.hostRound.textContent = `${event.round} of ${event.rounds}`;
  ui.hostCounts.textContent = `(${plural(event.counts.mentor, "mentor", "mentors")}, ${plural(event.counts.mentee, "mentee", "mentees")})`;
  ui.hostStart.disabled = event.state !== "lobby";
  ui.hostNext.disabled = !["round", "break"].includes(event.state);
  ui.hostNext.textContent = event.state === "break" ? "Start next round now" : "End this round now";
  ui.hostEnd.disabled = ended;
  ask.keepIf(situation(event));
  section.classList.toggle("ended", ended);
  for (const [fields, form] of [[ui.announceFields, ui.announceForm], [ui.promptFields, ui.promptForm]]) {
    fields.disabled = ended;
    form.hidden = ended;
  }
  const echo = ui.hostAnnouncement;
  echo.hidden = !event.announcement;
  echo.textContent = event.announcement
    ? `Shown to everyone since ${timeOf(event.announcement_at || Date.now())}, until the next round starts: “${event.announcement}”` : "";
  renderPromptRounds(event);
  clock(event, () => server.now());
  ui.hostPairsCard.hidden = ended;
  ui.hostPeopleCard.hidden = ended;
  ui.hostSummary.hidden = !ended;
  ui.hostResults.hidden = !ended;
  const view = consoles.get(event.event_id);
  if (view) renderConsole(view);
  else renderPeople([]);
  if (ended) loadResults(event.event_id);
}

/** A fresh event:console from the server. */
export function onConsole(view) {
  consoles.set(view.event_id, view);
  if (!state.hosting || state.hosting.event_id !== view.event_id) return;
  renderConsole(view);
  if (view.state === "ended" && state.view === "event-host") loadResults(view.event_id); // late ratings
}

function renderConsole(view) {
  renderPeople(view.people);
  renderPairs(view);
  renderStats(view);
  ui.hostPrompts.replaceChildren(...Object.entries(view.prompts).map(([round, text]) =>
    el("li", {}, [el("strong", { text: `Round ${round}: ` }), document.createTextNode(text)])));
  if (document.activeElement !== ui.promptText) fillPrompt();
}

function renderPeople(people) {
  const sorted = [...people].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.name.localeCompare(b.name));
  ui.hostPeople.replaceChildren(...(sorted.length ? sorted.map((p) => el("li", { class: `person ${p.status}` }, [
    el("span", { class: "name", text: p.name }),
    el("span", { class: `role ${p.role}`, text: p.role }),
    el("span", { class: "status", text: STATUS[p.status] || `${plural(p.played, "call", "calls")}${p.sat_out ? `, sat out ${p.sat_out}` : ""}` }),
    p.intro ? el("span", { class: "intro", text: p.intro }) : null,
  ])) : [el("li", { class: "muted", text: "Nobody yet. Share the link or the code." })]));
}

function renderPairs(view) {
  const pairs = [...view.pairs].sort((a, b) => MEDIA_ORDER[a.media] - MEDIA_ORDER[b.media]);
  const running = view.state === "round";
  ui.hostPairsTitle.textContent = view.round ? `Calls in round ${view.round}${running ? "" : " (ended)"}` : "Calls this round";
  ui.hostPairsEmpty.hidden = pairs.length > 0;
  const sitting = view.people.filter((p) => p.status === "sitting_out").map((p) => p.name);
  ui.hostPairs.replaceChildren(...pairs.map((pair) => {
    const stars = [[pair.mentee.name, pair.stars.mentee], [pair.mentor.name, pair.stars.mentor]]
      .filter(([, n]) => n).map(([name, n]) => `${name} gave ${n}★`).join(" · ");
    return el("li", { class: `pair ${pair.media}` }, [
      el("span", { class: "who", text: `${pair.mentor.name} with ${pair.mentee.name}` }),
      el("span", { class: `media ${pair.media}`, text: MEDIA[pair.media] || pair.media }),
      stars ? el("span", { class: "stars-given", text: stars }) : null,
    ]);
  }), ...(sitting.length && running ? [el("li", { class: "pair sitting", text: `Sitting out: ${sitting.join(", ")}` })] : []));
}

function renderStats(view) {
  ui.hostStats.replaceChildren(...view.stats.map((s) => el("tr", {}, [
    el("th", { scope: "row", text: String(s.round) }),
    el("td", { text: String(s.pairs) }),
    el("td", { text: s.pairs ? `${s.connected} of ${s.pairs} (${Math.round(s.connected_share * 100)}%)` : "–" }),
    el("td", { text: s.ratings.count ? `${s.ratings.mean}★ from ${plural(s.ratings.count, "rating", "ratings")}` : "no ratings yet" }),
  ])));
  drawRounds(ui.hostChart, view.stats, view.state === "ended" ? view.stats.length : view.rounds);
}

function renderPromptRounds(event) {
  const select = ui.promptRound;
  const first = event.state === "round" ? event.round : event.round + 1;
  const wanted = [];
  for (let round = Math.max(first, 1); round <= event.rounds; round += 1) wanted.push(String(round));
  const current = [...select.options].map((o) => o.value);
  if (current.join() === wanted.join()) return;
  const chosen = wanted.includes(select.value) ? select.value : wanted[0];
  select.replaceChildren(...wanted.map((round) => el("option", { value: round, text: round, selected: round === chosen })));
  fillPrompt();
}

function fillPrompt() {
  const view = state.hosting && consoles.get(state.hosting.event_id);
  ui.promptText.value = (view && view.prompts[ui.promptRound.value]) || "";
}

async function hostControl(name) {
  ui.hostError.textContent = "";
  try {
    await server.request(name, { event_id: state.hosting.event_id });
  } catch (failure) {
    ui.hostError.textContent = failure.message;
  }
}

async function announce() {
  const text = ui.announceText.value.trim();
  if (!text) return;
  try {
    await server.request("event:announce", { event_id: state.hosting.event_id, text });
    ui.announceText.value = "";
  } catch (failure) {
    ui.hostError.textContent = failure.message;
  }
}

async function setPrompt() {
  ui.hostError.textContent = "";
  try {
    await server.request("event:prompt", {
      event_id: state.hosting.event_id, round: Number(ui.promptRound.value), text: ui.promptText.value.trim(),
    });
  } catch (failure) {
    ui.hostError.textContent = failure.message;
  }
}

async function downloadCsv(table) {
  const response = await fetch(`/api/events/${state.hosting.event_id}/summary?format=csv&table=${table}`, {
    headers: { Authorization: `Bearer ${login.token}` },
  });
  if (!response.ok) { ui.hostError.textContent = "Couldn't download the table; try again."; return; }
  const link = el("a", { href: URL.createObjectURL(await response.blob()), download: `event-${state.hosting.code}-${table}.csv` });
  link.click();
  URL.revokeObjectURL(link.href);
}
