// The mentor's burst: time left, calls done, who is waiting (counts per skill, and the waiting
// questions themselves, oldest first, without names), and going offline.
import { callHoldsMedia } from "./call.js";
import { callLength } from "./call-length.js";
import { el, formatDuration, notice, parts, show, viewSection } from "./dom.js";
import { media } from "./media.js";
import * as server from "./server.js";
import { openSetup } from "./setup.js";
import { state } from "./state.js";

const ui = parts(viewSection("mentor"), {
  mentorTitle: "mentor-title", burstLeft: "burst-left", burstDone: "burst-done", burstState: "burst-state",
  burstShort: "burst-short", burstWaiting: "burst-waiting", burstQuestions: "burst-questions",
  burstQuestionsEmpty: "burst-questions-empty", goOffline: "go-offline",
});

let tick = null;

const STATE_TEXT = {
  idle: "Waiting for a mentee",
  busy: "In a call",
  cooldown: "Rate your last call",
  offline: "Offline",
};

export function wireMentor() {
  ui.goOffline.addEventListener("click", async () => {
    if (state.burst && state.burst.state === "offline") { openSetup("mentor"); return; }
    try {
      await server.request("mentor:offline", {});
    } catch (failure) {
      notice(failure.message, { error: true });
    }
  });
}

export function showMentor() {
  // Waiting for calls is not being on camera: media starts when the mentor takes a call.
  if (!callHoldsMedia()) media.release();
  show("mentor");
  updateMentor();
}

/** The burst as state.burst describes it now. */
export function updateMentor() {
  const burst = state.burst;
  if (!burst) return;
  const over = burst.state === "offline";
  ui.mentorTitle.textContent = over ? "Your burst is over" : "You're online";
  ui.burstDone.textContent = String(burst.sessions_done ?? 0);
  ui.burstState.textContent = STATE_TEXT[burst.state] || "Online";
  ui.goOffline.textContent = over ? "Go online again" : "Go offline";
  const list = ui.burstWaiting;
  const entries = Object.entries(burst.waiting || {});
  list.replaceChildren(...(entries.length
    ? entries.map(([slug, count]) => {
      const skill = state.skills.find((s) => s.slug === slug);
      return el("li", {}, [el("span", { text: skill ? skill.name : slug }), el("strong", { text: String(count) })]);
    })
    : [el("li", { text: "Nobody yet" })]));
  const questions = over ? [] : burst.questions || [];
  ui.burstQuestionsEmpty.hidden = questions.length > 0;
  const since = questions.map(() => el("span", { class: "since" }));
  ui.burstQuestions.replaceChildren(...questions.map((q, i) => {
    const skill = state.skills.find((s) => s.slug === q.skill);
    const passed = q.declined || q.connect_failed;
    return el("li", { class: [passed ? "declined" : "", q.personal ? "personal" : ""].join(" ").trim() || null }, [
      q.personal ? el("span", { class: "chip personal", text: "Asked for you" }) : null,
      el("span", { class: "chip", text: skill ? skill.name : q.skill }), since[i],
      q.declined ? el("span", { class: "since", text: "· you declined it" }) : null,
      !q.declined && q.connect_failed ? el("span", { class: "since", text: "· your call with them couldn't connect" }) : null,
      el("q", { text: q.question }),
    ]);
  }));
  clearInterval(tick);
  const render = () => {
    const now = server.now();
    const left = over ? 0 : (burst.burst_ends_at - now) / 1000;
    ui.burstLeft.textContent = over ? "–" : formatDuration(left);
    questions.forEach((q, i) => { since[i].textContent = waited(now - q.since); });
    const session = state.settings.session_seconds;
    const short = burst.state === "idle" && left < session;
    ui.burstShort.hidden = !short;
    ui.burstShort.textContent = short
      ? `Less than one call (${callLength(session)}) is left in your burst, so no new call will start. Go offline, or online again for longer.` : "";
  };
  render();
  if (!over) tick = setInterval(render, 1000);
}

function waited(ms) {
  const minutes = Math.floor(ms / 60000);
  if (minutes < 1) return "waiting under a minute";
  return minutes < 60 ? `waiting ${minutes} min` : `waiting ${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
