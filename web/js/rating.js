// The rating step. A rating is kept in localStorage until the server confirms it, sent over
// the socket, and, if the tab is hidden or closed first, over a keepalive fetch.
import { api, login } from "./api.js";
import { $, el, show } from "./dom.js";
import { downloadRecord, renderRecord } from "./record.js";

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

export function wireRating(app) {
  const stars = [...document.querySelectorAll(".stars input")];
  const light = () => {
    const value = Number(document.querySelector(".stars input:checked")?.value || 0);
    stars.forEach((input, i) => input.nextElementSibling.classList.toggle("lit", i < value));
  };
  stars.forEach((input) => input.addEventListener("change", light));
  $("#rating-form").addEventListener("submit", (event) => { event.preventDefault(); submit(app); });
  $("#report-toggle").addEventListener("click", () => {
    const box = $("#report-box");
    box.hidden = !box.hidden;
    $("#report-toggle").setAttribute("aria-expanded", String(!box.hidden));
    if (!box.hidden) $("#report-reason").focus();
  });
  $("#report-submit").addEventListener("click", () => report(app));
  $("#after-history").addEventListener("click", () => app.openHistory());
  $("#record-download").addEventListener("click", () => {
    if (app.rating) downloadRecord(app.rating.sessionId).catch((failure) => app.notice(failure.message, { error: true }));
  });
  $("#after-again").addEventListener("click", () => {
    if (app.rating && app.rating.quick && app.event) { app.backToEvent(); return; }
    if (app.role === "mentor" && app.burst && app.burst.state !== "offline") app.showMentor();
    else app.openSetup(app.role);
  });
  const flushOnLeave = () => { if (Object.keys(pending()).length) flushPendingRatings({ keepalive: true }); };
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") flushOnLeave(); });
  window.addEventListener("pagehide", flushOnLeave);
}

export function openRating(app, ended, matched, { quick = false } = {}) {
  app.rating = { sessionId: ended.session_id, matched, quick };
  const role = matched.role;
  // Between event rounds the rating is one question: stars, and "follow up?".
  for (const id of ["#rating-tags-box", "#rating-note-box"]) $(id).hidden = quick;
  $("#rating-form").reset();
  $("#rating-form").hidden = false;
  $("#rating-done").hidden = true;
  $("#report-box").hidden = true;
  $("#rating-error").textContent = "";
  document.querySelectorAll(".stars label").forEach((label) => label.classList.remove("lit"));
  $("#rating-peer").textContent = matched.peer.name;
  $("#rating-reason").textContent = endedBecause(ended, matched);
  $("#reflection-box").hidden = quick || role !== "mentee";
  $("#rating-tags").replaceChildren(...TAGS[role].map(([value, label]) =>
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
  const box = $("#rating-record");
  box.hidden = true;
  try {
    const record = await api.session(sessionId);
    if (!document.querySelector("#view-rating:not([hidden])")) return;
    $("#record-body").replaceChildren(...renderRecord(record, login.user?.id));
    box.hidden = false;
  } catch {
    // The rating still works; the record is in "My sessions".
  }
}

async function submit(app) {
  const stars = Number(document.querySelector(".stars input:checked")?.value || 0);
  const error = $("#rating-error");
  if (!stars) { error.textContent = "Choose 1 to 5 stars."; return; }
  const rating = {
    stars,
    tags: [...document.querySelectorAll("#rating-tags input:checked")].map((input) => input.value),
    note: $("#rating-note").value.trim(),
    follow_up: $("#follow-up").checked,
  };
  const reflection = $("#reflection").value.trim();
  if (reflection && app.rating.matched.role === "mentee") rating.reflection = reflection;
  const { sessionId } = app.rating;
  savePending({ ...pending(), [sessionId]: rating });
  $("#rating-submit").disabled = true;
  try {
    await app.signaling.request("rate", { session_id: sessionId, ...rating });
    settle(sessionId);
    done(app, "Your rating is saved.");
  } catch (failure) {
    if (DELIVERED.has(failure.code)) { settle(sessionId); done(app, "Your rating was already saved."); return; }
    if (HOPELESS.has(failure.code)) { settle(sessionId); error.textContent = failure.message; return; }
    // Network trouble: try REST now; the pending copy is retried on the next visit too.
    await flushPendingRatings();
    if (!pending()[sessionId]) done(app, "Your rating is saved.");
    else error.textContent = "We couldn't send your rating yet; it's kept and will be sent when you're back online.";
  } finally {
    $("#rating-submit").disabled = false;
  }
}

async function report(app) {
  const reason = $("#report-reason").value.trim();
  if (!reason) { $("#report-reason").focus(); return; }
  try {
    await app.signaling.request("report", { session_id: app.rating.sessionId, reason });
    $("#report-box").hidden = true;
    app.notice("Thanks for telling us. You won't be matched with this person again.");
  } catch (failure) {
    if (failure.code === "already_reported") $("#report-box").hidden = true;
    $("#rating-error").textContent = failure.message;
  }
}

function done(app, text) {
  $("#rating-form").hidden = true;
  $("#rating-done").hidden = false;
  $("#rating-done-text").textContent = text;
  const mentorOn = app.role === "mentor" && app.burst && app.burst.state !== "offline";
  if (app.rating.quick && app.event) {
    $("#after-again").textContent = "Back to the event";
    $("#after-again").focus();
    return;
  }
  $("#after-again").textContent = app.role === "mentee" ? "Ask another question" : mentorOn ? "Back to my burst" : "Go online again";
  $("#after-again").focus();
}
