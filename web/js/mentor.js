// The mentor's burst: time left, calls done, who is waiting, and going offline.
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
  clearInterval(tick);
  const render = () => {
    const left = over ? 0 : (burst.burst_ends_at - app.signaling.now()) / 1000;
    $("#burst-left").textContent = over ? "–" : formatDuration(left);
  };
  render();
  if (!over) tick = setInterval(render, 1000);
}
