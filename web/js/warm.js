// A mentee's peer connection is built while they write their question, not when they are matched:
// creating it, the offer and ICE gathering are done before "Join", and the offer leaves the moment
// a mentor is found (docs/benchmarks.md, browser call set-up). Until a session adopts it, the
// connection keeps what it would send (rtc.js). A long wait rebuilds it every two minutes, and so
// does a network change: its candidates and TURN credentials are never much older than a match's
// own (a call keeps within --turn-ttl-seconds less about three minutes).
import { iceServers } from "./api.js";
import { media } from "./media.js";
import { CallConnection } from "./rtc.js";
import { inCall, inLine, state } from "./state.js";

const MAX_AGE_MS = 2 * 60_000;

let warm = null; // {call, generation}: the connection, and the media generation it sends
let rebuildTimer = null;

/** Build the mentee's next call connection now: on the question form, and again whenever they
 * are back in line. Nothing to do without live media (the call then builds its connection at
 * the match, as before). */
export async function warmUp() {
  if (warm || inCall() || !media.live || !onFormOrInLine()) return;
  const mine = { call: null, generation: media.generation };
  warm = mine;
  let servers;
  try {
    servers = await iceServers();
  } catch {
    if (warm === mine) warm = null;
    return;
  }
  if (warm !== mine) return; // matched, left or rebuilt meanwhile
  if (mine.generation !== media.generation) { warm = null; return; } // media restarted
  mine.call = new CallConnection({ polite: false, iceServers: servers, stream: media.stream });
  mine.call.addTracks();
  mine.call.negotiate(); // the offer and ICE gathering start now
  clearTimeout(rebuildTimer);
  rebuildTimer = setTimeout(() => rebuild(), MAX_AGE_MS);
}

/** On the question form, or in line (whatever page they read meanwhile). */
function onFormOrInLine() {
  return inLine() || (state.role === "mentee" && (state.view === "setup" || state.view === "waiting"));
}

function rebuild() {
  if (!warm) return;
  coolDown();
  warmUp();
}

/** A new network (Wi-Fi roam, VPN, dock): the gathered candidates may no longer work. */
export function wireWarm() {
  window.addEventListener("online", () => rebuild());
  navigator.connection?.addEventListener?.("change", () => rebuild());
}

/** The warm connection for this match, or null: only a fresh offerer (the mentee of a new match)
 * can use one, and only one that sends the camera and microphone as they are now (not restarted
 * since, none of its tracks ended: an unplugged camera gets the normal path, which restarts it). */
export function adoptWarm(matched) {
  const ready = warm;
  warm = null;
  clearTimeout(rebuildTimer);
  if (!ready || !ready.call) return null;
  const sent = ready.call.pc.getSenders().map((sender) => sender.track).filter(Boolean);
  const current = ready.generation === media.generation && sent.length > 0
    && sent.every((track) => track.readyState === "live" && media.stream.getTracks().includes(track));
  if (current && matched.role === "mentee" && matched.offerer && !matched.resumed) return ready.call;
  ready.call.close();
  return null;
}

/** Leaving the line (or signing out): close the connection nobody will use. */
export function coolDown() {
  clearTimeout(rebuildTimer);
  if (warm && warm.call) warm.call.close();
  warm = null;
}
