// The SLA policies (managers): every category's targets with their minutes, calendar (business hours, or
// around the clock), warning share and whether they are on; a row edited in place is saved as a new
// version (PUT /api/sla-policies/{category}/{target}).
"use strict";

const { $, el, api } = Desk;
const t = (key) => DeskText.t(key);
let listing = { policies: [], calendars: [] };

function category(code) { return code === "*" ? t("every_category") : DeskText.category(code); }

function row(policy) {
  const minutes = el("input", { type: "number", name: "minutes", min: 1, max: 525600, value: policy.minutes, required: true });
  const calendar = el("select", { name: "calendar" },
    el("option", { value: "", text: DeskText.calendar(null), selected: !policy.calendar }),
    ...listing.calendars.map((name) => el("option", { value: name, text: DeskText.calendar(name), selected: name === policy.calendar })));
  const warn = el("input", { type: "number", name: "warn_percent", class: "warn", min: 1, max: 99, value: policy.warn_percent });
  const enabled = el("input", { type: "checkbox", name: "enabled", checked: policy.enabled });
  const shown = el("span", { class: "muted", text: DeskText.minutes(policy.minutes) });
  const tr = el("tr", { "data-policy": `${policy.category}/${policy.target}` });
  const save = el("button", { type: "button", class: "primary", text: t("save"), disabled: true, onclick: async () => {
    const body = { minutes: Number(minutes.value), calendar: calendar.value || null, warn_percent: Number(warn.value), enabled: enabled.checked };
    const saved = await api("PUT", `/api/sla-policies/${encodeURIComponent(policy.category)}/${encodeURIComponent(policy.target)}`, body);
    if (!saved) return;
    listing.policies = listing.policies.map((p) => (p.category === saved.category && p.target === saved.target ? saved : p));
    tr.replaceWith(row(saved));
    Desk.notice(`${category(saved.category)} · ${DeskText.target(saved.target)}: ${t("policy_saved")} ${saved.version}`);
  } });
  tr.addEventListener("input", () => {
    tr.classList.add("changed");
    save.disabled = false;
    if (Number(minutes.value) > 0) shown.textContent = DeskText.minutes(Number(minutes.value));
  });
  tr.append(
    el("td", { text: category(policy.category) }),
    el("td", { text: DeskText.target(policy.target) }),
    el("td", {}, minutes, " ", el("span", { class: "muted", text: t("minutes") }), el("div", {}, shown)),
    el("td", {}, calendar),
    el("td", {}, warn),
    el("td", {}, enabled),
    el("td", { class: "version", text: String(policy.version) }),
    el("td", {}, save));
  return tr;
}

function draw() {
  $("policies").querySelector("tbody").replaceChildren(...listing.policies.map(row));
}

(async () => {
  if (!(await Desk.start("policies", draw))) return;
  const answer = await api("GET", "/api/sla-policies");
  if (!answer) return;
  listing = answer;
  draw();
})();
