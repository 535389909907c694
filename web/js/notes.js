// Shared notes: a Yjs document both people type into at once, synced over the Socket.IO
// connection the call already has. Yjs merges concurrent typing; this module only binds a plain
// textarea to its Y.Text (a diff of the textarea against the text on each input, and the caret
// kept on its character through remote changes with relative positions) and carries updates.
import * as Y from "../vendor/yjs.esm.min.js";
import { parts, viewSection } from "./dom.js";
import * as server from "./server.js";

// Keystrokes are sent in batches: the other side sees them within a third of a second, and a
// person typing for minutes stays well inside the per-user message budget (--limit-chat).
const SEND_EVERY_MS = 300;

const ui = parts(viewSection("call"), { notesText: "notes-text", notesStatus: "notes-status" });

let notes = null;

const toBase64 = (bytes) => {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
};
const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

export function wireNotes() {
  const area = ui.notesText;
  area.addEventListener("input", () => { if (notes) notes.typed(area.value); });
}

/** Join a session's notes: a new document for a new session. It syncs with the server on
 * resyncNotes(), which the call runs a second after the match (call.js) and after a reconnect. */
export function openNotes(sessionId) {
  if (notes && notes.sessionId === sessionId) return;
  notes?.close();
  notes = new SharedNotes(sessionId, ui.notesText);
}

export function closeNotes() {
  notes?.close();
  notes = null;
}

export function onNotesUpdate(message) {
  if (notes && message.session_id === notes.sessionId) notes.remote(fromBase64(message.update));
}

/** Re-sync after the socket came back (updates sent or relayed while it was down are recovered). */
export function resyncNotes() { notes?.sync(); }

class SharedNotes {
  constructor(sessionId, area) {
    this.sessionId = sessionId;
    this.area = area;
    this.doc = new Y.Doc();
    this.text = this.doc.getText("notes");
    this.pending = [];
    this.timer = null;
    this.synced = false;
    area.value = "";
    area.disabled = true;
    ui.notesStatus.textContent = "Loading the notes…";
    this.doc.on("update", (update, origin) => {
      if (origin === "local") this.queue(update);
    });
  }

  async sync() {
    const stateVector = toBase64(Y.encodeStateVector(this.doc));
    try {
      const ack = await server.request("notes:sync", { session_id: this.sessionId, state_vector: stateVector });
      this.apply(fromBase64(ack.update), "server");
      // Whatever this copy has that the server lacks (typed while disconnected) goes up now.
      const missing = Y.encodeStateAsUpdate(this.doc, fromBase64(ack.state_vector));
      if (missing.length > 2) this.queue(missing);
      this.synced = true;
      this.area.disabled = false;
      ui.notesStatus.textContent = "Both of you can type here. Saved with the session.";
    } catch (failure) {
      ui.notesStatus.textContent = this.synced ? "Reconnecting… your typing is kept." : `Notes unavailable: ${failure.message}`;
    }
  }

  /** The textarea changed: turn the difference into Y.Text edits (one contiguous change). */
  typed(value) {
    const old = this.text.toString();
    if (value === old) return;
    let start = 0;
    while (start < old.length && start < value.length && old[start] === value[start]) start += 1;
    let endOld = old.length;
    let endNew = value.length;
    while (endOld > start && endNew > start && old[endOld - 1] === value[endNew - 1]) { endOld -= 1; endNew -= 1; }
    this.doc.transact(() => {
      if (endOld > start) this.text.delete(start, endOld - start);
      if (endNew > start) this.text.insert(start, value.slice(start, endNew));
    }, "local");
  }

  remote(update) {
    this.apply(update, "remote");
  }

  /** Apply someone else's change and show the merged text, keeping this person's selection on
   * the characters it was on (positions relative to the text, taken before the change). */
  apply(update, origin) {
    const area = this.area;
    const anchor = Y.createRelativePositionFromTypeIndex(this.text, area.selectionStart);
    const head = Y.createRelativePositionFromTypeIndex(this.text, area.selectionEnd);
    Y.applyUpdate(this.doc, update, origin);
    const merged = this.text.toString();
    if (area.value === merged) return;
    area.value = merged;
    if (document.activeElement !== area) return;
    const start = Y.createAbsolutePositionFromRelativePosition(anchor, this.doc);
    const end = Y.createAbsolutePositionFromRelativePosition(head, this.doc);
    if (start && end) area.setSelectionRange(start.index, end.index);
  }

  queue(update) {
    this.pending.push(update);
    if (!this.timer) this.timer = setTimeout(() => this.flush(), SEND_EVERY_MS);
  }

  async flush() {
    this.timer = null;
    if (!this.pending.length) return;
    const update = Y.mergeUpdates(this.pending);
    this.pending = [];
    try {
      await server.request("notes:update", { session_id: this.sessionId, update: toBase64(update) });
    } catch (failure) {
      if (failure.code === "notes_too_large") {
        // The session's notes are at their size cap: retrying cannot help; say so.
        ui.notesStatus.textContent = failure.message;
        return;
      }
      // Not taken (a busy moment, a dropped socket): try again shortly; a reconnect syncs anyway.
      this.pending.unshift(update);
      if (!this.timer && !this.closed) this.timer = setTimeout(() => this.flush(), 1000);
    }
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.pending.length) this.flush();
    this.doc.destroy();
  }
}
