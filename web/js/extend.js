// More time: "+5 min" appears from the first warning on; the other side sees the ask and agrees
// with one click; a refusal says why. The call's new end, and time given back after a dropped
// connection, arrive as session:started with extended_s or credited_s.
import { parts, viewSection } from "./dom.js";
import * as server from "./server.js";

const MINUTES = 5;

const ui = parts(viewSection("call"), {
  extendAsk: "extend-ask", extendAgree: "extend-agree", extendBox: "extend-box",
  callNote: "call-note", extendText: "extend-text",
});

let call = { sessionId: null, peer: "", me: null, event: false, asked: null };

export function wireExtend() {
  ui.extendAsk.addEventListener("click", () => ask(MINUTES));
  ui.extendAgree.addEventListener("click", () => ask(call.asked || MINUTES));
}

export function resetExtend(matched, me) {
  call = { sessionId: matched.session_id, peer: matched.peer.name, me, event: Boolean(matched.event_id), asked: null };
  ui.extendAsk.hidden = true;
  ui.extendAgree.hidden = true;
  ui.extendBox.hidden = true;
  ui.callNote.textContent = "";
}

/** The first warning: offering more time makes sense from here on. */
export function offerMoreTime() {
  if (!call.event && call.sessionId) ui.extendAsk.hidden = false;
}

export function onExtendRequested(request) {
  if (request.session_id !== call.sessionId) return;
  ui.extendBox.hidden = false;
  ui.extendAsk.hidden = true; // one ask at a time; agreeing is the other button
  if (request.by === call.me) {
    say(`You asked for ${request.minutes} more minutes. Waiting for ${call.peer} to agree…`);
    ui.extendAgree.hidden = true;
    return;
  }
  call.asked = request.minutes;
  say(`${call.peer} asks for ${request.minutes} more minutes.`);
  ui.extendAgree.textContent = `Agree to ${request.minutes} more minutes`;
  ui.extendAgree.hidden = false;
}

/** A session:started that moved the end: say what changed. */
export function onEndMoved(started) {
  if (started.session_id !== call.sessionId) return;
  if (started.extended_s) {
    ui.extendAsk.hidden = true;
    ui.extendAgree.hidden = true;
    ui.extendBox.hidden = false;
    say(`+${Math.round(started.extended_s / 60)} min: you both agreed to extend the call.`);
  }
  if (started.credited_s) {
    ui.callNote.textContent = `+${started.credited_s} s credited for the time the connection dropped.`;
  }
}

function say(text) { ui.extendText.textContent = text; }

async function ask(minutes) {
  if (!call.sessionId) return;
  for (const button of [ui.extendAsk, ui.extendAgree]) button.disabled = true;
  try {
    await server.request("session:extend", { session_id: call.sessionId, minutes });
  } catch (failure) {
    ui.extendBox.hidden = false;
    say(failure.code === "extend_refused" ? `No extension: ${failure.message}` : failure.message);
    ui.extendAgree.hidden = true;
  } finally {
    for (const button of [ui.extendAsk, ui.extendAgree]) button.disabled = false;
  }
}
