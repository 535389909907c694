// The pre-call check: send our camera and microphone to the server's echo peer, see our own
// video come back, and read the round-trip time it reports on the "stats" data channel.
import { iceServers, request } from "./api.js";

function gatheringComplete(pc, timeoutMs) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { pc.removeEventListener("icegatheringstatechange", check); resolve(); };
    const check = () => { if (pc.iceGatheringState === "complete") done(); };
    pc.addEventListener("icegatheringstatechange", check);
    setTimeout(done, timeoutMs);
  });
}

/** Resolves {rttMs, loss, echoed}; rejects with the server's error (e.g. code "precall_busy"),
 * or with an AbortError once ``signal`` aborts (the person joined: the check's media and the
 * server's echo would compete with the call's set-up for the same CPU). */
export async function connectionCheck(stream, { timeoutMs = 8000, signal } = {}) {
  const aborted = new Promise((_, reject) => {
    const stop = () => reject(new DOMException("the connection check was stopped", "AbortError"));
    if (signal?.aborted) stop();
    else signal?.addEventListener("abort", stop, { once: true });
  });
  aborted.catch(() => {});
  const servers = await Promise.race([iceServers(), aborted]);
  const pc = new RTCPeerConnection({ iceServers: servers });
  try {
    return await Promise.race([runCheck(pc, stream, timeoutMs), aborted]);
  } finally {
    pc.close();
  }
}

async function runCheck(pc, stream, timeoutMs) {
  for (const track of stream.getTracks()) pc.addTrack(track, stream);
  const channel = pc.createDataChannel("stats");
  const report = new Promise((resolve, reject) => {
    let last = null;
    channel.onmessage = (event) => {
      last = JSON.parse(event.data);
      if (last.rtt_ms !== null) resolve(last);
    };
    setTimeout(() => (last ? resolve(last) : reject(new Error("no report from the connection check"))), timeoutMs);
  });
  report.catch(() => {}); // awaited below, unless the check was stopped first
  await pc.setLocalDescription();
  await gatheringComplete(pc, 3000); // the echo peer takes no trickled candidates
  const answer = await request("POST", "/api/precall", { sdp: pc.localDescription.sdp, type: "offer" }, { auth: true });
  await pc.setRemoteDescription(answer);
  const stats = await report;
  let echoed = 0;
  (await pc.getStats()).forEach((entry) => {
    if (entry.type === "inbound-rtp" && entry.kind === "video") echoed += entry.framesDecoded || 0;
  });
  return { rttMs: stats.rtt_ms, loss: stats.loss, echoed };
}
