// Follow-through: on the next visit 48 hours after a call, "How did you apply it?" (the answer
// reaches the mentor's history); and the in-app and Web Notification when a mentor someone
// watches comes online.
import { alertPerson } from "./alerts.js";
import { api } from "./api.js";
import { $ } from "./dom.js";

let pending = [];

export function wireFollowups(app) {
  $("#apply-send").addEventListener("click", () => answer(app, false));
  $("#apply-skip").addEventListener("click", () => answer(app, true));
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
  $("#apply-prompt").hidden = !next;
  if (!next) return;
  $("#apply-context").textContent = `Two days ago ${next.peer.name} helped you with: “${next.question.slice(0, 160)}”`;
  $("#apply-note").value = "";
  $("#apply-error").textContent = "";
}

async function answer(app, skip) {
  const next = pending[0];
  if (!next) return;
  const note = $("#apply-note").value.trim();
  if (!skip && !note) { $("#apply-error").textContent = "Write a line, or choose Not now."; return; }
  try {
    await api.applied(next.session_id, skip ? { skip: true } : { note });
    if (!skip) app.notice(`Sent to ${next.peer.name}. Thank you for following through.`);
  } catch (failure) {
    $("#apply-error").textContent = failure.message;
    return;
  }
  pending.shift();
  renderPrompt();
}

/** `notify` from the server: a watched mentor came online. */
export function onNotify(app, message) {
  if (message.kind !== "mentor_online") return;
  const skills = message.skills.map((s) => s.name).join(", ");
  const text = `${message.mentor.name} is online now${skills ? ` for ${skills}` : ""}.`;
  app.notice(text, { ms: 12000 });
  alertPerson(`${message.mentor.name} is online`, text);
}
