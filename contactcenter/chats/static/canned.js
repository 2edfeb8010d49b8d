// Supervisors keep the agents' canned replies: add, edit in place, switch off, delete.
// Every change is one call to /api/canned-replies; the server checks and audits it.
"use strict";

const $ = (id) => document.getElementById(id);
let queues = [];

function el(tag, text) { const node = document.createElement(tag); if (text != null) node.textContent = String(text); return node; }

async function call(method, url, body) {
  $("error").hidden = true;
  const response = await fetch(url, { method, headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401) { location.href = "/login?next=/canned-replies"; return null; }
  const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) { $("error").textContent = data.error || `Request failed (${response.status})`; $("error").hidden = false; return null; }
  return data;
}

function queueSelect(value) {
  const select = el("select");
  for (const [name, label] of [["", "全部 Every queue"], ...queues.map((q) => [q, q])]) {
    const option = el("option", label);
    option.value = name;
    option.selected = (value || "") === name;
    select.append(option);
  }
  return select;
}

function row(reply) {
  const tr = el("tr");
  tr.dataset.title = reply.title;
  const position = el("input"); position.type = "number"; position.value = reply.position; position.size = 4;
  const title = el("input"); title.value = reply.title; title.maxLength = 128;
  const body = el("textarea"); body.value = reply.body; body.rows = 2; body.maxLength = 2000;
  const language = el("select");
  for (const code of ["zh-CN", "en"]) { const o = el("option", code); o.value = code; o.selected = reply.language === code; language.append(o); }
  const queue = queueSelect(reply.queue);
  const active = el("input"); active.type = "checkbox"; active.checked = reply.active;
  const save = el("button", "保存 Save"); save.className = "primary";
  save.addEventListener("click", async () => {
    const changed = await call("PUT", `/api/canned-replies/${reply.id}`, {
      title: title.value, body: body.value, language: language.value, queue: queue.value || null,
      active: active.checked, position: Number(position.value || 0),
    });
    if (changed) load();
  });
  const remove = el("button", "删除 Delete"); remove.className = "danger";
  remove.addEventListener("click", async () => {
    if (confirm(`删除 Delete "${reply.title}"?`) && await call("DELETE", `/api/canned-replies/${reply.id}`) !== null) load();
  });
  for (const cell of [position, title, body, language, queue, active]) { const td = el("td"); td.append(cell); tr.append(td); }
  const actions = el("td"); actions.append(save, " ", remove); tr.append(actions);
  return tr;
}

async function load() {
  const data = await call("GET", "/api/canned-replies?all=1");
  if (data) $("replies").replaceChildren(...data.canned_replies.map(row));
}

$("add").addEventListener("submit", async (event) => {
  event.preventDefault();
  const f = event.target.elements;
  const added = await call("POST", "/api/canned-replies", {
    title: f.title.value, body: f.body.value, language: f.language.value, queue: f.queue.value || null,
    position: Number(f.position.value || 0),
  });
  if (added) { event.target.reset(); load(); }
});

(async () => {
  const me = await call("GET", "/api/me");
  if (!me) return;
  queues = me.queues || [];
  const select = document.querySelector("#add select.queues");
  select.replaceWith(Object.assign(queueSelect(""), { name: "queue", className: "queues" }));
  load();
})();
