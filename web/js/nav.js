// "Back" from a side page (My sessions, Account) returns to where the person came from: the
// queue, the burst, the call, the event, rather than always to the start.
import { currentView, show } from "./dom.js";

const SIDE_PAGES = new Set(["history", "account", "directory", "admin"]);

/** Call before opening a side page. */
export function rememberOrigin(app) {
  const from = currentView();
  if (from && !SIDE_PAGES.has(from)) app.cameFrom = from;
}

export function goBack(app) {
  const from = app.cameFrom;
  app.cameFrom = null;
  if (!from || from === "landing") app.home();
  else if (from === "mentor") app.showMentor();
  else if (from === "setup") app.openSetup(app.role);
  else if (from === "event-lobby" && app.event) app.backToEvent();
  else if (from === "event-host" && app.hosting) app.openHost(app.hosting);
  else show(from);
}
