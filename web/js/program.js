// The program page (admins): participation, waits per skill, share matched, no-shows, ratings,
// follow-up notes, repeat use, mentor utilisation and event attendance, as small SVG charts
// and figures, with CSV downloads. Aggregates only: the server sends no question or note.
import { api } from "./api.js";
import { drawBars } from "./chart.js";
import { el, notice, parts, show, viewSection } from "./dom.js";
import { goBack, rememberOrigin } from "./nav.js";

const section = viewSection("admin");
const ui = parts(section, {
  adminRange: "admin-range", adminKpis: "admin-kpis", chartWeeks: "chart-weeks", chartWaits: "chart-waits",
  chartRatings: "chart-ratings", chartEvents: "chart-events", adminNoshows: "admin-noshows", adminBack: "admin-back",
});

export function wireProgram() {
  ui.adminBack.addEventListener("click", () => goBack());
  for (const link of section.querySelectorAll("a[data-table]")) {
    link.addEventListener("click", async (event) => {
      event.preventDefault();
      try {
        const text = await api.analyticsCsv(link.dataset.table);
        const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
        const a = el("a", { href: url, download: `program-${link.dataset.table}.csv` });
        a.click();
        setTimeout(() => URL.revokeObjectURL(url), 1000);
      } catch (failure) {
        notice(failure.message, { error: true });
      }
    });
  }
}

const percent = (share) => (share === null || share === undefined ? "–" : `${Math.round(share * 100)}%`);

function kpi(label, value, detail) {
  return el("div", { class: "kpi" }, [el("span", { class: "kpi-value", text: value }), el("span", { class: "kpi-label", text: label }),
    detail ? el("span", { class: "muted", text: detail }) : null]);
}

export async function openProgram() {
  rememberOrigin();
  show("admin");
  let report;
  let people;
  try {
    [report, people] = await Promise.all([api.analytics(12), api.noShows()]);
  } catch (failure) {
    notice(failure.message, { error: true });
    return;
  }
  ui.adminRange.textContent = `The last ${report.weeks.length} weeks, from ${new Date(report.since).toLocaleDateString()}.`;
  const m = report.matched_share;
  ui.adminKpis.replaceChildren(
    kpi("of mentees matched", percent(m.share), `${m.matched} of ${m.asked} questions`),
    kpi("no-show rate", percent(report.no_shows.rate), `${report.no_shows.with_no_show} of ${report.no_shows.calls} calls`),
    kpi("follow-up notes", percent(report.follow_up_notes.rate), `${report.follow_up_notes.applied} of ${report.follow_up_notes.calls_due} calls`),
    kpi("repeat use", percent(report.repeat_use.rate), `${report.repeat_use.returning} of ${report.repeat_use.mentees} mentees`),
    kpi("mentor utilisation", percent(report.mentor_utilisation.rate), `${report.mentor_utilisation.call_minutes} of ${report.mentor_utilisation.online_minutes} min online`),
  );
  const weeks = report.weeks.map((w) => w.week.slice(5));
  drawBars(ui.chartWeeks, weeks, [
    { values: report.weeks.map((w) => w.participants), class: "bar" },
    { values: report.weeks.map((w) => w.sessions), class: "bar2" },
  ], report.weeks.map((w) => `Week of ${w.week}: ${w.participants} people, ${w.sessions} calls.`).join(" ") || "No weeks yet.");
  const waits = report.wait_by_skill;
  drawBars(ui.chartWaits, waits.map((w) => w.skill.slice(0, 8)), [
    { values: waits.map((w) => w.p50_s), class: "bar" },
    { values: waits.map((w) => w.p90_s), class: "bar2" },
  ], waits.map((w) => `${w.name}: median ${w.p50_s} s, 90th percentile ${w.p90_s} s over ${w.matches} matches.`).join(" ") || "No matches yet.");
  const stars = ["1", "2", "3", "4", "5"];
  drawBars(ui.chartRatings, stars.map((s) => `${s}★`), [{ values: stars.map((s) => report.ratings.by_mentees[s]), class: "bar" }],
    stars.map((s) => `${s} stars: ${report.ratings.by_mentees[s]}`).join(", "));
  const events = report.events;
  drawBars(ui.chartEvents, events.map((e) => e.title.slice(0, 8)), [{ values: events.map((e) => e.attended), class: "bar" }],
    events.map((e) => `${e.title}: ${e.attended} people`).join(". ") || "No events in this period.");
  ui.adminNoshows.replaceChildren(...(people.people.length
    ? people.people.map((p) => el("li", { text: `${p.name}: ${p.no_shows}` }))
    : [el("li", { class: "muted", text: "Nobody missed a call." })]));
}
