// Asking once before an action everyone feels (ending a round, ending the event): the question
// shows inline under the buttons, never as a blocking dialog, and goes away when what it asked
// about is no longer true (the round ended by itself).

export function confirmer({ box, text, yes, no }) {
  let pending = null;
  const hide = () => { pending = null; box.hidden = true; };
  yes.addEventListener("click", () => {
    const run = pending && pending.run;
    hide();
    if (run) run();
  });
  no.addEventListener("click", hide);
  return {
    /** Ask `question`; `run` only if the person says yes. `key` names the situation asked in. */
    ask(key, question, yesLabel, run) {
      pending = { key, run };
      text.textContent = question;
      yes.textContent = yesLabel;
      box.hidden = false;
      no.focus();
    },
    /** Drop the question if the situation it was asked in has passed. */
    keepIf(key) { if (pending && pending.key !== key) hide(); },
  };
}
