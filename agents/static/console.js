// Agent console: state comes only from the websocket's events; actions go over HTTP.
"use strict";

const $ = (id) => document.getElementById(id);
const view = { agent: { state: "offline", reason: "", since: null }, contact: null, lastSeq: null, ticketId: null };
let socket = null;
let pingTimer = null;

function text(id, value) { $(id).textContent = value == null || value === "" ? "—" : String(value); }
function show(id, visible) { $(id).hidden = !visible; }
function seconds(ms) { return Math.max(0, Math.round(ms / 1000)); }
function clock(total) { const m = Math.floor(total / 60), s = total % 60; return `${m}:${String(s).padStart(2, "0")}`; }

function showError(message) {
  $("error").textContent = message;
  show("error", Boolean(message));
}

async function post(url, body) {
  showError("");
  const response = await fetch(url, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}),
  });
  if (response.status === 401) { location.href = "/login?next=/console"; return null; }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) showError(data.error || `Request failed (${response.status})`);
  return data;
}

function applyEvent(event) {
  const mine = view.contact && String(event.contact) === String(view.contact.contact);
  switch (event.type) {
    case "agent.state":
      view.agent = { state: event.state, reason: event.reason, since: event.at };
      if (["available", "not_ready", "offline"].includes(event.state)) view.contact = null;
      break;
    case "offer.created":
      view.contact = { contact: event.contact, state: "offered", deadline: event.deadline,
                       enqueued_at: event.enqueued_at, info: event.info || {}, queue: event.queue };
      break;
    case "offer.accepted":
      if (mine) { view.contact.state = "assigned"; view.contact.answered_at = event.at; }
      break;
    case "offer.returned":
    case "offer.revoked":
      if (mine) view.contact = null;
      break;
    case "contact.ended":
      if (mine) {
        view.contact.state = "ended";
        view.contact.ended_at = event.at;
        // The ticket changed (contact ended; the recording is stored a moment later): show it fresh.
        view.ticketId = null;
        const ticketId = (view.contact.info || {}).ticket_id;
        setTimeout(() => view.contact && view.ticketId === ticketId && loadTicket(ticketId), 3000);
      }
      break;
  }
}

function onMessage(message) {
  if (message.type === "pong") return;
  if (message.type === "snapshot") {
    view.agent = message.agent;
    view.contact = message.contact;
    if (view.contact && view.contact.state === "assigned") view.contact.answered_at = view.contact.answered_at || Date.now();
  } else if (message.type !== "caught_up") {
    applyEvent(message);
  }
  if (typeof message.seq === "number") view.lastSeq = message.seq;
  render();
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/agents/ws`);
  socket.onopen = () => {
    $("conn").className = "conn on";
    socket.send(JSON.stringify({ type: "hello", last_seq: view.lastSeq }));
    pingTimer = setInterval(() => socket.readyState === 1 && socket.send('{"type":"ping"}'), 10000);
  };
  socket.onmessage = (event) => onMessage(JSON.parse(event.data));
  socket.onclose = (event) => {
    $("conn").className = "conn off";
    clearInterval(pingTimer);
    if (event.code === 4401) { location.href = "/login?next=/console"; return; }
    setTimeout(connect, 1000);
  };
}

async function loadTicket(ticketId) {
  if (!ticketId) { show("ticket", false); return; }
  const response = await fetch(`/api/tickets/${ticketId}`);
  if (!response.ok) return;
  const t = await response.json();
  view.ticketId = ticketId;
  text("ticket-number", t.number);
  text("ticket-status", t.status);
  text("ticket-category", t.category);
  text("ticket-customer", t.customer ? `${t.customer.name || ""} ${t.customer.phone}` : "");
  text("ticket-agent", t.assignee);
  const fill = (id, items, line) => {
    const list = $(id);
    list.replaceChildren(...items.map((item) => { const li = document.createElement("li"); li.textContent = line(item); return li; }));
  };
  fill("ticket-contacts", t.contacts, (c) => `${(c.created_at || "").slice(0, 19).replace("T", " ")} ${c.channel} ${c.from} → ${c.queue || "IVR"} · ${c.status}${c.agent ? " · " + c.agent : ""}`);
  fill("ticket-notes", t.notes, (n) => `${n.author || ""}: ${n.body}`);
  fill("ticket-recordings", t.recordings, (r) => `#${r.id} ${r.status} ${r.duration_seconds || ""}s`);
  show("ticket", true);
}

function render() {
  const { agent, contact } = view;
  $("state-badge").textContent = agent.state + (agent.reason ? ` (${agent.reason})` : "");
  $("state-badge").className = `badge ${agent.state}`;
  show("idle", !contact);
  show("offer", Boolean(contact && contact.state === "offered"));
  show("call", Boolean(contact && (contact.state === "assigned" || contact.state === "ended")));
  if (contact) {
    const info = contact.info || {};
    for (const prefix of ["offer", "call"]) {
      text(`${prefix}-from`, info.from);
      text(`${prefix}-customer`, info.customer ? `${info.customer}${info.grade === "key" ? " ★" : ""}` : "");
      text(`${prefix}-choice`, info.choice);
    }
    text("offer-ticket", info.ticket);
    const ended = contact.state === "ended";
    text("call-title", ended ? "话后处理 Wrap-up" : "通话中 On call");
    show("end", !ended);
    show("wrapup", ended || agent.state === "wrap_up");
    if (info.ticket_id && (contact.state !== "offered") && view.ticketId !== info.ticket_id) loadTicket(info.ticket_id);
  } else {
    view.ticketId = null;
    show("ticket", false);
  }
  tick();
}

function tick() {
  const now = Date.now();
  const { agent, contact } = view;
  text("state-time", agent.since ? clock(seconds(now - agent.since)) : "");
  if (contact && contact.state === "offered") {
    text("offer-countdown", `${seconds(contact.deadline - now)} s`);
    text("offer-wait", clock(seconds(now - contact.enqueued_at)));
  }
  if (contact && contact.answered_at) {
    text("call-timer", clock(seconds((contact.ended_at || now) - contact.answered_at)));
  }
}

document.querySelectorAll("button[data-state]").forEach((button) => {
  button.addEventListener("click", () => post("/api/agent/state", {
    state: button.dataset.state, reason: button.dataset.state === "not_ready" ? "break" : "",
  }));
});
$("accept").addEventListener("click", () => view.contact && post(`/api/agent/offers/${view.contact.contact}/accept`));
$("reject").addEventListener("click", () => view.contact && post(`/api/agent/offers/${view.contact.contact}/reject`));
$("end").addEventListener("click", () => view.contact && post(`/api/agent/contacts/${view.contact.contact}/end`));
for (const [id, next] of [["done-available", "available"], ["done-not-ready", "not_ready"]]) {
  $(id).addEventListener("click", async () => {
    if (!view.contact) return;
    const result = await post(`/api/agent/contacts/${view.contact.contact}/wrap-up`, { note: $("note").value, next_state: next });
    if (result && result.ok) $("note").value = "";
  });
}

fetch("/api/me").then((r) => r.ok ? r.json() : Promise.reject(r)).then((me) => {
  text("agent-name", me.display_name);
  text("queues", me.queues.join(", "));
}).catch(() => { location.href = "/login?next=/console"; });
setInterval(tick, 1000);
connect();
