// What the call card says about the call: for a drop-in call the mentee's question and skill;
// for an event round the partner's intro, the skills the two share and the host's prompt for
// the round (which the host may change mid-round; event:update brings it).
import { parts, viewSection } from "./dom.js";
import { rich } from "./richtext.js";
import { callInRound, state } from "./state.js";

const ui = parts(viewSection("call"), {
  peer: "call-peer", context: "call-context", intro: "call-intro", shared: "call-shared",
  questionTitle: "call-question-title", question: "call-question", wont: "call-wont",
});

function skillName(slug) {
  const skill = state.skills.find((s) => s.slug === slug);
  return skill ? skill.name : slug;
}

export function showCallContext(matched) {
  const event = Boolean(matched.event_id);
  const rating = matched.peer.rating && matched.peer.rating.count && matched.role === "mentee"
    ? ` · ★ ${matched.peer.rating.mean} (${matched.peer.rating.count})` : "";
  ui.peer.textContent = event
    ? `With ${matched.peer.name}${rating} · round ${matched.round} of ${matched.rounds} · ${matched.event_title}`
    : `With ${matched.peer.name}${rating} · ${skillName(matched.skill)}`;
  ui.context.hidden = !event;
  if (event) {
    const intro = matched.peer.intro;
    ui.intro.textContent = intro ? `${matched.peer.name}: “${intro}”` : `${matched.peer.name} didn't write an intro.`;
    const shared = (matched.shared_skills || []).map(skillName);
    ui.shared.textContent = shared.length
      ? `You both listed ${shared.join(", ")}.` : "No topics in common: start with your intros.";
  }
  showPrompt(event ? matched.prompt : matched.question, event);
  // Boundaries: the mentee sees what this mentor said they won't cover.
  const wont = !event && matched.role === "mentee" ? matched.peer.wont_cover : "";
  ui.wont.hidden = !wont;
  ui.wont.textContent = wont ? `${matched.peer.name} won't cover: ${wont}` : "";
}

function showPrompt(text, event) {
  ui.questionTitle.textContent = event ? "This round's prompt" : "The question";
  ui.questionTitle.hidden = event && !text;
  ui.question.hidden = event && !text;
  ui.question.replaceChildren(rich(text || "")); // links clickable, never HTML
}

/** An event:update for the event of the running call: the host may have changed the prompt. */
export function updateRoundPrompt(event) {
  if (callInRound(event)) showPrompt(state.matched.prompt, true);
}
