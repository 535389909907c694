// The mentee's wait: live position and ETA, and a way out.
import { api } from "./api.js";
import { $, el, humanWait, show } from "./dom.js";
import { rich } from "./richtext.js";
import { warmUp } from "./warm.js";

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
  $("#wait-widen").hidden = true;
  show("waiting");
  warmUp(app); // back in line (a decline, a reload): the next call's connection gets ready
  updateWaiting(app, update);
  showPointers(app);
}

/** While waiting: the skill's example questions nearest this one, and the mentee's own past
 * calls on something similar (found by meaning on the server). */
async function showPointers(app) {
  let found;
  try { found = await api.pointers(); } catch { return; }
  $("#wait-pointers").hidden = !(found.examples.length || found.past.length);
  $("#wait-examples").replaceChildren(...found.examples.map((q) => el("li", {}, [el("q", { text: q })])));
  $("#wait-examples-caption").hidden = !found.examples.length;
  $("#wait-past-caption").hidden = !found.past.length;
  $("#wait-past").replaceChildren(...found.past.map((p) => el("li", {}, [
    el("q", { text: p.question }),
    el("span", { class: "muted", text: ` with ${p.peer.name}, ${new Date(p.when).toLocaleDateString()} (in My sessions)` }),
  ])));
}

/** queue:widen: no mentor is online for the skill; offer the nearest ones that have one and
 * "Something else". Nothing moves unless the mentee picks one. */
export function offerWidening(app, offer) {
  $("#wait-widen").hidden = false;
  const skill = app.skills.find((s) => s.slug === offer.skill);
  $("#wait-widen-text").textContent = `Still nobody online for ${skill ? skill.name : offer.skill}. Ask in a nearby skill instead? You keep your place in time.`;
  $("#wait-widen-options").replaceChildren(...offer.options.map((option) => {
    const button = el("button", { type: "button", class: "secondary", text: option.mentors_online
      ? `${option.name} (${option.mentors_online} online)` : option.name });
    button.addEventListener("click", async () => {
      try {
        const ack = await app.signaling.request("mentee:widen", { skill: option.slug });
        $("#wait-widen").hidden = true;
        if (app.waiting) app.waiting.skill = option.slug;
        if (!ack.position) return; // matched: session:matched follows
        updateWaiting(app, { ...ack, skill: option.slug });
      } catch (failure) {
        app.notice(failure.message, { error: true });
      }
    });
    return button;
  }));
}

export function updateWaiting(app, update) {
  if (!update) return;
  if (update.question && !app.waiting) app.waiting = { skill: update.skill, question: update.question };
  if (update.question) $("#wait-question").replaceChildren(rich(update.question));
  if (update.widen && update.widen.length) {
    offerWidening(app, { skill: update.skill, options: update.widen });
  }
  $("#wait-direct").hidden = !update.mentor;
  if (update.mentor) $("#wait-direct").textContent = `Waiting for ${update.mentor.name || "your mentor"} only.`;
  const position = update.position;
  const noMentor = update.eta_s === null || update.eta_s === undefined;
  // "You're next" only when someone can actually take the question.
  $("#wait-position").textContent = position === 1 ? (noMentor ? "First in line" : "You're next") : `Number ${position} in line`;
  const skill = app.skills.find((s) => s.slug === update.skill);
  const skillName = skill ? skill.name : update.skill || "this skill";
  $("#wait-nomentor").hidden = !noMentor;
  const reasons = {
    open_question: "We'll offer your question to the first mentor whose own description fits it.",
    mentor_offline: `${update.mentor ? update.mentor.name : "Your mentor"} isn't online right now. You keep your place; the call starts when they come online.`,
  };
  $("#wait-nomentor").textContent = reasons[update.eta_reason] || (update.eta_reason === "no_other_mentor"
    ? `No other mentor for ${skillName} is online right now. You keep your place; we'll connect you as soon as one comes online.`
    : `No mentor for ${skillName} is online right now. You keep your place; we'll connect you as soon as one comes online.`);
  $("#wait-eta").textContent = noMentor ? "" : `Estimated wait: ${humanWait(update.eta_s)}`;
  if (update.waiting !== undefined) {
    $("#wait-count").textContent = `${update.waiting} ${update.waiting === 1 ? "person" : "people"} waiting for ${skillName}`;
  }
}
