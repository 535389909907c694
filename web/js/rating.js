// The rating step. A rating is kept in localStorage until the server confirms it, sent over
// the socket, and, if the tab is hidden or closed first, over a keepalive fetch.
import { api, login } from "./api.js";
import { el, notice, parts, show, viewSection } from "./dom.js";
import { backToEvent } from "./events.js";
import { openHistory } from "./history.js";
import { showMentor } from "./mentor.js";
import { downloadRecord, renderRecord } from "./record.js";
import * as server from "./server.js";
import { openSetup } from "./setup.js";
import { mentorOnline, ratingOpened, state } from "./state.js";

const PENDING_KEY = "mentorburst.pendingRatings";
const TAGS = {
  mentee: [["clear", "Clear"], ["actionable", "Actionable"], ["kind", "Kind"], ["expert", "Knew the topic"]],
  mentor: [["prepared", "Prepared"], ["specific", "Specific question"], ["kind", "Kind"], ["receptive", "Open to feedback"]],
};

function pending() {
  try { return JSON.parse(localStorage.getItem(PENDING_KEY)) || {}; } catch { return {}; }
}

function savePending(all) {
  localStorage.setItem(PENDING_KEY, JSON.stringify(all));
}

function settle(sessionId) {
  const all = pending();
  delete all[sessionId];
  savePending(all);
}

const section = viewSection("rating");
const ui = parts(section, {
  ratingReason: "rating-reason", ratingForm: "rating-form", ratingPeer: "rating-peer",
  ratingTagsBox: "rating-tags-box", ratingTags: "rating-tags", reflectionBox: "reflection-box",
  reflection: "reflection", ratingNoteBox: "rating-note-box", ratingNote: "rating-note", followUp: "follow-up",
  ratingError: "rating-error", ratingSubmit: "rating-submit", reportToggle: "report-toggle",
  reportBox: "report-box", reportReason: "report-reason", reportSubmit: "report-submit",
  ratingDone: "rating-done", ratingDoneText: "rating-done-text", afterAgain: "after-again",
  afterHistory: "after-history", ratingRecord: "rating-record", recordBody: "record-body",
  recordDownload: "record-download",
});
const stars = [...section.querySelectorAll(".stars input")];
const chosenStars = () => Number(stars.find((input) => input.checked)?.value || 0);

const DELIVERED = new Set(["already_rated"]);
const HOPELESS = new Set(["rating_closed", "not_in_session", "not_found", "invalid_payload"]);

/** Send every rating still waiting, over REST (keepalive survives a closing tab). */
export async function flushPendingRatings({ keepalive = false } = {}) {
  for (const [sessionId, rating] of Object.entries(pending())) {
    try {
      await api.rate(sessionId, rating, keepalive);
      settle(sessionId);
    } catch (failure) {
      if (DELIVERED.has(failure.code) || HOPELESS.has(failure.code)) settle(sessionId);
    }
  }
}

export function wireRating() {
  const light = () => {
    const value = chosenStars();
    stars.forEach((input, i) => input.nextElementSibling.classList.toggle("lit", i < value));
  };
  stars.forEach((input) => input.addEventListener("change", light));
  ui.ratingForm.addEventListener("submit", (event) => { event.preventDefault(); submit(); });
  ui.reportToggle.addEventListener("click", () => {
    const box = ui.reportBox;
    box.hidden = !box.hidden;
    ui.reportToggle.setAttribute("aria-expanded", String(!box.hidden));
    if (!box.hidden) ui.reportReason.focus();
  });
  ui.reportSubmit.addEventListener("click", () => report());
  ui.afterHistory.addEventListener("click", () => openHistory());
  ui.recordDownload.addEventListener("click", () => {
    if (state.rating) downloadRecord(state.rating.sessionId).catch((failure) => notice(failure.message, { error: true }));
  });
  ui.afterAgain.addEventListener("click", () => {
    if (state.rating && state.rating.quick && state.event) { backToEvent(); return; }
    if (mentorOnline()) showMentor();
    else openSetup(state.role);
  });
  const flushOnLeave = () => { if (Object.keys(pending()).length) flushPendingRatings({ keepalive: true }); };
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") flushOnLeave(); });
  window.addEventListener("pagehide", flushOnLeave);
}

export function openRating(ended, matched, { quick = false } = {}) {
  ratingOpened({ sessionId: ended.session_id, matched, quick });
  const role = matched.role;
  // Between event rounds the rating is one question: stars, and "follow up?".
  for (const box of [ui.ratingTagsBox, ui.ratingNoteBox]) box.hidden = quick;
  ui.ratingForm.reset();
  ui.ratingForm.hidden = false;
  ui.ratingDone.hidden = true;
  ui.reportBox.hidden = true;
  ui.ratingError.textContent = "";
  section.querySelectorAll(".stars label").forEach((label) => label.classList.remove("lit"));
  ui.ratingPeer.textContent = matched.peer.name;
  ui.ratingReason.textContent = endedBecause(ended, matched);
  ui.reflectionBox.hidden = quick || role !== "mentee";
  ui.ratingTags.replaceChildren(...TAGS[role].map(([value, label]) =>
    el("label", {}, [el("input", { type: "checkbox", name: "tags", value }), document.createTextNode(label)])));
  show("rating");
  showRecord(ended.session_id);
}

/** Why the call ended, naming who left: the other side is told it was them. */
function endedBecause(ended, matched) {
  const me = login.user?.id;
  if (ended.reason === "left" || ended.reason === "disconnected") {
    const verb = ended.reason === "left" ? "left the call" : "lost the connection";
    if (ended.by && ended.by === matched.peer.id) return `${matched.peer.name} ${verb}. The call has ended.`;
    if (ended.by && ended.by === me) return ended.reason === "left" ? "You ended the call." : "Your connection dropped and the call ended.";
  }
  return {
    time_up: "Time's up: the call ended on the clock.",
    event_round_over: "The round is over. Rate your partner before the next one starts.",
    disconnected: "The connection dropped and the call ended.",
  }[ended.reason] || "The call has ended.";
}

/** The record of the call that just ended, under the rating form. */
async function showRecord(sessionId) {
  const box = ui.ratingRecord;
  box.hidden = true;
  try {
    const record = await api.session(sessionId);
    if (section.hidden) return;
    ui.recordBody.replaceChildren(...renderRecord(record, login.user?.id));
    box.hidden = false;
  } catch {
    // The rating still works; the record is in "My sessions".
  }
}

async function submit() {
  const starsGiven = chosenStars();
  const error = ui.ratingError;
  if (!starsGiven) { error.textContent = "Choose 1 to 5 stars."; return; }
  const rating = {
    stars: starsGiven,
    tags: [...ui.ratingTags.querySelectorAll("input:checked")].map((input) => input.value),
    note: ui.ratingNote.value.trim(),
    follow_up: ui.followUp.checked,
  };
  const reflection = ui.reflection.value.trim();
  if (reflection && state.rating.matched.role === "mentee") rating.reflection = reflection;
  const { sessionId } = state.rating;
  savePending({ ...pending(), [sessionId]: rating });
  ui.ratingSubmit.disabled = true;
  try {
    await server.request("rate", { session_id: sessionId, ...rating });
    settle(sessionId);
    done("Your rating is saved.");
  } catch (failure) {
    if (DELIVERED.has(failure.code)) { settle(sessionId); done("Your rating was already saved."); return; }
    if (HOPELESS.has(failure.code)) { settle(sessionId); error.textContent = failure.message; return; }
    // Network trouble: try REST now; the pending copy is retried on the next visit too.
    await flushPendingRatings();
    if (!pending()[sessionId]) done("Your rating is saved.");
    else error.textContent = "We couldn't send your rating yet; it's kept and will be sent when you're back online.";
  } finally {
    ui.ratingSubmit.disabled = false;
  }
}

async function report() {
  const reason = ui.reportReason.value.trim();
  if (!reason) { ui.reportReason.focus(); return; }
  try {
    await server.request("report", { session_id: state.rating.sessionId, reason });
    ui.reportBox.hidden = true;
    notice("Thanks for telling us. You won't be matched with this person again.");
  } catch (failure) {
    if (failure.code === "already_reported") ui.reportBox.hidden = true;
    ui.ratingError.textContent = failure.message;
  }
}

function done(text) {
  ui.ratingForm.hidden = true;
  ui.ratingDone.hidden = false;
  ui.ratingDoneText.textContent = text;
  if (state.rating.quick && state.event) {
    ui.afterAgain.textContent = "Back to the event";
    ui.afterAgain.focus();
    return;
  }
  ui.afterAgain.textContent = state.role === "mentee" ? "Ask another question" : mentorOnline() ? "Back to my burst" : "Go online again";
  ui.afterAgain.focus();
}
