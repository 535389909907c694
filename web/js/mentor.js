// The mentor's burst: time left, calls done, who is waiting (counts per skill, and the waiting
// questions themselves, oldest first, without names), and going offline.
import { callLength } from "./call-length.js";
import { $, el, formatDuration, show } from "./dom.js";

let tick = null;

const STATE_TEXT = {
  idle: "Waiting for a mentee",
  busy: "In a call",
  cooldown: "Rate your last call",
  offline: "Offline",
};

export function wireMentor(app) {
  $("#go-offline").addEventListener("click", async () => {
    if (app.burst && app.burst.state === "offline") { app.openSetup("mentor"); return; }
    try {
      await app.signaling.request("mentor:offline", {});
    } catch (failure) {
      app.notice(failure.message, { error: true });
    }
  });
}

export function showMentor(app, update) {
  // Waiting for calls is not being on camera: media starts when the mentor takes a call.
  if (!app.call) app.media.release();
  show("mentor");
  updateMentor(app, update);
}

export function updateMentor(app, update) {
  if (update) app.burst = { ...(app.burst || {}), ...update };
  const burst = app.burst;
  if (!burst) return;
  const over = burst.state === "offline";
  $("#mentor-title").textContent = over ? "Your burst is over" : "You're online";
  $("#burst-done").textContent = String(burst.sessions_done ?? 0);
  $("#burst-state").textContent = STATE_TEXT[burst.state] || "Online";
  $("#go-offline").textContent = over ? "Go online again" : "Go offline";
  const list = $("#burst-waiting");
  const entries = Object.entries(burst.waiting || {});
  list.replaceChildren(...(entries.length
    ? entries.map(([slug, count]) => {
      const skill = app.skills.find((s) => s.slug === slug);
      return el("li", {}, [el("span", { text: skill ? skill.name : slug }), el("strong", { text: String(count) })]);
    })
    : [el("li", { text: "Nobody yet" })]));
  const questions = over ? [] : burst.questions || [];
  $("#burst-questions-empty").hidden = questions.length > 0;
  const since = questions.map(() => el("span", { class: "since" }));
  $("#burst-questions").replaceChildren(...questions.map((q, i) => {
    const skill = app.skills.find((s) => s.slug === q.skill);
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
    const now = app.signaling.now();
    const left = over ? 0 : (burst.burst_ends_at - now) / 1000;
    $("#burst-left").textContent = over ? "–" : formatDuration(left);
    questions.forEach((q, i) => { since[i].textContent = waited(now - q.since); });
    const session = app.settings.session_seconds;
    const short = burst.state === "idle" && left < session;
    $("#burst-short").hidden = !short;
    $("#burst-short").textContent = short
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
