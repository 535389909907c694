// The call's stage: the partner's camera, their shared screen (large, with the camera as a small
// tile), and a placeholder with their name when no picture comes (camera off, not yet taken).
import { $ } from "./dom.js";

const STALL_MS = 2000;

let view = { name: "", reading: false, lastFrames: 0, lastChange: 0, connected: false };

export function resetStage(peerName, { reading = false } = {}) {
  view = { name: peerName, reading, lastFrames: 0, lastChange: Date.now(), connected: false };
  for (const id of ["#remote-video", "#share-video"]) {
    const video = $(id);
    video.srcObject = null;
    video.dataset.framesDecoded = "0";
  }
  $("#share-video").hidden = true;
  $(".stage").classList.remove("sharing");
  $("#placeholder-initial").textContent = (peerName.trim()[0] || "?").toUpperCase();
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
  const target = isFirst(pc, transceiver, track.kind) ? $("#remote-video") : $("#share-video");
  if (target.srcObject !== stream) target.srcObject = stream;
  if (target.id !== "share-video" || track.kind !== "video") return;
  track.addEventListener("mute", () => setSharing(false));
  track.addEventListener("ended", () => setSharing(false));
  track.addEventListener("unmute", () => setSharing(true));
  setSharing(!track.muted);
}

function setSharing(on) {
  $("#share-video").hidden = !on;
  $(".stage").classList.toggle("sharing", on);
  $("#share-state").textContent = on ? "Your partner is sharing their screen" : "";
}

/** Called every second with the connection's stats: decide whether the camera shows a picture. */
export function updateStage(stats, connected) {
  view.connected = connected;
  const camera = $("#remote-video");
  camera.dataset.framesDecoded = String(stats.camera.framesDecoded);
  const share = $("#share-video");
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
  const box = $("#remote-placeholder");
  box.hidden = picture;
  let text = `Waiting for ${view.name}'s video…`;
  if (view.reading) text = `${view.name} is reading your question…`;
  else if (view.connected && (stalled || view.lastFrames === 0)) text = `${view.name}'s camera is off`;
  $("#placeholder-text").textContent = text;
}
