// User administration (admins): the users, editing one in its row, creating one, and shifts.
// Calls /api/admin/users and /api/admin/shifts (contactcenter/users/api.yml).
"use strict";

let lang = localStorage.getItem("cc-lang") || (navigator.language.startsWith("zh") ? "zh" : "en");
const t = (key) => ADMIN_LABELS[lang][key] ?? key;
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
let users = [];

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

function say(id, text) {
  const box = document.getElementById(id);
  box.textContent = text || "";
  box.hidden = !text;
}

async function call(method, url, body) {
  say("error", "");
  const response = await fetch(url, {
    method, headers: { "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) { say("error", data.error || `HTTP ${response.status}`); return null; }
  return data;
}

const list = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);
function skills(text) {
  const out = {};
  for (const item of list(text)) { const [name, level] = item.split(":"); out[name.trim()] = Number(level || 1); }
  return out;
}
const skillsText = (s) => Object.entries(s).map(([k, v]) => `${k}:${v}`).join(", ");
const number = (text) => (text === "" ? null : Number(text));

function roleSelect(value) {
  const select = el("select", { name: "role" });
  for (const role of Object.keys(ADMIN_LABELS.en.roles)) {
    const option = el("option", { value: role, text: t("roles")[role] });
    if (role === value) option.selected = true;
    select.append(option);
  }
  return select;
}

function userRow(user) {
  const input = (name, value) => el("input", { name, value: value ?? "" });
  const fields = {
    display_name: input("display_name", user.display_name), role: roleSelect(user.role), team: input("team", user.team),
    queues: input("queues", user.queues.join(", ")), skills: input("skills", skillsText(user.skills)),
    chat_capacity: el("input", { name: "chat_capacity", type: "number", min: 0, max: 20, value: user.chat_capacity ?? "" }),
  };
  const status = user.active ? t("active") + (user.must_change_password ? ` (${t("must_change")})` : "") : t("disabled");
  const save = async () => {
    const changed = await call("PATCH", `/api/admin/users/${user.id}`, {
      display_name: fields.display_name.value, role: fields.role.value, team: fields.team.value || null,
      queues: list(fields.queues.value), skills: skills(fields.skills.value), chat_capacity: number(fields.chat_capacity.value),
    });
    if (changed) { say("notice", t("saved")); load(); }
  };
  const toggle = async () => {
    if (user.active && !confirm(t("confirm_disable"))) return;
    if (await call("PATCH", `/api/admin/users/${user.id}`, { active: !user.active })) {
      say("notice", t(user.active ? "disabled_done" : "enabled_done")); load();
    }
  };
  const reset = async () => {
    if (!confirm(t("confirm_reset"))) return;
    const done = await call("POST", `/api/admin/users/${user.id}/password-reset`, {});
    if (done) { say("notice", `${user.username}: ${t("reset_done")} ${done.password}`); load(); }
  };
  return el("tr", { class: user.active ? "" : "disabled" },
    el("td", { text: user.username }), el("td", {}, fields.display_name), el("td", {}, fields.role),
    el("td", {}, fields.team), el("td", {}, fields.queues), el("td", {}, fields.skills), el("td", {}, fields.chat_capacity),
    el("td", { text: status }),
    el("td", {}, el("button", { type: "button", onclick: save, text: t("save") }), " ",
      el("button", { type: "button", onclick: toggle, text: t(user.active ? "disable" : "enable") }), " ",
      el("button", { type: "button", onclick: reset, text: t("reset_password") })));
}

// ---- shifts: "mon-fri 09:00-18:00; sat 10:00-16:00" and "2026-10-01 off; 2026-10-08 10:00-16:00"
function parseDays(text) {
  const weekly = {};
  for (const part of text.split(";").map((s) => s.trim()).filter(Boolean)) {
    const [days, ...spans] = part.split(/\s+/);
    const [from, to] = days.split("-");
    const start = DAYS.indexOf(from), end = DAYS.indexOf(to || from);
    const hours = spans.filter((s) => s !== "off").map((s) => s.split("-"));
    for (let i = start; i >= 0 && i <= end; i++) weekly[DAYS[i]] = hours;
    if (start < 0) weekly[from] = hours;  // the server names the bad day
  }
  return weekly;
}
function parseDates(text) {
  const exceptions = {};
  for (const part of text.split(";").map((s) => s.trim()).filter(Boolean)) {
    const [day, ...spans] = part.split(/\s+/);
    exceptions[day] = spans.filter((s) => s !== "off").map((s) => s.split("-"));
  }
  return exceptions;
}
const hoursText = (hours) => (hours.length ? hours.map((h) => h.join("-")).join(" ") : t("off"));
const patternText = (pattern) => Object.entries(pattern).map(([day, hours]) => `${day} ${hoursText(hours)}`).join("; ") || t("none");

function shiftRow(shift) {
  const remove = async () => { if (await call("DELETE", `/api/admin/shifts/${shift.id}`)) { say("notice", t("shift_deleted")); loadShifts(); } };
  return el("tr", {}, el("td", { text: shift.team ? `${t("team")}: ${shift.team}` : `${t("username")}: ${shift.username}` }),
    el("td", { text: patternText(shift.weekly) }), el("td", { text: patternText(shift.exceptions) }),
    el("td", {}, el("button", { type: "button", onclick: remove, text: t("delete") })));
}

async function loadShifts() {
  const shifts = await call("GET", "/api/admin/shifts");
  if (shifts) document.querySelector("#shifts tbody").replaceChildren(...shifts.map(shiftRow));
}

async function load() {
  const found = await call("GET", "/api/admin/users");
  if (!found) return;
  users = found;
  document.querySelector("#users tbody").replaceChildren(...users.map(userRow));
}

function render() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = t("title");
  for (const node of document.querySelectorAll("[data-label]")) node.textContent = t(node.dataset.label);
  document.getElementById("lang").textContent = t("lang");
  document.querySelector("#create [name=role]").replaceWith(roleSelect("agent"));
  load();
  loadShifts();
}

document.getElementById("lang").addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  localStorage.setItem("cc-lang", lang);
  render();
});

document.getElementById("create").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const created = await call("POST", "/api/admin/users", {
    username: form.get("username"), display_name: form.get("display_name") || null, role: form.get("role"),
    team: form.get("team") || null, queues: list(form.get("queues")), skills: skills(form.get("skills")),
    chat_capacity: number(form.get("chat_capacity")), password: form.get("password"),
  });
  if (created) { event.target.reset(); say("notice", `${t("created")}: ${created.username}`); load(); }
});

document.getElementById("shift").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const user = users.find((u) => u.username === form.get("username"));
  const body = { weekly: parseDays(form.get("weekly")), exceptions: parseDates(form.get("exceptions")) };
  if (form.get("username")) body.user_id = user ? user.id : -1;
  else body.team = form.get("team");
  if (await call("PUT", "/api/admin/shifts", body)) { event.target.reset(); say("notice", t("shift_saved")); loadShifts(); }
});

render();
