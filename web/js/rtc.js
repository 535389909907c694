// One 1:1 call over RTCPeerConnection with "perfect negotiation" (webrtc/samples): candidates
// are sent as they are found, collisions are settled by politeness, and a failed or stalled
// connection restarts ICE while the session lives. The mentee offers; the mentor is polite.

export class CallConnection {
  constructor({ polite, iceServers, stream, streamReady, send, onTrack, onState }) {
    this.polite = polite;
    this.sender = send || null;
    this.outbox = []; // what a warm connection said before it had a session to say it in
    this.stream = stream;
    this.streamReady = streamReady || Promise.resolve();
    this.chain = Promise.resolve();
    this.onTrack = onTrack || (() => {});
    this.onState = onState || (() => {});
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.tracksAdded = false;
    this.closed = false;
    this.disconnectTimer = null;
    // One transport for audio, video and a shared screen from the first offer (every peer we
    // meet bundles: browsers and aiortc): half the candidates, one ICE and DTLS handshake.
    this.pc = new RTCPeerConnection({ iceServers: iceServers || [], bundlePolicy: "max-bundle" });

    this.pc.onicecandidate = ({ candidate }) => {
      this.send("candidate", candidate ? candidate.toJSON() : { candidate: "" });
    };
    this.pc.onnegotiationneeded = () => this.negotiate();
    this.pc.ontrack = (event) => this.onTrack(event, this.pc);
    this.pc.onconnectionstatechange = () => this.stateChanged();
  }

  /** Make and send an offer. Called by negotiationneeded, or at once by a warm connection:
   * Chrome fires that event only when the page's thread is free, which a match is not. */
  async negotiate() {
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      const { type, sdp } = this.pc.localDescription;
      await this.send(type, { type, sdp });
    } catch (error) {
      console.warn("negotiation failed", error);
    } finally {
      this.makingOffer = false;
    }
  }

  send(type, data) {
    if (this.sender) return this.sender(type, data);
    this.outbox.push([type, data]);
    return Promise.resolve();
  }

  /** A connection warmed up before its session existed (warm.js) now belongs to one: what it
   * said goes out first, in order. The offer goes as it stands now, with every candidate gathered
   * while it waited written into it: one message to relay instead of one per candidate. */
  attach({ send, onTrack, onState }) {
    this.sender = send;
    this.onTrack = onTrack;
    this.onState = onState;
    const local = this.pc.localDescription;
    const current = this.pc.signalingState === "have-local-offer" && local && local.type === "offer" ? local.sdp : null;
    let offered = false;
    for (const [type, data] of this.outbox.splice(0)) {
      if (current && type === "offer") {
        if (!offered) send(type, { type, sdp: current }); // one offer, however many were queued
        offered = true;
      } else if (!(current && type === "candidate" && inSdp(current, data.candidate))) {
        send(type, data);
      }
    }
  }

  /** The offerer adds its media once it is ready, which triggers the offer; the answerer
   * waits for the offer. */
  async start(isOfferer) {
    await this.streamReady;
    if (isOfferer && !this.closed) this.addTracks();
  }

  addTracks() {
    if (this.tracksAdded) return;
    this.tracksAdded = true;
    const kinds = new Set();
    for (const track of this.stream.getTracks()) {
      this.pc.addTrack(track, this.stream);
      kinds.add(track.kind);
    }
    // Still receive what we can't send (no camera, permission denied).
    for (const kind of ["audio", "video"]) if (!kinds.has(kind)) this.pc.addTransceiver(kind, { direction: "recvonly" });
  }

  stateChanged() {
    const state = this.pc.connectionState;
    this.onState(state);
    clearTimeout(this.disconnectTimer);
    if (this.closed) return;
    if (state === "failed") this.pc.restartIce();
    if (state === "disconnected") {
      this.disconnectTimer = setTimeout(() => {
        if (!this.closed && this.pc.connectionState === "disconnected") this.pc.restartIce();
      }, 3000);
    }
  }

  /** Signals are applied strictly in arrival order. */
  handle(type, data) {
    this.chain = this.chain.then(() => this.apply(type, data)).catch((error) => console.warn("signal failed", error));
    return this.chain;
  }

  async apply(type, data) {
    if (this.closed) return;
    if (type === "offer" || type === "answer") {
      const collision = type === "offer" && (this.makingOffer || this.pc.signalingState !== "stable");
      this.ignoreOffer = !this.polite && collision;
      if (this.ignoreOffer) return;
      await this.pc.setRemoteDescription({ type: data.type || type, sdp: data.sdp });
      if (type === "offer") {
        await this.streamReady;
        this.addTracks();
        await this.pc.setLocalDescription();
        const { type: kind, sdp } = this.pc.localDescription;
        await this.send(kind, { type: kind, sdp });
      }
    } else if (type === "candidate") {
      try {
        await this.pc.addIceCandidate(data && data.candidate ? data : null);
      } catch (error) {
        if (!this.ignoreOffer) console.warn("bad candidate", error);
      }
    }
  }

  /** Swap the camera or microphone without renegotiating. */
  async replaceTrack(track) {
    const sender = this.pc.getSenders().find((s) => s.track && s.track.kind === track.kind);
    if (sender) await sender.replaceTrack(track);
  }

  /** Camera off sends no picture at all (not black frames), so the other side sees that it stopped
   * and shows a placeholder; on again puts the camera back on the same sender. Replacing a track
   * with itself is skipped: Chrome restarted the encoder, and the partner's first frame came
   * tens of milliseconds later (docs/benchmarks.md). */
  async setCameraSending(track) {
    const first = this.pc.getTransceivers().find((t) => t.receiver.track && t.receiver.track.kind === "video");
    if (first && this.tracksAdded && first.sender.track !== track) await first.sender.replaceTrack(track);
  }

  /** What the call screen shows: decoded frames, size and rate of the partner's camera (the first
   * video transceiver) and of a shared screen (any later one), round-trip time, packets lost. */
  async stats() {
    const report = await this.pc.getStats();
    const first = this.pc.getTransceivers().find((t) => t.receiver.track && t.receiver.track.kind === "video");
    const empty = () => ({ framesDecoded: 0, frameWidth: 0, frameHeight: 0, framesPerSecond: 0 });
    const camera = empty();
    const share = empty();
    let rttMs = null;
    let packetsLost = 0;
    let packetsReceived = 0;
    report.forEach((entry) => {
      if (entry.type === "inbound-rtp") {
        if (entry.kind === "video") {
          const into = first && entry.mid === first.mid ? camera : share;
          into.framesDecoded += entry.framesDecoded || 0;
          into.frameWidth = entry.frameWidth || into.frameWidth;
          into.frameHeight = entry.frameHeight || into.frameHeight;
          into.framesPerSecond = entry.framesPerSecond || into.framesPerSecond;
        }
        packetsLost += entry.packetsLost || 0;
        packetsReceived += entry.packetsReceived || 0;
      }
      if (entry.type === "candidate-pair" && entry.nominated && entry.currentRoundTripTime !== undefined) {
        rttMs = Math.round(entry.currentRoundTripTime * 1000);
      }
    });
    const loss = packetsReceived + packetsLost > 0 ? packetsLost / (packetsReceived + packetsLost) : 0;
    return { camera, share, framesDecoded: camera.framesDecoded, rttMs, loss };
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.disconnectTimer);
    this.pc.close();
  }
}

/** Whether an SDP already carries a candidate (its a=candidate line leaves out the ufrag). */
function inSdp(sdp, candidate) {
  return Boolean(candidate) && sdp.includes(`a=${candidate.replace(/ ufrag \S+/, "")}\r\n`);
}
