// The mentee's wait: live position and ETA, and a way out.
import { $, humanWait, show } from "./dom.js";

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
  if (app.waiting) $("#wait-question").textContent = app.waiting.question;
  show("waiting");
  updateWaiting(app, update);
}

export function updateWaiting(app, update) {
  if (!update) return;
  const position = update.position;
  $("#wait-position").textContent = position === 1 ? "You're next" : `Number ${position} in line`;
  const noMentor = update.eta_s === null || update.eta_s === undefined;
  $("#wait-nomentor").hidden = !noMentor;
  $("#wait-eta").textContent = noMentor ? "" : `Estimated wait: ${humanWait(update.eta_s)}`;
  if (update.waiting !== undefined) {
    const skill = app.skills.find((s) => s.slug === update.skill);
    const name = skill ? skill.name : update.skill;
    $("#wait-count").textContent = `${update.waiting} ${update.waiting === 1 ? "person" : "people"} waiting for ${name}`;
  }
}
