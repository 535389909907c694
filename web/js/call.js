// The call screen: the stage, controls, connection state, the server's countdown and warnings,
// the question (or an event round's intros and prompt), chat and notes, and hanging up (asked
// once). A mentor reads the question first (offer.js); its camera and microphone start only when
// it takes the call.
//
// One tab holds the call (docs/protocol.md): the first of a person's tabs to signal, or the last
// to press "Use here" (session:take). Another tab shows "This call is open in another tab", with
// its camera off, until the person moves the call there. A tab remembers (sessionStorage: per
// tab, kept across reloads) the call it holds and the socket it held it with, so after a reload
// or a reconnect it takes the call back from its own old socket, never from another tab.
import { chimeOn, setChime } from "./alerts.js";
import { login } from "./api.js";
import { showCallContext } from "./call-context.js";
import { catchUp, openChat, setUnread } from "./chat.js";
import { Countdown, chime } from "./countdown.js";
import { formatDuration, notice, parts, show, viewSection } from "./dom.js";
import { offerMoreTime, onEndMoved, resetExtend } from "./extend.js";
import { media } from "./media.js";
import { closeNotes, openNotes, resyncNotes } from "./notes.js";
import { cancelOffer, needsTaking, offer } from "./offer.js";
import { CallConnection } from "./rtc.js";
import * as server from "./server.js";
import { attachShare, stopShare } from "./share.js";
import { clearRemote, partnerAnswered, partnerReading, resetStage, showTrack, updateStage } from "./stage.js";
import {
  callEntered, callHeldElsewhere, callHeldHere, callReclaimed, callResumed, callStarted, state,
} from "./state.js";
import { adoptWarm } from "./warm.js";

const STATE_LABEL = {
  new: "Connecting…",
  connecting: "Connecting…",
  connected: "Connected",
  disconnected: "Reconnecting…",
  failed: "Connection lost, retrying…",
  closed: "Call ended",
};

const SETTLE_MS = 1000;
const HELD_KEY = "mentorburst.held";

const section = viewSection("call");
const ui = parts(section, {
  ringProgress: "ring-progress", timerLabel: "timer-label", timerCaption: "timer-caption",
  callMic: "call-mic", callCam: "call-cam", hangup: "hangup", hangupNo: "hangup-no",
  hangupConfirm: "hangup-confirm", hangupYes: "hangup-yes", chimeToggle: "chime-toggle",
  callState: "call-state", callWarning: "call-warning", localVideo: "local-video",
});
const tabs = [...section.querySelectorAll("[role=tab]")];
const away = parts(viewSection("elsewhere"), {
  elsewhereTake: "elsewhere-take", elsewherePeer: "elsewhere-peer", elsewhereQuestion: "elsewhere-question",
  elsewhereError: "elsewhere-error", elsewhereLeft: "elsewhere-left",
});

const countdown = new Countdown({
  ring: ui.ringProgress, label: ui.timerLabel, caption: ui.timerCaption,
  box: section.querySelector(".timer"), now: () => server.now(),
});

let connection = null; // the call's CallConnection while this tab holds a call
let statsTimer = null;
let warningTimer = null;
let settleTimer = null;
let elsewhereTimer = null;

/** The call's peer connection in this tab, or null (share.js adds the screen to it). */
export const callConnection = () => connection;

export function wireCall() {
  ui.callMic.addEventListener("click", () => media.setMicMuted(!media.micMuted));
  ui.callCam.addEventListener("click", () => media.setCameraOff(!media.cameraOff));
  media.onChange(() => { renderMediaButtons(); syncCamera(); });
  ui.hangup.addEventListener("click", () => confirmHangup(true));
  ui.hangupNo.addEventListener("click", () => confirmHangup(false));
  ui.hangupConfirm.addEventListener("keydown", (event) => { if (event.key === "Escape") confirmHangup(false); });
  ui.hangupYes.addEventListener("click", () => hangUp());
  for (const tab of tabs) {
    tab.addEventListener("click", () => selectTab(tab.id));
  }
  away.elsewhereTake.addEventListener("click", () => useHere());
  const chimeBox = ui.chimeToggle;
  chimeBox.checked = chimeOn();
  chimeBox.addEventListener("change", () => setChime(chimeBox.checked));
}

function renderMediaButtons() {
  for (const [button, pressed, on, off] of [
    [ui.callMic, media.micMuted, "Unmute", "Mute"],
    [ui.callCam, media.cameraOff, "Camera on", "Camera off"],
  ]) {
    button.setAttribute("aria-pressed", String(pressed));
    button.textContent = pressed ? on : off;
  }
}

function confirmHangup(open) {
  ui.hangupConfirm.hidden = !open;
  ui.hangup.hidden = open;
  if (open) ui.hangupYes.focus();
  else ui.hangup.focus();
}

async function hangUp() {
  if (!state.matched) return;
  ui.hangupYes.disabled = true;
  try {
    await server.request("session:leave", { session_id: state.matched.session_id });
  } catch (failure) {
    notice(failure.message, { error: true });
  } finally {
    ui.hangupYes.disabled = false;
  }
}

function selectTab(id) {
  for (const tab of tabs) {
    const on = tab.id === id;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    section.querySelector(`#${tab.getAttribute("aria-controls")}`).hidden = !on;
  }
  if (id === "tab-chat") setUnread(0);
}

/** Media for the call: the camera started at pre-join, or now (a mentor who just took it). */
function startMedia() {
  if (!media.live && !media.error) return media.start();
  return media.whenReady();
}

export function enterCall(matched) {
  if (matched.resumed && state.elsewhere === matched.session_id) {
    callResumed(matched); // still elsewhere until "Use here"
    return;
  }
  if (matched.resumed && matched.held_elsewhere) {
    const mine = heldBefore(matched.session_id);
    if (mine) takeBack(matched, mine);
    else showElsewhere(matched);
    return;
  }
  const running = connection && state.matched && state.matched.session_id === matched.session_id;
  if (running && matched.resumed) {
    callResumed(matched); // the socket came back; the call kept going
    return;
  }
  leaveCall();
  callEntered(matched);
  // The mentee's warm connection (warm.js) speaks first: its offer leaves before the call screen
  // is built, which would otherwise hold the page's one thread for tens of milliseconds.
  const warm = adoptWarm(matched);
  if (warm) connection = newConnection(matched, null, warm);
  const me = login.user?.id;
  showCallContext(matched);
  ui.callState.textContent = STATE_LABEL.new;
  ui.callWarning.hidden = true;
  confirmHangup(false);
  ui.localVideo.srcObject = media.stream;
  const windowOpen = Boolean(matched.decline_until) && matched.decline_until > server.now();
  resetStage(matched.peer.name, { reading: matched.role === "mentee" && windowOpen && !matched.resumed });
  countdown.reset();
  resetExtend(matched, me);
  selectTab("tab-chat");
  const reading = !matched.taken && needsTaking(matched);
  const taken = reading ? offer(matched) : Promise.resolve();
  if (!reading) show("call");
  taken.then(() => { if (state.matched === matched) show("call"); });
  if (!warm) {
    connection = newConnection(matched, taken.then(() => startMedia()));
    // A fresh page resuming a call offers from either side; the other rebuilds (see onSignal).
    connection.start(matched.offerer || matched.resumed);
  }
  openChat(matched, me);
  openNotes(matched.session_id);
  // The chat record and the notes are fetched a second later: at the match those requests
  // competed with the offer, the answer and the first frame for the server and the page.
  settleTimer = setTimeout(() => {
    if (state.matched !== matched) return;
    catchUp();
    resyncNotes();
  }, SETTLE_MS);
  statsTimer = setInterval(() => updateStats(), 1000);
}

/** The call's connection: a new one, or the mentee's warm one (warm.js) given this session. */
function newConnection(matched, mediaReady, warm = null) {
  const sessionId = matched.session_id;
  let reported = false;
  let built = null;
  const wiring = {
    send: (type, data) => server.request("signal", { session_id: sessionId, type, data })
      .then(() => rememberHeld(sessionId))
      .catch((failure) => {
        // Another tab of ours holds the call (it spoke first, or took it): step aside.
        if (failure.code === "call_elsewhere" && connection === built) showElsewhere(state.matched);
      }),
    onTrack: (event, pc) => showTrack(pc, event),
    onState: (connectionState) => {
      ui.callState.textContent = STATE_LABEL[connectionState] || connectionState;
      if (connectionState === "connected") syncCamera();
      if (connectionState === "connected" && !reported) {
        reported = true;
        server.request("session:connected", { session_id: sessionId }).catch(() => { reported = false; });
      }
    },
  };
  if (warm) {
    built = warm;
    warm.attach(wiring);
    return warm;
  }
  built = new CallConnection({
    ...wiring,
    polite: matched.role === "mentor",
    iceServers: matched.ice_servers,
    stream: media.stream,
    streamReady: mediaReady,
  });
  return built;
}

// -- one tab holds the call -----------------------------------------------------------------

// What this page holds: {session_id, socket}. A duplicated tab starts with a copy of the
// original's sessionStorage, so a page reads what was kept there only when it is a reload of
// this very tab; otherwise it would take the call from the tab it was copied from.
let held = reloaded() ? stored() : null;

function reloaded() {
  const [navigation] = performance.getEntriesByType("navigation");
  return Boolean(navigation) && navigation.type === "reload";
}

function stored() {
  try {
    return JSON.parse(sessionStorage.getItem(HELD_KEY) || "null");
  } catch {
    return null;
  }
}

function rememberHeld(sessionId) {
  const socket = server.socketId();
  if (!socket || (held && held.session_id === sessionId && held.socket === socket)) return;
  held = { session_id: sessionId, socket };
  sessionStorage.setItem(HELD_KEY, JSON.stringify(held));
}

/** The socket id this tab held the call with, if it held this call. */
function heldBefore(sessionId) {
  return held && held.session_id === sessionId ? held.socket : null;
}

/** A reload or reconnect of the tab that held the call: take it back from our own old socket
 * (the server may not have seen it close yet). Refused when another tab holds it meanwhile. */
async function takeBack(matched, previous) {
  callReclaimed(matched); // so the countdown that follows the catch-up is kept
  try {
    await server.request("session:take", { session_id: matched.session_id, replaces: previous });
  } catch (failure) {
    if (failure.code === "call_elsewhere") showElsewhere(matched);
    else if (failure.code !== "not_in_session") notice(failure.message, { error: true });
    return;
  }
  if (state.matched !== matched) return; // ended meanwhile
  rememberHeld(matched.session_id);
  enterHere({ ...matched, held_elsewhere: false });
}

/** Enter (or keep) the call in this tab, keeping a countdown that already started. */
function enterHere(matched) {
  const started = state.started && state.started.session_id === matched.session_id ? state.started : null;
  enterCall(matched);
  if (started && !state.started) onCallStarted(started);
}

/** Another tab holds this call: close our connection, turn the camera off, and say so. */
function showElsewhere(matched) {
  if (!matched) return;
  const already = state.elsewhere === matched.session_id;
  leaveCall();
  callHeldElsewhere(matched);
  media.release();
  away.elsewherePeer.textContent = `You're in a call with ${matched.peer.name} in another tab or window.`;
  away.elsewhereQuestion.textContent = matched.question;
  away.elsewhereError.textContent = "";
  clearInterval(elsewhereTimer);
  renderTimeLeft();
  elsewhereTimer = setInterval(() => renderTimeLeft(), 1000);
  if (!already || state.view !== "elsewhere") show("elsewhere");
}

function renderTimeLeft() {
  if (!state.elsewhere || !server.isOpen()) return;
  const started = state.started;
  const left = started ? Math.max(0, (started.ends_at - server.now()) / 1000) : null;
  away.elsewhereLeft.textContent = left === null ? "" : `${formatDuration(left)} left`;
}

/** session:moved: another tab of ours now holds the call. */
export function onCallMoved(moved) {
  if (!state.matched || moved.session_id !== state.matched.session_id) return;
  if (heldBefore(moved.session_id)) forgetHeldCall();
  showElsewhere(state.matched);
}

/** "Use here": the call moves to this tab. The partner's connection rebuilds when our fresh
 * offer arrives (onSignal), as after a reload: a moment of reconnecting, not a new match. */
async function useHere() {
  const matched = state.matched;
  if (!matched || state.elsewhere !== matched.session_id) return;
  const button = away.elsewhereTake;
  button.disabled = true;
  away.elsewhereError.textContent = "";
  try {
    await server.request("session:take", { session_id: matched.session_id });
  } catch (failure) {
    away.elsewhereError.textContent = failure.message;
    return;
  } finally {
    button.disabled = false;
  }
  if (state.matched !== matched) return;
  rememberHeld(matched.session_id);
  closeElsewhere();
  enterHere({ ...matched, resumed: true, held_elsewhere: false, taken: true });
}

/** Leave the "open in another tab" notice (the call moved here, or ended). */
export function closeElsewhere() {
  clearInterval(elsewhereTimer);
  callHeldHere();
}

/** The call is over: this tab holds nothing any more. */
export function forgetHeldCall() {
  held = null;
  sessionStorage.removeItem(HELD_KEY);
}

/** Camera off sends no picture (the partner sees a placeholder with our name); on sends it again. */
function syncCamera() {
  if (!connection) return;
  const track = media.cameraOff ? null : media.videoTrack;
  connection.setCameraSending(track).catch(() => {});
}

/** A camera or microphone switched on the pre-join card: the call sends the new ones. */
export async function replaceTracks() {
  if (!connection) return;
  for (const track of media.stream.getTracks()) await connection.replaceTrack(track);
}

function fingerprint(sdp) {
  const match = /a=fingerprint:\S+ (\S+)/.exec(sdp || "");
  return match ? match[1] : null;
}

export async function onSignal(message) {
  if (!state.matched || message.session_id !== state.matched.session_id || !connection) return;
  const remote = connection.pc.remoteDescription;
  if (message.type === "answer") partnerAnswered();
  // The other side reloaded and offers from a brand-new peer connection: start over with it.
  if (message.type === "offer" && remote && fingerprint(remote.sdp) !== fingerprint(message.data.sdp)) {
    connection.close();
    connection = newConnection(state.matched, startMedia());
    await connection.handle(message.type, message.data);
    await attachShare();
    return;
  }
  await connection.handle(message.type, message.data);
}

async function updateStats() {
  if (!connection) return;
  try {
    const stats = await connection.stats();
    const connected = connection.pc.connectionState === "connected";
    updateStage(stats, connected);
    if (!connected && partnerReading()) {
      ui.callState.textContent = `${state.matched.peer.name} is reading your question…`;
    } else if (connected && stats.rttMs !== null) {
      const quality = stats.loss > 0.05 || stats.rttMs > 400 ? "weak" : "good";
      ui.callState.textContent = `Connected · ${quality} (${stats.rttMs} ms)`;
    }
  } catch {
    // The connection closed between ticks.
  }
}

/** session:started: the countdown, or its new end. */
export function onCallStarted(started) {
  if (!state.matched || started.session_id !== state.matched.session_id) return;
  callStarted(started);
  countdown.start(started.started_at, started.ends_at);
  onEndMoved(started);
  // A page (re)loaded in the last minute missed the first warning: offer more time anyway.
  if (!started.extended_s && started.ends_at - server.now() <= 60_000) offerMoreTime();
}

/** session:warning: a minute (or seconds) left. */
export function onCallWarning(warning) {
  if (!state.matched || warning.session_id !== state.matched.session_id || state.elsewhere) return;
  const seconds = warning.remaining_s;
  const text = seconds >= 60
    ? `${Math.round(seconds / 60)} minute${seconds >= 120 ? "s" : ""} left`
    : `${seconds} seconds left`;
  const box = ui.callWarning;
  box.textContent = text;
  box.hidden = false;
  offerMoreTime();
  if (chimeOn()) chime();
  clearTimeout(warningTimer);
  warningTimer = setTimeout(() => { box.hidden = true; }, 6000);
}

/** Media in use by a call in this tab: a mentor's camera stays on while it lasts. */
export const callHoldsMedia = () => connection !== null;

/** Hang up locally: close the peer connection and stop the timers. The media stays on. */
export function leaveCall() {
  clearInterval(statsTimer);
  clearTimeout(warningTimer);
  clearTimeout(settleTimer);
  cancelOffer();
  stopShare();
  closeNotes();
  countdown.stop();
  if (connection) connection.close();
  connection = null;
  clearRemote();
}
