// Speed-mentoring events: creating one, and a participant's join (with a one-line intro),
// lobby, rounds and results. The host's console is in host.js. A round's call uses the ordinary
// call screen; the break holds a one-question rating.
import { api, login, request } from "./api.js";
import { updateRoundPrompt } from "./call-context.js";
import { $, el, show } from "./dom.js";
import { eventClock } from "./event-clock.js";
import { openHost, renderHost } from "./host.js";

const lobbyClock = eventClock($("#lobby-clock"));

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
const timeOf = (ms) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

const STATE_TEXT = {
  lobby: "Waiting for the host to start",
  round: "Round in progress",
  break: "Break: rate your partner, the next round starts soon",
  ended: "The event has ended",
};
const INTRO_HINT = {
  mentee: "What you want to learn. Each partner sees it when your call starts.",
  mentor: "What you can help with. Each partner sees it when your call starts.",
};

export function wireEvents(app) {
  $("#event-create-form").addEventListener("submit", (event) => { event.preventDefault(); createEvent(app); });
  $("#event-join-form").addEventListener("submit", (event) => { event.preventDefault(); joinEvent(app); });
  for (const input of document.querySelectorAll("input[name=event-role]")) {
    input.addEventListener("change", () => { $("#event-intro-hint").textContent = INTRO_HINT[input.value]; });
  }
  $("#lobby-leave").addEventListener("click", async () => {
    if (app.event) await app.signaling.request("event:leave", { event_id: app.event.event_id }).catch(() => {});
    app.event = null;
    show("landing");
  });
  $("#results-home").addEventListener("click", () => { app.event = null; show("landing"); });
}

export function openCreate() {
  $("#event-create-error").textContent = "";
  show("event-create");
}

/** The join form, its intro and topics prefilled from the person's profile. */
export async function openJoin(app, code = "") {
  if (code) $("#event-code").value = code;
  $("#event-join-error").textContent = "";
  if (!app.me) app.me = await api.me().catch(() => null); // a page just loaded may not have it yet
  const me = app.me || { headline: "", skills: [] };
  if (!$("#event-intro").value) $("#event-intro").value = me.headline || "";
  const chosen = new Set([...document.querySelectorAll("#event-skills input:checked")].map((i) => i.value));
  const picked = chosen.size ? chosen : new Set(me.skills || []);
  $("#event-skills").replaceChildren(...app.skills.map((skill) => el("label", {}, [
    el("input", { type: "checkbox", name: "event-skill", value: skill.slug, checked: picked.has(skill.slug) }),
    el("span", { class: "skill-name", text: skill.name }),
  ])));
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

async function joinEvent(app) {
  const code = $("#event-code").value.trim().toUpperCase();
  const role = document.querySelector("input[name=event-role]:checked").value;
  const intro = $("#event-intro").value.trim();
  const skills = [...document.querySelectorAll("#event-skills input:checked")].map((input) => input.value);
  const error = $("#event-join-error");
  if (!code) { error.textContent = "Type the code the host shared."; return; }
  try {
    const ack = await app.signaling.request("event:join", { code, role, intro, skills });
    app.role = role;
    app.notice("");
    if (!app.media.stream.getTracks().length) app.media.start(); // asks for the camera before round 1
    openLobby(app, ack.event);
  } catch (failure) {
    error.textContent = failure.message;
  }
}

export function openLobby(app, state, { sittingOut = app.sittingOut } = {}) {
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
  $("#lobby-announcement").hidden = !state.announcement;
  $("#lobby-announcement-at").textContent = state.announcement_at ? `From the host at ${timeOf(state.announcement_at)}: ` : "From the host: ";
  $("#lobby-announcement-text").textContent = state.announcement || "";
  const prompt = $("#lobby-prompt");
  prompt.hidden = !state.prompt;
  prompt.textContent = state.prompt
    ? `${state.state === "round" ? "This" : "Next"} round's prompt: “${state.prompt}”` : "";
  lobbyClock(state, () => app.signaling.now());
}

/** Route an event:update to whichever screen shows that event. */
export function onEventUpdate(app, state) {
  if (login.user && state.host_id === login.user.id) {
    if (!app.hosting || app.hosting.event_id === state.event_id) {
      app.hosting = state;
      if (app.view() === "landing" || !app.view()) openHost(app, state);
      else renderHost(app); // not openHost: that would take the focus from what the host types
    }
    return;
  }
  const fresh = !app.event || app.event.event_id !== state.event_id;
  app.event = state;
  updateRoundPrompt(app, state);
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
