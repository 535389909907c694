// "My sessions": the events the person hosted (with links to their results) and the journal of
// past calls, with questions, partners, ratings and reflections.
import { api, login, request } from "./api.js";
import { el, formatDuration, notice, parts, show, viewSection } from "./dom.js";
import { openHost } from "./host.js";
import { goBack, rememberOrigin } from "./nav.js";
import { downloadRecord, renderRecord } from "./record.js";
import { rich } from "./richtext.js";
import { chooseSkill, openSetup } from "./setup.js";
import { state } from "./state.js";
import { askDirectly } from "./suggest.js";

const ui = parts(viewSection("history"), {
  historyHosted: "history-hosted", historyHostedList: "history-hosted-list", historyEmpty: "history-empty",
  historyMissed: "history-missed", historyNoshows: "history-noshows", historyList: "history-list",
  historyBack: "history-back",
});

const EVENT_STATE = { lobby: "not started", round: "running", break: "running", ended: "ended" };

const REASONS = {
  time_up: "ran the full time", left: "ended early", disconnected: "connection dropped",
  declined: "declined by the mentor", no_connection: "couldn't connect", event_round_over: "event round ended",
};

function stars(rating) {
  return rating ? `${"★".repeat(rating.stars)}${"☆".repeat(5 - rating.stars)}` : "not rated";
}

export function wireHistory() {
  ui.historyBack.addEventListener("click", () => goBack());
}

export async function openHistory() {
  rememberOrigin();
  show("history");
  let sessions = [];
  let hosted = [];
  try {
    [sessions, hosted] = await Promise.all([api.history(), api.hostedEvents()]);
  } catch (failure) {
    notice(failure.message, { error: true });
  }
  renderHosted(hosted);
  ui.historyEmpty.hidden = sessions.length > 0;
  const me = login.user ? login.user.id : null;
  const missed = sessions.filter((s) => (s.no_show || []).includes(me)).length;
  ui.historyMissed.hidden = missed === 0;
  ui.historyMissed.textContent = `You didn't show up for ${missed === 1 ? "one call" : `${missed} calls`}. When you ask, stay on the page until the call starts.`;
  api.followups().then((mine) => {
    const n = mine.no_shows;
    ui.historyNoshows.hidden = n.total === 0;
    ui.historyNoshows.textContent = `No-shows on your account: ${n.last_30_days} in the last 30 days, ${n.total} in all.`;
  }).catch(() => {});
  ui.historyList.replaceChildren(...sessions.map((s) => {
    const when = new Date(s.matched_at).toLocaleString();
    const skill = state.skills.find((k) => k.slug === s.skill);
    const role = s.role === "mentor" ? `You mentored ${s.peer.name}` : `${s.peer.name} mentored you`;
    const items = [
      el("p", { class: "meta", text: `${when} · ${skill ? skill.name : s.event_id ? "Speed mentoring" : s.skill} · ${s.duration_s ? formatDuration(s.duration_s) : "–"} · ${REASONS[s.reason] || s.state}` }),
      el("strong", { text: role }),
      el("div", { class: "question-card rich" }, [rich(s.question)]),
      el("p", { class: "meta", text: `You gave: ${stars(s.rating_given)} · You got: ${stars(s.rating_received)}` }),
    ];
    if ((s.no_show || []).length) {
      const who = s.no_show.includes(me) ? "You didn't show up" : `${s.peer.name} didn't show up`;
      items.push(el("p", { class: "warn", text: who }));
    }
    if (s.rating_given && s.rating_given.reflection) {
      items.push(el("p", { class: "reflection", text: `Next 48 hours: ${s.rating_given.reflection}` }));
    }
    if (s.rating_given && s.rating_given.note) items.push(el("p", { class: "meta", text: `Private note: ${s.rating_given.note}` }));
    if (s.applied) {
      items.push(el("p", { class: "applied", text: s.role === "mentor"
        ? `${s.peer.name} applied your advice: ${s.applied.note}` : `How you applied it: ${s.applied.note}` }));
    }
    if (s.mutual_follow_up) items.push(followUp(s));
    items.push(recordToggle(s.session_id));
    return el("li", {}, items);
  }));
}

function renderHosted(events) {
  ui.historyHosted.hidden = events.length === 0;
  ui.historyHostedList.replaceChildren(...events.map((event) => {
    const link = el("a", {
      href: `/?results=${encodeURIComponent(event.event_id)}`,
      text: event.state === "ended" ? "See the results" : "Open the console",
    });
    link.addEventListener("click", (click) => { click.preventDefault(); openHostedEvent(event.event_id); });
    return el("li", {}, [
      el("p", { class: "meta", text: `${new Date(event.created_at).toLocaleString()} · ${event.rounds} rounds · ${event.people} joined · ${EVENT_STATE[event.state] || event.state}` }),
      el("strong", { text: event.title }),
      el("p", {}, [link]),
    ]);
  }));
}

/** The host's console of one of its events: live if it runs, its results once it ended. */
export async function openHostedEvent(eventId) {
  try {
    openHost(await request("GET", `/api/events/${encodeURIComponent(eventId)}`, undefined, { auth: true }));
  } catch (failure) {
    notice(failure.message, { error: true });
  }
}

/** "Ask again": a personal request to that mentor, in the skill of the call. */
async function askAgain(mentor, skill) {
  const profile = await api.user(mentor.id).catch(() => ({}));
  askDirectly({ ...mentor, wont_cover: profile.wont_cover || "" });
  await openSetup("mentee");
  chooseSkill(skill);
}

/** Both ticked "follow up": the mentee can ask that mentor again, directly. */
function followUp(s) {
  const box = el("div", { class: "follow-up" }, [el("span", { class: "chip personal", text: "You both want to follow up" })]);
  if (s.role === "mentee") {
    const again = el("button", { type: "button", class: "secondary", text: `Ask ${s.peer.name} again` });
    again.addEventListener("click", () => askAgain({ id: s.peer.id, name: s.peer.name }, s.skill));
    box.append(again);
  } else {
    box.append(el("span", { class: "muted", text: ` ${s.peer.name} can ask you again directly.` }));
  }
  return box;
}

/** "Show the record": the chat, notes and next step of that call, and its Markdown download. */
function recordToggle(sessionId) {
  const body = el("div", { class: "record", hidden: true });
  const toggle = el("button", { type: "button", class: "link", text: "Show the record", "aria-expanded": "false" });
  const download = el("button", { type: "button", class: "link", text: "Download as Markdown" });
  download.addEventListener("click", () => downloadRecord(sessionId).catch((failure) => notice(failure.message, { error: true })));
  toggle.addEventListener("click", async () => {
    const open = body.hidden;
    body.hidden = !open;
    toggle.textContent = open ? "Hide the record" : "Show the record";
    toggle.setAttribute("aria-expanded", String(open));
    if (open && !body.childElementCount) {
      try {
        body.replaceChildren(...renderRecord(await api.session(sessionId), login.user?.id, { question: false }));
      } catch (failure) {
        body.replaceChildren(el("p", { class: "field-error", text: failure.message }));
      }
    }
  });
  return el("div", { class: "record-actions" }, [el("div", { class: "actions" }, [toggle, download]), body]);
}
