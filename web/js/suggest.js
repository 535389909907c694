// The ask form, as the mentee writes: the skill the question sounds like (the mentee still
// chooses), what the question still lacks for a good call, the first-time note on what a short
// call can and cannot do, and asking one mentor directly ("Ask Jamie").
import { api } from "./api.js";
import { el, parts, viewSection } from "./dom.js";

const BOUNDARIES_KEY = "mentorburst.boundaries-seen";
const DEBOUNCE_MS = 400;
// Below this, no catalog skill fits well: point at "Something else".
const WEAK_FIT = 0.3;

const ui = parts(viewSection("setup"), {
  question: "question", menteeSkills: "mentee-skills", boundaries: "boundaries", boundariesOk: "boundaries-ok",
  askDirect: "ask-direct", askDirectName: "ask-direct-name", askDirectCancel: "ask-direct-cancel",
  askDirectWont: "ask-direct-wont", suggestBox: "suggest-box", suggestChips: "suggest-chips",
  suggestOpen: "suggest-open", prepNudges: "prep-nudges",
});

let timer = null;
let asked = "";

export const direct = { mentor: null };

export function wireSuggest() {
  ui.question.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => suggestNow(), DEBOUNCE_MS);
  });
  ui.boundariesOk.addEventListener("click", () => {
    localStorage.setItem(BOUNDARIES_KEY, "1");
    ui.boundaries.hidden = true;
  });
  ui.askDirectCancel.addEventListener("click", () => askDirectly(null));
}

/** Opening the ask form: the first time, what a 15-minute call can and cannot do. */
export function prepareForm() {
  ui.boundaries.hidden = localStorage.getItem(BOUNDARIES_KEY) === "1";
  renderDirect();
}

/** Ask one mentor directly (`mentor`: a directory entry), or anyone again (null). */
export function askDirectly(mentor) {
  direct.mentor = mentor;
  renderDirect();
}

function renderDirect() {
  const mentor = direct.mentor;
  ui.askDirect.hidden = !mentor;
  ui.askDirectName.textContent = mentor ? mentor.name : "";
  ui.askDirectWont.hidden = !(mentor && mentor.wont_cover);
  ui.askDirectWont.textContent = mentor && mentor.wont_cover ? `${mentor.name} won't cover: ${mentor.wont_cover}` : "";
}

async function suggestNow() {
  const question = ui.question.value.trim();
  if (question.length < 12 || question === asked) {
    if (question.length < 12) { ui.suggestBox.hidden = true; ui.prepNudges.replaceChildren(); }
    return;
  }
  asked = question;
  let answer;
  try {
    answer = await api.suggest(question);
  } catch {
    return; // suggestions are a help, never in the way
  }
  if (ui.question.value.trim() !== question) return; // typed on meanwhile
  const chips = answer.skills.slice(0, 3).map((skill, i) => {
    const chip = el("button", { type: "button", class: i === 0 ? "chip suggested" : "chip", text: skill.name });
    chip.dataset.slug = skill.slug;
    chip.addEventListener("click", () => {
      const input = ui.menteeSkills.querySelector(`input[value="${CSS.escape(skill.slug)}"]`);
      if (input) { input.checked = true; input.focus(); }
    });
    return chip;
  });
  ui.suggestChips.replaceChildren(...chips);
  ui.suggestOpen.hidden = !(answer.skills[0] && answer.skills[0].score < WEAK_FIT);
  ui.suggestBox.hidden = false;
  for (const label of ui.menteeSkills.querySelectorAll("label")) {
    label.classList.toggle("suggested", label.querySelector("input").value === answer.skills[0]?.slug);
  }
  ui.prepNudges.replaceChildren(...answer.preparation.nudges.map((nudge) => el("li", { text: nudge })));
}
