// "Find a mentor": search by meaning, filter by skill and "online now"; each mentor shows their
// rating per skill, next office hours and what they won't cover, with "Ask <name>" (a personal
// request) and "Tell me when <name> is online".
import { api, login } from "./api.js";
import { el, notice, parts, show, viewSection } from "./dom.js";
import { goBack, rememberOrigin } from "./nav.js";
import { chooseSkill, openSetup } from "./setup.js";
import { ensureSignedIn } from "./signin.js";
import { state } from "./state.js";
import { askDirectly } from "./suggest.js";

const ui = parts(viewSection("directory"), {
  directoryForm: "directory-form", directoryQ: "directory-q", directorySkill: "directory-skill",
  directoryOnline: "directory-online", directoryEmpty: "directory-empty", directoryWatchSkill: "directory-watch-skill",
  watchSkill: "watch-skill", directoryList: "directory-list", directoryMore: "directory-more",
  directoryBack: "directory-back",
});

export function wireDirectory() {
  ui.directoryForm.addEventListener("submit", (event) => { event.preventDefault(); search(); });
  ui.directoryOnline.addEventListener("change", () => search());
  ui.directorySkill.addEventListener("change", () => search());
  ui.directoryBack.addEventListener("click", () => goBack());
  ui.directoryMore.addEventListener("click", () => more());
  ui.watchSkill.addEventListener("click", async () => {
    if (!(await ensureSignedIn())) return;
    try {
      await api.watch({ skill: ui.directorySkill.value });
      if ("Notification" in window && Notification.permission === "default") Notification.requestPermission().catch(() => {});
      ui.watchSkill.disabled = true;
      ui.watchSkill.textContent = "We'll tell you";
    } catch (failure) {
      notice(failure.message, { error: true });
    }
  });
}

export async function openDirectory() {
  rememberOrigin();
  const select = ui.directorySkill;
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "", text: "Any skill" }),
    ...state.skills.map((s) => el("option", { value: s.slug, text: s.name, selected: s.slug === chosen })));
  show("directory");
  await search();
}

function skillName(slug) {
  const skill = state.skills.find((s) => s.slug === slug);
  return skill ? skill.name : slug;
}

// Browsing (no words typed) comes a page at a time; a filtered page may be short or empty while
// more follow, so one look follows the cursor for up to this many pages.
const PAGES_PER_LOOK = 5;
let browsing = null; // { query, cursor } while more pages follow

/** Pages from `cursor` on until some mentors turned up (or PAGES_PER_LOOK pages). */
async function look(query, cursor) {
  const found = [];
  for (let page = 0; page < PAGES_PER_LOOK; page += 1) {
    const answer = await api.mentors(cursor ? { ...query, cursor } : query);
    found.push(...answer.mentors);
    cursor = answer.next_cursor;
    if (!cursor || found.length) break;
  }
  return { found, cursor };
}

async function search() {
  const query = {};
  const q = ui.directoryQ.value.trim();
  if (q) query.q = q;
  if (ui.directorySkill.value) query.skill = ui.directorySkill.value;
  if (ui.directoryOnline.checked) query.online = "true";
  let found, cursor;
  try {
    ({ found, cursor } = await look(query, null));
  } catch (failure) {
    notice(failure.message, { error: true });
    return;
  }
  browsing = cursor ? { query, cursor } : null;
  ui.directoryMore.hidden = !browsing;
  ui.directoryEmpty.hidden = found.length > 0 || Boolean(browsing);
  // A skill with nobody online now: offer to tell the person when someone is.
  const skill = ui.directorySkill.value;
  const nobodyOnline = skill && !found.some((m) => m.online && (m.online_skills || []).includes(skill));
  ui.directoryWatchSkill.hidden = !nobodyOnline;
  ui.watchSkill.disabled = false;
  if (skill) ui.watchSkill.textContent = `Tell me when a mentor of ${skillName(skill)} is online`;
  ui.directoryList.replaceChildren(...found.map((mentor) => card(mentor)));
}

async function more() {
  if (!browsing) return;
  const { query } = browsing;
  let found, cursor;
  try {
    ({ found, cursor } = await look(query, browsing.cursor));
  } catch (failure) {
    notice(failure.message, { error: true });
    return;
  }
  browsing = cursor ? { query, cursor } : null;
  ui.directoryMore.hidden = !browsing;
  const shown = new Set([...ui.directoryList.children].map((item) => item.dataset.id));
  ui.directoryList.append(...found.filter((m) => !shown.has(m.id)).map((mentor) => card(mentor)));
  ui.directoryEmpty.hidden = ui.directoryList.children.length > 0 || Boolean(browsing);
}

function card(mentor) {
  const me = login.user && login.user.id === mentor.id;
  const status = mentor.online
    ? el("span", { class: "badge online", text: mentor.state === "idle" ? "Online now" : "Online, in a call" })
    : el("span", { class: "badge", text: "Offline" });
  const rating = mentor.rating.count
    ? `★ ${mentor.rating.mean} from ${mentor.rating.count} ${mentor.rating.count === 1 ? "rating" : "ratings"}`
    : "No ratings yet";
  const perSkill = Object.entries(mentor.skill_ratings || {}).map(([slug, r]) =>
    el("li", { text: `${skillName(slug)}: ★ ${r.mean} (${r.count})` }));
  const items = [
    el("div", { class: "mentor-head" }, [el("strong", { text: mentor.name }), status]),
    mentor.headline ? el("p", { class: "headline", text: mentor.headline }) : null,
    mentor.expertise ? el("p", { class: "expertise", text: mentor.expertise }) : null,
    el("p", { class: "meta", text: [rating, ...mentor.skills.map((s) => skillName(s))].join(" · ") }),
    perSkill.length ? el("ul", { class: "skill-ratings plain" }, perSkill) : null,
    mentor.next_office_hours
      ? el("p", { class: "meta", text: `Next office hours: ${new Date(mentor.next_office_hours.next_at).toLocaleString()} (${mentor.next_office_hours.minutes} min)` })
      : null,
    mentor.wont_cover ? el("p", { class: "hint", text: `Won't cover: ${mentor.wont_cover}` }) : null,
  ];
  const actions = [];
  if (!me) {
    const askButton = el("button", { type: "button", class: "primary", text: `Ask ${mentor.name}` });
    askButton.addEventListener("click", async () => {
      if (!(await ensureSignedIn())) return;
      askDirectly(mentor);
      await openSetup("mentee");
      if (mentor.skills[0]) chooseSkill(mentor.skills[0], { unlessChosen: true });
    });
    actions.push(askButton);
    if (!mentor.online) {
      const watchButton = el("button", { type: "button", class: "secondary", text: `Tell me when ${mentor.name} is online` });
      watchButton.addEventListener("click", async () => {
        if (!(await ensureSignedIn())) return;
        try {
          await api.watch({ mentor_id: mentor.id });
          if ("Notification" in window && Notification.permission === "default") Notification.requestPermission().catch(() => {});
          watchButton.disabled = true;
          watchButton.textContent = "We'll tell you";
        } catch (failure) {
          notice(failure.message, { error: true });
        }
      });
      actions.push(watchButton);
    }
  }
  if (mentor.next_office_hours) {
    actions.push(el("a", { class: "link-button", href: `/api/users/${encodeURIComponent(mentor.id)}/office-hours.ics`, text: "Add office hours to my calendar" }));
  }
  items.push(el("div", { class: "actions" }, actions));
  const item = el("li", { class: "card mentor-card" }, items);
  item.dataset.id = mentor.id;
  return item;
}
