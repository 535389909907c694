// A small round-by-round chart drawn into an <svg> of the page: a bar per round for the share of
// pairs whose media connected, and a dot per round for its average rating. Numbers only; no
// user text goes in.

const W = 320;
const H = 150;
const PAD = { left: 34, right: 30, top: 12, bottom: 24 };

function node(chart, tag, attrs = {}, text = null) {
  const element = document.createElementNS(chart.namespaceURI, tag);
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, String(value));
  if (text !== null) element.textContent = text;
  return element;
}

function describe(stats) {
  if (!stats.length) return "Chart: nothing played yet.";
  return stats.map((s) => {
    const share = s.connected_share === null ? "no pairs" : `${Math.round(s.connected_share * 100)}% of pairs connected`;
    const rating = s.ratings.mean === null ? "no ratings yet" : `average rating ${s.ratings.mean}`;
    return `Round ${s.round}: ${share}, ${rating}.`;
  }).join(" ");
}

/** Draw `stats` (event:console's per-round entries) for an event of `rounds` rounds into the
 * <svg> `chart` (its viewBox is the page's, 0 0 320 150). */
export function drawRounds(chart, stats, rounds) {
  const n = Math.max(rounds, stats.length, 1);
  const plotH = H - PAD.top - PAD.bottom;
  const slot = (W - PAD.left - PAD.right) / n;
  const y = (fraction) => PAD.top + plotH - fraction * plotH;
  chart.setAttribute("aria-label", describe(stats));
  chart.replaceChildren();
  chart.append(node(chart, "line", { x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0), class: "axis" }));
  for (const [fraction, left, right] of [[0, "0%", "0"], [0.5, "50%", "2.5"], [1, "100%", "5★"]]) {
    chart.append(node(chart, "line", { x1: PAD.left, x2: W - PAD.right, y1: y(fraction), y2: y(fraction), class: "grid" }));
    chart.append(node(chart, "text", { x: PAD.left - 4, y: y(fraction) + 4, class: "tick left" }, left));
    chart.append(node(chart, "text", { x: W - PAD.right + 4, y: y(fraction) + 4, class: "tick right" }, right));
  }
  const byRound = new Map(stats.map((s) => [s.round, s]));
  const points = [];
  for (let round = 1; round <= n; round += 1) {
    const x = PAD.left + (round - 1) * slot;
    const s = byRound.get(round);
    if (n <= 12 || round === 1 || round % Math.ceil(n / 10) === 0) {
      chart.append(node(chart, "text", { x: x + slot / 2, y: H - 6, class: "tick round" }, String(round)));
    }
    if (!s) {
      chart.append(node(chart, "rect", { x: x + slot * 0.2, y: PAD.top, width: slot * 0.6, height: plotH, class: "slot" }));
      continue;
    }
    const share = s.connected_share ?? 0;
    chart.append(node(chart, "rect", { x: x + slot * 0.2, y: y(share), width: slot * 0.6, height: share * plotH, class: "bar" }));
    if (s.ratings.mean !== null) points.push([x + slot / 2, y(s.ratings.mean / 5)]);
  }
  if (points.length > 1) chart.append(node(chart, "polyline", { points: points.map((p) => p.join(",")).join(" "), class: "line" }));
  for (const [cx, cy] of points) chart.append(node(chart, "circle", { cx, cy, r: 4.5, class: "dot" }));
}

/** Grouped bars into the <svg> `chart` (viewBox 0 0 320 160): `labels` along the bottom, one
 * bar per series per label (`series`: [{values, class}]), a left scale up to the largest value.
 * `describe` is the chart's text for screen readers. Numbers and our own labels only. */
export function drawBars(chart, labels, series, describe) {
  const width = 320;
  const height = 160;
  const pad = { left: 34, right: 8, top: 10, bottom: 30 };
  const plotH = height - pad.top - pad.bottom;
  const max = Math.max(1, ...series.flatMap((s) => s.values.map((v) => v || 0)));
  const y = (value) => pad.top + plotH - (value / max) * plotH;
  chart.setAttribute("aria-label", describe);
  chart.replaceChildren();
  for (const fraction of [0, 0.5, 1]) {
    const tick = max * fraction;
    if (!Number.isInteger(tick)) continue; // counts and seconds: whole numbers on the scale
    chart.append(node(chart, "line", { x1: pad.left, x2: width - pad.right, y1: y(tick), y2: y(tick), class: "grid" }));
    chart.append(node(chart, "text", { x: pad.left - 4, y: y(tick) + 4, class: "tick left" }, String(tick)));
  }
  if (!labels.length) {
    chart.append(node(chart, "text", { x: width / 2, y: height / 2, class: "tick round" }, "Nothing in this period yet"));
    return;
  }
  const slot = (width - pad.left - pad.right) / Math.max(labels.length, 1);
  const barW = (slot * 0.7) / Math.max(series.length, 1);
  const every = Math.ceil(labels.length / 8);
  labels.forEach((label, i) => {
    const x = pad.left + i * slot + slot * 0.15;
    series.forEach((s, j) => {
      const value = s.values[i] || 0;
      chart.append(node(chart, "rect", { x: x + j * barW, y: y(value), width: Math.max(barW - 1, 1), height: (value / max) * plotH, class: s.class || "bar" }));
    });
    if (i % every === 0) chart.append(node(chart, "text", { x: pad.left + i * slot + slot / 2, y: height - 10, class: "tick round" }, label));
  });
}
