// QA figures (QA staff, team leads, managers, admins): a period of the hotline's days, grouped by agent, team or
// queue, filtered (GET /api/qa/figures, its choices from GET /api/qa/figures/options); the table, the trend as an
// inline SVG, the weakest questions; an agent's coaching notes (GET/POST /api/qa/agents/{id}/coaching-notes);
// the same figures exported (GET /api/qa/figures.csv and .xlsx, each logged by the server).
"use strict";

const { $, el } = Desk; // desk-base.js: building elements (its API calls speak the desk's words; ours are below)
const t = (key) => QaText.t(key);
const state = { options: null, result: null, agent: null, notes: [] };
const FILTERS = ["from", "to", "group", "bucket", "queue", "team", "agent", "channel", "scorecard"];
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes = {}, text = "") {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

function say(id, text) { $(id).textContent = text || ""; $(id).hidden = !text; }

async function api(method, url, body) {
  let response;
  try {
    response = await fetch(url, { method, headers: body ? { "Content-Type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined });
  } catch (problem) { say("error", String(problem)); return null; }
  if (response.status === 401) { location.href = `/login?next=${encodeURIComponent(location.pathname)}`; return null; }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) { say("error", data.error || `HTTP ${response.status}`); return null; }
  say("error", "");
  return data;
}

const number = (value, suffix = "") => (value === null || value === undefined ? "—" : `${value}${suffix}`);
const percent = (value) => number(value, "%");

// ---- the controls -----------------------------------------------------------------------------------------

function fill(name, choices, keep) {
  const select = $("filters").elements[name];
  const current = keep ?? select.value;
  select.replaceChildren(...choices.map(([value, label]) => el("option", { value, text: label, selected: value === current || undefined })));
}

function fillControls() {
  const o = state.options;
  fill("group", ["agent", "team", "queue"].map((g) => [g, t(`group_${g}`)]));
  fill("bucket", [["", t("bucket_auto")], ["day", t("bucket_day")], ["week", t("bucket_week")]]);
  fill("queue", [["", t("any")], ...o.queues.map((q) => [q.name, q.display_name])]);
  fill("team", [["", t("any")], ...o.teams.map((team) => [team, team])]);
  fill("agent", [["", t("any")], ...o.agents.map((a) => [String(a.id), a.name])]);
  fill("channel", [["", t("any")], ["voice", t("channel_voice")], ["chat", t("channel_chat")]]);
  fill("scorecard", [["", t("any")], ...o.scorecards.map((s) => [String(s.id), s.name])]);
}

function query() {
  const form = $("filters").elements;
  const params = new URLSearchParams();
  for (const name of FILTERS) if (form[name].value) params.set(name, form[name].value);
  return params;
}

function exportLinks() {
  const params = query();
  if (QaText.lang === "en") params.set("lang", "en");
  $("export-csv").href = `/api/qa/figures.csv?${params}`;
  $("export-xlsx").href = `/api/qa/figures.xlsx?${params}`;
}

// ---- the figures ------------------------------------------------------------------------------------------

async function load() {
  const params = query();
  history.replaceState(null, "", `?${params}`);
  exportLinks();
  const answer = await api("GET", `/api/qa/figures?${params}`);
  if (!answer) return;
  state.result = answer;
  draw();
}

function rowName(row) {
  if (row.no_team) return t("no_team");
  return row.name || String(row.key ?? "");
}

function weakText(list) {
  const weakest = (list || [])[0];
  return weakest ? `${QaText.pick(weakest.text)} ${weakest.average_percent}%` : "—";
}

function draw() {
  const r = state.result;
  if (!r) return;
  $("zone").textContent = `${r.period.from} – ${r.period.to} (${r.period.timezone})`;
  $("count").textContent = String(r.totals.count);
  $("average").textContent = number(r.totals.average);
  $("pass-rate").textContent = percent(r.totals.pass_rate);
  $("excellent-rate").textContent = percent(r.totals.excellent_rate);
  $("critical").textContent = String(r.totals.critical_failures);
  const agents = r.group === "agent";
  const heads = [t(r.group), ...(agents ? [t("team")] : []), t("count"), t("average"), t("pass_rate"), t("excellent_rate"), t("critical"), t("weakest_row")];
  $("rows").querySelector("thead tr").replaceChildren(...heads.map((text) => el("th", { text })));
  $("rows").querySelector("tbody").replaceChildren(...r.rows.map((row) => el("tr", { "data-key": String(row.key), class: agents && row.key === state.agent ? "chosen" : "" },
    el("td", { class: "name" }, agents ? el("button", { type: "button", text: rowName(row), onclick: () => coach(row.key, row.name) }) : rowName(row)),
    ...(agents ? [el("td", { text: row.team || t("no_team") })] : []),
    el("td", { text: String(row.count) }), el("td", { text: number(row.average) }),
    el("td", { text: percent(row.pass_rate) }), el("td", { text: percent(row.excellent_rate) }),
    el("td", { text: String(row.critical_failures) }), el("td", { class: "weak", text: weakText(row.weakest) }))));
  $("rows-empty").hidden = r.rows.length > 0;
  drawTrend(r.trend);
  $("weakest").replaceChildren(...r.weakest.map((q) => el("li", {},
    el("b", { text: QaText.pick(q.text) }),
    el("span", { class: "meter" }, el("span", { style: `width: ${Math.max(0, Math.min(100, q.average_percent))}%` })),
    `${q.average_percent}% · ${q.answers} ${t("answers")} · ${q.scorecard}`)));
  $("weakest-empty").hidden = r.weakest.length > 0;
}

// Bars: evaluations per bucket; the line: the average score (0-100), gaps where a bucket had none.
function drawTrend(buckets) {
  const width = 560, height = 200, left = 34, bottom = 22, top = 10;
  const plot = height - bottom - top, step = (width - left) / Math.max(1, buckets.length);
  const most = Math.max(1, ...buckets.map((b) => b.count));
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": t("trend_title") });
  for (const mark of [0, 50, 100]) {
    const y = top + plot * (1 - mark / 100);
    chart.append(svg("line", { class: "axis", x1: left, x2: width, y1: y, y2: y }), svg("text", { x: 2, y: y + 4 }, String(mark)));
  }
  let path = "";
  buckets.forEach((b, n) => {
    const x = left + n * step;
    const barHeight = (plot * b.count) / most;
    chart.append(svg("rect", { class: "count-bar", x: x + step * 0.15, y: top + plot - barHeight, width: step * 0.7, height: barHeight },
      ""));
    chart.lastChild.append(svg("title", {}, `${b.start}: ${b.count} · ${number(b.average)}`));
    if (b.average === null) { path += " "; return; }
    const y = top + plot * (1 - b.average / 100);
    path += `${path.endsWith(" ") || !path ? "M" : "L"}${x + step / 2},${y} `;
    chart.append(svg("circle", { class: "dot", cx: x + step / 2, cy: y, r: 3 }));
  });
  chart.insertBefore(svg("path", { class: "line", d: path.trim() || "M0,0" }), chart.querySelector("circle"));
  const every = Math.max(1, Math.ceil(buckets.length / 8));
  buckets.forEach((b, n) => {
    if (n % every === 0) chart.append(svg("text", { x: left + n * step + 2, y: height - 6 }, b.start.slice(5)));
  });
  $("trend").replaceChildren(chart);
}

// ---- coaching notes ---------------------------------------------------------------------------------------

async function coach(agentId, name) {
  state.agent = agentId;
  $("coaching").hidden = false;
  $("coached").textContent = name || "";
  $("note-form").hidden = !state.options.may_coach;
  const answer = await api("GET", `/api/qa/agents/${agentId}/coaching-notes`);
  state.notes = answer ? answer.notes : [];
  drawNotes();
  draw();
}

function drawNotes() {
  $("notes").replaceChildren(...state.notes.map((note) => el("li", {},
    el("span", { class: "meta", text: `${QaText.when(note.created_at)} · ${note.author}${note.evaluation_id ? ` · #${note.evaluation_id}` : ""}` }),
    note.text)));
  $("notes-empty").hidden = state.notes.length > 0;
}

async function addNote(event) {
  event.preventDefault();
  const text = $("note-text").value.trim();
  if (!text || state.agent === null) return;
  const made = await api("POST", `/api/qa/agents/${state.agent}/coaching-notes`, { text });
  if (!made) return;
  $("note-text").value = "";
  state.notes = [made, ...state.notes];
  drawNotes();
  say("notice", t("note_added"));
}

// ---- start ------------------------------------------------------------------------------------------------

function header() {
  const role = state.options.me.role;
  QANav.fill($("nav"), role, QaText.lang, "/qa/figures");
  $("lang").textContent = t("language");
}

async function start() {
  const options = await api("GET", "/api/qa/figures/options");
  if (!options) return;
  state.options = options;
  QaText.timezone = options.timezone;
  $("me").textContent = options.me.name;
  QaText.apply(document);
  header();
  fillControls();
  const form = $("filters").elements, given = new URLSearchParams(location.search);
  const today = QaText.today();
  form.to.value = given.get("to") || today;
  form.from.value = given.get("from") || `${today.slice(0, 8)}01`;
  for (const name of FILTERS.slice(2)) if (given.get(name)) form[name].value = given.get(name);
  $("filters").addEventListener("submit", (event) => { event.preventDefault(); load(); });
  $("note-form").addEventListener("submit", addNote);
  $("lang").addEventListener("click", () => {
    QaText.toggle(); QaText.apply(document); header(); fillControls(); exportLinks(); draw();
  });
  await load();
}

start();
