// The ticket panel beside the call: number, status, category, customer, the ticket's contacts (when, in
// the hotline's time zone; channel, queue and status in words), notes and recordings, and a link to its
// page on the desk. console.js calls load when a call names a ticket; the panel keeps that ticket after the
// wrap-up (the agent may open it on the desk) until another call names another.
// On a return visit's call (the offer's info says `callback_kind: "return_visit"`), the panel offers the
// visit's short form while the ticket waits for it (resolved, or awaiting its return visit): satisfied 1-5,
// resolved yes/no, a comment, or that nobody answered, posted to POST /api/tickets/{id}/return-visit; the
// panel then says what the answer did to the ticket (closed, reopened).
"use strict";

const ConsoleTicket = (() => {
  const t = (key) => ConsoleText.t(key);
  const $ = (id) => document.getElementById(id);
  const AWAITING = ["resolved", "return_visit"]; // a return visit may be recorded (satisfaction/routes.py)
  let shown = null; // the ticket on the panel (or being fetched for it)
  let current = null; // the ticket as last fetched
  let visit = null; // {contact, note} while the call on the console is the shown ticket's return visit
  const recorded = new Map(); // contact → the ticket's status after the visit recorded on that call

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

  // `returnVisit`: {contact, note} when the call on the console is this ticket's return visit.
  async function load(ticketId, returnVisit = null) {
    if (!ticketId) { hide(); return; }
    visit = returnVisit;
    if (ticketId === shown) { drawVisit(); return; }
    shown = ticketId;
    const response = await fetch(`/api/tickets/${ticketId}`);
    if (!response.ok || shown !== ticketId) { if (shown === ticketId) shown = null; return; }
    const ticket = await response.json();
    if (shown !== ticketId) return; // hidden, or another ticket asked for, meanwhile
    current = ticket;
    text("ticket-number", ticket.number);
    $("ticket-link").href = `/desk/tickets/${ticket.id}`;
    text("ticket-status", ConsoleText.code("status", ticket.status));
    text("ticket-category", ticket.category && ConsoleText.code("category", ticket.category));
    text("ticket-customer", ticket.customer ? ticket.customer.name : "");
    list("ticket-contacts", ticket.contacts, contactLine);
    list("ticket-notes", ticket.notes, (n) => `${n.author || ""}: ${n.body}`);
    list("ticket-recordings", ticket.recordings, recordingLine);
    drawVisit();
    $("ticket").hidden = false;
  }

  // ---- the return visit's form ---------------------------------------------------------------------

  function fill(select, choices) {
    const keep = select.value;
    ConsoleParts.fill(select, choices.map(([value]) => value), (value) => choices.find(([v]) => v === value)[1]);
    select.value = keep;
  }

  function effect(status) {
    if (status === "closed") return t("visit_effect_closed");
    if (status === "reopened") return t("visit_effect_reopened");
    return `${t("visit_effect_other")} ${ConsoleText.code("status", status)}`;
  }

  function drawVisit() {
    const form = $("ticket-visit");
    const after = visit ? recorded.get(visit.contact) : undefined;
    $("ticket-visit-done").hidden = after === undefined;
    if (after !== undefined) $("ticket-visit-done").textContent = effect(after);
    form.hidden = !visit || after !== undefined || !current || current.id !== shown || !AWAITING.includes(current.status);
    if (form.hidden) return;
    text("ticket-visit-note", visit.note);
    fill(form.elements.satisfaction, [["", t("choose")], ...[5, 4, 3, 2, 1].map((n) => [String(n), t(`score_${n}`)])]);
    fill(form.elements.resolved, [["", t("choose")], ["yes", t("yes")], ["no", t("no")]]);
    reached();
  }

  // "Nobody answered" has no answers to give.
  function reached() {
    const nobody = $("ticket-visit").elements.reached.value === "no";
    $("ticket-visit").querySelectorAll(".answer").forEach((label) => { label.hidden = nobody; });
  }

  async function recordVisit(event) {
    event.preventDefault();
    const form = event.target, f = form.elements;
    const on = visit, ticketId = shown;
    if (!on || !ticketId) return;
    const body = { reached: f.reached.value !== "no" };
    if (body.reached) {
      if (f.satisfaction.value) body.satisfaction = Number(f.satisfaction.value);
      if (f.resolved.value) body.resolved = f.resolved.value === "yes";
      if (body.satisfaction === undefined && body.resolved === undefined) { showError(t("visit_need_answer")); return; }
      if (f.comment.value.trim()) body.comment = f.comment.value.trim();
    }
    const answer = await api("POST", `/api/tickets/${ticketId}/return-visit`, body); // a refusal's message is shown
    if (answer) { recorded.set(on.contact, answer.ticket_status); form.reset(); }
    redraw(ticketId); // the ticket as it is now (its status changed, or was not what the form thought)
  }

  // The call is over and wrapped up: no visit is being made any more.
  function visitOver() {
    if (!visit) return;
    visit = null;
    drawVisit();
  }

  function hide() { shown = null; $("ticket").hidden = true; }

  // Fetch the shown ticket again (if it is still `only`, when given; `later` ms from now): it changed,
  // or the words did.
  function redraw(only, later) {
    if (later) { setTimeout(() => redraw(only), later); return; }
    const id = shown;
    if (!id || (only !== undefined && id !== only)) return;
    shown = null;
    load(id, visit);
  }

  function knowLive(lookup) { live = lookup; }

  $("ticket-visit").addEventListener("submit", recordVisit);
  $("ticket-visit").addEventListener("change", (event) => { if (event.target.name === "reached") reached(); });

  return { load, hide, redraw, knowLive, visitOver };
})();
