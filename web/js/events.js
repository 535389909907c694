// Speed-mentoring events: creating one, and a participant's join (with a one-line intro),
// lobby, rounds and results. The host's console is in host.js. A round's call uses the ordinary
// call screen; the break holds a one-question rating.
import { api, login, request } from "./api.js";
import { updateRoundPrompt } from "./call-context.js";
import { el, notice, parts, show, viewSection } from "./dom.js";
import { eventClock } from "./event-clock.js";
import { openHost, renderHost } from "./host.js";
import { media } from "./media.js";
import * as server from "./server.js";
import {
  accountLoaded, eventUpdated, hostingEvent, joinedEvent, leftEvent, roundStarted, state,
} from "./state.js";

const create = parts(viewSection("event-create"), {
  eventCreateForm: "event-create-form", eventTitle: "event-title", eventRoundMin: "event-round-min",
  eventRounds: "event-rounds", eventBreakMin: "event-break-min", eventCreateError: "event-create-error",
});
const joinSection = viewSection("event-join");
const join = parts(joinSection, {
  eventJoinForm: "event-join-form", eventCode: "event-code", eventIntro: "event-intro",
  eventIntroHint: "event-intro-hint", eventSkills: "event-skills", eventJoinError: "event-join-error",
});
const roleChoices = [...joinSection.querySelectorAll("input[name=event-role]")];
const lobby = parts(viewSection("event-lobby"), {
  lobbyTitle: "lobby-title", lobbyAnnouncement: "lobby-announcement", lobbyAnnouncementAt: "lobby-announcement-at",
  lobbyAnnouncementText: "lobby-announcement-text", lobbyState: "lobby-state", lobbyClock: "lobby-clock",
  lobbyCounts: "lobby-counts", lobbyPrompt: "lobby-prompt", lobbyLeave: "lobby-leave",
});
const results = parts(viewSection("event-results"), {
  resultsTitle: "results-title", resultsMutual: "results-mutual", resultsNone: "results-none",
  resultsPairs: "results-pairs", resultsHome: "results-home",
});

const lobbyClock = eventClock(lobby.lobbyClock);

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

export function wireEvents() {
  create.eventCreateForm.addEventListener("submit", (event) => { event.preventDefault(); createEvent(); });
  join.eventJoinForm.addEventListener("submit", (event) => { event.preventDefault(); joinEvent(); });
  for (const input of roleChoices) {
    input.addEventListener("change", () => { join.eventIntroHint.textContent = INTRO_HINT[input.value]; });
  }
  lobby.lobbyLeave.addEventListener("click", async () => {
    if (state.event) await server.request("event:leave", { event_id: state.event.event_id }).catch(() => {});
    leftEvent();
    show("landing");
  });
  results.resultsHome.addEventListener("click", () => { leftEvent(); show("landing"); });
}

export function openCreate() {
  create.eventCreateError.textContent = "";
  show("event-create");
}

/** The join form, its intro and topics prefilled from the person's profile. */
export async function openJoin(code = "") {
  if (code) join.eventCode.value = code;
  join.eventJoinError.textContent = "";
  if (!state.me) accountLoaded(await api.me().catch(() => null)); // a page just loaded may not have it yet
  const me = state.me || { headline: "", skills: [] };
  if (!join.eventIntro.value) join.eventIntro.value = me.headline || "";
  const chosen = new Set([...join.eventSkills.querySelectorAll("input:checked")].map((i) => i.value));
  const picked = chosen.size ? chosen : new Set(me.skills || []);
  join.eventSkills.replaceChildren(...state.skills.map((skill) => el("label", {}, [
    el("input", { type: "checkbox", name: "event-skill", value: skill.slug, checked: picked.has(skill.slug) }),
    el("span", { class: "skill-name", text: skill.name }),
  ])));
  show("event-join");
}

async function createEvent() {
  const error = create.eventCreateError;
  const title = create.eventTitle.value.trim();
  const roundMinutes = Number(create.eventRoundMin.value);
  const rounds = Number(create.eventRounds.value);
  const breakMinutes = Number(create.eventBreakMin.value);
  if (!title) { error.textContent = "Give the event a title."; return; }
  if (!(roundMinutes >= 0.1 && roundMinutes <= 60 && Number.isInteger(rounds) && rounds >= 1 && rounds <= 50 && breakMinutes >= 0 && breakMinutes <= 30)) {
    error.textContent = "Rounds last up to 60 minutes, 1 to 50 rounds, breaks 0 to 30 minutes.";
    return;
  }
  try {
    const created = await request("POST", "/api/events", {
      title, rounds, round_seconds: Math.round(roundMinutes * 60), break_seconds: Math.round(breakMinutes * 60),
    }, { auth: true });
    openHost(await request("GET", `/api/events/${created.event_id}`, undefined, { auth: true }));
  } catch (failure) {
    error.textContent = failure.message;
  }
}

async function joinEvent() {
  const code = join.eventCode.value.trim().toUpperCase();
  const role = roleChoices.find((input) => input.checked).value;
  const intro = join.eventIntro.value.trim();
  const skills = [...join.eventSkills.querySelectorAll("input:checked")].map((input) => input.value);
  const error = join.eventJoinError;
  if (!code) { error.textContent = "Type the code the host shared."; return; }
  try {
    const ack = await server.request("event:join", { code, role, intro, skills });
    joinedEvent(role, ack.event);
    notice("");
    if (!media.stream.getTracks().length) media.start(); // asks for the camera before round 1
    openLobby();
  } catch (failure) {
    error.textContent = failure.message;
  }
}

/** The lobby of the event this person takes part in (state.event). */
export function openLobby() {
  show("event-lobby");
  renderLobby();
}

/** Back from a round's call or rating: the lobby, or the results once the event ended. */
export function backToEvent() {
  if (state.event.state === "ended") openResults();
  else openLobby();
}

function renderLobby() {
  const event = state.event;
  if (!event) return;
  lobby.lobbyTitle.textContent = event.title;
  let text = STATE_TEXT[event.state] || event.state;
  if (event.state === "round" && state.sittingOut) text = `You're sitting out round ${event.round}; you'll play the next one`;
  if (event.state === "round" && !state.sittingOut) text = `Round ${event.round} of ${event.rounds}`;
  lobby.lobbyState.textContent = text;
  lobby.lobbyCounts.textContent = `${plural(event.counts.mentor, "mentor", "mentors")} · ${plural(event.counts.mentee, "mentee", "mentees")} · round ${event.round} of ${event.rounds}`;
  lobby.lobbyAnnouncement.hidden = !event.announcement;
  lobby.lobbyAnnouncementAt.textContent = event.announcement_at ? `From the host at ${timeOf(event.announcement_at)}: ` : "From the host: ";
  lobby.lobbyAnnouncementText.textContent = event.announcement || "";
  const prompt = lobby.lobbyPrompt;
  prompt.hidden = !event.prompt;
  prompt.textContent = event.prompt
    ? `${event.state === "round" ? "This" : "Next"} round's prompt: “${event.prompt}”` : "";
  lobbyClock(event, () => server.now());
}

/** Route an event:update to whichever screen shows that event. */
export function onEventUpdate(event) {
  if (login.user && event.host_id === login.user.id) {
    if (!state.hosting || state.hosting.event_id === event.event_id) {
      hostingEvent(event);
      if (state.view === "landing" || !state.view) openHost(event);
      else renderHost(); // not openHost: that would take the focus from what the host types
    }
    return;
  }
  const fresh = !state.event || state.event.event_id !== event.event_id;
  eventUpdated(event);
  updateRoundPrompt(event);
  if (event.state === "ended" && state.view === "event-lobby") {
    openResults(); // from the call or its rating, "Back to the event" leads here instead
  } else if (fresh && ["landing", "event-join", null].includes(state.view)) {
    openLobby();
  } else if (state.view === "event-lobby") {
    renderLobby();
  }
}

/** event:round: a round started; those who sit it out see the lobby. */
export function onEventRound(round) {
  if (!state.event || round.event_id !== state.event.event_id) return;
  roundStarted(round);
  if (round.sitting_out) openLobby();
}

async function openResults() {
  show("event-results");
  if (!state.event) return;
  try {
    const mine = await api.eventResults(state.event.event_id);
    results.resultsTitle.textContent = mine.event.title;
    results.resultsNone.hidden = mine.mutual_follow_ups.length > 0;
    results.resultsMutual.replaceChildren(...mine.mutual_follow_ups.map((person) =>
      el("li", { text: `${person.name} (round ${person.round})` })));
    results.resultsPairs.replaceChildren(...mine.pairs.map((pair) => el("li", {
      text: pair.sitting_out ? `Round ${pair.round}: sat out` : `Round ${pair.round}: ${pair.partner.name}${pair.my_rating ? ` · you gave ${pair.my_rating.stars}★` : ""}`,
    })));
  } catch (failure) {
    notice(failure.message, { error: true });
  }
}
