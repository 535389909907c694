// "Find a mentor": search by meaning, filter by skill and "online now"; each mentor shows their
// rating per skill, next office hours and what they won't cover, with "Ask <name>" (a personal
// request) and "Tell me when <name> is online".
import { api, login } from "./api.js";
import { $, el, show } from "./dom.js";
import { rememberOrigin } from "./nav.js";
import { askDirectly } from "./suggest.js";

export function wireDirectory(app) {
  $("#directory-form").addEventListener("submit", (event) => { event.preventDefault(); search(app); });
  $("#directory-online").addEventListener("change", () => search(app));
  $("#directory-skill").addEventListener("change", () => search(app));
  $("#directory-back").addEventListener("click", () => app.back());
  $("#directory-more").addEventListener("click", () => more(app));
  $("#watch-skill").addEventListener("click", async () => {
    if (!(await app.ensureSignedIn())) return;
    try {
      await api.watch({ skill: $("#directory-skill").value });
      if ("Notification" in window && Notification.permission === "default") Notification.requestPermission().catch(() => {});
      $("#watch-skill").disabled = true;
      $("#watch-skill").textContent = "We'll tell you";
    } catch (failure) {
      app.notice(failure.message, { error: true });
    }
  });
}

export async function openDirectory(app) {
  rememberOrigin(app);
  const select = $("#directory-skill");
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "", text: "Any skill" }),
    ...app.skills.map((s) => el("option", { value: s.slug, text: s.name, selected: s.slug === chosen })));
  show("directory");
  await search(app);
}

function skillName(app, slug) {
  const skill = app.skills.find((s) => s.slug === slug);
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

async function search(app) {
  const query = {};
  const q = $("#directory-q").value.trim();
  if (q) query.q = q;
  if ($("#directory-skill").value) query.skill = $("#directory-skill").value;
  if ($("#directory-online").checked) query.online = "true";
  let found, cursor;
  try {
    ({ found, cursor } = await look(query, null));
  } catch (failure) {
    app.notice(failure.message, { error: true });
    return;
  }
  browsing = cursor ? { query, cursor } : null;
  $("#directory-more").hidden = !browsing;
  $("#directory-empty").hidden = found.length > 0 || Boolean(browsing);
  // A skill with nobody online now: offer to tell the person when someone is.
  const skill = $("#directory-skill").value;
  const nobodyOnline = skill && !found.some((m) => m.online && (m.online_skills || []).includes(skill));
  $("#directory-watch-skill").hidden = !nobodyOnline;
  $("#watch-skill").disabled = false;
  if (skill) $("#watch-skill").textContent = `Tell me when a mentor of ${skillName(app, skill)} is online`;
  $("#directory-list").replaceChildren(...found.map((mentor) => card(app, mentor)));
}

async function more(app) {
  if (!browsing) return;
  const { query } = browsing;
  let found, cursor;
  try {
    ({ found, cursor } = await look(query, browsing.cursor));
  } catch (failure) {
    app.notice(failure.message, { error: true });
    return;
  }
  browsing = cursor ? { query, cursor } : null;
  $("#directory-more").hidden = !browsing;
  const shown = new Set([...$("#directory-list").children].map((item) => item.dataset.id));
  $("#directory-list").append(...found.filter((m) => !shown.has(m.id)).map((mentor) => card(app, mentor)));
  $("#directory-empty").hidden = $("#directory-list").children.length > 0 || Boolean(browsing);
}

function card(app, mentor) {
  const me = login.user && login.user.id === mentor.id;
  const status = mentor.online
    ? el("span", { class: "badge online", text: mentor.state === "idle" ? "Online now" : "Online, in a call" })
    : el("span", { class: "badge", text: "Offline" });
  const rating = mentor.rating.count
    ? `★ ${mentor.rating.mean} from ${mentor.rating.count} ${mentor.rating.count === 1 ? "rating" : "ratings"}`
    : "No ratings yet";
  const perSkill = Object.entries(mentor.skill_ratings || {}).map(([slug, r]) =>
    el("li", { text: `${skillName(app, slug)}: ★ ${r.mean} (${r.count})` }));
  const parts = [
    el("div", { class: "mentor-head" }, [el("strong", { text: mentor.name }), status]),
    mentor.headline ? el("p", { class: "headline", text: mentor.headline }) : null,
    mentor.expertise ? el("p", { class: "expertise", text: mentor.expertise }) : null,
    el("p", { class: "meta", text: [rating, ...mentor.skills.map((s) => skillName(app, s))].join(" · ") }),
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
      if (!(await app.ensureSignedIn())) return;
      askDirectly(mentor);
      await app.openSetup("mentee");
      if (!$("#mentee-skills input:checked") && mentor.skills[0]) {
        const input = $(`#mentee-skills input[value="${CSS.escape(mentor.skills[0])}"]`);
        if (input) input.checked = true;
      }
    });
    actions.push(askButton);
    if (!mentor.online) {
      const watchButton = el("button", { type: "button", class: "secondary", text: `Tell me when ${mentor.name} is online` });
      watchButton.addEventListener("click", async () => {
        if (!(await app.ensureSignedIn())) return;
        try {
          await api.watch({ mentor_id: mentor.id });
          if ("Notification" in window && Notification.permission === "default") Notification.requestPermission().catch(() => {});
          watchButton.disabled = true;
          watchButton.textContent = "We'll tell you";
        } catch (failure) {
          app.notice(failure.message, { error: true });
        }
      });
      actions.push(watchButton);
    }
  }
  if (mentor.next_office_hours) {
    actions.push(el("a", { class: "link-button", href: `/api/users/${encodeURIComponent(mentor.id)}/office-hours.ics`, text: "Add office hours to my calendar" }));
  }
  parts.push(el("div", { class: "actions" }, actions));
  const item = el("li", { class: "card mentor-card" }, parts);
  item.dataset.id = mentor.id;
  return item;
}
