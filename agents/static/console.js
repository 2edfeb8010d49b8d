// Agent console: state comes only from the websocket's events; actions go over HTTP.
// Contacts (calls and chats) are kept by id; calls render in the call card, chats in console-chat.js.
"use strict";

const $ = (id) => document.getElementById(id);
const t = (key) => ConsoleText.t(key);
const view = {
  agent: { state: "offline", reason: "", since: null, wrapup_until: null },
  contacts: new Map(), // id → {contact, channel, state, deadline, enqueued_at, info, answered_at, ended_at, pop}
  lastSeq: null,
  options: {},
};

function text(id, value) { $(id).textContent = value == null || value === "" ? "—" : String(value); }
function show(id, visible) { $(id).hidden = !visible; }
function seconds(ms) { return Math.max(0, Math.round(ms / 1000)); }

function showError(message) {
  $("error").textContent = message;
  show("error", Boolean(message));
}

async function api(method, url, body) {
  showError("");
  const response = await fetch(url, {
    method, headers: { "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) { location.href = "/login?next=/console"; return null; }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) { showError(data.error || `Request failed (${response.status})`); return null; }
  return data;
}
const post = (url, body) => api("POST", url, body || {});

// ---- events -------------------------------------------------------------------------------

function contactOf(event) { return view.contacts.get(String(event.contact)); }

function applyEvent(event) {
  const known = contactOf(event);
  switch (event.type) {
    case "agent.state":
      view.agent = { id: view.agent.id, state: event.state, reason: event.reason, since: event.at, wrapup_until: event.wrapup_until || null,
        previous_state: event.previous_state, previous_reason: event.previous_reason };
      if (["available", "not_ready", "offline"].includes(event.state)) {
        for (const [id, c] of view.contacts) if (c.channel !== "chat") view.contacts.delete(id);
      }
      break;
    case "offer.created":
      view.contacts.set(String(event.contact), {
        contact: String(event.contact), channel: event.channel || "voice", state: "offered", deadline: event.deadline,
        enqueued_at: event.enqueued_at, info: event.info || {}, queue: event.queue, pop: null,
      });
      loadPop(String(event.contact));
      break;
    case "offer.accepted": // a call is ours once our phone has joined the caller (contact.joined)
      if (known && known.channel === "chat") { known.state = "assigned"; known.answered_at = event.at; }
      else if (known) known.state = "connecting";
      break;
    case "contact.joined": // the ticket's contact is connected now (stored a moment after this event: the panel says so at once)
      if (known) { known.state = "assigned"; known.answered_at = event.at; ConsoleTicket.redraw(known.info?.ticket_id ?? null); }
      break;
    case "contact.transferred": // we handed it on: its wrap-up is still ours to write
      if (known && known.channel !== "chat" && String(event.agent) === String(view.agent.id)) {
        known.state = "ended"; known.ended_at = event.at;
      } else view.contacts.delete(String(event.contact));
      break;
    case "contact.consulting": // our warm transfer: the caller waits on hold for the colleague
      if (known) { known.consulting = true; known.consult_joined = false; known.on_hold = true; }
      break;
    case "consult.joined":
      if (known) known.consult_joined = true;
      break;
    case "consult.ended":
      if (known && event.outcome === "complete") { known.state = "ended"; known.ended_at = event.at; }
      else if (known) { known.consulting = false; known.on_hold = false; }
      break;
    case "consult.canceled": // the colleague who consulted us took the call back
    case "offer.returned":
    case "offer.revoked":
    case "contact.wrapped_up":
      view.contacts.delete(String(event.contact));
      break;
    case "contact.ended":
      if (known) {
        known.state = "ended";
        known.ended_at = event.at;
        ConsoleTicket.redraw(); // the ticket changed (the recording arrives a moment later): show it fresh
        ConsoleTicket.redraw(known.info?.ticket_id ?? null, 3000);
        loadMyDay();
      }
      break;
    case "contact.held":
    case "contact.resumed":
      if (known) known.on_hold = event.type === "contact.held";
      break;
    case "agent.wrap_up_extended":
      if (!event.contact) view.agent.wrapup_until = event.wrapup_until;
      else if (known) known.wrapup_until = event.wrapup_until;
      break;
    case "announcement":
      announce(event);
      break;
  }
  if (event.type.startsWith("chat.")) ConsoleChat.onEvent(event, view);
  if (event.type === "contact.monitored") ConsoleMonitor.onEvent(event, view);
}

function applySnapshot(message) {
  view.agent = { ...message.agent, id: view.agent.id };
  view.contacts.clear();
  for (const c of [message.contact, ...(message.chats || [])]) {
    if (!c) continue;
    const consulting = c.consult_from != null && String(c.consult_from) === String(view.agent.id);
    view.contacts.set(String(c.contact), { ...c, contact: String(c.contact), channel: c.channel || "voice", pop: null,
      consulting, state: consulting ? "assigned" : c.state });
    loadPop(String(c.contact));
  }
}

// A message of the socket (console-link.js keeps the socket, its heartbeats and reconnections).
function onMessage(message) {
  if (message.type === "ticket.notification") { Notices.push(message.notification); return; } // the desk's, no seq
  if (message.type === "snapshot" || message.type === "caught_up") Notices.load(); // what came while away
  if (message.type === "snapshot") applySnapshot(message);
  else if (message.type !== "caught_up") applyEvent(message);
  if (typeof message.seq === "number") view.lastSeq = message.seq;
  render();
}

// ---- data the events point at ---------------------------------------------------------------

async function loadPop(id) {
  const response = await fetch(`/api/agent/contacts/${id}/screen-pop`);
  const c = view.contacts.get(id);
  if (response.ok && c) { c.pop = await response.json(); render(); }
}

async function loadMyDay() {
  const day = await fetch("/api/agent/stats").then((r) => (r.ok ? r.json() : null)).catch(() => null);
  if (!day) return;
  text("day-handled", day.handled);
  text("day-aht", day.average_handle_time_seconds == null ? "" : ConsoleParts.clock(Math.round(day.average_handle_time_seconds)));
  $("day-levels").replaceChildren(...(day.queues || []).map((q) => {
    const tr = ConsoleParts.el("tr");
    const level = q.service_level_percent == null ? "—" : `${Math.round(q.service_level_percent)}%`;
    tr.append(ConsoleParts.el("th", "", ConsoleText.queue(q.queue)), ConsoleParts.el("td", "", `${t("service_level")} ${level}`));
    return tr;
  }));
}

function announce(event) {
  const box = ConsoleParts.el("p", "banner info");
  box.append(ConsoleParts.el("b", "", `${t("announcement")}: `), ConsoleParts.el("span", "", event.text));
  if (event.by) box.append(ConsoleParts.el("span", "muted", ` — ${event.by}`));
  const dismiss = ConsoleParts.el("button", "", t("dismiss"));
  dismiss.addEventListener("click", () => box.remove());
  box.append(dismiss);
  $("announcements").prepend(box);
}

// ---- rendering ------------------------------------------------------------------------------

function voiceContact() {
  for (const c of view.contacts.values()) if (c.channel !== "chat" && c.state !== "offered") return c;
  return null;
}

function renderOffers(now) {
  const offers = [...view.contacts.values()].filter((c) => c.state === "offered");
  const cards = offers.map((c) => {
    const card = $("offer-template").content.firstElementChild.cloneNode(true);
    ConsoleText.apply(card);
    card.dataset.contact = c.contact;
    const kind = c.channel === "chat" ? "incoming_chat" : (c.info || {}).callback_kind === "return_visit" ? "incoming_return_visit" : "incoming_call";
    card.querySelector(".offer-title").textContent = t(kind);
    card.querySelector(".countdown").textContent = `${seconds(c.deadline - now)} ${t("seconds_left")}`;
    ConsoleParts.pop(card.querySelector(".pop"), c, now);
    card.querySelector(".accept").addEventListener("click", () => accept(c.contact));
    card.querySelector(".reject").addEventListener("click", () => reject(c.contact));
    return card;
  });
  $("offers").replaceChildren(...cards);
  Ringer.ring(offers.length > 0);
}

let wrapUpFor = null;
function renderCall(now) {
  const call = voiceContact();
  show("call", Boolean(call));
  document.body.dataset.caller = call ? ConsoleParts.callerOf(call) : ""; // the phone card shows it (masked)
  if (!call) { $("call-wrapup").replaceChildren(); wrapUpFor = null; ConsoleTicket.visitOver(); return; }
  const ended = call.state === "ended" || view.agent.state === "wrap_up";
  const connecting = call.state === "connecting";
  const consulting = Boolean(call.consulting) && !ended;
  const title = ended ? "wrap_up_title" : connecting ? "connecting" : consulting
    ? (call.consult_joined ? "consult_joined" : "consulting") : call.on_hold ? "on_hold" : "on_call";
  text("call-title", t(title));
  show("hold", !call.on_hold && !connecting && !consulting);
  show("resume", Boolean(call.on_hold) && !consulting);
  show("mute", !call.muted && !connecting);
  show("unmute", Boolean(call.muted));
  show("transfer-open", !connecting && !consulting);
  show("transfer-complete", consulting);
  $("transfer-complete").disabled = !call.consult_joined;
  show("transfer-abort", consulting);
  show("call-actions", !ended);
  if (ended) show("transfer", false);
  ConsoleParts.pop($("call-pop"), call, now);
  if (ended && wrapUpFor !== call.contact) {
    wrapUpFor = call.contact;
    $("call-wrapup").replaceChildren(ConsoleParts.wrapUp(view.options, {
      submit: (body) => post(`/api/agent/contacts/${call.contact}/wrap-up`, body),
      moreTime: () => post("/api/agent/wrap-up/extend", { seconds: 30 }),
      contact: call.contact, ticket: (call.info || {}).ticket, // the draft kept as the agent types
    }));
  }
  const info = call.info || {};
  // A return visit's call: the ticket panel offers the visit's form for the ticket it is about.
  const visit = info.callback_kind === "return_visit" ? { contact: call.contact, note: info.callback_note || "" } : null;
  if (info.ticket_id) ConsoleTicket.load(info.ticket_id, visit);
}

function render() {
  const { agent } = view;
  const connecting = agent.state === "busy" && voiceContact()?.state === "connecting"; // busy, not yet talking
  $("state-badge").textContent = t(connecting ? "connecting" : agent.state) + (agent.reason ? ` · ${ConsoleText.code("reason", agent.reason)}` : "");
  $("state-badge").className = `badge ${agent.state}`;
  // Made not ready because the console was gone too long, or because routing was rebuilt after Redis lost
  // its data: say what the agent was, one click to go back.
  const away = agent.state === "not_ready" && ["disconnected", "routing_rebuilt"].includes(agent.reason) && agent.previous_state;
  show("was-away", Boolean(away));
  if (away) {
    $("was-away").querySelector("span").textContent = t(agent.reason === "routing_rebuilt" ? "was_rebuilt" : "was_away");
    text("was-before", t(agent.previous_state) + (agent.previous_reason ? ` · ${ConsoleText.code("reason", agent.previous_reason)}` : ""));
  }
  $("reason").value = agent.state === "not_ready" && view.options.not_ready_reasons?.includes(agent.reason) ? agent.reason : "";
  const now = Date.now();
  renderOffers(now);
  renderCall(now);
  ConsoleMonitor.render(voiceContact());
  ConsoleChat.render(view, now);
  show("idle", view.contacts.size === 0); // the ticket panel stays: the last call's ticket, with its link
  tick();
}

function tick() {
  const now = Date.now();
  const { agent } = view;
  text("state-time", agent.since ? `${t("in_state")} ${ConsoleParts.clock(seconds(now - agent.since))}` : "");
  document.querySelectorAll("#offers .offer").forEach((card) => {
    const c = view.contacts.get(card.dataset.contact);
    if (c) card.querySelector(".countdown").textContent = `${seconds(c.deadline - now)} ${t("seconds_left")}`;
  });
  const call = voiceContact();
  if (call && call.answered_at) text("call-timer", ConsoleParts.clock(seconds((call.ended_at || now) - call.answered_at)));
  const left = document.querySelector("#call-wrapup .wrapup-left");
  if (left) left.textContent = agent.wrapup_until ? `${seconds(agent.wrapup_until - now)} ${t("seconds_left")}` : "";
  ConsoleChat.tick(view, now);
}

// ---- actions --------------------------------------------------------------------------------

const firstOffer = () => [...view.contacts.values()].find((c) => c.state === "offered");
// Accepting a call rings our phone into the caller's room; phone-panel.js answers it by itself
// (the auto_answer setting) so one action connects the agent.
async function accept(id) {
  if (!id) return null;
  const done = await post(`/api/agent/offers/${id}/accept`);
  const c = view.contacts.get(String(id));
  if (done && c && c.channel !== "chat") {
    document.dispatchEvent(new CustomEvent("console:accepted", { detail: {
      contact: String(id), autoAnswer: view.options.auto_answer !== false,
      ringMs: (view.options.agent_ring_seconds || 20) * 1000,
    } }));
  }
  return done;
}
const reject = (id) => id && post(`/api/agent/offers/${id}/reject`);
const goAvailable = () => post("/api/agent/state", { state: "available" });
function goNotReady() {
  const reason = $("reason").value || (view.options.not_ready_reasons || ["break"])[0];
  return post("/api/agent/state", { state: "not_ready", reason });
}

$("go-available").addEventListener("click", goAvailable);
$("was-back").addEventListener("click", () => (view.agent.previous_state === "not_ready"
  ? post("/api/agent/state", { state: "not_ready", reason: view.agent.previous_reason })
  : post("/api/agent/state", { state: view.agent.previous_state })));
$("go-offline").addEventListener("click", () => post("/api/agent/state", { state: "offline" }));
$("reason").addEventListener("change", () => $("reason").value && goNotReady());
$("lang").addEventListener("click", () => { ConsoleText.toggle(); setup(); render(); ConsoleTicket.redraw(); Notices.render(); });

document.addEventListener("keydown", (event) => {
  if (!event.altKey || event.ctrlKey || event.metaKey) return;
  const key = event.key.toLowerCase();
  const actions = {
    a: () => accept(firstOffer()?.contact), r: () => reject(firstOffer()?.contact),
    e: () => $("end").click(), y: goAvailable, n: goNotReady,
  };
  if (actions[key]) { event.preventDefault(); actions[key](); }
});

// A ringing tone made in the page (no sound files fetched): 450 Hz, one second on, two off.
const Ringer = (() => {
  let context = null, timer = null;
  function beep() {
    try {
      context = context || new AudioContext();
      const tone = context.createOscillator(), gain = context.createGain();
      tone.frequency.value = 450; gain.gain.value = 0.08;
      tone.connect(gain).connect(context.destination);
      tone.start(); tone.stop(context.currentTime + 1);
    } catch (error) { /* no audio (autoplay rules): the card still flashes */ }
  }
  return { ring(on) {
    if (on && !timer) { beep(); timer = setInterval(beep, 3000); }
    if (!on && timer) { clearInterval(timer); timer = null; }
  } };
})();

// The ticket panel shows our own answered contact as connected, to us, before SQL has stored it.
ConsoleTicket.knowLive((contactId) => {
  const c = view.contacts.get(String(contactId));
  return c && c.state === "assigned" ? { status: "connected", agent: $("agent-name").textContent } : null;
});

function setup() {
  ConsoleText.apply(document);
  showLink(link);
  const reasons = view.options.not_ready_reasons || [];
  ConsoleParts.fill($("reason"), reasons, "reason", `${t("not_ready")}: ${t("choose_reason")}`);
  wrapUpFor = null;
}

async function start() {
  const me = await api("GET", "/api/me");
  if (!me) return;
  view.agent.id = me.id;
  text("agent-name", me.display_name);
  view.options = (await api("GET", "/api/agent/options")) || {};
  ConsoleText.configure(view.options); // before anything shows a time or a queue
  text("queues", me.queues.map((q) => ConsoleText.queue(q)).join(", "));
  ConsoleParts.fill($("transfer-queue"), me.queues, (q) => ConsoleText.queue(q));
  setup();
  Notices.mount($("notices"), { lang: () => ConsoleText.lang, timezone: () => ConsoleText.timezone });
  render();
  loadMyDay();
  setInterval(loadMyDay, 30000);
  setInterval(tick, 1000);
  connect();
}

// Started once every script of the page has run: the first render needs console-chat.js, which comes
// after this file, and the first API answers can come back before it does (on a loaded server; the
// render then threw, so the socket never opened). A start that fails says so rather than sitting offline.
function startWhenLoaded() { start().catch((error) => { console.error(error); showError(`${error}`); }); }
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startWhenLoaded);
else startWhenLoaded();
