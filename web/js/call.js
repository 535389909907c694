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
import { $, currentView, formatDuration, notice, show } from "./dom.js";
import { offerMoreTime, onEndMoved, resetExtend } from "./extend.js";
import { closeNotes, openNotes, resyncNotes } from "./notes.js";
import { cancelOffer, needsTaking, offer } from "./offer.js";
import { CallConnection } from "./rtc.js";
import { attachShare, stopShare } from "./share.js";
import { partnerAnswered, partnerReading, resetStage, showTrack, updateStage } from "./stage.js";
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

let statsTimer = null;
let warningTimer = null;
let settleTimer = null;
let elsewhereTimer = null;

export function wireCall(app) {
  app.countdown = new Countdown({
    ring: $("#ring-progress"), label: $("#timer-label"), caption: $("#timer-caption"),
    box: $(".timer"), now: () => app.signaling.now(),
  });
  $("#call-mic").addEventListener("click", () => app.media.setMicMuted(!app.media.micMuted));
  $("#call-cam").addEventListener("click", () => app.media.setCameraOff(!app.media.cameraOff));
  app.media.onChange(() => syncCamera(app));
  $("#hangup").addEventListener("click", () => confirmHangup(true));
  $("#hangup-no").addEventListener("click", () => confirmHangup(false));
  $("#hangup-confirm").addEventListener("keydown", (event) => { if (event.key === "Escape") confirmHangup(false); });
  $("#hangup-yes").addEventListener("click", () => hangUp(app));
  for (const tab of document.querySelectorAll("#view-call [role=tab]")) {
    tab.addEventListener("click", () => selectTab(tab.id));
  }
  $("#elsewhere-take").addEventListener("click", () => useHere(app));
  const chimeBox = $("#chime-toggle");
  chimeBox.checked = chimeOn();
  chimeBox.addEventListener("change", () => setChime(chimeBox.checked));
}

function confirmHangup(open) {
  $("#hangup-confirm").hidden = !open;
  $("#hangup").hidden = open;
  if (open) $("#hangup-yes").focus();
  else $("#hangup").focus();
}

async function hangUp(app) {
  if (!app.matched) return;
  $("#hangup-yes").disabled = true;
  try {
    await app.signaling.request("session:leave", { session_id: app.matched.session_id });
  } catch (failure) {
    app.notice(failure.message, { error: true });
  } finally {
    $("#hangup-yes").disabled = false;
  }
}

function selectTab(id) {
  for (const tab of document.querySelectorAll("#view-call [role=tab]")) {
    const on = tab.id === id;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    $(`#${tab.getAttribute("aria-controls")}`).hidden = !on;
  }
  if (id === "tab-chat") setUnread(0);
}

/** Media for the call: the camera started at pre-join, or now (a mentor who just took it). */
function startMedia(app) {
  if (!app.media.live && !app.media.error) return app.media.start();
  return app.media.whenReady();
}

export function enterCall(app, matched) {
  if (matched.resumed && app.elsewhere === matched.session_id) {
    app.matched = { ...app.matched, ...matched }; // still elsewhere until "Use here"
    return;
  }
  if (matched.resumed && matched.held_elsewhere) {
    const mine = heldBefore(matched.session_id);
    if (mine) takeBack(app, matched, mine);
    else showElsewhere(app, matched);
    return;
  }
  const running = app.call && app.matched && app.matched.session_id === matched.session_id;
  if (running && matched.resumed) {
    app.matched = { ...app.matched, ...matched }; // the socket came back; the call kept going
    return;
  }
  leaveCall(app);
  app.matched = matched;
  app.started = null;
  // The mentee's warm connection (warm.js) speaks first: its offer leaves before the call screen
  // is built, which would otherwise hold the page's one thread for tens of milliseconds.
  const warm = adoptWarm(app, matched);
  if (warm) app.call = newConnection(app, matched, null, warm);
  const me = login.user?.id;
  showCallContext(app, matched);
  $("#call-state").textContent = STATE_LABEL.new;
  $("#call-warning").hidden = true;
  confirmHangup(false);
  $("#local-video").srcObject = app.media.stream;
  const windowOpen = Boolean(matched.decline_until) && matched.decline_until > app.signaling.now();
  resetStage(matched.peer.name, { reading: matched.role === "mentee" && windowOpen && !matched.resumed });
  app.countdown.reset();
  resetExtend(matched, me);
  selectTab("tab-chat");
  const reading = !matched.taken && needsTaking(app, matched);
  const taken = reading ? offer(app, matched) : Promise.resolve();
  if (!reading) show("call");
  taken.then(() => { if (app.matched === matched) show("call"); });
  if (!warm) {
    app.call = newConnection(app, matched, taken.then(() => startMedia(app)));
    // A fresh page resuming a call offers from either side; the other rebuilds (see onSignal).
    app.call.start(matched.offerer || matched.resumed);
  }
  openChat(app, matched, me);
  openNotes(app, matched.session_id);
  // The chat record and the notes are fetched a second later: at the match those requests
  // competed with the offer, the answer and the first frame for the server and the page.
  settleTimer = setTimeout(() => {
    if (app.matched !== matched) return;
    catchUp();
    resyncNotes();
  }, SETTLE_MS);
  statsTimer = setInterval(() => updateStats(app), 1000);
}

/** The call's connection: a new one, or the mentee's warm one (warm.js) given this session. */
function newConnection(app, matched, mediaReady, warm = null) {
  const sessionId = matched.session_id;
  let reported = false;
  let connection = null;
  const wiring = {
    send: (type, data) => app.signaling.request("signal", { session_id: sessionId, type, data })
      .then(() => rememberHeld(app, sessionId))
      .catch((failure) => {
        // Another tab of ours holds the call (it spoke first, or took it): step aside.
        if (failure.code === "call_elsewhere" && app.call === connection) showElsewhere(app, app.matched);
      }),
    onTrack: (event, pc) => showTrack(pc, event),
    onState: (state) => {
      $("#call-state").textContent = STATE_LABEL[state] || state;
      if (state === "connected") syncCamera(app);
      if (state === "connected" && !reported) {
        reported = true;
        app.signaling.request("session:connected", { session_id: sessionId }).catch(() => { reported = false; });
      }
    },
  };
  if (warm) {
    connection = warm;
    warm.attach(wiring);
    return warm;
  }
  connection = new CallConnection({
    ...wiring,
    polite: matched.role === "mentor",
    iceServers: matched.ice_servers,
    stream: app.media.stream,
    streamReady: mediaReady,
  });
  return connection;
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

function rememberHeld(app, sessionId) {
  const socket = app.signaling && app.signaling.id;
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
async function takeBack(app, matched, previous) {
  app.matched = matched; // so the countdown that follows the catch-up is kept
  try {
    await app.signaling.request("session:take", { session_id: matched.session_id, replaces: previous });
  } catch (failure) {
    if (failure.code === "call_elsewhere") showElsewhere(app, matched);
    else if (failure.code !== "not_in_session") notice(failure.message, { error: true });
    return;
  }
  if (app.matched !== matched) return; // ended meanwhile
  rememberHeld(app, matched.session_id);
  enterHere(app, { ...matched, held_elsewhere: false });
}

/** Enter (or keep) the call in this tab, keeping a countdown that already started. */
function enterHere(app, matched) {
  const started = app.started && app.started.session_id === matched.session_id ? app.started : null;
  enterCall(app, matched);
  if (started && !app.started) callStarted(app, started);
}

/** Another tab holds this call: close our connection, turn the camera off, and say so. */
function showElsewhere(app, matched) {
  if (!matched) return;
  const already = app.elsewhere === matched.session_id;
  const started = app.started && app.started.session_id === matched.session_id ? app.started : null;
  leaveCall(app);
  app.matched = matched;
  app.started = started;
  app.elsewhere = matched.session_id;
  app.media.release();
  $("#elsewhere-peer").textContent = `You're in a call with ${matched.peer.name} in another tab or window.`;
  $("#elsewhere-question").textContent = matched.question;
  $("#elsewhere-error").textContent = "";
  clearInterval(elsewhereTimer);
  renderTimeLeft(app);
  elsewhereTimer = setInterval(() => renderTimeLeft(app), 1000);
  if (!already || currentView() !== "elsewhere") show("elsewhere");
}

function renderTimeLeft(app) {
  if (!app.elsewhere || !app.signaling) return;
  const started = app.started;
  const left = started ? Math.max(0, (started.ends_at - app.signaling.now()) / 1000) : null;
  $("#elsewhere-left").textContent = left === null ? "" : `${formatDuration(left)} left`;
}

/** The server says another tab of ours now holds the call. */
export function callMoved(app, moved) {
  if (!app.matched || moved.session_id !== app.matched.session_id) return;
  if (heldBefore(moved.session_id)) forgetHeldCall();
  showElsewhere(app, app.matched);
}

/** "Use here": the call moves to this tab. The partner's connection rebuilds when our fresh
 * offer arrives (onSignal), as after a reload: a moment of reconnecting, not a new match. */
async function useHere(app) {
  const matched = app.matched;
  if (!matched || app.elsewhere !== matched.session_id) return;
  const button = $("#elsewhere-take");
  button.disabled = true;
  $("#elsewhere-error").textContent = "";
  try {
    await app.signaling.request("session:take", { session_id: matched.session_id });
  } catch (failure) {
    $("#elsewhere-error").textContent = failure.message;
    return;
  } finally {
    button.disabled = false;
  }
  if (app.matched !== matched) return;
  rememberHeld(app, matched.session_id);
  closeElsewhere(app);
  enterHere(app, { ...matched, resumed: true, held_elsewhere: false, taken: true });
}

/** Leave the "open in another tab" notice (the call moved here, or ended). */
export function closeElsewhere(app) {
  clearInterval(elsewhereTimer);
  app.elsewhere = null;
}

/** The call is over: this tab holds nothing any more. */
export function forgetHeldCall() {
  held = null;
  sessionStorage.removeItem(HELD_KEY);
}

/** Camera off sends no picture (the partner sees a placeholder with our name); on sends it again. */
function syncCamera(app) {
  if (!app.call) return;
  const track = app.media.cameraOff ? null : app.media.videoTrack;
  app.call.setCameraSending(track).catch(() => {});
}

function fingerprint(sdp) {
  const match = /a=fingerprint:\S+ (\S+)/.exec(sdp || "");
  return match ? match[1] : null;
}

export async function onSignal(app, message) {
  if (!app.matched || message.session_id !== app.matched.session_id || !app.call) return;
  const remote = app.call.pc.remoteDescription;
  if (message.type === "answer") partnerAnswered();
  // The other side reloaded and offers from a brand-new peer connection: start over with it.
  if (message.type === "offer" && remote && fingerprint(remote.sdp) !== fingerprint(message.data.sdp)) {
    app.call.close();
    app.call = newConnection(app, app.matched, startMedia(app));
    await app.call.handle(message.type, message.data);
    await attachShare(app);
    return;
  }
  await app.call.handle(message.type, message.data);
}

async function updateStats(app) {
  if (!app.call) return;
  try {
    const stats = await app.call.stats();
    const connected = app.call.pc.connectionState === "connected";
    updateStage(stats, connected);
    if (!connected && partnerReading()) {
      $("#call-state").textContent = `${app.matched.peer.name} is reading your question…`;
    } else if (connected && stats.rttMs !== null) {
      const quality = stats.loss > 0.05 || stats.rttMs > 400 ? "weak" : "good";
      $("#call-state").textContent = `Connected · ${quality} (${stats.rttMs} ms)`;
    }
  } catch {
    // The connection closed between ticks.
  }
}

export function callStarted(app, started) {
  if (!app.matched || started.session_id !== app.matched.session_id) return;
  app.started = started;
  app.countdown.start(started.started_at, started.ends_at);
  onEndMoved(started);
  // A page (re)loaded in the last minute missed the first warning: offer more time anyway.
  if (!started.extended_s && started.ends_at - app.signaling.now() <= 60_000) offerMoreTime();
}

export function callWarning(app, warning) {
  if (!app.matched || warning.session_id !== app.matched.session_id || app.elsewhere) return;
  const seconds = warning.remaining_s;
  const text = seconds >= 60
    ? `${Math.round(seconds / 60)} minute${seconds >= 120 ? "s" : ""} left`
    : `${seconds} seconds left`;
  const box = $("#call-warning");
  box.textContent = text;
  box.hidden = false;
  offerMoreTime();
  if (chimeOn()) chime();
  clearTimeout(warningTimer);
  warningTimer = setTimeout(() => { box.hidden = true; }, 6000);
}

/** Hang up locally: close the peer connection and stop the timers. The media stays on. */
export function leaveCall(app) {
  clearInterval(statsTimer);
  clearTimeout(warningTimer);
  clearTimeout(settleTimer);
  cancelOffer();
  stopShare(app);
  closeNotes();
  if (app.countdown) app.countdown.stop();
  if (app.call) app.call.close();
  app.call = null;
  const remote = $("#remote-video");
  if (remote) remote.srcObject = null;
}
