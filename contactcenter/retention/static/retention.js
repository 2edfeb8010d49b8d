// The retention page (managers, admins): the policies and what waits to go, what will go when, the legal holds
// (placed and released here), and the deletion receipts with a check of their chain. Times in the hotline's zone.
"use strict";

const { $, el, api } = Desk;
const t = (key) => DeskText.t(key);
const fill = (key, values) => t(key).replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
let data = null;
let holdList = [];
let receiptList = [];
let older = null;

function classLabel(name) {
  const policy = (data ? data.policies : []).find((p) => p.name === name);
  return policy ? policy.label[DeskText.lang === "en" ? 1 : 0] : DeskText.code("ret_class", name);
}
const objectType = (code) => DeskText.code("ret_type", code);
const scopeLabel = (hold) => hold.scope_label[DeskText.lang === "en" ? 1 : 0];
function kept(days) {
  const words = fill("ret_days", { days });
  return days >= 365 ? `${words} (${fill("ret_years", { years: Math.round((days / 365) * 10) / 10 })})` : words;
}
function dates(hold) {
  if (!hold.date_from && !hold.date_to) return t("ret_all_dates");
  return `${DeskText.when(hold.date_from, "date") || "…"} – ${DeskText.when(hold.date_to, "date") || "…"}`;
}
function size(bytes) {
  if (bytes >= 1048576) return `${(bytes / 1048576).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} B`;
}

function drawPolicies() {
  $("policies-hint").textContent = fill("ret_policies_hint", { grace: data.grace_days, hour: data.run_hour });
  $("policies").querySelector("tbody").replaceChildren(...data.policies.map((p) => el("tr", { "data-class": p.name },
    el("td", { text: classLabel(p.name) }),
    el("td", { text: kept(p.days) }),
    el("td", { class: "number", text: p.registered ? String(p.marked) : t("ret_not_registered") }),
    el("td", { class: "due", text: DeskText.when(p.next_due) || t("ret_none") }),
    el("td", { class: "number", text: String(p.destroyed) }))));
  const run = data.last_run;
  if (!run || !run.classes) { $("last-run").textContent = t("ret_never_run"); return; }
  const sum = (name) => Object.values(run.classes).reduce((total, c) => total + (c[name] || 0), 0);
  $("last-run").textContent = `${t("ret_last_run")} ${DeskText.when(run.at)} · ${fill("ret_run_figures",
    { marked: sum("marked"), held: sum("held"), destroyed: sum("destroyed"), saved: sum("saved") })}`;
}

function drawUpcoming() {
  const cases = Object.fromEntries(holdList.map((h) => [h.id, h.case_number]));
  $("upcoming").querySelector("tbody").replaceChildren(...data.upcoming.map((m) => el("tr", {},
    el("td", { text: classLabel(m.data_class) }),
    el("td", { text: `#${m.object_id}` }),
    el("td", { class: "due", text: DeskText.when(m.object_at) }),
    el("td", { class: "due", text: DeskText.when(m.due_at) }),
    el("td", {}, m.held_by.length
      ? el("span", { class: "pill held", text: fill("ret_kept_by", { cases: m.held_by.map((id) => cases[id] || `#${id}`).join(", ") }) })
      : el("span", { class: "pill doomed", text: t("ret_will_go") })))));
  $("upcoming-empty").hidden = data.upcoming.length > 0;
}

function drawHolds() {
  $("holds").querySelector("tbody").replaceChildren(...holdList.map((h) => {
    const release = h.released_at ? null : el("button", { type: "button", class: "danger", text: t("ret_release"), onclick: async () => {
      const reason = window.prompt(t("ret_release_reason"));
      if (!reason) return;
      if (await api("POST", `/api/retention/holds/${h.id}/release`, { reason })) { Desk.notice(t("ret_hold_released")); load(); }
    } });
    return el("tr", { "data-hold": h.id },
      el("td", { text: h.case_number }),
      el("td", { text: h.subject_id ? `${scopeLabel(h)} #${h.subject_id}` : scopeLabel(h) }),
      el("td", { text: dates(h) }),
      el("td", { text: h.reason }),
      el("td", { text: `${DeskText.when(h.placed_at)} ${t("ret_by")} ${h.placed_by}` }),
      el("td", {}, el("span", { class: h.released_at ? "pill released" : "pill held",
        text: h.released_at ? `${t("ret_released")} ${DeskText.when(h.released_at)} · ${h.release_reason || ""}` : t("ret_in_force") })),
      el("td", {}, release));
  }));
  $("holds-empty").hidden = holdList.length > 0;
}

function drawReceipts() {
  $("receipts").querySelector("tbody").replaceChildren(...receiptList.map((r) => el("tr", {},
    el("td", { class: "number", text: String(r.seq) }),
    el("td", { text: `${objectType(r.object_type)} #${r.object_id}` }),
    el("td", { class: "mono", title: r.checksum, text: r.checksum ? `${r.checksum.slice(0, 16)}…` : t("ret_none") }),
    el("td", { class: "number", text: size(r.size_bytes) }),
    el("td", { text: `${classLabel(r.data_class)} · ${kept(Number(r.policy.split(" ")[1]) || 0)}` }),
    el("td", { class: "mono", text: r.key_id || t("ret_none") }),
    el("td", { class: "due", text: DeskText.when(r.destroyed_at) }))));
  $("receipts-empty").hidden = receiptList.length > 0;
  $("receipts-more").hidden = older === null;
}

function draw() {
  if (!data) return;
  drawPolicies(); drawUpcoming(); drawHolds(); drawReceipts();
}

async function loadHolds() {
  const answer = await api("GET", `/api/retention/holds${$("show-released").checked ? "?released=1" : ""}`);
  if (answer) holdList = answer.holds;
}

async function load() {
  const answer = await api("GET", "/api/retention");
  if (!answer) return;
  data = answer;
  DeskText.timezone = answer.timezone;
  receiptList = answer.receipts;
  older = receiptList.length === 50 && receiptList[49].seq > 1 ? receiptList[49].seq : null;
  holdList = answer.holds;
  if ($("show-released").checked) await loadHolds();
  draw();
}

$("show-released").addEventListener("change", async () => { await loadHolds(); draw(); });
$("hold-form").querySelector("[name=scope]").addEventListener("change", (event) => {
  $("subject-field").hidden = event.target.value === "dates";
});
$("hold-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = { case_number: form.get("case_number"), reason: form.get("reason"), scope: form.get("scope") };
  if (body.scope !== "dates" && form.get("subject_id")) body.subject_id = Number(form.get("subject_id"));
  if (form.get("date_from")) body.date_from = form.get("date_from");
  if (form.get("date_to")) body.date_to = form.get("date_to");
  if (await api("POST", "/api/retention/holds", body)) { event.target.reset(); Desk.notice(t("ret_hold_placed")); load(); }
});
$("verify").addEventListener("click", async () => {
  const verdict = await api("GET", "/api/retention/receipts/verify");
  if (!verdict) return;
  $("verdict").className = `verdict ${verdict.intact ? "intact" : "broken"}`;
  $("verdict").textContent = verdict.intact ? fill("ret_intact", { count: verdict.count })
    : fill("ret_broken", { seq: verdict.broken, problem: verdict.problem });
});
$("receipts-more").addEventListener("click", async () => {
  const page = await api("GET", `/api/retention/receipts?before=${older}`);
  if (!page) return;
  receiptList = receiptList.concat(page.receipts);
  older = page.older;
  drawReceipts();
});

(async () => {
  if (!(await Desk.start("retention", draw))) return;
  await load();
})();
