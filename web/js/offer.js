// The mentor sees the question before any media: "Take the call" or "Decline" inside the decline
// window; when the window runs out the call is taken. Camera and microphone start only then.
// Mentors who want calls to start at once turn on "Take calls automatically" (kept on this device).
import { parts, show, viewSection } from "./dom.js";
import { rich } from "./richtext.js";
import * as server from "./server.js";
import { state } from "./state.js";

const AUTO_TAKE_KEY = "mentorburst.autoTake";
// Less than this left of the window is no time to read: the call is simply taken.
const MIN_READING_MS = 1000;

const ui = parts(viewSection("offer"), {
  offerTake: "offer-take", offerDecline: "offer-decline", offerPeer: "offer-peer",
  offerQuestion: "offer-question", offerWont: "offer-wont", offerError: "offer-error", offerLeft: "offer-left",
});

let pending = null; // {sessionId, resolve, timer}

/** The mentor's standing choice, kept on this device (the checkbox is on the burst form). */
export const autoTake = {
  get: () => localStorage.getItem(AUTO_TAKE_KEY) === "1",
  set: (on) => localStorage.setItem(AUTO_TAKE_KEY, on ? "1" : "0"),
};

export function wireOffer() {
  ui.offerTake.addEventListener("click", () => take());
  ui.offerDecline.addEventListener("click", () => decline());
}

/** Does this match wait for the mentor to read the question and take it? */
export function needsTaking(matched) {
  return matched.role === "mentor" && !matched.event_id && !autoTake.get()
    && Boolean(matched.decline_until) && matched.decline_until - server.now() > MIN_READING_MS;
}

/** Show the question card; resolves once the mentor takes the call or the window runs out. */
export function offer(matched) {
  cancelOffer();
  const skill = state.skills.find((s) => s.slug === matched.skill);
  ui.offerPeer.textContent = `${matched.peer.name} asks about ${skill ? skill.name : matched.skill}`;
  ui.offerQuestion.replaceChildren(rich(matched.question));
  const wont = state.me && state.me.wont_cover;
  ui.offerWont.hidden = !wont;
  ui.offerWont.textContent = wont ? `You said you won't cover: ${wont}` : "";
  ui.offerError.textContent = "";
  ui.offerDecline.disabled = false;
  show("offer");
  return new Promise((resolve) => {
    const render = () => {
      const left = Math.ceil((matched.decline_until - server.now()) / 1000);
      if (left <= 0) { take(); return; }
      ui.offerLeft.textContent = String(left);
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

async function decline() {
  if (!pending) return;
  ui.offerDecline.disabled = true;
  try {
    await server.request("session:decline", { session_id: pending.sessionId });
  } catch (failure) {
    if (failure.code === "decline_closed") { take(); return; }
    ui.offerError.textContent = failure.message;
    ui.offerDecline.disabled = false;
  }
}

/** The match is gone (declined, ended, replaced): forget it without taking it. */
export function cancelOffer() {
  if (pending) clearInterval(pending.timer);
  pending = null;
}
