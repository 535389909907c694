// Where a call's end leads (session:ended): the rating, back in line, the burst, the event's
// lobby, or the form again; and what to tell the person on the way.
import { login } from "./api.js";
import { closeElsewhere, forgetHeldCall, leaveCall } from "./call.js";
import { notice } from "./dom.js";
import { openLobby } from "./events.js";
import { showMentor } from "./mentor.js";
import { openRating } from "./rating.js";
import { openSetup } from "./setup.js";
import { callEnded, callLive, partnerLeft, state } from "./state.js";
import { showWaiting } from "./waiting.js";

export function onSessionEnded(ended) {
  const matched = state.matched;
  if (!matched || ended.session_id !== matched.session_id) return;
  const wasLive = callLive();
  leaveCall();
  closeElsewhere();
  forgetHeldCall();
  callEnded();
  if (matched.event_id) {
    if (ended.reason === "left" && state.event && state.event.state === "round") {
      notice("Your partner left. If someone is free this round, you'll be paired again.");
      partnerLeft();
      openLobby();
    } else {
      openRating(ended, matched, { quick: true });
    }
    return;
  }
  if (ended.reason === "no_connection") {
    noConnection(ended, matched);
    return;
  }
  if (ended.reason === "declined") {
    if (matched.role === "mentee") {
      notice(`${matched.peer.name} couldn't take this question. You keep your place at the front of the line.`);
      showWaiting(null); // the queue:update that follows says who else can take it
    } else {
      notice("Declined. They're back at the front of the line.");
      showMentor();
    }
    return;
  }
  if (!wasLive) {
    notice("The call ended before it started.");
    if (matched.role === "mentor") showMentor();
    else openSetup("mentee");
    return;
  }
  openRating(ended, matched);
}

/** The call never connected: say who did not show, and what happens to each side (v2 rule). */
function noConnection(ended, matched) {
  const absent = ended.no_show || [];
  const me = login.user && login.user.id;
  const peer = matched.peer.name;
  if (matched.role === "mentee") {
    if (absent.includes(me)) {
      notice("Your call didn't start in time, so you left the line. Check your camera and connection, then ask again when you're ready.", { ms: 15000 });
      openSetup("mentee");
      return;
    }
    notice(absent.length
      ? `${peer} didn't answer in time. You're back at the front of the line.`
      : "The call couldn't connect. You're back at the front of the line.");
    showWaiting(null);
    return;
  }
  if (absent.includes(me)) {
    notice("You didn't answer in time, so you're offline now. Go online again when you're ready.", { ms: 15000 });
  } else {
    notice(absent.length
      ? `${peer} didn't show up. You're still online for the next question.`
      : "The call couldn't connect. You're still online for the next question.");
  }
  showMentor();
}
