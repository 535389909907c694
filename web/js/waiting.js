// The mentee's wait: live position and ETA, and a way out.
import { api } from "./api.js";
import { el, humanWait, notice, parts, show, viewSection } from "./dom.js";
import { rich } from "./richtext.js";
import * as server from "./server.js";
import { openSetup } from "./setup.js";
import { leftQueue, skillWidened, state } from "./state.js";
import { warmUp } from "./warm.js";

const ui = parts(viewSection("waiting"), {
  cancelWait: "cancel-wait", waitQuestion: "wait-question", waitPosition: "wait-position",
  waitEta: "wait-eta", waitCount: "wait-count", waitNomentor: "wait-nomentor", waitWiden: "wait-widen",
  waitPointers: "wait-pointers", waitExamples: "wait-examples",
  waitExamplesCaption: "wait-examples-caption", waitPastCaption: "wait-past-caption", waitPast: "wait-past",
  waitWidenText: "wait-widen-text", waitWidenOptions: "wait-widen-options", waitDirect: "wait-direct",
});

export function wireWaiting() {
  ui.cancelWait.addEventListener("click", async () => {
    try {
      await server.request("mentee:leave", {});
    } finally {
      leftQueue();
      openSetup("mentee");
    }
  });
}

/** The waiting page: the question in line (state.waiting) and, when given, the place in line.
 * After a decline there is no place yet (update null): the queue:update that follows says it. */
export function showWaiting(update) {
  ui.waitQuestion.replaceChildren(rich(state.waiting ? state.waiting.question : ""));
  if (!update) {
    // Back in line after a decline: say nothing about the place until the server says it.
    ui.waitPosition.textContent = "Back in line…";
    for (const line of [ui.waitEta, ui.waitCount]) line.textContent = "";
    ui.waitNomentor.hidden = true;
  }
  ui.waitWiden.hidden = true;
  show("waiting");
  warmUp(); // back in line (a decline, a reload): the next call's connection gets ready
  updateWaiting(update);
  showPointers();
}

/** While waiting: the skill's example questions nearest this one, and the mentee's own past
 * calls on something similar (found by meaning on the server). */
async function showPointers() {
  let found;
  try { found = await api.pointers(); } catch { return; }
  ui.waitPointers.hidden = !(found.examples.length || found.past.length);
  ui.waitExamples.replaceChildren(...found.examples.map((q) => el("li", {}, [el("q", { text: q })])));
  ui.waitExamplesCaption.hidden = !found.examples.length;
  ui.waitPastCaption.hidden = !found.past.length;
  ui.waitPast.replaceChildren(...found.past.map((p) => el("li", {}, [
    el("q", { text: p.question }),
    el("span", { class: "muted", text: ` with ${p.peer.name}, ${new Date(p.when).toLocaleDateString()} (in My sessions)` }),
  ])));
}

/** queue:widen: no mentor is online for the skill; offer the nearest ones that have one and
 * "Something else". Nothing moves unless the mentee picks one. */
export function offerWidening(offer) {
  ui.waitWiden.hidden = false;
  const skill = state.skills.find((s) => s.slug === offer.skill);
  ui.waitWidenText.textContent = `Still nobody online for ${skill ? skill.name : offer.skill}. Ask in a nearby skill instead? You keep your place in time.`;
  ui.waitWidenOptions.replaceChildren(...offer.options.map((option) => {
    const button = el("button", { type: "button", class: "secondary", text: option.mentors_online
      ? `${option.name} (${option.mentors_online} online)` : option.name });
    button.addEventListener("click", async () => {
      try {
        const ack = await server.request("mentee:widen", { skill: option.slug });
        ui.waitWiden.hidden = true;
        skillWidened(option.slug);
        if (!ack.position) return; // matched: session:matched follows
        updateWaiting({ ...ack, skill: option.slug });
      } catch (failure) {
        notice(failure.message, { error: true });
      }
    });
    return button;
  }));
}

/** A new place in line, ETA or count (queue:update, or an ack). */
export function updateWaiting(update) {
  if (!update) return;
  if (update.question) ui.waitQuestion.replaceChildren(rich(update.question));
  if (update.widen && update.widen.length) {
    offerWidening({ skill: update.skill, options: update.widen });
  }
  ui.waitDirect.hidden = !update.mentor;
  if (update.mentor) ui.waitDirect.textContent = `Waiting for ${update.mentor.name || "your mentor"} only.`;
  const position = update.position;
  const noMentor = update.eta_s === null || update.eta_s === undefined;
  // "You're next" only when someone can actually take the question.
  ui.waitPosition.textContent = position === 1 ? (noMentor ? "First in line" : "You're next") : `Number ${position} in line`;
  const skill = state.skills.find((s) => s.slug === update.skill);
  const skillName = skill ? skill.name : update.skill || "this skill";
  ui.waitNomentor.hidden = !noMentor;
  const reasons = {
    open_question: "We'll offer your question to the first mentor whose own description fits it.",
    mentor_offline: `${update.mentor ? update.mentor.name : "Your mentor"} isn't online right now. You keep your place; the call starts when they come online.`,
  };
  ui.waitNomentor.textContent = reasons[update.eta_reason] || (update.eta_reason === "no_other_mentor"
    ? `No other mentor for ${skillName} is online right now. You keep your place; we'll connect you as soon as one comes online.`
    : `No mentor for ${skillName} is online right now. You keep your place; we'll connect you as soon as one comes online.`);
  ui.waitEta.textContent = noMentor ? "" : `Estimated wait: ${humanWait(update.eta_s)}`;
  if (update.waiting !== undefined) {
    ui.waitCount.textContent = `${update.waiting} ${update.waiting === 1 ? "person" : "people"} waiting for ${skillName}`;
  }
}
