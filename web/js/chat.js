// Chat in a call: messages placed by their place in the session's one order (seq), on every tab
// of both people; after a reload or reconnect the session record fills in what was missed.
import { api } from "./api.js";
import { el, parts, viewSection } from "./dom.js";
import { rich } from "./richtext.js";
import * as server from "./server.js";

const ui = parts(viewSection("call"), {
  chatInput: "chat-input", chatForm: "chat-form", chatLog: "chat-log", chatError: "chat-error",
  tabChat: "tab-chat", chatUnread: "chat-unread",
});

let thread = { sessionId: null, messages: new Map(), names: {}, me: null };

export function wireChat() {
  const input = ui.chatInput;
  ui.chatForm.addEventListener("submit", (event) => { event.preventDefault(); send(); });
  input.addEventListener("keydown", (event) => {
    // Enter sends; Shift+Enter, or Enter inside an open ``` block, starts a new line.
    const openFence = ((input.value.slice(0, input.selectionStart).match(/```/g) || []).length % 2) === 1;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !openFence) {
      event.preventDefault();
      send();
    }
  });
}

/** A new call (or the same one after a reload): a clean log for a new one. The session record
 * is read by catchUp(), which the call runs a second after the match (call.js). */
export function openChat(matched, me) {
  const fresh = thread.sessionId !== matched.session_id;
  if (fresh) {
    thread = { sessionId: matched.session_id, messages: new Map(), me, names: { [matched.peer.id]: matched.peer.name } };
    ui.chatLog.replaceChildren();
    ui.chatError.textContent = "";
    setUnread(0);
  }
}

/** Fetch the record and merge in whatever this tab has not seen (a reload, a dropped socket). */
export async function catchUp() {
  const sessionId = thread.sessionId;
  if (!sessionId) return;
  try {
    const record = await api.session(sessionId);
    if (thread.sessionId !== sessionId) return;
    for (const message of record.chat) add(message, { quiet: true });
  } catch {
    // The live messages still arrive; the record is fetched again on the next reconnect.
  }
}

export function onChatMessage(message) {
  if (message.session_id !== thread.sessionId) return;
  add(message, { quiet: message.from === thread.me });
}

function add(message, { quiet }) {
  if (thread.messages.has(message.id)) return;
  thread.messages.set(message.id, message);
  const log = ui.chatLog;
  const stick = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  const item = el("li", { class: message.from === thread.me ? "mine" : "theirs", "data-seq": String(message.seq) }, [
    el("p", { class: "who", text: `${message.from === thread.me ? "You" : thread.names[message.from] || "Them"} · ${new Date(message.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}` }),
    el("div", { class: "body" }, [rich(message.text)]),
  ]);
  const later = [...log.children].find((child) => Number(child.dataset.seq) > message.seq);
  log.insertBefore(item, later || null);
  if (stick || message.from === thread.me) log.scrollTop = log.scrollHeight;
  if (!quiet && ui.tabChat.getAttribute("aria-selected") !== "true") setUnread(unread + 1);
}

let unread = 0;

export function setUnread(count) {
  unread = count;
  const badge = ui.chatUnread;
  badge.textContent = String(count);
  badge.hidden = count === 0;
}

async function send() {
  const input = ui.chatInput;
  const text = input.value;
  if (!text.trim() || !thread.sessionId) return;
  const error = ui.chatError;
  error.textContent = "";
  input.value = ""; // at once: the next message may be typed while this one travels
  try {
    const ack = await server.request("chat:send", { session_id: thread.sessionId, text });
    add({ ...ack.message, session_id: thread.sessionId }, { quiet: true });
  } catch (failure) {
    error.textContent = failure.message;
    if (!input.value) input.value = text; // not lost: send it again
  }
}
