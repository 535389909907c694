// More time: "+5 min" appears from the first warning on; the other side sees the ask and agrees
// with one click; a refusal says why. The call's new end, and time given back after a dropped
// connection, arrive as session:started with extended_s or credited_s.
import { $ } from "./dom.js";

const MINUTES = 5;

let call = { sessionId: null, peer: "", me: null, event: false, asked: null };

export function wireExtend(app) {
  $("#extend-ask").addEventListener("click", () => ask(app, MINUTES));
  $("#extend-agree").addEventListener("click", () => ask(app, call.asked || MINUTES));
}

export function resetExtend(matched, me) {
  call = { sessionId: matched.session_id, peer: matched.peer.name, me, event: Boolean(matched.event_id), asked: null };
  $("#extend-ask").hidden = true;
  $("#extend-agree").hidden = true;
  $("#extend-box").hidden = true;
  $("#call-note").textContent = "";
}

/** The first warning: offering more time makes sense from here on. */
export function offerMoreTime() {
  if (!call.event && call.sessionId) $("#extend-ask").hidden = false;
}

export function onExtendRequested(request) {
  if (request.session_id !== call.sessionId) return;
  $("#extend-box").hidden = false;
  $("#extend-ask").hidden = true; // one ask at a time; agreeing is the other button
  if (request.by === call.me) {
    say(`You asked for ${request.minutes} more minutes. Waiting for ${call.peer} to agree…`);
    $("#extend-agree").hidden = true;
    return;
  }
  call.asked = request.minutes;
  say(`${call.peer} asks for ${request.minutes} more minutes.`);
  $("#extend-agree").textContent = `Agree to ${request.minutes} more minutes`;
  $("#extend-agree").hidden = false;
}

/** A session:started that moved the end: say what changed. */
export function onEndMoved(started) {
  if (started.session_id !== call.sessionId) return;
  if (started.extended_s) {
    $("#extend-ask").hidden = true;
    $("#extend-agree").hidden = true;
    $("#extend-box").hidden = false;
    say(`+${Math.round(started.extended_s / 60)} min: you both agreed to extend the call.`);
  }
  if (started.credited_s) {
    $("#call-note").textContent = `+${started.credited_s} s credited for the time the connection dropped.`;
  }
}

function say(text) { $("#extend-text").textContent = text; }

async function ask(app, minutes) {
  if (!call.sessionId) return;
  for (const id of ["#extend-ask", "#extend-agree"]) $(id).disabled = true;
  try {
    await app.signaling.request("session:extend", { session_id: call.sessionId, minutes });
  } catch (failure) {
    $("#extend-box").hidden = false;
    say(failure.code === "extend_refused" ? `No extension: ${failure.message}` : failure.message);
    $("#extend-agree").hidden = true;
  } finally {
    for (const id of ["#extend-ask", "#extend-agree"]) $(id).disabled = false;
  }
}
