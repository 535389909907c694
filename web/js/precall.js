// The pre-call check: send our camera and microphone to the server's echo peer, see our own
// video come back, and read the round-trip time it reports on the "stats" data channel.
import { api, request } from "./api.js";

function gatheringComplete(pc, timeoutMs) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { pc.removeEventListener("icegatheringstatechange", check); resolve(); };
    const check = () => { if (pc.iceGatheringState === "complete") done(); };
    pc.addEventListener("icegatheringstatechange", check);
    setTimeout(done, timeoutMs);
  });
}

/** Resolves {rttMs, loss, echoed}; rejects with the server's error (e.g. code "precall_busy"). */
export async function connectionCheck(stream, { timeoutMs = 8000 } = {}) {
  const { iceServers } = await api.ice();
  const pc = new RTCPeerConnection({ iceServers });
  try {
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
  } finally {
    pc.close();
  }
}
