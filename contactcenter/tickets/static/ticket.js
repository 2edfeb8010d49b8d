// One ticket (GET /api/tickets/{id}) and everything done to it: its fields, a status move among
// `allowed_moves` (a refusal's message shown as it comes, and the ticket read again), assignment, notes
// and replies, escalation, merge and unmerge, duplicates, a callback, the SLA policy re-applied; the return
// visit, a complaint's agent and the attachments are ticket-cards.js's. Every action answers the ticket as
// it is now, which is drawn again. The customer's name links to their file (/desk/customers/{id}).
"use strict";

const { $, el, api } = Desk;
const t = (key) => DeskText.t(key);
const TICKET_ID = Number(location.pathname.split("/").pop());
const OUTCOMES = ["fixed", "replaced", "refunded", "explained", "refused"];
const FIELDS = ["subject", "description", "category", "product_model", "serial_number", "purchase_date", "outcome", "solution"];
const SUPERVISORS = ["supervisor", "manager", "admin"];
let ticket = null;
let options = null;

const role = () => (Desk.me() || {}).role;

function fill(select, choices, selected) {
  select.replaceChildren(...choices.map(([value, text]) => el("option", { value, text, selected: String(value) === String(selected ?? "") })));
}

async function load() {
  const answer = await api("GET", `/api/tickets/${TICKET_ID}`);
  if (answer) show(answer);
}

// An action's answer is the ticket as it is now; a refusal leaves its message up and reads the ticket again.
async function act(method, path, body, done) {
  const answer = await api(method, `/api/tickets/${TICKET_ID}${path}`, body);
  if (answer) { show(answer); if (done) Desk.notice(t(done)); return answer; }
  await load();
  return null;
}

function show(answer) {
  ticket = answer;
  document.title = `${ticket.number} · ${t("ticket_title")}`;
  draw();
}

function draw() {
  if (!ticket) return;
  const merged = Boolean(ticket.merged_into);
  $("number").textContent = ticket.number;
  $("title").textContent = ticket.subject;
  $("status").textContent = DeskText.status(ticket.status);
  $("status").className = `pill ${ticket.status}`;
  const customer = ticket.customer;
  const who = customer ? `${customer.name || ""} ${customer.phone || ""}${customer.grade === "key" ? ` ★ ${t("customer_grade_key")}` : ""}`.trim() : "—";
  const facts = [
    [t("customer"), customer ? el("a", { id: "customer-link", href: `/desk/customers/${customer.id}`, title: t("customer_file"), text: who || t("customer_file") }) : who],
    [t("category"), DeskText.category(ticket.category)],
    [t("queue"), ticket.queue ? DeskText.queue(ticket.queue) : "—"],
    [t("assignee"), ticket.assignee || t("nobody")],
    [t("created_at"), DeskText.when(ticket.created_at)],
    [t("updated"), DeskText.when(ticket.updated_at)],
    ...(ticket.satisfaction ? [[t("satisfaction"), t(`score_${ticket.satisfaction}`)]] : []),
  ];
  $("facts").replaceChildren(...facts.map(([name, value]) => el("span", {}, `${name}: `,
    typeof value === "string" ? el("b", { text: value }) : el("b", {}, value))));
  $("moves").replaceChildren(...(ticket.allowed_moves.length
    ? ticket.allowed_moves.map((m) => el("button", { type: "button", class: "move", "data-status": m.status, text: DeskText.status(m.status),
      onclick: () => move(m.status) }))
    : [el("span", { class: "muted", text: merged ? t("read_only") : t("no_moves") })]));

  $("merged-banner").hidden = !merged;
  if (merged) {
    $("merged-link").textContent = ticket.merged_into.number;
    $("merged-link").href = `/desk/tickets/${ticket.merged_into.id}`;
  }
  drawFields();
  document.querySelectorAll("main.ticket form, main.ticket button").forEach((node) => {
    if (node.id !== "order" && !node.classList.contains("move")) node.toggleAttribute("disabled", merged);
  });
  drawSide();
  TicketCards.draw(ticket);
  TicketTimeline.clocks($("clocks"), ticket);
  $("order").textContent = TicketTimeline.orderLabel();
  TicketTimeline.timeline($("timeline"), ticket, role());
}

function drawFields() {
  const form = $("fields");
  if (form.contains(document.activeElement) && form.dataset.ticket === String(ticket.id)) return; // being typed in
  form.dataset.ticket = String(ticket.id);
  fill(form.elements.category, [...(ticket.category ? [] : [["", t("uncategorized")]]),
    ...Object.keys(DeskText.categories).map((c) => [c, DeskText.category(c)])], ticket.category || "");
  const outcomes = OUTCOMES.includes(ticket.outcome) || !ticket.outcome ? OUTCOMES : [...OUTCOMES, ticket.outcome];
  fill(form.elements.outcome, [["", t("outcome_none")], ...outcomes.map((o) => [o, DeskText.code("outcome", o)])], ticket.outcome || "");
  for (const name of ["subject", "description", "product_model", "serial_number", "purchase_date", "solution"]) {
    form.elements[name].value = ticket[name] || "";
  }
}

function drawSide() {
  const people = Object.entries(DeskText.people);
  const keep = $("assignee").value;
  fill($("assignee"), [["", t("nobody")], ...people], keep && keep !== String(ticket.assignee_id ?? "") ? keep : ticket.assignee_id ?? "");
  if (ticket.assignee_id && !DeskText.people[ticket.assignee_id]) {
    $("assignee").append(el("option", { value: ticket.assignee_id, text: ticket.assignee, selected: true }));
  }
  const level = ticket.escalation_level;
  $("level").textContent = DeskText.code("level", level);
  $("escalate").textContent = level >= 2 ? t("at_top") : `${t("escalate")} → ${DeskText.code("level", level + 1)}`;
  if (level >= 2) $("escalate").disabled = true;
  $("emergency").hidden = level !== 0; // a skip is from the assignee straight to the manager
  $("reapply").hidden = !SUPERVISORS.includes(role());
  const mergedIn = ticket.merged_in || [];
  $("merged-in-box").hidden = !mergedIn.length;
  $("merged-in").replaceChildren(...mergedIn.map((id) => el("li", {}, el("a", { href: `/desk/tickets/${id}`, text: `T-${String(id).padStart(6, "0")}` }))));
  const kind = $("callback").elements.kind;
  fill(kind, ["callback", "return_visit"].map((k) => [k, DeskText.code("kind", k)]), kind.value || "callback");
}

// ---- actions ----------------------------------------------------------------------------------

async function move(status) {
  const why = $("move-why").value.trim();
  if (await act("POST", "/status", why ? { status, why } : { status }, "moved")) $("move-why").value = "";
}

$("fields").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const changes = {};
  for (const name of FIELDS) {
    const value = form.elements[name].value.trim();
    const now = ticket[name] == null ? "" : String(ticket[name]);
    if (value !== now) changes[name] = value === "" && name !== "subject" ? null : value;
  }
  if (!Object.keys(changes).length) { Desk.notice(t("nothing_changed")); return; }
  const answer = await api("PATCH", `/api/tickets/${TICKET_ID}`, changes);
  if (!answer) return; // refused: what was typed stays, beside the message
  form.dataset.ticket = ""; // drawn again from the answer
  show(answer);
  Desk.notice(t("saved"));
});

$("compose").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  if (await act("POST", "/notes", { body: form.elements.body.value, kind: form.elements.kind.value }, "note_added")) form.elements.body.value = "";
});

$("assign").addEventListener("click", () => {
  const chosen = $("assignee").value;
  act("POST", "/assign", { assignee_id: chosen ? Number(chosen) : null }, "assigned");
});

$("escalate").addEventListener("click", () => act("POST", "/escalate", {}, "escalated"));
$("emergency").addEventListener("submit", async (event) => {
  event.preventDefault();
  const reason = event.target.elements.reason;
  if (await act("POST", "/escalate", { level: 2, reason: reason.value.trim() }, "escalated")) reason.value = "";
});

$("merge").addEventListener("submit", async (event) => {
  event.preventDefault();
  const into = Desk.ticketId(event.target.elements.into.value);
  if (!into) return;
  if (await act("POST", "/merge", { into }, "merged_done")) event.target.elements.into.value = "";
});
$("unmerge").addEventListener("click", () => act("POST", "/unmerge", {}, "unmerged"));
$("reapply").addEventListener("click", () => act("POST", "/reapply-policy", {}, "reapplied"));

$("find-duplicates").addEventListener("click", async () => {
  const found = await api("GET", `/api/tickets/${TICKET_ID}/duplicates`);
  if (!found) return;
  $("duplicates").replaceChildren(...(found.tickets.length ? found.tickets.map((d) => el("li", { "data-ticket": String(d.id) },
    el("a", { href: `/desk/tickets/${d.id}`, text: d.number }), ` ${d.subject} · ${DeskText.status(d.status)} · ${DeskText.category(d.category)} `,
    el("button", { type: "button", text: t("merge_here"), onclick: () => act("POST", "/merge", { into: d.id }, "merged_done") })))
    : [el("li", { class: "muted", text: t("no_duplicates") })]));
});

$("callback").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  // The hotline's wall clock, sent without an offset: the server reads it in the hotline's time zone.
  const body = { kind: form.elements.kind.value, at: form.elements.at.value, note: form.elements.note.value.trim() };
  if (await act("POST", "/callbacks", body, "scheduled")) form.elements.note.value = "";
});

$("order").addEventListener("click", () => { TicketTimeline.flip(); draw(); });

(async () => {
  options = await Desk.start("ticket", draw);
  if (!options) return;
  TicketCards.begin({ id: TICKET_ID, show, load });
  $("callback").elements.at.value = DeskText.localInput(1, 10); // tomorrow at 10:00, as the wrap-up proposes
  setInterval(() => document.querySelectorAll("#clocks .due[data-due]").forEach(TicketTimeline.tick), 1000);
  await load();
})();
