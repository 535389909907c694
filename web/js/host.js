// The host's console. Controls (ending a round or the event asks once), announcements and
// round prompts, and the live view the server pushes as it changes (event:console): who is
// where, this round's calls and whether their media connected, and round-by-round numbers.
// Once the event ends the same screen shows its results.
import { login } from "./api.js";
import { drawRounds } from "./chart.js";
import { confirmer } from "./confirm.js";
import { $, el, show } from "./dom.js";
import { eventClock } from "./event-clock.js";
import { loadResults } from "./host-results.js";

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

const consoles = new Map(); // event id -> the last event:console the server pushed
const clock = eventClock($("#host-clock"), $("#host-clock-label"));
let ask = null;

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
const timeOf = (ms) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

export function wireHost(app) {
  ask = confirmer({ box: $("#host-confirm"), text: $("#host-confirm-text"), yes: $("#host-confirm-yes"), no: $("#host-confirm-no") });
  $("#host-start").addEventListener("click", () => hostControl(app, "event:start"));
  $("#host-next").addEventListener("click", () => {
    const state = app.hosting;
    if (state.state !== "round") { hostControl(app, "event:next"); return; }
    ask.ask(situation(state), `End round ${state.round} now for everyone? Its calls end and the break starts.`,
      "End the round", () => hostControl(app, "event:next"));
  });
  $("#host-end").addEventListener("click", () => {
    ask.ask(situation(app.hosting), "End the event for everyone? Running calls end and nobody can join any more.",
      "End the event", () => hostControl(app, "event:end"));
  });
  $("#announce-form").addEventListener("submit", (event) => { event.preventDefault(); announce(app); });
  $("#prompt-form").addEventListener("submit", (event) => { event.preventDefault(); setPrompt(app); });
  $("#prompt-round").addEventListener("change", () => fillPrompt(app));
  for (const table of ["people", "pairs"]) {
    $(`#csv-${table}`).addEventListener("click", (event) => { event.preventDefault(); downloadCsv(app, table); });
  }
}

const situation = (state) => `${state.event_id}:${state.state}:${state.round}`;

export function openHost(app, state) {
  app.hosting = state;
  show("event-host");
  renderHost(app);
}

/** The event's state (event:update) on the console. */
export function renderHost(app) {
  const state = app.hosting;
  if (!state) return;
  const ended = state.state === "ended";
  $("#host-title").textContent = state.title;
  $("#host-code").textContent = state.code;
  $("#host-link").textContent = `${location.origin}/?event=${state.code}`;
  $("#host-share").classList.toggle("closed", ended);
  $("#host-share").firstChild.textContent = ended ? "The event has ended; this link no longer lets anyone in: " : "Share this link: ";
  $("#host-round").textContent = `${state.round} of ${state.rounds}`;
  $("#host-counts").textContent = `(${plural(state.counts.mentor, "mentor", "mentors")}, ${plural(state.counts.mentee, "mentee", "mentees")})`;
  $("#host-start").disabled = state.state !== "lobby";
  $("#host-next").disabled = !["round", "break"].includes(state.state);
  $("#host-next").textContent = state.state === "break" ? "Start next round now" : "End this round now";
  $("#host-end").disabled = ended;
  ask.keepIf(situation(state));
  $("#view-event-host").classList.toggle("ended", ended);
  for (const form of ["#announce", "#prompt"]) {
    $(`${form}-fields`).disabled = ended;
    $(`${form}-form`).hidden = ended;
  }
  const echo = $("#host-announcement");
  echo.hidden = !state.announcement;
  echo.textContent = state.announcement
    ? `Shown to everyone since ${timeOf(state.announcement_at || Date.now())}, until the next round starts: “${state.announcement}”` : "";
  renderPromptRounds(app, state);
  clock(state, () => app.signaling.now());
  $("#host-pairs-card").hidden = ended;
  $("#host-people-card").hidden = ended;
  $("#host-summary").hidden = !ended;
  $("#host-results").hidden = !ended;
  const view = consoles.get(state.event_id);
  if (view) renderConsole(app, view);
  else renderPeople([]);
  if (ended) loadResults(app, state.event_id);
}

/** A fresh event:console from the server. */
export function onConsole(app, view) {
  consoles.set(view.event_id, view);
  if (!app.hosting || app.hosting.event_id !== view.event_id) return;
  renderConsole(app, view);
  if (view.state === "ended" && app.view() === "event-host") loadResults(app, view.event_id); // late ratings
}

function renderConsole(app, view) {
  renderPeople(view.people);
  renderPairs(view);
  renderStats(view);
  $("#host-prompts").replaceChildren(...Object.entries(view.prompts).map(([round, text]) =>
    el("li", {}, [el("strong", { text: `Round ${round}: ` }), document.createTextNode(text)])));
  if (document.activeElement !== $("#prompt-text")) fillPrompt(app);
}

function renderPeople(people) {
  const sorted = [...people].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.name.localeCompare(b.name));
  $("#host-people").replaceChildren(...(sorted.length ? sorted.map((p) => el("li", { class: `person ${p.status}` }, [
    el("span", { class: "name", text: p.name }),
    el("span", { class: `role ${p.role}`, text: p.role }),
    el("span", { class: "status", text: STATUS[p.status] || `${plural(p.played, "call", "calls")}${p.sat_out ? `, sat out ${p.sat_out}` : ""}` }),
    p.intro ? el("span", { class: "intro", text: p.intro }) : null,
  ])) : [el("li", { class: "muted", text: "Nobody yet. Share the link or the code." })]));
}

function renderPairs(view) {
  const pairs = [...view.pairs].sort((a, b) => MEDIA_ORDER[a.media] - MEDIA_ORDER[b.media]);
  const running = view.state === "round";
  $("#host-pairs-title").textContent = view.round ? `Calls in round ${view.round}${running ? "" : " (ended)"}` : "Calls this round";
  $("#host-pairs-empty").hidden = pairs.length > 0;
  const sitting = view.people.filter((p) => p.status === "sitting_out").map((p) => p.name);
  $("#host-pairs").replaceChildren(...pairs.map((pair) => {
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
  $("#host-stats").replaceChildren(...view.stats.map((s) => el("tr", {}, [
    el("th", { scope: "row", text: String(s.round) }),
    el("td", { text: String(s.pairs) }),
    el("td", { text: s.pairs ? `${s.connected} of ${s.pairs} (${Math.round(s.connected_share * 100)}%)` : "–" }),
    el("td", { text: s.ratings.count ? `${s.ratings.mean}★ from ${plural(s.ratings.count, "rating", "ratings")}` : "no ratings yet" }),
  ])));
  drawRounds($("#host-chart"), view.stats, view.state === "ended" ? view.stats.length : view.rounds);
}

function renderPromptRounds(app, state) {
  const select = $("#prompt-round");
  const first = state.state === "round" ? state.round : state.round + 1;
  const wanted = [];
  for (let round = Math.max(first, 1); round <= state.rounds; round += 1) wanted.push(String(round));
  const current = [...select.options].map((o) => o.value);
  if (current.join() === wanted.join()) return;
  const chosen = wanted.includes(select.value) ? select.value : wanted[0];
  select.replaceChildren(...wanted.map((round) => el("option", { value: round, text: round, selected: round === chosen })));
  fillPrompt(app);
}

function fillPrompt(app) {
  const view = app.hosting && consoles.get(app.hosting.event_id);
  $("#prompt-text").value = (view && view.prompts[$("#prompt-round").value]) || "";
}

async function hostControl(app, name) {
  $("#host-error").textContent = "";
  try {
    await app.signaling.request(name, { event_id: app.hosting.event_id });
  } catch (failure) {
    $("#host-error").textContent = failure.message;
  }
}

async function announce(app) {
  const text = $("#announce-text").value.trim();
  if (!text) return;
  try {
    await app.signaling.request("event:announce", { event_id: app.hosting.event_id, text });
    $("#announce-text").value = "";
  } catch (failure) {
    $("#host-error").textContent = failure.message;
  }
}

async function setPrompt(app) {
  $("#host-error").textContent = "";
  try {
    await app.signaling.request("event:prompt", {
      event_id: app.hosting.event_id, round: Number($("#prompt-round").value), text: $("#prompt-text").value.trim(),
    });
  } catch (failure) {
    $("#host-error").textContent = failure.message;
  }
}

async function downloadCsv(app, table) {
  const response = await fetch(`/api/events/${app.hosting.event_id}/summary?format=csv&table=${table}`, {
    headers: { Authorization: `Bearer ${login.token}` },
  });
  if (!response.ok) { $("#host-error").textContent = "Couldn't download the table; try again."; return; }
  const link = el("a", { href: URL.createObjectURL(await response.blob()), download: `event-${app.hosting.code}-${table}.csv` });
  link.click();
  URL.revokeObjectURL(link.href);
}
