// This page's one connection to the server (signaling.js): opened at sign-in, closed at sign-out.
// Views send with request() and read the server's clock with now(); main.js says, once, which
// handler takes each server event (listen), and every connection opened later delivers to them.
import { Signaling } from "./signaling.js";

let socket = null;
let handlers = {};

/** The handlers of server events, by event name (main.js, once at start-up). */
export function listen(byEvent) { handlers = byEvent; }

/** Open a connection with `token` (closing any other); resolves once connected and the clock
 * offset is measured. `onReconnect` runs on every later reconnect. */
export async function open(token, onReconnect) {
  socket?.close();
  socket = new Signaling(token);
  for (const [event, handler] of Object.entries(handlers)) socket.on(event, handler);
  const opened = socket;
  await opened.ready();
  await opened.syncClock();
  opened.on("connect", onReconnect);
}

export function close() {
  socket?.close();
  socket = null;
}

/** Whether this page has a connection (open, or reconnecting). */
export const isOpen = () => socket !== null;

/** Emit and wait for the ack; an {ok: false} ack throws ProtocolError. */
export const request = (event, payload, timeoutMs) => socket.request(event, payload, timeoutMs);

/** The server's clock, read here. */
export const now = () => socket.now();

/** NTP-style: measure the clock offset again. */
export const syncClock = () => socket.syncClock();

/** This connection's socket id, or null (a new one after every reconnect). */
export const socketId = () => (socket ? socket.id : null);

/** A renewed token for the open connection, if any. */
export function renew(token) { socket?.renew(token); }
