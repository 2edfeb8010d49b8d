// A customer's file (GET /api/customers/{id}): the name (whoever may read the file changes it), the phone as the
// API gives it (masked for agents), the grade (team leads, managers and admins change it; an agent's attempt is
// refused by the server, whose message is shown), the products (add, remove), and every ticket (each a link)
// and contact, newest first. Times in the hotline's time zone; statuses, channels and queues in words.
"use strict";

const { $, el, api } = Desk;
const t = (key) => DeskText.t(key);
const CUSTOMER_ID = Number(location.pathname.split("/").pop());
const GRADES = ["normal", "key"];
let file = null;

function fill(select, choices, selected) {
  select.replaceChildren(...choices.map(([value, text]) => el("option", { value, text, selected: String(value) === String(selected ?? "") })));
}

async function load() {
  const answer = await api("GET", `/api/customers/${CUSTOMER_ID}`);
  if (answer) show(answer);
}

function show(answer) {
  file = answer;
  document.title = `${file.name || file.phone} · ${t("customer_file")}`;
  draw();
}

const grade = (code) => DeskText.code("grade", code);
const ticketLink = (id, number) => el("a", { href: `/desk/tickets/${id}`, text: number || `T-${String(id).padStart(6, "0")}` });

// "(3)", or "200 of 250" when the file shows only the newest.
function counted(shown, total) {
  return total > shown ? t("shown_of").replace("{shown}", shown).replace("{total}", total) : `(${total})`;
}

function draw() {
  if (!file) return;
  $("name-shown").textContent = file.name || file.phone;
  $("grade-shown").textContent = grade(file.grade);
  $("grade-shown").className = `pill grade-${file.grade}`;
  const facts = [[t("phone"), file.phone], [t("grade"), grade(file.grade)], [t("customer_since"), DeskText.when(file.created_at) || "—"]];
  $("facts").replaceChildren(...facts.map(([name, value]) => el("span", {}, `${name}: `, el("b", { text: value }))));
  const name = $("name").elements.name;
  if (document.activeElement !== name) name.value = file.name || "";
  const known = GRADES.includes(file.grade) ? GRADES : [...GRADES, file.grade];
  fill($("grade").elements.grade, known.map((g) => [g, grade(g)]), file.grade);
  drawProducts();
  drawTickets();
  drawContacts();
}

function drawProducts() {
  $("products").replaceChildren(...(file.products.length ? file.products.map((p) => el("li", { "data-product": String(p.id) },
    el("b", { text: p.product_model }),
    el("button", { type: "button", class: "remove", text: t("remove"), onclick: () => removeProduct(p) }),
    el("span", { class: "sub", text: [p.serial_number && `${t("serial_number")} ${p.serial_number}`,
      p.purchase_date && `${t("purchase_date")} ${p.purchase_date}`, p.note].filter(Boolean).join(" · ") })))
    : [el("li", { class: "muted", text: t("no_products") })]));
}

function drawTickets() {
  $("tickets").querySelector("tbody").replaceChildren(...file.tickets.map((row) => el("tr", { "data-ticket": String(row.id), class: row.merged ? "merged" : "" },
    el("td", {}, ticketLink(row.id, row.number)),
    el("td", {}, el("a", { href: `/desk/tickets/${row.id}`, text: row.subject })),
    el("td", {}, el("span", { class: `pill ${row.status}`, text: DeskText.status(row.status) }),
      row.merged_into ? el("span", { class: "muted" }, ` ${t("merged_mark")} `, ticketLink(row.merged_into.id, row.merged_into.number)) : null),
    el("td", { text: DeskText.category(row.category) }),
    el("td", { class: "muted", text: DeskText.when(row.created_at) }),
    el("td", { class: "muted", text: DeskText.when(row.updated_at) }))));
  $("no-tickets").hidden = file.tickets.length > 0;
  $("tickets-count").textContent = counted(file.tickets.length, file.counts.tickets);
}

function drawContacts() {
  $("contacts").querySelector("tbody").replaceChildren(...file.contacts.map((c) => el("tr", { "data-contact": String(c.id) },
    el("td", { text: DeskText.when(c.created_at) }),
    el("td", { text: [DeskText.code("channel", c.channel), c.from].filter(Boolean).join(" · ") }),
    el("td", { text: DeskText.code("direction", c.direction) || "—" }),
    el("td", { text: DeskText.code("contact", c.status) }),
    el("td", { text: c.queue ? DeskText.queue(c.queue) : t("ivr") }),
    el("td", { text: c.agent || "—" }),
    el("td", { class: "muted", text: DeskText.when(c.answered_at, "clock") || "—" }),
    el("td", { class: "muted", text: DeskText.when(c.ended_at, "clock") || "—" }),
    el("td", {}, c.ticket_id ? ticketLink(c.ticket_id, c.ticket) : "—"))));
  $("no-contacts").hidden = file.contacts.length > 0;
  $("contacts-count").textContent = counted(file.contacts.length, file.counts.contacts);
}

// ---- changes --------------------------------------------------------------------------------------

async function change(body, done) {
  const answer = await api("PATCH", `/api/customers/${CUSTOMER_ID}`, body);
  if (!answer) { draw(); return; } // refused (an agent's grade): the file as it is, beside the message
  show(answer);
  Desk.notice(t(done));
}

$("name").addEventListener("submit", (event) => {
  event.preventDefault();
  const name = event.target.elements.name.value.trim();
  if (name === (file.name || "")) { Desk.notice(t("nothing_changed")); return; }
  change({ name: name || null }, "name_saved");
});

$("grade").addEventListener("submit", (event) => {
  event.preventDefault();
  const chosen = event.target.elements.grade.value;
  if (chosen === file.grade) { Desk.notice(t("nothing_changed")); return; }
  change({ grade: chosen }, "grade_saved");
});

$("product").addEventListener("submit", async (event) => {
  event.preventDefault();
  const f = event.target.elements;
  const optional = (name) => f[name].value.trim() || null;
  const body = { product_model: f.product_model.value.trim(), serial_number: optional("serial_number"),
    purchase_date: optional("purchase_date"), note: optional("note") };
  if (!(await api("POST", `/api/customers/${CUSTOMER_ID}/products`, body))) return;
  event.target.reset();
  await load();
  Desk.notice(t("product_added"));
});

async function removeProduct(product) {
  if (!confirm(t("confirm_remove_product"))) return;
  if (!(await api("DELETE", `/api/customers/${CUSTOMER_ID}/products/${product.id}`))) return;
  await load();
  Desk.notice(t("product_removed"));
}

(async () => {
  if (!(await Desk.start("customer", draw))) return;
  await load();
})();
