// When a mentee is matched, or a mentor gets a call, while the tab is in the background: a chime
// (unless turned off), the page title, and a Web Notification if the person allowed them. The
// permission is asked for when someone starts waiting (a click), never on page load.
import { chime } from "./countdown.js";

const CHIME_KEY = "mentorburst.chime";
const TITLE = document.title;

export const chimeOn = () => localStorage.getItem(CHIME_KEY) !== "0";
export const setChime = (on) => localStorage.setItem(CHIME_KEY, on ? "1" : "0");

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") document.title = TITLE;
});

export function askForNotifications() {
  if ("Notification" in window && Notification.permission === "default") {
    Notification.requestPermission().catch(() => {});
  }
}

/** Get the person's attention for `title`; the chime plays in the foreground too. */
export function alertPerson(title, body) {
  if (chimeOn()) chime();
  if (document.visibilityState === "visible") return;
  document.title = `● ${title} · mentorburst`;
  if ("Notification" in window && Notification.permission === "granted") {
    try {
      const note = new Notification(title, { body, tag: "mentorburst-call" });
      note.addEventListener("click", () => { window.focus(); note.close(); });
    } catch {
      // Some browsers only notify from a service worker; the title and sound still tell.
    }
  }
}
