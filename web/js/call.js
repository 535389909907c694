// The call screen: both videos, controls, connection state, the server's countdown, warnings,
// the question card, and the mentor's decline window.
import { showCallContext } from "./call-context.js";
import { Countdown, chime } from "./countdown.js";
import { $, show } from "./dom.js";
import { CallConnection } from "./rtc.js";

const STATE_LABEL = {
  new: "Connecting…",
  connecting: "Connecting…",
  connected: "Connected",
  disconnected: "Reconnecting…",
  failed: "Connection lost, retrying…",
  closed: "Call ended",
};

let statsTimer = null;
let declineTimer = null;
let warningTimer = null;

export function wireCall(app) {
  app.countdown = new Countdown({
    ring: $("#ring-progress"), label: $("#timer-label"), caption: $("#timer-caption"),
    box: $(".timer"), now: () => app.signaling.now(),
  });
  $("#call-mic").addEventListener("click", () => app.media.setMicMuted(!app.media.micMuted));
  $("#call-cam").addEventListener("click", () => app.media.setCameraOff(!app.media.cameraOff));
  $("#hangup").addEventListener("click", async () => {
    if (!app.matched) return;
    $("#hangup").disabled = true;
    try {
      await app.signaling.request("session:leave", { session_id: app.matched.session_id });
    } catch (failure) {
      app.notice(failure.message, { error: true });
      $("#hangup").disabled = false;
    }
  });
  $("#decline-button").addEventListener("click", async () => {
    if (!app.matched) return;
    try {
      await app.signaling.request("session:decline", { session_id: app.matched.session_id });
    } catch (failure) {
      app.notice(failure.message, { error: true });
    }
  });
}

export function enterCall(app, matched) {
  leaveCall(app);
  app.matched = matched;
  app.started = null;
  // Straight into a call (an event round, a reload): start the camera if nothing did yet.
  if (!app.media.stream.getTracks().length && !app.media.error) app.media.start();
  showCallContext(app, matched);
  $("#call-state").textContent = STATE_LABEL.new;
  $("#call-warning").hidden = true;
  $("#hangup").disabled = false;
  $("#local-video").srcObject = app.media.stream;
  $("#remote-video").srcObject = null;
  $("#remote-video").dataset.framesDecoded = "0";
  app.countdown.reset();
  show("call");
  startDeclineWindow(app, matched);
  app.call = newConnection(app, matched);
  // A fresh page resuming a call offers from either side; the other rebuilds (see onSignal).
  app.call.start(matched.offerer || matched.resumed);
  statsTimer = setInterval(() => updateStats(app), 1000);
}

function newConnection(app, matched) {
  const sessionId = matched.session_id;
  let reported = false;
  return new CallConnection({
    polite: matched.role === "mentor",
    iceServers: matched.ice_servers,
    stream: app.media.stream,
    streamReady: app.media.whenReady(),
    send: (type, data) => app.signaling.request("signal", { session_id: sessionId, type, data }).catch(() => {}),
    onTrack: (stream) => { $("#remote-video").srcObject = stream; },
    onState: (state) => {
      $("#call-state").textContent = STATE_LABEL[state] || state;
      if (state === "connected" && !reported) {
        reported = true;
        app.signaling.request("session:connected", { session_id: sessionId }).catch(() => { reported = false; });
      }
    },
  });
}

function fingerprint(sdp) {
  const match = /a=fingerprint:\S+ (\S+)/.exec(sdp || "");
  return match ? match[1] : null;
}

export async function onSignal(app, message) {
  if (!app.matched || message.session_id !== app.matched.session_id || !app.call) return;
  const remote = app.call.pc.remoteDescription;
  // The other side reloaded and offers from a brand-new peer connection: start over with it.
  if (message.type === "offer" && remote && fingerprint(remote.sdp) !== fingerprint(message.data.sdp)) {
    app.call.close();
    app.call = newConnection(app, app.matched);
  }
  await app.call.handle(message.type, message.data);
}

function startDeclineWindow(app, matched) {
  const box = $("#decline-box");
  const until = matched.decline_until;
  box.hidden = !(matched.role === "mentor" && until && until > app.signaling.now());
  clearInterval(declineTimer);
  if (box.hidden) return;
  const render = () => {
    const left = Math.ceil((until - app.signaling.now()) / 1000);
    if (left <= 0) { box.hidden = true; clearInterval(declineTimer); return; }
    $("#decline-left").textContent = String(left);
  };
  render();
  declineTimer = setInterval(render, 250);
}

async function updateStats(app) {
  if (!app.call) return;
  try {
    const stats = await app.call.stats();
    const video = $("#remote-video");
    video.dataset.framesDecoded = String(stats.framesDecoded);
    if (app.call.pc.connectionState === "connected" && stats.rttMs !== null) {
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
}

export function callWarning(app, warning) {
  if (!app.matched || warning.session_id !== app.matched.session_id) return;
  const seconds = warning.remaining_s;
  const text = seconds >= 60
    ? `${Math.round(seconds / 60)} minute${seconds >= 120 ? "s" : ""} left`
    : `${seconds} seconds left`;
  const box = $("#call-warning");
  box.textContent = text;
  box.hidden = false;
  if ($("#chime-toggle").checked) chime();
  clearTimeout(warningTimer);
  warningTimer = setTimeout(() => { box.hidden = true; }, 6000);
}

/** Hang up locally: close the peer connection and stop the timers. The media stays on. */
export function leaveCall(app) {
  clearInterval(statsTimer);
  clearInterval(declineTimer);
  clearTimeout(warningTimer);
  if (app.countdown) app.countdown.stop();
  if (app.call) app.call.close();
  app.call = null;
  const remote = $("#remote-video");
  if (remote) remote.srcObject = null;
}
