// The Socket.IO connection: acks as promises, server events as callbacks, and the clock offset
// that turns the server's *_at times into this browser's time.
import { io } from "../vendor/socket.io.esm.min.js";

export class ProtocolError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export class Signaling {
  constructor(token) {
    this.offsetMs = 0;
    this.socket = io({ auth: { token }, transports: ["websocket"], reconnectionDelayMax: 4000 });
  }

  /** Resolves once connected; rejects with code "unauthorized" for a bad token. */
  ready() {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onConnect = () => { cleanup(); resolve(); };
      const onError = (err) => {
        if (err && err.message === "unauthorized") { cleanup(); reject(new ProtocolError("unauthorized", "Please sign in again.")); }
      };
      const cleanup = () => { this.socket.off("connect", onConnect); this.socket.off("connect_error", onError); };
      this.socket.on("connect", onConnect);
      this.socket.on("connect_error", onError);
    });
  }

  on(event, handler) { this.socket.on(event, handler); }

  /** This connection's socket id (a new one after every reconnect). */
  get id() { return this.socket.id; }

  /** Emit and wait for the ack; an {ok: false} ack throws ProtocolError. */
  async request(event, payload = {}, timeoutMs = 8000) {
    let ack;
    try {
      ack = await this.socket.timeout(timeoutMs).emitWithAck(event, payload);
    } catch {
      throw new ProtocolError("timeout", "The server didn't answer in time. Check your connection and try again.");
    }
    if (!ack || !ack.ok) {
      const error = (ack && ack.error) || {};
      throw new ProtocolError(error.code || "error", error.message || "Something went wrong.");
    }
    return ack;
  }

  /** NTP-style: keep the sample with the shortest round trip. */
  async syncClock(samples = 5) {
    let best = null;
    for (let i = 0; i < samples; i += 1) {
      const t0 = Date.now();
      const ack = await this.request("clock", { t0 });
      const t1 = Date.now();
      const rtt = t1 - t0;
      if (!best || rtt < best.rtt) best = { rtt, offset: ack.server_now - (t0 + t1) / 2 };
    }
    this.offsetMs = best.offset;
    return best;
  }

  /** A renewed token: used on reconnects, and sent now so the server keeps this socket open. */
  renew(token) {
    this.socket.auth.token = token;
    if (this.socket.connected) this.request("auth:renew", { token }).catch(() => {});
  }

  /** The server's clock, read here. */
  now() { return Date.now() + this.offsetMs; }

  close() { this.socket.close(); }
}
