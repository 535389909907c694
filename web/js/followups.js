// Follow-through: on the next visit 48 hours after a call, "How did you apply it?" (the answer
// reaches the mentor's history); and the in-app and Web Notification when a mentor someone
// watches comes online.
import { alertPerson } from "./alerts.js";
import { api } from "./api.js";
import { notice, parts, viewSection } from "./dom.js";

const ui = parts(viewSection("landing"), {
  applyPrompt: "apply-prompt", applyContext: "apply-context", applyNote: "apply-note",
  applyError: "apply-error", applySend: "apply-send", applySkip: "apply-skip",
});

let pending = [];

export function wireFollowups() {
  ui.applySend.addEventListener("click", () => answer(false));
  ui.applySkip.addEventListener("click", () => answer(true));
}

/** Signed out: nothing to ask about. */
export function hideFollowups() {
  ui.applyPrompt.hidden = true;
}

/** After signing in: ask about the oldest call that is due. */
export async function checkFollowups() {
  try {
    pending = (await api.followups()).apply_prompts;
  } catch {
    pending = [];
  }
  renderPrompt();
}

function renderPrompt() {
  const next = pending[0];
  ui.applyPrompt.hidden = !next;
  if (!next) return;
  ui.applyContext.textContent = `Two days ago ${next.peer.name} helped you with: “${next.question.slice(0, 160)}”`;
  ui.applyNote.value = "";
  ui.applyError.textContent = "";
}

async function answer(skip) {
  const next = pending[0];
  if (!next) return;
  const note = ui.applyNote.value.trim();
  if (!skip && !note) { ui.applyError.textContent = "Write a line, or choose Not now."; return; }
  try {
    await api.applied(next.session_id, skip ? { skip: true } : { note });
    if (!skip) notice(`Sent to ${next.peer.name}. Thank you for following through.`);
  } catch (failure) {
    ui.applyError.textContent = failure.message;
    return;
  }
  pending.shift();
  renderPrompt();
}

/** `notify` from the server: a watched mentor came online. */
export function onNotify(message) {
  if (message.kind !== "mentor_online") return;
  const skills = message.skills.map((s) => s.name).join(", ");
  const text = `${message.mentor.name} is online now${skills ? ` for ${skills}` : ""}.`;
  notice(text, { ms: 12000 });
  alertPerson(`${message.mentor.name} is online`, text);
}
