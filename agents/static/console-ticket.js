// The ticket panel beside the call: number, status, category, customer, the ticket's contacts (when, in
// the hotline's time zone; channel, queue and status in words), notes and recordings, and a link to its
// page on the desk. console.js calls load when a call names a ticket; the panel keeps that ticket after the
// wrap-up (the agent may open it on the desk) until another call names another.
"use strict";

const ConsoleTicket = (() => {
  const t = (key) => ConsoleText.t(key);
  const $ = (id) => document.getElementById(id);
  let shown = null; // the ticket on the panel (or being fetched for it)

  function text(id, value) { $(id).textContent = value == null || value === "" ? "—" : String(value); }
  function list(id, items, line) { $(id).replaceChildren(...items.map((item) => ConsoleParts.el("li", "", line(item)))); }

  // What the console knows live of one of its own contacts (routing's word comes before the stored
  // one): set by console.js; null when it knows nothing newer than the ticket.
  let live = (_contactId) => null;

  function contactLine(c) {
    const where = c.queue ? ConsoleText.queue(c.queue) : t("ivr");
    const now = live(c.id) || {};
    const status = now.status || c.status, agent = now.agent || c.agent;
    return `${ConsoleText.when(c.created_at)} ${ConsoleText.code("channel", c.channel)} → ${where}`
      + ` · ${ConsoleText.code("contact", status)}${agent ? " · " + agent : ""}`;
  }

  function recordingLine(r) {
    return `#${r.id} ${ConsoleText.code("recording", r.status)}${r.duration_seconds ? ` ${ConsoleParts.clock(r.duration_seconds)}` : ""}`;
  }

  async function load(ticketId) {
    if (!ticketId) { hide(); return; }
    if (ticketId === shown) return;
    shown = ticketId;
    const response = await fetch(`/api/tickets/${ticketId}`);
    if (!response.ok || shown !== ticketId) { if (shown === ticketId) shown = null; return; }
    const ticket = await response.json();
    if (shown !== ticketId) return; // hidden, or another ticket asked for, meanwhile
    text("ticket-number", ticket.number);
    $("ticket-link").href = `/desk/tickets/${ticket.id}`;
    text("ticket-status", ConsoleText.code("status", ticket.status));
    text("ticket-category", ticket.category && ConsoleText.code("category", ticket.category));
    text("ticket-customer", ticket.customer ? ticket.customer.name : "");
    list("ticket-contacts", ticket.contacts, contactLine);
    list("ticket-notes", ticket.notes, (n) => `${n.author || ""}: ${n.body}`);
    list("ticket-recordings", ticket.recordings, recordingLine);
    $("ticket").hidden = false;
  }

  function hide() { shown = null; $("ticket").hidden = true; }

  // Fetch the shown ticket again (if it is still `only`, when given; `later` ms from now): it changed,
  // or the words did.
  function redraw(only, later) {
    if (later) { setTimeout(() => redraw(only), later); return; }
    const id = shown;
    if (!id || (only !== undefined && id !== only)) return;
    shown = null;
    load(id);
  }

  function knowLive(lookup) { live = lookup; }

  return { load, hide, redraw, knowLive };
})();
