// The call's stage: the partner's camera, their shared screen (large, with the camera as a small
// tile), and a placeholder with their name when no picture comes (camera off, not yet taken).
import { parts, viewSection } from "./dom.js";

const STALL_MS = 2000;

const section = viewSection("call");
const ui = parts(section, {
  remote: "remote-video", share: "share-video", placeholder: "remote-placeholder",
  initial: "placeholder-initial", text: "placeholder-text", shareState: "share-state",
});
const stage = section.querySelector(".stage");

let view = { name: "", reading: false, lastFrames: 0, lastChange: 0, connected: false };

export function resetStage(peerName, { reading = false } = {}) {
  view = { name: peerName, reading, lastFrames: 0, lastChange: Date.now(), connected: false };
  for (const video of [ui.remote, ui.share]) {
    video.srcObject = null;
    video.dataset.framesDecoded = "0";
  }
  ui.share.hidden = true;
  stage.classList.remove("sharing");
  ui.initial.textContent = (peerName.trim()[0] || "?").toUpperCase();
  renderPlaceholder();
}

/** The partner took the call (its answer arrived): stop saying it is reading. */
export function partnerAnswered() {
  if (!view.reading) return;
  view.reading = false;
  renderPlaceholder();
}

export const partnerReading = () => view.reading;

/** The first transceiver of a kind carries the partner's camera or microphone; later ones carry
 * a shared screen (and a shared tab's sound). */
function isFirst(pc, transceiver, kind) {
  const first = pc.getTransceivers().find((t) => t.receiver.track && t.receiver.track.kind === kind);
  return !first || first === transceiver;
}

/** A remote track arrived: the camera stream goes to the main video, a share to the share view. */
export function showTrack(pc, { track, streams, transceiver }) {
  const stream = streams[0] || new MediaStream([track]);
  const target = isFirst(pc, transceiver, track.kind) ? ui.remote : ui.share;
  if (target.srcObject !== stream) target.srcObject = stream;
  if (target !== ui.share || track.kind !== "video") return;
  track.addEventListener("mute", () => setSharing(false));
  track.addEventListener("ended", () => setSharing(false));
  track.addEventListener("unmute", () => setSharing(true));
  setSharing(!track.muted);
}

function setSharing(on) {
  ui.share.hidden = !on;
  stage.classList.toggle("sharing", on);
  ui.shareState.textContent = on ? "Your partner is sharing their screen" : "";
}

/** Called every second with the connection's stats: decide whether the camera shows a picture. */
export function updateStage(stats, connected) {
  view.connected = connected;
  ui.remote.dataset.framesDecoded = String(stats.camera.framesDecoded);
  const share = ui.share;
  share.dataset.framesDecoded = String(stats.share.framesDecoded);
  share.dataset.frameWidth = String(stats.share.frameWidth || 0);
  share.dataset.frameHeight = String(stats.share.frameHeight || 0);
  share.dataset.fps = String(stats.share.framesPerSecond || 0);
  if (stats.camera.framesDecoded !== view.lastFrames) {
    view.lastFrames = stats.camera.framesDecoded;
    view.lastChange = Date.now();
    view.reading = false;
  }
  renderPlaceholder();
}

function renderPlaceholder() {
  const stalled = Date.now() - view.lastChange >= STALL_MS;
  const picture = view.lastFrames > 0 && !stalled;
  ui.placeholder.hidden = picture;
  let text = `Waiting for ${view.name}'s video…`;
  if (view.reading) text = `${view.name} is reading your question…`;
  else if (view.connected && (stalled || view.lastFrames === 0)) text = `${view.name}'s camera is off`;
  ui.text.textContent = text;
}

/** The call left this tab: the partner's camera shows nothing. */
export function clearRemote() { ui.remote.srcObject = null; }
