// A mentee's peer connection is built while they write their question, not when they are matched:
// creating it, the offer and ICE gathering are done before "Join", and the offer leaves the moment
// a mentor is found (docs/benchmarks.md, browser call set-up). Until a session adopts it, the
// connection keeps what it would send (rtc.js). A long wait rebuilds it every few minutes, so its
// TURN allocation is never made with credentials much older than a match's own.
import { iceServers } from "./api.js";
import { currentView } from "./dom.js";
import { CallConnection } from "./rtc.js";

const MAX_AGE_MS = 5 * 60_000;

let rebuildTimer = null;

/** Build the mentee's next call connection now: on the question form, and again whenever they
 * are back in line. Nothing to do without live media (the call then builds its connection at
 * the match, as before). */
export async function warmUp(app) {
  if (app.warm || app.matched || !app.media.live) return;
  const warm = { call: null };
  app.warm = warm;
  let servers;
  try {
    servers = await iceServers();
  } catch {
    if (app.warm === warm) app.warm = null;
    return;
  }
  if (app.warm !== warm) return; // matched, left or rebuilt meanwhile
  warm.call = new CallConnection({ polite: false, iceServers: servers, stream: app.media.stream });
  warm.call.addTracks();
  warm.call.negotiate(); // the offer and ICE gathering start now
  clearTimeout(rebuildTimer);
  rebuildTimer = setTimeout(() => {
    if (app.warm !== warm) return;
    coolDown(app);
    if (["setup", "waiting"].includes(currentView()) && app.role === "mentee") warmUp(app);
  }, MAX_AGE_MS);
}

/** The warm connection for this match, or null: only a fresh offerer (the mentee of a new match)
 * can use one, and only one built from the media the call sends. */
export function adoptWarm(app, matched) {
  const warm = app.warm;
  app.warm = null;
  clearTimeout(rebuildTimer);
  if (!warm || !warm.call) return null;
  const fits = matched.role === "mentee" && matched.offerer && !matched.resumed && warm.call.stream === app.media.stream;
  if (fits) return warm.call;
  warm.call.close();
  return null;
}

/** Leaving the line (or signing out): close the connection nobody will use. */
export function coolDown(app) {
  clearTimeout(rebuildTimer);
  if (app.warm && app.warm.call) app.warm.call.close();
  app.warm = null;
}
