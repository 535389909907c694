// The mentee's wait: live position and ETA, and a way out.
import { $, humanWait, show } from "./dom.js";
import { rich } from "./richtext.js";

export function wireWaiting(app) {
  $("#cancel-wait").addEventListener("click", async () => {
    try {
      await app.signaling.request("mentee:leave", {});
    } finally {
      app.waiting = null;
      app.openSetup("mentee");
    }
  });
}

export function showWaiting(app, update) {
  if (update && update.question) app.waiting = { ...(app.waiting || {}), skill: update.skill, question: update.question };
  $("#wait-question").replaceChildren(rich(app.waiting ? app.waiting.question : ""));
  if (!update) {
    // Back in line after a decline: say nothing about the place until the server says it.
    $("#wait-position").textContent = "Back in line…";
    for (const id of ["#wait-eta", "#wait-count"]) $(id).textContent = "";
    $("#wait-nomentor").hidden = true;
  }
  show("waiting");
  updateWaiting(app, update);
}

export function updateWaiting(app, update) {
  if (!update) return;
  if (update.question && !app.waiting) app.waiting = { skill: update.skill, question: update.question };
  if (update.question) $("#wait-question").replaceChildren(rich(update.question));
  const position = update.position;
  const noMentor = update.eta_s === null || update.eta_s === undefined;
  // "You're next" only when someone can actually take the question.
  $("#wait-position").textContent = position === 1 ? (noMentor ? "First in line" : "You're next") : `Number ${position} in line`;
  const skill = app.skills.find((s) => s.slug === update.skill);
  const skillName = skill ? skill.name : update.skill || "this skill";
  $("#wait-nomentor").hidden = !noMentor;
  $("#wait-nomentor").textContent = update.eta_reason === "no_other_mentor"
    ? `No other mentor for ${skillName} is online right now. You keep your place; we'll connect you as soon as one comes online.`
    : `No mentor for ${skillName} is online right now. You keep your place; we'll connect you as soon as one comes online.`;
  $("#wait-eta").textContent = noMentor ? "" : `Estimated wait: ${humanWait(update.eta_s)}`;
  if (update.waiting !== undefined) {
    $("#wait-count").textContent = `${update.waiting} ${update.waiting === 1 ? "person" : "people"} waiting for ${skillName}`;
  }
}
