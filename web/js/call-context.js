// What the call card says about the call: for a drop-in call the mentee's question and skill;
// for an event round the partner's intro, the skills the two share and the host's prompt for
// the round (which the host may change mid-round; event:update brings it).
import { $ } from "./dom.js";
import { rich } from "./richtext.js";

function skillName(app, slug) {
  const skill = app.skills.find((s) => s.slug === slug);
  return skill ? skill.name : slug;
}

export function showCallContext(app, matched) {
  const event = Boolean(matched.event_id);
  const rating = matched.peer.rating && matched.peer.rating.count && matched.role === "mentee"
    ? ` · ★ ${matched.peer.rating.mean} (${matched.peer.rating.count})` : "";
  $("#call-peer").textContent = event
    ? `With ${matched.peer.name}${rating} · round ${matched.round} of ${matched.rounds} · ${matched.event_title}`
    : `With ${matched.peer.name}${rating} · ${skillName(app, matched.skill)}`;
  $("#call-context").hidden = !event;
  if (event) {
    const intro = matched.peer.intro;
    $("#call-intro").textContent = intro ? `${matched.peer.name}: “${intro}”` : `${matched.peer.name} didn't write an intro.`;
    const shared = (matched.shared_skills || []).map((slug) => skillName(app, slug));
    $("#call-shared").textContent = shared.length
      ? `You both listed ${shared.join(", ")}.` : "No topics in common: start with your intros.";
  }
  showPrompt(event ? matched.prompt : matched.question, event);
  // Boundaries: the mentee sees what this mentor said they won't cover.
  const wont = !event && matched.role === "mentee" ? matched.peer.wont_cover : "";
  $("#call-wont").hidden = !wont;
  $("#call-wont").textContent = wont ? `${matched.peer.name} won't cover: ${wont}` : "";
}

function showPrompt(text, event) {
  $("#call-question-title").textContent = event ? "This round's prompt" : "The question";
  $("#call-question-title").hidden = event && !text;
  $("#call-question").hidden = event && !text;
  $("#call-question").replaceChildren(rich(text || "")); // links clickable, never HTML
}

/** An event:update for the event of the running call: the host may have changed the prompt. */
export function updateRoundPrompt(app, state) {
  const matched = app.matched;
  if (!matched || matched.event_id !== state.event_id || state.state !== "round" || state.round !== matched.round) return;
  matched.prompt = state.prompt || null;
  showPrompt(matched.prompt, true);
}
