// Satisfaction (team leads, managers, admins): the month's figures (GET /api/satisfaction), return visits handed
// out in batches (resolved tickets from GET /api/tickets, POST /api/return-visits/batches, their progress from
// GET …/batches/{id}; the batches made here are remembered in this browser), and for managers and admins the
// complaint flags (GET /api/agent-flags, POST …/acknowledge). Every time is the hotline's, every code in words.
"use strict";

const { $, el, api } = Desk;
const t = (key) => DeskText.t(key);
const state = {
  options: null, summary: null, candidates: [], next: null, chosen: new Set(), agents: new Set(),
  progress: {}, flags: [], allFlags: false,
};
const CANDIDATE_STATUSES = "resolved,return_visit"; // resolved, its return visit not yet recorded
const KEPT_BATCHES = 30;

const managing = () => ["manager", "admin"].includes((Desk.me() || {}).role);
const percent = (value) => (value === null || value === undefined ? t("sat_none") : `${value}%`);
const average = (value) => (value === null || value === undefined ? t("sat_none") : `${value.toFixed(2)} ${t("sat_out_of")}`);
const named = (name) => DeskText.pick(name) || t("sat_default_name");

// A day of the hotline's calendar ("2026-12-07") moved by `days`.
function shiftDay(day, days) {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86400000).toISOString().slice(0, 10);
}
const today = () => DeskText.when(new Date().toISOString(), "date");

// ---- the month's figures ----------------------------------------------------------------------------------

function figureRows(figures, label) {
  return Object.entries(figures || {}).map(([code, f]) => el("tr", { "data-code": code },
    el("td", { text: label(code) }), el("td", { text: String(f.answers) }),
    el("td", { text: average(f.average) }), el("td", { text: percent(f.satisfied_percent) })));
}

function drawSummary() {
  const s = state.summary;
  if (!s) return;
  $("answers").textContent = String(s.answers);
  $("average").textContent = average(s.average);
  $("satisfied").textContent = percent(s.satisfied_percent);
  $("not-reached").textContent = String(s.not_reached);
  const target = $("target");
  const verdict = !s.answers ? "sat_no_answers" : s.met_target ? "sat_met" : "sat_missed";
  target.className = `target ${!s.answers ? "none" : s.met_target ? "met" : "missed"}`;
  target.textContent = `${t(verdict)} (${t("sat_target")} ${s.target_percent}%)`;
  $("by-source").querySelector("tbody").replaceChildren(...figureRows(s.by_source, (code) => t(`sat_source_${code}`)));
  $("by-category").querySelector("tbody").replaceChildren(...figureRows(s.by_category, (code) => DeskText.category(code)));
}

async function loadSummary() {
  const month = $("month").value;
  if (!/^\d{4}-\d{2}$/.test(month)) return;
  const answer = await api("GET", `/api/satisfaction?month=${encodeURIComponent(month)}`);
  if (!answer || answer.month !== $("month").value) return; // a later month was asked for meanwhile
  state.summary = answer;
  drawSummary();
}

// ---- choosing resolved tickets ----------------------------------------------------------------------------

function candidateQuery(after) {
  const form = $("candidate-filters");
  const params = new URLSearchParams({
    view: state.options.views.includes("all") ? "all" : "team", status: CANDIDATE_STATUSES, limit: "100",
  });
  if (form.elements.category.value) params.set("category", form.elements.category.value);
  if (form.elements.updated_from.value) params.set("updated_from", form.elements.updated_from.value);
  // "to" is the last day included: the API's end is exclusive.
  if (form.elements.updated_to.value) params.set("updated_to", shiftDay(form.elements.updated_to.value, 1));
  if (after) params.set("after", after);
  return `/api/tickets?${params}`;
}

async function loadCandidates(more) {
  const answer = await api("GET", candidateQuery(more ? state.next : null));
  if (!answer) return;
  if (!more) state.chosen.clear();
  state.candidates = more ? [...state.candidates, ...answer.tickets] : answer.tickets;
  state.next = answer.next;
  drawCandidates();
}

function drawCandidates() {
  const rows = state.candidates.map((ticket) => el("tr", { "data-ticket": ticket.id },
    el("td", {}, el("input", {
      type: "checkbox", value: ticket.id, checked: state.chosen.has(ticket.id),
      onchange: (event) => { event.target.checked ? state.chosen.add(ticket.id) : state.chosen.delete(ticket.id); drawChosen(); },
    })),
    el("td", {}, el("a", { href: `/desk/tickets/${ticket.id}`, text: ticket.number || `#${ticket.id}` })),
    el("td", { text: ticket.subject }),
    el("td", { text: ticket.customer || "" }),
    el("td", {}, el("span", { class: `pill ${ticket.status}`, text: DeskText.status(ticket.status) })),
    el("td", { text: DeskText.category(ticket.category) }),
    el("td", { text: ticket.assignee || t("nobody") }),
    el("td", { text: DeskText.when(ticket.updated_at) })));
  $("candidates").querySelector("tbody").replaceChildren(...rows);
  $("candidates-empty").hidden = state.candidates.length > 0;
  $("candidates-more").hidden = !state.next;
  drawChosen();
}

function drawChosen() {
  $("chosen").textContent = String(state.chosen.size);
  const all = $("select-all");
  all.checked = state.candidates.length > 0 && state.candidates.every((ticket) => state.chosen.has(ticket.id));
}

function fillFilters() {
  const select = $("candidate-filters").elements.category;
  const keep = select.value;
  select.replaceChildren(el("option", { value: "", text: t("any") }),
    ...Object.keys(DeskText.categories).map((code) => el("option", { value: code, text: DeskText.category(code), selected: code === keep })));
}

function drawAgents() {
  const box = $("agents");
  box.replaceChildren(box.querySelector("legend"), ...(state.options.people || []).map((person) => el("label", { class: "inline" },
    el("input", {
      type: "checkbox", name: "agent", value: person.id, checked: state.agents.has(person.id),
      onchange: (event) => { event.target.checked ? state.agents.add(person.id) : state.agents.delete(person.id); },
    }), ` ${person.name}`)));
}

// ---- batches: handed out here, followed later ---------------------------------------------------------------

const batchesKey = () => `desk-return-visit-batches:${Desk.me().id}`;
function keptBatches() {
  try { return JSON.parse(localStorage.getItem(batchesKey()) || "[]"); } catch { return []; }
}
function keepBatches(batches) { localStorage.setItem(batchesKey(), JSON.stringify(batches.slice(0, KEPT_BATCHES))); }

async function handOut(event) {
  event.preventDefault();
  if (!state.chosen.size) { Desk.error(t("sat_need_tickets")); return; }
  if (!state.agents.size) { Desk.error(t("sat_need_agents")); return; }
  const ordered = state.candidates.filter((ticket) => state.chosen.has(ticket.id));
  const body = { name: $("batch-name").value.trim(), ticket_ids: ordered.map((ticket) => ticket.id), agent_ids: [...state.agents] };
  const made = await api("POST", "/api/return-visits/batches", body);
  if (!made) return;
  keepBatches([{ id: made.id, name: made.name, made_at: new Date().toISOString() }, ...keptBatches()]);
  const numbers = ordered.filter((ticket) => made.skipped.includes(ticket.id)).map((ticket) => ticket.number || `#${ticket.id}`);
  Desk.notice(`${named(made.name)} · ${t("sat_handed_out")} ${made.planned}` + (numbers.length ? ` · ${t("sat_skipped")} ${numbers.join(", ")}` : ""));
  $("batch-name").value = "";
  await Promise.all([loadCandidates(false), refreshBatch(made.id)]);
}

// A kept batch's progress; quiet when it is gone (the browser may remember one of another database).
async function refreshBatch(id) {
  const response = await fetch(`/api/return-visits/batches/${id}`).catch(() => null);
  state.progress[id] = response && response.ok ? await response.json() : { gone: true };
  drawBatches();
}

function byState(progress) {
  const parts = Object.entries(progress.by_status || {}).map(([code, count]) => `${DeskText.code("callback", code)} ${count}`);
  return parts.length ? parts.join(" · ") : t("sat_none_yet");
}

function drawBatches() {
  const kept = keptBatches();
  const rows = kept.map((batch) => {
    const progress = state.progress[batch.id];
    const forget = el("button", { type: "button", class: "forget", text: t("sat_forget"), onclick: () => {
      keepBatches(keptBatches().filter((b) => b.id !== batch.id));
      drawBatches();
    } });
    const refresh = el("button", { type: "button", class: "refresh", text: t("sat_refresh"), onclick: () => refreshBatch(batch.id) });
    const name = el("td", { text: named(batch.name) });
    if (!progress || progress.gone) {
      return el("tr", { "data-batch": batch.id }, name, el("td", { text: DeskText.when(batch.made_at) }),
        el("td", { colspan: 4, class: "muted", text: progress ? t("sat_batch_gone") : "…" }), el("td", { class: "actions" }, refresh, forget));
    }
    const done = Math.max(0, Math.min(100, progress.done_percent));
    return el("tr", { "data-batch": batch.id }, name,
      el("td", { text: DeskText.when(batch.made_at) }),
      el("td", { class: "total", text: String(progress.total) }),
      el("td", { class: "states", text: byState(progress) }),
      el("td", { class: "answered", text: String(progress.answered) }),
      el("td", { class: "done" }, el("span", { class: "bar" }, el("span", { style: `width: ${done}%` })), ` ${done}%`),
      el("td", { class: "actions" }, refresh, forget));
  });
  $("batches").querySelector("tbody").replaceChildren(...rows);
  $("batches-empty").hidden = kept.length > 0;
}

// ---- complaint flags (managers, admins) -------------------------------------------------------------------

async function loadFlags() {
  if (!managing()) return;
  const answer = await api("GET", `/api/agent-flags${state.allFlags ? "" : "?open=1"}`);
  if (!answer) return;
  state.flags = answer.flags;
  drawFlags();
}

function drawFlags() {
  $("flags-card").hidden = !managing();
  const rows = state.flags.map((flag) => {
    const links = flag.tickets.flatMap((ticket, index) => [index ? ", " : null,
      el("a", { href: `/desk/tickets/${ticket.id}`, text: ticket.number || `#${ticket.id}` })]);
    const acknowledged = flag.acknowledged_at
      ? el("span", { class: "pill done", text: `${t("sat_acknowledged")} ${DeskText.when(flag.acknowledged_at)}` })
      : el("span", {}, el("span", { class: "pill breached", text: t("sat_open") }), " ",
        el("button", { type: "button", class: "primary ack", text: t("sat_acknowledge"), onclick: async () => {
          if (!(await api("POST", `/api/agent-flags/${flag.id}/acknowledge`))) return;
          Desk.notice(`${flag.agent} · ${t("sat_flag_acknowledged")}`);
          await loadFlags();
        } }));
    return el("tr", { "data-flag": flag.id, "data-agent": flag.agent_id },
      el("td", { text: flag.agent }),
      el("td", { text: t("sat_count_in").replace("{count}", flag.count).replace("{days}", flag.window_days) }),
      el("td", { class: "complaints" }, ...links),
      el("td", { text: DeskText.when(flag.created_at) }),
      el("td", {}, acknowledged));
  });
  $("flags").querySelector("tbody").replaceChildren(...rows);
  $("flags-empty").hidden = rows.length > 0;
}

// ---- the page ---------------------------------------------------------------------------------------------

function draw() {
  fillFilters();
  drawSummary();
  drawCandidates();
  drawAgents();
  drawBatches();
  drawFlags();
}

(async () => {
  const options = await Desk.start("satisfaction", draw);
  if (!options) return;
  state.options = options;
  $("month").value = today().slice(0, 7); // this month in the hotline's time zone
  $("month").addEventListener("change", loadSummary);
  $("candidate-filters").addEventListener("submit", (event) => { event.preventDefault(); loadCandidates(false); });
  $("candidates-reset").addEventListener("click", () => { $("candidate-filters").reset(); loadCandidates(false); });
  $("last-week").addEventListener("click", () => {
    // Monday to Sunday of last week, in the hotline's calendar.
    const day = today();
    const monday = shiftDay(day, -((new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7) - 7);
    const form = $("candidate-filters");
    form.elements.updated_from.value = monday;
    form.elements.updated_to.value = shiftDay(monday, 6);
    loadCandidates(false);
  });
  $("candidates-more").addEventListener("click", () => loadCandidates(true));
  $("select-all").addEventListener("change", (event) => {
    for (const ticket of state.candidates) event.target.checked ? state.chosen.add(ticket.id) : state.chosen.delete(ticket.id);
    drawCandidates();
  });
  $("hand-out-form").addEventListener("submit", handOut);
  $("all-flags").addEventListener("change", (event) => { state.allFlags = event.target.checked; loadFlags(); });
  draw();
  await Promise.all([loadSummary(), loadCandidates(false), loadFlags(),
    ...keptBatches().map((batch) => refreshBatch(batch.id))]);
})();
