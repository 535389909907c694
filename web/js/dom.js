// DOM helpers. Text from users always goes in through textContent, never as HTML.
import { state, viewShown } from "./state.js";

const $ = (selector, root = document) => root.querySelector(selector);

export function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of [].concat(children)) if (child) node.append(child);
  return node;
}

/** The page's section for view `name` (index.html: <section id="view-NAME" class="view">). */
export const viewSection = (name) => document.getElementById(`view-${name}`);

/** The elements a module works with, looked up once, by id, under its own part of the page:
 * `parts(section, { position: "wait-position" }).position`. A missing one fails at start-up. */
export function parts(root, ids) {
  const found = {};
  for (const [name, id] of Object.entries(ids)) {
    found[name] = root.querySelector(`#${id}`);
    if (!found[name]) throw new Error(`#${id} is not inside ${root.id ? `#${root.id}` : root.tagName}`);
  }
  return Object.freeze(found);
}

/** Show one view, hide the others, and move focus to its heading for screen readers. */
export function show(name) {
  for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== `view-${name}`;
  viewShown(name);
  const view = viewSection(name);
  const heading = view && $("h1", view);
  if (!heading) return;
  // Focus at the next frame, not now: focusing forces a layout of the new view at once, which
  // held a page just matched for 15 ms before it could send its offer. A caller that focused
  // something in the view meanwhile (a dialog's button) keeps it.
  requestAnimationFrame(() => {
    if (state.view === name && !view.contains(document.activeElement)) heading.focus({ preventScroll: false });
  });
}

let noticeTimer = null;

/** A short message at the top of the page; errors stay until replaced. */
export function notice(text, { error = false, ms = 6000 } = {}) {
  const box = $("#notice");
  box.textContent = text;
  box.classList.toggle("error", error);
  box.hidden = !text;
  clearTimeout(noticeTimer);
  if (text && !error) noticeTimer = setTimeout(() => { box.hidden = true; }, ms);
}

export function formatDuration(totalSeconds) {
  const s = Math.max(0, Math.round(totalSeconds));
  const minutes = Math.floor(s / 60);
  const seconds = s % 60;
  if (minutes >= 60) return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  return `${String(minutes).padStart(2, "0")}:${String(seconds).padStart(2, "0")}`;
}

export function humanWait(seconds) {
  if (seconds === null || seconds === undefined) return "";
  if (seconds < 60) return "less than a minute";
  const minutes = Math.round(seconds / 60);
  return minutes === 1 ? "about 1 minute" : `about ${minutes} minutes`;
}
