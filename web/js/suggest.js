// The ask form, as the mentee writes: the skill the question sounds like (the mentee still
// chooses), what the question still lacks for a good call, the first-time note on what a short
// call can and cannot do, and asking one mentor directly ("Ask Jamie").
import { api } from "./api.js";
import { $, el } from "./dom.js";

const BOUNDARIES_KEY = "mentorburst.boundaries-seen";
const DEBOUNCE_MS = 400;
// Below this, no catalog skill fits well: point at "Something else".
const WEAK_FIT = 0.3;

let timer = null;
let asked = "";

export const direct = { mentor: null };

export function wireSuggest(app) {
  $("#question").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => suggestNow(app), DEBOUNCE_MS);
  });
  $("#boundaries-ok").addEventListener("click", () => {
    localStorage.setItem(BOUNDARIES_KEY, "1");
    $("#boundaries").hidden = true;
  });
  $("#ask-direct-cancel").addEventListener("click", () => askDirectly(null));
}

/** Opening the ask form: the first time, what a 15-minute call can and cannot do. */
export function prepareForm() {
  $("#boundaries").hidden = localStorage.getItem(BOUNDARIES_KEY) === "1";
  renderDirect();
}

/** Ask one mentor directly (`mentor`: a directory entry), or anyone again (null). */
export function askDirectly(mentor) {
  direct.mentor = mentor;
  renderDirect();
}

function renderDirect() {
  const mentor = direct.mentor;
  $("#ask-direct").hidden = !mentor;
  $("#ask-direct-name").textContent = mentor ? mentor.name : "";
  $("#ask-direct-wont").hidden = !(mentor && mentor.wont_cover);
  $("#ask-direct-wont").textContent = mentor && mentor.wont_cover ? `${mentor.name} won't cover: ${mentor.wont_cover}` : "";
}

async function suggestNow(app) {
  const question = $("#question").value.trim();
  if (question.length < 12 || question === asked) {
    if (question.length < 12) { $("#suggest-box").hidden = true; $("#prep-nudges").replaceChildren(); }
    return;
  }
  asked = question;
  let answer;
  try {
    answer = await api.suggest(question);
  } catch {
    return; // suggestions are a help, never in the way
  }
  if ($("#question").value.trim() !== question) return; // typed on meanwhile
  const chips = answer.skills.slice(0, 3).map((skill, i) => {
    const chip = el("button", { type: "button", class: i === 0 ? "chip suggested" : "chip", text: skill.name });
    chip.dataset.slug = skill.slug;
    chip.addEventListener("click", () => {
      const input = $(`#mentee-skills input[value="${CSS.escape(skill.slug)}"]`);
      if (input) { input.checked = true; input.focus(); }
    });
    return chip;
  });
  $("#suggest-chips").replaceChildren(...chips);
  $("#suggest-open").hidden = !(answer.skills[0] && answer.skills[0].score < WEAK_FIT);
  $("#suggest-box").hidden = false;
  for (const label of document.querySelectorAll("#mentee-skills label")) {
    label.classList.toggle("suggested", label.querySelector("input").value === answer.skills[0]?.slug);
  }
  $("#prep-nudges").replaceChildren(...answer.preparation.nudges.map((nudge) => el("li", { text: nudge })));
  app.lastSuggestion = answer;
}
