// A mentee's peer connection is built while they write their question, not when they are matched:
// creating it, the offer and ICE gathering are done before "Join", and the offer leaves the moment
// a mentor is found (docs/benchmarks.md, browser call set-up). Until a session adopts it, the
// connection keeps what it would send (rtc.js). A long wait rebuilds it every two minutes, and so
// does a network change: its candidates and TURN credentials are never much older than a match's
// own (a call keeps within --turn-ttl-seconds less about three minutes).
import { iceServers } from "./api.js";
import { currentView } from "./dom.js";
import { CallConnection } from "./rtc.js";

const MAX_AGE_MS = 2 * 60_000;

let rebuildTimer = null;

/** Build the mentee's next call connection now: on the question form, and again whenever they
 * are back in line. Nothing to do without live media (the call then builds its connection at
 * the match, as before). */
export async function warmUp(app) {
  if (app.warm || app.matched || !app.media.live || !inLine(app)) return;
  const warm = { call: null, generation: app.media.generation };
  app.warm = warm;
  let servers;
  try {
    servers = await iceServers();
  } catch {
    if (app.warm === warm) app.warm = null;
    return;
  }
  if (app.warm !== warm) return; // matched, left or rebuilt meanwhile
  if (warm.generation !== app.media.generation) { app.warm = null; return; } // media restarted
  warm.call = new CallConnection({ polite: false, iceServers: servers, stream: app.media.stream });
  warm.call.addTracks();
  warm.call.negotiate(); // the offer and ICE gathering start now
  clearTimeout(rebuildTimer);
  rebuildTimer = setTimeout(() => rebuild(app), MAX_AGE_MS);
}

/** On the question form, or in line (whatever page they read meanwhile). */
function inLine(app) {
  return app.role === "mentee" && (Boolean(app.waiting) || currentView() === "setup" || currentView() === "waiting");
}

function rebuild(app) {
  if (!app.warm) return;
  coolDown(app);
  warmUp(app);
}

/** A new network (Wi-Fi roam, VPN, dock): the gathered candidates may no longer work. */
export function wireWarm(app) {
  window.addEventListener("online", () => rebuild(app));
  navigator.connection?.addEventListener?.("change", () => rebuild(app));
}

/** The warm connection for this match, or null: only a fresh offerer (the mentee of a new match)
 * can use one, and only one that sends the camera and microphone as they are now (not restarted
 * since, none of its tracks ended: an unplugged camera gets the normal path, which restarts it). */
export function adoptWarm(app, matched) {
  const warm = app.warm;
  app.warm = null;
  clearTimeout(rebuildTimer);
  if (!warm || !warm.call) return null;
  const sent = warm.call.pc.getSenders().map((sender) => sender.track).filter(Boolean);
  const current = warm.generation === app.media.generation && sent.length > 0
    && sent.every((track) => track.readyState === "live" && app.media.stream.getTracks().includes(track));
  if (current && matched.role === "mentee" && matched.offerer && !matched.resumed) return warm.call;
  warm.call.close();
  return null;
}

/** Leaving the line (or signing out): close the connection nobody will use. */
export function coolDown(app) {
  clearTimeout(rebuildTimer);
  if (app.warm && app.warm.call) app.warm.call.close();
  app.warm = null;
}
