// "Back" from a side page (My sessions, Account) returns to where the person came from: the
// queue, the burst, the call, the event, rather than always to the start.
import { show } from "./dom.js";
import { backToEvent } from "./events.js";
import { openHost } from "./host.js";
import { showMentor } from "./mentor.js";
import { openSetup } from "./setup.js";
import { mentorOnline, state } from "./state.js";

const SIDE_PAGES = new Set(["history", "account", "directory", "admin"]);

let cameFrom = null; // the view a side page was opened from

/** Call before opening a side page. */
export function rememberOrigin() {
  const from = state.view;
  if (from && !SIDE_PAGES.has(from)) cameFrom = from;
}

/** The start: a mentor's running burst, or the landing page. */
function home() {
  if (mentorOnline()) showMentor();
  else show("landing");
}

export function goBack() {
  const from = cameFrom;
  cameFrom = null;
  if (!from || from === "landing") home();
  else if (from === "mentor") showMentor();
  else if (from === "setup") openSetup(state.role);
  else if (from === "event-lobby" && state.event) backToEvent();
  else if (from === "event-host" && state.hosting) openHost(state.hosting);
  else show(from);
}
