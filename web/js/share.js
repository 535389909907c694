// Screen share for code: a second video track on the call's peer connection (perfect negotiation
// renegotiates it), marked contentHint "detail" and sent with a degradation preference that keeps
// the resolution and gives up frame rate, so text stays sharp. The camera keeps running.
import { callConnection } from "./call.js";
import { notice, parts, viewSection } from "./dom.js";

const SHARE_BITRATE = 2_500_000;

const ui = parts(viewSection("call"), { callShare: "call-share", shareUnsupported: "share-unsupported" });

export const canShare = () => Boolean(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);

let share = null; // {stream, track, sender}

export function wireShare() {
  ui.callShare.addEventListener("click", () => (share ? stopShare() : startShare()));
  if (!canShare()) {
    ui.callShare.hidden = true;
    ui.shareUnsupported.hidden = false;
  }
}

export async function startShare() {
  if (!callConnection() || share) return;
  if (!canShare()) {
    notice("This browser can't share a screen (phones can't share from a web page). Join from a computer to show code.");
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia({
      video: { width: { ideal: 1920 }, height: { ideal: 1080 }, frameRate: { ideal: 15, max: 30 } },
      audio: true, // a shared tab's sound, where the browser offers it
    });
  } catch (error) {
    if (error && error.name !== "NotAllowedError") notice("Screen sharing didn't start. Try again, or pick another window.", { error: true });
    return;
  }
  const [track] = stream.getVideoTracks();
  track.contentHint = "detail";
  ui.callShare.dataset.contentHint = track.contentHint; // what the browser kept
  share = { stream, track, senders: [] };
  // The browser's own "Stop sharing" ends it the same way as our button.
  track.addEventListener("ended", () => stopShare());
  await attachShare();
  renderShareButton();
}

/** Put the share on the current connection (again, after the call's connection was rebuilt). */
export async function attachShare() {
  const call = callConnection();
  if (!share || !call) return;
  share.senders = stopSenders(share.senders);
  share.senders = share.stream.getTracks().map((track) => call.pc.addTrack(track, share.stream));
  const video = share.senders.find((sender) => sender.track && sender.track.kind === "video");
  try {
    const params = video.getParameters();
    params.degradationPreference = "maintain-resolution";
    if (params.encodings && params.encodings[0]) params.encodings[0].maxBitrate = SHARE_BITRATE;
    await video.setParameters(params);
    ui.callShare.dataset.degradation = video.getParameters().degradationPreference || "";
  } catch (error) {
    console.warn("share parameters not applied", error); // contentHint "detail" still favours sharpness
  }
}

function stopSenders(senders) {
  for (const sender of senders) {
    try { callConnection()?.pc.removeTrack(sender); } catch { /* a closed or rebuilt connection */ }
  }
  return [];
}

export function stopShare() {
  if (!share) return;
  stopSenders(share.senders);
  for (const track of share.stream.getTracks()) track.stop();
  share = null;
  renderShareButton();
}

/** What this side is sending, for the tests and the stats line. */
export const sharing = () => share;

function renderShareButton() {
  ui.callShare.textContent = share ? "Stop sharing" : "Share screen";
  ui.callShare.setAttribute("aria-pressed", String(Boolean(share)));
}
