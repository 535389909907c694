// The mentor sees the question before any media: "Take the call" or "Decline" inside the decline
// window; when the window runs out the call is taken. Camera and microphone start only then.
// Mentors who want calls to start at once turn on "Take calls automatically" (kept on this device).
import { $, show } from "./dom.js";
import { rich } from "./richtext.js";

const AUTO_TAKE_KEY = "mentorburst.autoTake";
// Less than this left of the window is no time to read: the call is simply taken.
const MIN_READING_MS = 1000;

let pending = null; // {sessionId, resolve, timer}

export const autoTake = {
  get: () => localStorage.getItem(AUTO_TAKE_KEY) === "1",
  set: (on) => localStorage.setItem(AUTO_TAKE_KEY, on ? "1" : "0"),
};

export function wireOffer(app) {
  $("#offer-take").addEventListener("click", () => take());
  $("#offer-decline").addEventListener("click", () => decline(app));
  const box = $("#auto-take");
  box.checked = autoTake.get();
  box.addEventListener("change", () => autoTake.set(box.checked));
}

/** Does this match wait for the mentor to read the question and take it? */
export function needsTaking(app, matched) {
  return matched.role === "mentor" && !matched.event_id && !autoTake.get()
    && Boolean(matched.decline_until) && matched.decline_until - app.signaling.now() > MIN_READING_MS;
}

/** Show the question card; resolves once the mentor takes the call or the window runs out. */
export function offer(app, matched) {
  cancelOffer();
  const skill = app.skills.find((s) => s.slug === matched.skill);
  $("#offer-peer").textContent = `${matched.peer.name} asks about ${skill ? skill.name : matched.skill}`;
  $("#offer-question").replaceChildren(rich(matched.question));
  const wont = app.me && app.me.wont_cover;
  $("#offer-wont").hidden = !wont;
  $("#offer-wont").textContent = wont ? `You said you won't cover: ${wont}` : "";
  $("#offer-error").textContent = "";
  $("#offer-decline").disabled = false;
  show("offer");
  return new Promise((resolve) => {
    const render = () => {
      const left = Math.ceil((matched.decline_until - app.signaling.now()) / 1000);
      if (left <= 0) { take(); return; }
      $("#offer-left").textContent = String(left);
    };
    pending = { sessionId: matched.session_id, resolve, timer: setInterval(render, 250) };
    render();
  });
}

function take() {
  if (!pending) return;
  const { resolve } = pending;
  cancelOffer();
  resolve();
}

async function decline(app) {
  if (!pending) return;
  $("#offer-decline").disabled = true;
  try {
    await app.signaling.request("session:decline", { session_id: pending.sessionId });
  } catch (failure) {
    if (failure.code === "decline_closed") { take(); return; }
    $("#offer-error").textContent = failure.message;
    $("#offer-decline").disabled = false;
  }
}

/** The match is gone (declined, ended, replaced): forget it without taking it. */
export function cancelOffer() {
  if (pending) clearInterval(pending.timer);
  pending = null;
}
