// Office hours on the account page: weekly or one-off slots in the mentor's own time zone, with
// the calendar feed (.ics) anyone can subscribe to.
import { api, login } from "./api.js";
import { el, parts, viewSection } from "./dom.js";

const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
let slots = [];

const ui = parts(viewSection("account"), {
  hoursForm: "hours-form", hoursList: "hours-list", hoursKind: "hours-kind", hoursWeekdayBox: "hours-weekday-box",
  hoursWeekday: "hours-weekday", hoursDateBox: "hours-date-box", hoursDate: "hours-date", hoursTime: "hours-time",
  hoursMinutes: "hours-minutes", hoursTz: "hours-tz", hoursError: "hours-error", hoursIcs: "hours-ics",
});

export function wireHours() {
  ui.hoursKind.addEventListener("change", () => {
    const once = ui.hoursKind.value === "once";
    ui.hoursWeekdayBox.hidden = once;
    ui.hoursDateBox.hidden = !once;
  });
  ui.hoursForm.addEventListener("submit", (event) => { event.preventDefault(); addSlot(); });
}

export async function renderHours() {
  if (!ui.hoursTz.value) ui.hoursTz.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const user = login.user;
  if (!user) return;
  try {
    const view = await api.hours(user.id);
    slots = view.hours.map(({ kind, tz, minutes, start, weekday, time, note }) =>
      Object.fromEntries(Object.entries({ kind, tz, minutes, start, weekday, time, note }).filter(([, v]) => v !== null)));
    list(view);
  } catch (failure) {
    ui.hoursError.textContent = failure.message;
  }
}

function list(view) {
  ui.hoursList.replaceChildren(...view.hours.map((slot, i) => {
    const remove = el("button", { type: "button", class: "link", text: "Remove" });
    remove.addEventListener("click", () => save(slots.filter((_, j) => j !== i)));
    const label = slot.kind === "weekly" ? `${DAYS[slot.weekday]}s at ${slot.time}` : slot.start.replace("T", " at ");
    const next = slot.next_at ? ` · next: ${new Date(slot.next_at).toLocaleString()}` : " · passed";
    return el("li", {}, [el("span", { text: `${label} (${slot.tz}), ${slot.minutes} min${next} ` }), remove]);
  }));
  ui.hoursIcs.hidden = view.hours.length === 0;
  ui.hoursIcs.href = view.ics;
}

async function save(next) {
  ui.hoursError.textContent = "";
  try {
    const view = await api.saveHours(next);
    slots = next;
    list(view);
  } catch (failure) {
    ui.hoursError.textContent = failure.message;
  }
}

function addSlot() {
  const kind = ui.hoursKind.value;
  const slot = { kind, tz: ui.hoursTz.value.trim(), minutes: Number(ui.hoursMinutes.value) };
  const time = ui.hoursTime.value;
  if (kind === "weekly") Object.assign(slot, { weekday: Number(ui.hoursWeekday.value), time });
  else {
    if (!ui.hoursDate.value) { ui.hoursError.textContent = "Pick the date."; return; }
    slot.start = `${ui.hoursDate.value}T${time}`;
  }
  save([...slots, slot]);
}
