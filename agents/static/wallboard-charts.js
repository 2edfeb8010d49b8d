// The wallboard's figures and charts (loaded after wallboard.js, whose board, labels and helpers it
// uses): today's figures from GET /api/stats/queues, the charts of the last hours from
// GET /api/stats/queues/history (uPlot, vendored), then the page starts.
"use strict";

// ---- figures and charts ---------------------------------------------------------------------

async function refreshStats() {
  try {
    const response = await fetch("/api/stats/queues");
    if (!response.ok) return;
    for (const stats of await response.json()) board.stats.set(stats.queue, stats);
    renderTiles();
  } catch (_err) {
    // the socket's state shows the connection; figures catch up on the next round
  }
}

function chartSize(box) {
  return { width: Math.max(260, box.clientWidth), height: Math.max(160, Math.round(window.innerHeight / 5)) };
}

window.addEventListener("resize", () => {
  for (const chart of charts.values()) chart.setSize(chartSize(chart.root.parentElement));
});

async function loadHistory() {
  const hours = $("hours").value;
  let body;
  try {
    const response = await fetch(`/api/stats/queues/history?hours=${encodeURIComponent(hours)}`);
    if (!response.ok) return;
    body = await response.json();
  } catch (_err) {
    return;
  }
  const holder = $("charts");
  holder.replaceChildren();
  charts.clear();
  // Every box first, so each chart is sized to its own column once the grid is laid out.
  const boxes = Object.entries(body.queues).map(([name, points]) => {
    const queue = board.queues.find((q) => q.name === name);
    const box = el("figure", { class: "chart", "data-queue": name }, el("figcaption", { text: queue ? queue.display_name : name }));
    holder.append(box);
    return [name, points, box];
  });
  for (const [name, points, box] of boxes) {
    if (!points.length) {
      box.append(el("p", { class: "muted", text: t("no_history") }));
      continue;
    }
    const data = [points.map((p) => p.at / 1000), points.map((p) => p.waiting), points.map((p) => p.service_level_percent)];
    charts.set(name, new uPlot({ ...chartOptions(), ...chartSize(box) }, data, box));
  }
}

const clockTime = (seconds) => HotlineClock.at(seconds * 1000); // the hotline's hours, not the browser's

function chartOptions() {
  const grid = { stroke: "rgba(148,163,184,0.15)" };
  return {
    scales: { x: { time: true }, sl: { range: [0, 100] } },
    series: [
      { value: (_u, v) => (v == null ? "" : clockTime(v)) },
      { label: t("series_waiting"), stroke: "#38bdf8", fill: "rgba(56,189,248,0.15)", width: 2, paths: uPlot.paths.stepped({ align: 1 }) },
      { label: t("series_sl"), stroke: "#4ade80", width: 2, scale: "sl", spanGaps: true },
    ],
    axes: [
      { stroke: "#94a3b8", grid, values: (_u, ticks) => ticks.map(clockTime) },
      { stroke: "#38bdf8", grid, incrs: [1, 2, 5, 10, 20, 50, 100] },
      { side: 1, scale: "sl", stroke: "#4ade80", grid: { show: false }, values: (_u, ticks) => ticks.map((v) => `${v}%`) },
    ],
    legend: { live: false },
  };
}

$("hours").addEventListener("change", loadHistory);

// The desk's notifications addressed to the viewer (notices.js), times in the hotline's zone (GET /api/desk).
Notices.mount($("notices"), { lang: () => lang, timezone: () => HotlineClock.zone });
fetch("/api/desk").then((r) => (r.ok ? r.json() : null)).then((desk) => {
  if (desk && desk.timezone) { HotlineClock.zone = desk.timezone; Notices.render(); loadHistory(); }
}).catch(() => {});
applyLabels();
connect();
refreshStats();
setInterval(refreshStats, STATS_MS);
setInterval(loadHistory, HISTORY_MS);
