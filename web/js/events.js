// Speed-mentoring events: the host's console, and a participant's lobby, rounds and results.
// A round's call uses the ordinary call screen; the break holds a one-question rating.
import { api, login, request } from "./api.js";
import { $, el, formatDuration, show } from "./dom.js";

let clockTimer = null;

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

const STATE_TEXT = {
  lobby: "Waiting for the host to start",
  round: "Round in progress",
  break: "Break: rate your partner, the next round starts soon",
  ended: "The event has ended",
};

export function wireEvents(app) {
  $("#event-create-form").addEventListener("submit", (event) => { event.preventDefault(); createEvent(app); });
  $("#event-join-form").addEventListener("submit", (event) => { event.preventDefault(); joinEvent(app); });
  $("#announce-form").addEventListener("submit", (event) => { event.preventDefault(); announce(app); });
  for (const [id, name] of [["#host-start", "event:start"], ["#host-next", "event:next"], ["#host-end", "event:end"]]) {
    $(id).addEventListener("click", () => hostControl(app, name));
  }
  $("#lobby-leave").addEventListener("click", async () => {
    if (app.event) await app.signaling.request("event:leave", { event_id: app.event.event_id }).catch(() => {});
    app.event = null;
    show("landing");
  });
  $("#results-home").addEventListener("click", () => { app.event = null; show("landing"); });
  $("#summary-csv").addEventListener("click", (event) => { event.preventDefault(); downloadCsv(app); });
}

export function openCreate() {
  $("#event-create-error").textContent = "";
  show("event-create");
}

export function openJoin(code = "") {
  if (code) $("#event-code").value = code;
  $("#event-join-error").textContent = "";
  show("event-join");
}

async function createEvent(app) {
  const error = $("#event-create-error");
  const title = $("#event-title").value.trim();
  const roundMinutes = Number($("#event-round-min").value);
  const rounds = Number($("#event-rounds").value);
  const breakMinutes = Number($("#event-break-min").value);
  if (!title) { error.textContent = "Give the event a title."; return; }
  if (!(roundMinutes >= 0.1 && roundMinutes <= 60 && Number.isInteger(rounds) && rounds >= 1 && rounds <= 50 && breakMinutes >= 0 && breakMinutes <= 30)) {
    error.textContent = "Rounds last up to 60 minutes, 1 to 50 rounds, breaks 0 to 30 minutes.";
    return;
  }
  try {
    const created = await request("POST", "/api/events", {
      title, rounds, round_seconds: Math.round(roundMinutes * 60), break_seconds: Math.round(breakMinutes * 60),
    }, { auth: true });
    app.hosting = await request("GET", `/api/events/${created.event_id}`, undefined, { auth: true });
    openHost(app, app.hosting);
  } catch (failure) {
    error.textContent = failure.message;
  }
}

export function openHost(app, state) {
  app.hosting = state;
  show("event-host");
  renderHost(app);
}

function renderHost(app) {
  const state = app.hosting;
  if (!state) return;
  $("#host-title").textContent = state.title;
  $("#host-code").textContent = state.code;
  $("#host-link").textContent = `${location.origin}/?event=${state.code}`;
  $("#host-round").textContent = state.round ? `${state.round} of ${state.rounds}` : `0 of ${state.rounds}`;
  $("#host-counts").textContent = `(${plural(state.counts.mentor, "mentor", "mentors")}, ${plural(state.counts.mentee, "mentee", "mentees")})`;
  $("#host-start").disabled = state.state !== "lobby";
  $("#host-next").disabled = !["round", "break"].includes(state.state);
  $("#host-next").textContent = state.state === "break" ? "Start next round now" : "End this round now";
  $("#host-end").disabled = state.state === "ended";
  runClock(state, $("#host-clock"), $("#host-clock-label"), app);
  refreshPeople(app);
}

async function refreshPeople(app) {
  try {
    const summary = await request("GET", `/api/events/${app.hosting.event_id}/summary`, undefined, { auth: true });
    const current = summary.rounds.find((r) => r.round === app.hosting.round);
    const inCall = new Set(app.hosting.state === "round" && current
      ? current.pairs.flatMap((p) => [p.mentor.id, p.mentee.id]) : []);
    $("#host-people").replaceChildren(...summary.attendance.map((person) => {
      const status = person.left_round ? "left" : inCall.has(person.id) ? "in a call" : "";
      return el("li", {}, [
        document.createTextNode(person.name),
        el("span", { class: "tag", text: `${person.role}${status ? ` · ${status}` : ""}` }),
      ]);
    }));
  } catch {
    // The next update refreshes it.
  }
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

async function downloadCsv(app) {
  const response = await fetch(`/api/events/${app.hosting.event_id}/summary?format=csv`, {
    headers: { Authorization: `Bearer ${login.token}` },
  });
  const link = el("a", { href: URL.createObjectURL(await response.blob()), download: "event-summary.csv" });
  link.click();
  URL.revokeObjectURL(link.href);
}

async function joinEvent(app) {
  const code = $("#event-code").value.trim().toUpperCase();
  const role = document.querySelector("input[name=event-role]:checked").value;
  const error = $("#event-join-error");
  if (!code) { error.textContent = "Type the code the host shared."; return; }
  try {
    const ack = await app.signaling.request("event:join", { code, role });
    app.role = role;
    app.notice("");
    if (!app.media.stream.getTracks().length) app.media.start(); // asks for the camera before round 1
    openLobby(app, ack.event);
  } catch (failure) {
    error.textContent = failure.message;
  }
}

export function openLobby(app, state, { sittingOut = false } = {}) {
  app.event = state;
  app.sittingOut = sittingOut;
  show("event-lobby");
  renderLobby(app);
}

function renderLobby(app) {
  const state = app.event;
  if (!state) return;
  $("#lobby-title").textContent = state.title;
  let text = STATE_TEXT[state.state] || state.state;
  if (state.state === "round" && app.sittingOut) text = `You're sitting out round ${state.round}; you'll play the next one`;
  if (state.state === "round" && !app.sittingOut) text = `Round ${state.round} of ${state.rounds}`;
  $("#lobby-state").textContent = text;
  $("#lobby-counts").textContent = `${plural(state.counts.mentor, "mentor", "mentors")} · ${plural(state.counts.mentee, "mentee", "mentees")} · round ${state.round} of ${state.rounds}`;
  const banner = $("#lobby-announcement");
  banner.hidden = !state.announcement;
  banner.textContent = state.announcement || "";
  runClock(state, $("#lobby-clock"), null, app);
}

function runClock(state, target, label, app) {
  clearInterval(clockTimer);
  const render = () => {
    if (!state.ends_at) { target.textContent = label ? { lobby: "Lobby", ended: "Ended" }[state.state] || "" : ""; return; }
    const left = Math.max(0, (state.ends_at - app.signaling.now()) / 1000);
    target.textContent = formatDuration(left);
  };
  if (label) label.textContent = state.state === "break" ? "Break ends in" : state.state === "round" ? "Round ends in" : "Status";
  render();
  if (state.ends_at) clockTimer = setInterval(render, 500);
}

/** Route an event:update to whichever screen shows that event. */
export function onEventUpdate(app, state) {
  if (login.user && state.host_id === login.user.id) {
    if (!app.hosting || app.hosting.event_id === state.event_id) {
      app.hosting = state;
      if (["landing", "event-host"].includes(app.view()) || !app.view()) openHost(app, state);
      else renderHost(app);
    }
    return;
  }
  const fresh = !app.event || app.event.event_id !== state.event_id;
  app.event = state;
  if (state.state !== "round") app.sittingOut = false;
  if (state.state === "ended" && app.view() === "event-lobby") {
    openResults(app); // from the call or its rating, "Back to the event" leads here instead
  } else if (fresh && ["landing", "event-join", null].includes(app.view())) {
    openLobby(app, state);
  } else if (app.view() === "event-lobby") {
    renderLobby(app);
  }
}

export function onEventRound(app, round) {
  if (!app.event || round.event_id !== app.event.event_id) return;
  app.event = { ...app.event, state: "round", round: round.round, ends_at: round.ends_at ?? app.event.ends_at };
  if (round.sitting_out) openLobby(app, app.event, { sittingOut: true });
}

export async function openResults(app) {
  show("event-results");
  if (!app.event) return;
  try {
    const mine = await api.eventResults(app.event.event_id);
    $("#results-title").textContent = mine.event.title;
    $("#results-none").hidden = mine.mutual_follow_ups.length > 0;
    $("#results-mutual").replaceChildren(...mine.mutual_follow_ups.map((person) =>
      el("li", { text: `${person.name} (round ${person.round})` })));
    $("#results-pairs").replaceChildren(...mine.pairs.map((pair) => el("li", {
      text: pair.sitting_out ? `Round ${pair.round}: sat out` : `Round ${pair.round}: ${pair.partner.name}${pair.my_rating ? ` · you gave ${pair.my_rating.stars}★` : ""}`,
    })));
  } catch (failure) {
    app.notice(failure.message, { error: true });
  }
}
