// The supervisor wallboard. The live picture (agents, waiting contacts) comes only from the
// supervisor websocket (/supervisors/ws: a snapshot, then routing events; see agents/events.md);
// today's figures and the charts are in wallboard-charts.js.
// Actions are the supervisor HTTP endpoints; their effects come back as events. All text goes
// through textContent. The words (zh, en) are in wallboard-i18n.js.
"use strict";

const STATES = ["available", "not_ready", "offline"];
const PING_MS = 10000;
const STATS_MS = 5000;
const HISTORY_MS = 60000;

const board = { queues: [], agents: new Map(), waiting: new Map(), known: new Map(), stats: new Map(), scope: null, seq: null };
let lang = localStorage.getItem("wallboard.lang") || (navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en");
let socket = null;
let retryMs = 1000;
const charts = new Map();

const $ = (id) => document.getElementById(id);
const t = (key) => LABELS[lang][key] ?? key;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "text") node.textContent = value;
    else if (name === "class") node.className = value;
    else if (name.startsWith("data-")) node.setAttribute(name, value);
    else node[name] = value;
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = String(m).padStart(h ? 2 : 1, "0"), ss = String(r).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function figure(value, unit) {
  return value === null || value === undefined ? "—" : `${value}${unit}`;
}

function showError(message) {
  const node = $("error");
  node.textContent = message;
  node.hidden = !message;
}

// ---- labels ---------------------------------------------------------------------------------

function applyLabels() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = lang === "zh" ? "监控大屏 Wallboard" : "Wallboard 监控大屏";
  for (const node of document.querySelectorAll("[data-label]")) node.textContent = t(node.dataset.label);
  $("lang").textContent = t("lang");
  $("conn").title = t("connection");
  Notices.render();
  renderAll();
  if (board.queues.length) loadHistory(); // series labels change with the language
}

$("lang").addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  localStorage.setItem("wallboard.lang", lang);
  applyLabels();
});

// ---- the live picture: snapshot and events ---------------------------------------------------

function takeSnapshot(message) {
  board.scope = message.scope;
  board.agents = new Map(message.agents.map((a) => [String(a.id), a]));
  board.waiting = new Map(message.waiting.map((w) => [String(w.contact), w]));
  for (const w of message.waiting) board.known.set(String(w.contact), w);
  for (const q of message.queues) board.stats.set(q.name, q.stats);
  for (const a of message.agents) if (a.contact) board.known.set(String(a.contact.contact), a.contact);
  const first = !board.queues.length;
  board.queues = message.queues;
  board.seq = message.seq;
  renderAll();
  if (first) loadHistory(); // the charts' captions need the queues' names: drawn once they are known
}

function watched(queue) {
  return board.queues.some((q) => q.name === queue);
}

function backToWaiting(id, queue, priority) {
  const known = board.known.get(id) || { contact: id, channel: "voice", priority: 0, info: {}, enqueued_at: Date.now() };
  const contact = { ...known, queue: queue ?? known.queue, priority: priority ?? known.priority, state: "waiting" };
  board.known.set(id, contact);
  if (watched(contact.queue)) board.waiting.set(id, contact);
  else board.waiting.delete(id);
}

function setAgentContact(agentId, contact) {
  const agent = board.agents.get(String(agentId));
  if (agent) agent.contact = contact;
}

function clearAgentContact(agentId, contactId) {
  const agent = board.agents.get(String(agentId));
  if (agent && agent.contact && String(agent.contact.contact) === contactId) agent.contact = null;
}

function applyEvent(e) {
  board.seq = e.seq ?? board.seq;
  const id = e.contact != null ? String(e.contact) : null;
  switch (e.type) {
    case "contact.queued": {
      const contact = { contact: id, queue: e.queue, channel: e.channel, priority: e.priority, info: e.info || {}, enqueued_at: e.at, state: "waiting" };
      board.known.set(id, contact);
      if (watched(e.queue)) board.waiting.set(id, contact);
      break;
    }
    case "offer.created": {
      const contact = { ...(board.known.get(id) || {}), contact: id, queue: e.queue, channel: e.channel, info: e.info || {}, enqueued_at: e.enqueued_at, state: "offered", answered_at: null };
      board.known.set(id, contact);
      board.waiting.delete(id);
      if (e.channel !== "chat") setAgentContact(e.agent, { ...contact, since: e.at });
      break;
    }
    case "offer.accepted": {
      const agent = board.agents.get(String(e.agent));
      if (agent && e.channel === "chat") agent.chats = (agent.chats || 0) + 1;
      // A call is answered when the agent's phone joins the caller (contact.joined); until then it connects.
      const state = e.channel === "chat" ? "assigned" : "connecting";
      if (agent && agent.contact && String(agent.contact.contact) === id) agent.contact = { ...agent.contact, state, answered_at: e.channel === "chat" ? e.at : null };
      break;
    }
    case "contact.joined": {
      const agent = board.agents.get(String(e.agent));
      if (agent && agent.contact && String(agent.contact.contact) === id) agent.contact = { ...agent.contact, state: "assigned", answered_at: e.at };
      break;
    }
    case "offer.returned":
      clearAgentContact(e.agent, id);
      backToWaiting(id, e.queue);
      break;
    case "offer.revoked":
      clearAgentContact(e.agent, id);
      board.waiting.delete(id);
      break;
    case "contact.abandoned":
    case "contact.timed_out":
    case "contact.refused":
      board.waiting.delete(id);
      break;
    case "contact.requeued":
      backToWaiting(id, e.queue, e.priority);
      break;
    case "contact.transferred":
      clearAgentContact(e.agent, id);
      if (!e.to_agent) backToWaiting(id, e.queue);
      break;
    case "contact.wrapped_up": { // a chat's slot is free again
      const agent = board.agents.get(String(e.agent));
      if (agent) agent.chats = Math.max(0, (agent.chats || 0) - 1);
      break;
    }
    case "contact.callback_requested": {
      const contact = board.waiting.get(id);
      if (contact) contact.callback = true;
      break;
    }
    case "agent.state": {
      const agent = board.agents.get(String(e.agent));
      if (!agent) break; // not in this wallboard's scope
      Object.assign(agent, { state: e.state, reason: e.reason || "", since: e.at });
      if (["available", "not_ready", "offline"].includes(e.state)) agent.contact = null;
      break;
    }
    case "contact.monitored": WallboardMonitor.onEvent(e); break; // listening in (wallboard-monitor.js)
    case "agent.outside_shift": { // logged in outside their shift (contactcenter/users/shifts.py)
      const agent = board.agents.get(String(e.agent));
      if (agent) agent.outside_shift_at = e.at;
      break;
    }
    case "announcement": {
      const node = $("announcement");
      node.textContent = `📢 ${e.by_name || e.by || ""}: ${e.text || ""}`;
      node.hidden = false;
      break;
    }
    default:
      break;
  }
  renderLive();
}

function connect() {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/supervisors/ws`;
  const ws = new WebSocket(url);
  socket = ws;
  let pinger = null;
  ws.onopen = () => {
    ws.send(JSON.stringify({ type: "hello", last_seq: board.seq }));
    pinger = setInterval(() => ws.send(JSON.stringify({ type: "ping" })), PING_MS);
  };
  ws.onmessage = (message) => {
    const data = JSON.parse(message.data);
    if (data.type === "snapshot" || data.type === "caught_up") Notices.load(); // the desk's unread ones
    if (data.type === "snapshot") takeSnapshot(data);
    else if (data.type === "caught_up") board.seq = data.seq;
    else if (data.type === "ticket.notification") Notices.push(data.notification); // the desk's, addressed to us
    else if (data.type !== "pong") applyEvent(data);
    retryMs = 1000;
    $("conn").className = "conn on";
    showError("");
  };
  ws.onclose = (event) => {
    clearInterval(pinger);
    $("conn").className = "conn off";
    if (event.code === 4401) { location.href = "/login?next=/wallboard"; return; }
    if (event.code === 4403) { showError(lang === "zh" ? "您的角色无权查看监控大屏。" : "Your role may not see the wallboard."); return; }
    if (event.code === 4000) board.seq = null; // fell behind: resync from a snapshot
    // Back off (with jitter, so many wallboards do not reconnect in step), then resume from board.seq.
    setTimeout(connect, retryMs * (0.75 + Math.random() / 2));
    retryMs = Math.min(retryMs * 2, 30000);
  };
}

// ---- rendering ------------------------------------------------------------------------------

function stateBadge(state) {
  return el("span", { class: `badge state-${state}`, text: t("states")[state] || state });
}

function renderTiles() {
  const tiles = $("tiles");
  tiles.replaceChildren();
  const now = Date.now();
  for (const q of board.queues) {
    const stats = board.stats.get(q.name) || {};
    const waiting = [...board.waiting.values()].filter((w) => w.queue === q.name);
    const oldest = Math.min(...waiting.map((w) => w.enqueued_at || now), now);
    const sl = stats.service_level_percent;
    const slClass = sl === null || sl === undefined ? "" : sl >= q.service_level_percent ? "good" : "bad";
    const agents = el("div", { class: "agent-states" });
    for (const [state, count] of Object.entries(stats.agents || {})) {
      if (count) agents.append(el("span", { class: `chip state-${state}`, text: `${t("states")[state] || state} ${count}` }));
    }
    tiles.append(
      el("article", { class: "tile", "data-queue": q.name },
        el("h3", { text: q.display_name }),
        el("div", { class: "big" },
          el("span", { class: "waiting-count", text: String(waiting.length) }),
          el("small", { text: t("waiting_now") })),
        el("dl", {},
          el("dt", { text: t("longest") }), el("dd", { class: "longest", "data-since": waiting.length ? String(oldest) : "", text: waiting.length ? duration(now - oldest) : "—" }),
          el("dt", { text: `${t("sl")} (${q.service_level_percent}% / ${q.service_level_seconds}s)` }), el("dd", { class: slClass, text: figure(sl, "%") }),
          el("dt", { text: t("asa") }), el("dd", { text: figure(stats.average_speed_of_answer_seconds, " s") }),
          el("dt", { text: t("abandoned") }), el("dd", { text: figure(stats.abandonment_rate_percent, "%") })),
        agents));
  }
}

async function supervise(path, body) {
  try {
    const response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (!response.ok) showError((await response.json().catch(() => ({}))).error || `HTTP ${response.status}`);
    else showError("");
  } catch (err) {
    showError(String(err));
  }
}

function contactCell(contact) {
  if (!contact) return el("td", { class: "muted", text: "—" });
  const since = contact.answered_at || contact.since || contact.enqueued_at;
  const who = contact.info && (contact.info.customer || contact.info.from) ? ` · ${contact.info.customer || contact.info.from}` : "";
  const queue = board.queues.find((q) => q.name === contact.queue);
  return el("td", {},
    el("span", { text: `${queue ? queue.display_name : contact.queue} · ${t("channels")[contact.channel] || contact.channel}${who} · ` }),
    el("span", { class: "ticking", "data-since": String(since || ""), text: since ? duration(Date.now() - since) : "" }));
}

// A row's action controls survive re-rendering while the supervisor is using them (focused, or
// changed and not yet applied): events arrive all the time and must not wipe a half-made choice.
const controls = new Map();

function actionCell(key, build) {
  const kept = controls.get(key);
  if (kept && (kept.dirty || kept.node.contains(document.activeElement))) {
    kept.used = true;
    return kept.node;
  }
  const entry = { dirty: false, used: true };
  entry.node = el("td", { class: "actions" }, ...build(() => { entry.dirty = false; }));
  entry.node.addEventListener("input", () => { entry.dirty = true; });
  entry.node.addEventListener("change", () => { entry.dirty = true; });
  controls.set(key, entry);
  return entry.node;
}

function pruneControls(prefix) {
  for (const [key, entry] of controls) {
    if (!key.startsWith(prefix)) continue;
    if (!entry.used) controls.delete(key);
    entry.used = false;
  }
}

function renderAgents() {
  const body = $("agents").querySelector("tbody");
  body.replaceChildren();
  for (const agent of board.agents.values()) {
    const actions = actionCell(`agent:${agent.id}:${lang}`, (applied) => {
      const choose = el("select", { "aria-label": t("state") });
      for (const state of STATES) choose.append(el("option", { value: state, text: t("states")[state], selected: state === agent.state }));
      const reason = el("input", { class: "reason", placeholder: t("reason"), size: 8 });
      const apply = el("button", { type: "button", text: t("set_state") });
      apply.addEventListener("click", () => {
        applied();
        supervise(`/api/agents/${agent.id}/state`, { state: choose.value, reason: reason.value || "supervisor" });
      });
      return [choose, reason, apply];
    });
    const stateCell = el("td", {}, stateBadge(agent.state));
    if (agent.reason) stateCell.append(el("span", { class: "muted", text: ` ${agent.reason}` }));
    if (agent.chats) stateCell.append(el("span", { class: "chip", text: `${agent.chats} ${t("chats")}` }));
    if (agent.outside_shift_at) stateCell.append(el("span", { class: "chip warn", text: t("outside_shift") }));
    body.append(el("tr", { "data-agent": String(agent.id), "data-state": agent.state },
      el("td", {}, el("b", { text: agent.display_name }), el("div", { class: "muted", text: agent.team || "" })),
      stateCell,
      el("td", {}, el("span", { class: "ticking", "data-since": String(agent.since || ""), text: agent.since ? duration(Date.now() - agent.since) : "—" })),
      contactCell(agent.contact),
      WallboardMonitor.cell(agent),
      actions));
  }
  pruneControls("agent:");
}

function renderWaiting() {
  const body = $("waiting").querySelector("tbody");
  body.replaceChildren();
  const rows = [...board.waiting.values()].sort((a, b) => (b.priority - a.priority) || (a.enqueued_at - b.enqueued_at));
  $("nobody-waiting").hidden = rows.length > 0;
  for (const w of rows) {
    const info = w.info || {};
    const actions = actionCell(`contact:${w.contact}:${lang}`, (applied) => {
      const move = el("select", { "aria-label": t("move") });
      for (const q of board.queues) move.append(el("option", { value: q.name, text: q.display_name, selected: q.name === w.queue }));
      const priority = el("input", { type: "number", min: 0, max: 9, value: String(w.priority ?? 0), class: "priority", "aria-label": t("priority") });
      const apply = el("button", { type: "button", text: `${t("move")} / ${t("reprioritize")}` });
      apply.addEventListener("click", () => {
        applied();
        supervise(`/api/contacts/${w.contact}/requeue`, { queue: move.value, priority: Number(priority.value) });
      });
      return [move, priority, apply];
    });
    const caller = el("td", {}, el("b", { text: info.customer || info.from || `#${w.contact}` }));
    if (info.customer && info.from) caller.append(el("span", { class: "muted", text: ` ${info.from}` }));
    if (info.grade === "key") caller.append(el("span", { class: "chip key", text: t("key") }));
    if (w.callback) caller.append(el("span", { class: "chip", text: t("callback") }));
    const queue = board.queues.find((q) => q.name === w.queue);
    body.append(el("tr", { "data-contact": String(w.contact) },
      el("td", { text: `${queue ? queue.display_name : w.queue} · ${t("channels")[w.channel] || w.channel}` }),
      caller,
      el("td", {}, el("span", { class: "ticking", "data-since": String(w.enqueued_at || ""), text: duration(Date.now() - w.enqueued_at) })),
      el("td", { class: "priority-cell", text: String(w.priority ?? 0) }),
      actions));
  }
  pruneControls("contact:");
}

function renderScope() {
  if (!board.scope) return;
  $("scope").textContent = board.scope.everyone ? t("all_teams") : `${t("team")}: ${board.scope.team || "—"}`;
}

function renderLive() {
  renderTiles();
  renderAgents();
  renderWaiting();
}

function renderAll() {
  renderScope();
  renderLive();
}

// Clocks tick every second without touching the rest of the page.
setInterval(() => {
  const now = Date.now();
  $("clock").textContent = HotlineClock.at(now, true); // the hotline's time, whatever the browser's zone
  for (const node of document.querySelectorAll("[data-since]")) {
    const since = Number(node.dataset.since);
    if (since) node.textContent = duration(now - since);
  }
}, 1000);
