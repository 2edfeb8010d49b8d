// The desk: the ticket list of a view (GET /api/tickets), narrowed by filters, newest activity first, a
// page at a time ("more" asks for `next`); saved views (POST, DELETE /api/desk/views); the tabs. The
// filters live in the address too, so a reload or a shared link shows the same list.
"use strict";

const DeskList = (() => {
  const { $, el, api } = Desk;
  const t = (key) => DeskText.t(key);
  const FIELDS = ["q", "status", "category", "assignee_id", "queue", "due", "created_from", "created_to", "updated_from", "updated_to"];
  let options = { views: [], saved_views: [] };
  let view = "mine";
  let rows = [];
  let next = null;
  let asked = 0; // the newest list asked for: an older answer arriving late is not shown

  function fill(select, choices, selected) {
    select.replaceChildren(...choices.map(([value, text]) => el("option", { value, text, selected: String(value) === String(selected ?? "") })));
  }

  function fillFilters() {
    const form = $("filters");
    const keep = Object.fromEntries(FIELDS.map((name) => [name, form.elements[name].value]));
    fill(form.elements.status, [["", t("any_open")], ...Object.keys(DeskText.statuses).map((s) => [s, DeskText.status(s)])], keep.status);
    fill(form.elements.category, [["", t("any")], ...Object.keys(DeskText.categories).map((c) => [c, DeskText.category(c)])], keep.category);
    fill(form.elements.assignee_id, [["", t("any")], ...Object.entries(DeskText.people).map(([id, name]) => [id, name])], keep.assignee_id);
    fill(form.elements.queue, [["", t("any")], ...Object.keys(DeskText.queues).map((q) => [q, DeskText.queue(q)])], keep.queue);
    fill(form.elements.due, [["", t("any")], ["breaching_soon", t("due_breaching_soon")], ["breached", t("due_breached")]], keep.due);
    $("views").replaceChildren(...options.views.map((name) => el("button", {
      type: "button", text: t(`view_${name}`), class: name === view ? "active" : "", "data-view": name,
      onclick: () => { view = name; drawViews(); load(); },
    })));
    fillSaved();
  }

  function drawViews() {
    for (const button of $("views").children) button.classList.toggle("active", button.dataset.view === view);
  }

  function fillSaved(selected) {
    const keep = selected ?? $("saved").value;
    fill($("saved"), [["", t("choose_view")], ...options.saved_views.map((v) => [v.id, v.name])], keep);
    $("saved-delete").disabled = !$("saved").value;
  }

  // What the list asks for now: the view and every filter set (dates as the hotline's days; "to" is inclusive).
  function filters() {
    const form = $("filters");
    const out = { view };
    for (const name of FIELDS) {
      const value = form.elements[name].value.trim();
      if (value) out[name] = value;
    }
    return out;
  }

  function query(wanted) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(wanted)) {
      if (name.endsWith("_to")) {
        const day = new Date(`${value}T00:00:00Z`);
        day.setUTCDate(day.getUTCDate() + 1); // the server's "to" is exclusive: up to the end of that day
        params.set(name, day.toISOString().slice(0, 10));
      } else params.set(name, value);
    }
    return params;
  }

  function setFilters(wanted) {
    const form = $("filters");
    if (wanted.view && options.views.includes(wanted.view)) view = wanted.view;
    for (const name of FIELDS) form.elements[name].value = wanted[name] || "";
    drawViews();
  }

  async function load(more) {
    const wanted = filters();
    const params = query(wanted);
    if (more && next) params.set("after", next);
    const ticket = ++asked;
    if (!more) history.replaceState(null, "", `/desk?${new URLSearchParams(wanted)}${location.hash}`);
    const page = await api("GET", `/api/tickets?${params}`);
    if (!page || ticket !== asked) return;
    rows = more ? [...rows, ...page.tickets] : page.tickets;
    next = page.next;
    draw();
  }

  function dueCell(due) {
    if (!due) return el("td", { class: "due muted", text: "—" });
    const cell = el("td", { class: "due", "data-due": due.due_at || "", "data-breached": due.overdue || due.state === "breached" ? "1" : "" });
    cell.append(el("div", { class: "due-left" }), el("div", { class: "muted", text: `${DeskText.target(due.target)} · ${DeskText.when(due.due_at)}` }));
    tickDue(cell);
    return cell;
  }

  // A counting clock's time left, or how far past due it is (red), from its due time and ours.
  function tickDue(cell) {
    if (!cell.dataset.due) return;
    const left = (new Date(cell.dataset.due).getTime() - Date.now()) / 1000;
    const breached = left < 0 || cell.dataset.breached === "1";
    cell.classList.toggle("breached", breached);
    cell.classList.toggle("soon", !breached && left < 3600);
    cell.querySelector(".due-left").textContent = breached ? `${t("over_by")} ${DeskText.span(left)}` : `${t("left")} ${DeskText.span(left)}`;
  }

  function draw() {
    $("tickets").querySelector("tbody").replaceChildren(...rows.map((row) => {
      const href = `/desk/tickets/${row.id}`;
      return el("tr", { "data-ticket": String(row.id) },
        el("td", {}, el("a", { href, text: row.number })),
        el("td", {}, el("a", { href, text: row.subject })),
        el("td", { text: row.customer || "—" }),
        el("td", {}, el("span", { class: `pill ${row.status}`, text: DeskText.status(row.status) })),
        el("td", { text: DeskText.category(row.category) }),
        el("td", { text: row.assignee || (row.assignee_id ? DeskText.person(row.assignee_id) : t("nobody")) }),
        dueCell(row.next_due),
        el("td", { class: "muted", text: DeskText.when(row.updated_at) }));
    }));
    $("empty").hidden = rows.length > 0;
    $("more").hidden = !next;
  }

  async function saveView() {
    const name = $("saved-name").value.trim();
    if (!name) { $("saved-name").focus(); return; }
    const saved = await api("POST", "/api/desk/views", { name, filters: filters() });
    if (!saved) return;
    options.saved_views = [...options.saved_views.filter((v) => v.id !== saved.id), saved].sort((a, b) => a.name.localeCompare(b.name));
    $("saved-name").value = "";
    fillSaved(saved.id);
    Desk.notice(`${t("view_saved")}: ${saved.name}`);
  }

  async function deleteView() {
    const id = Number($("saved").value);
    if (!id || !confirm(t("confirm_delete_view"))) return;
    if (!(await api("DELETE", `/api/desk/views/${id}`))) return;
    options.saved_views = options.saved_views.filter((v) => v.id !== id);
    fillSaved("");
    Desk.notice(t("view_deleted"));
  }

  function pickView() {
    const chosen = options.saved_views.find((v) => String(v.id) === $("saved").value);
    $("saved-delete").disabled = !chosen;
    if (!chosen) return;
    setFilters({ view: "mine", ...chosen.filters });
    load();
  }

  function begin(desk) {
    options = desk;
    const fromAddress = Object.fromEntries(new URLSearchParams(location.search));
    view = options.views.includes(fromAddress.view) ? fromAddress.view : options.views.includes("team") ? "team" : options.views[0] || "mine";
    fillFilters();
    setFilters({ ...fromAddress, view });
    $("filters").addEventListener("submit", (event) => { event.preventDefault(); load(); });
    $("reset").addEventListener("click", () => { setFilters({ view }); load(); });
    $("filters").addEventListener("change", (event) => { if (event.target.tagName === "SELECT") load(); });
    $("more").addEventListener("click", () => load(true));
    $("saved").addEventListener("change", pickView);
    $("saved-save").addEventListener("click", saveView);
    $("saved-delete").addEventListener("click", deleteView);
    setInterval(() => document.querySelectorAll("#tickets td.due[data-due]").forEach(tickDue), 1000);
    load();
  }

  function redraw() { fillFilters(); draw(); }

  return { begin, redraw };
})();

// ---- tabs ------------------------------------------------------------------------------------

function showTab(name) {
  for (const button of document.querySelectorAll(".tabs button")) button.classList.toggle("active", button.dataset.tab === name);
  for (const tab of ["tickets", "callbacks", "voicemails"]) Desk.$(`tab-${tab}`).hidden = tab !== name;
  if (location.hash !== `#${name}`) history.replaceState(null, "", name === "tickets" ? location.pathname + location.search : `#${name}`);
  if (name === "callbacks") DeskWork.callbacks();
  if (name === "voicemails") DeskWork.voicemails();
}

document.querySelectorAll(".tabs button").forEach((button) => button.addEventListener("click", () => showTab(button.dataset.tab)));

(async () => {
  const options = await Desk.start("desk", () => { DeskList.redraw(); DeskWork.redraw(); });
  if (!options) return;
  DeskList.begin(options);
  DeskWork.begin();
  const tab = location.hash.slice(1);
  if (["callbacks", "voicemails"].includes(tab)) showTab(tab);
})();
