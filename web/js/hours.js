// Office hours on the account page: weekly or one-off slots in the mentor's own time zone, with
// the calendar feed (.ics) anyone can subscribe to.
import { api, login } from "./api.js";
import { $, el } from "./dom.js";

const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
let slots = [];

export function wireHours(app) {
  $("#hours-kind").addEventListener("change", () => {
    const once = $("#hours-kind").value === "once";
    $("#hours-weekday-box").hidden = once;
    $("#hours-date-box").hidden = !once;
  });
  $("#hours-form").addEventListener("submit", (event) => { event.preventDefault(); addSlot(app); });
}

export async function renderHours(app) {
  if (!$("#hours-tz").value) $("#hours-tz").value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const user = login.user;
  if (!user) return;
  try {
    const view = await api.hours(user.id);
    slots = view.hours.map(({ kind, tz, minutes, start, weekday, time, note }) =>
      Object.fromEntries(Object.entries({ kind, tz, minutes, start, weekday, time, note }).filter(([, v]) => v !== null)));
    list(app, view);
  } catch (failure) {
    $("#hours-error").textContent = failure.message;
  }
}

function list(app, view) {
  $("#hours-list").replaceChildren(...view.hours.map((slot, i) => {
    const remove = el("button", { type: "button", class: "link", text: "Remove" });
    remove.addEventListener("click", () => save(app, slots.filter((_, j) => j !== i)));
    const label = slot.kind === "weekly" ? `${DAYS[slot.weekday]}s at ${slot.time}` : slot.start.replace("T", " at ");
    const next = slot.next_at ? ` · next: ${new Date(slot.next_at).toLocaleString()}` : " · passed";
    return el("li", {}, [el("span", { text: `${label} (${slot.tz}), ${slot.minutes} min${next} ` }), remove]);
  }));
  $("#hours-ics").hidden = view.hours.length === 0;
  $("#hours-ics").href = view.ics;
}

async function save(app, next) {
  $("#hours-error").textContent = "";
  try {
    const view = await api.saveHours(next);
    slots = next;
    list(app, view);
  } catch (failure) {
    $("#hours-error").textContent = failure.message;
  }
}

function addSlot(app) {
  const kind = $("#hours-kind").value;
  const slot = { kind, tz: $("#hours-tz").value.trim(), minutes: Number($("#hours-minutes").value) };
  const time = $("#hours-time").value;
  if (kind === "weekly") Object.assign(slot, { weekday: Number($("#hours-weekday").value), time });
  else {
    if (!$("#hours-date").value) { $("#hours-error").textContent = "Pick the date."; return; }
    slot.start = `${$("#hours-date").value}T${time}`;
  }
  save(app, [...slots, slot]);
}
