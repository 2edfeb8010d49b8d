// The QA work queue: the evaluator's items (GET /api/qa/work) with filters, claims (POST …/{id}/claim, or the
// pool's next with POST /api/qa/work/claim), each claimed item opening its evaluation (/qa/evaluations/{id});
// for QA leads, managers and admins: every evaluator's items, a skip with a reason, and coverage per agent
// (GET /api/qa/coverage). Times are the hotline's; codes are shown as words, in Chinese or English.
"use strict";

const WORDS = {
  zh: {
    title: "质检工作队列", recordings: "录音", logout: "退出", language: "English", mine: "我的待评估",
    claim_next: "从待领取池领取一条", queue: "队列", channel: "渠道", agent: "坐席", due: "截止", status: "状态",
    any: "全部", channel_voice: "电话", channel_chat: "在线会话", due_overdue: "已逾期", due_today: "今天到期",
    due_week: "7 天内到期", status_active: "待处理(未开始、进行中)", status_open: "未开始", status_claimed: "进行中",
    status_done: "已完成", status_skipped: "已跳过", everyone: "所有评估员", apply: "筛选", reset: "重置",
    contact: "联系", ended: "结束时间", policy: "抽样策略", evaluator: "评估员", actions: "操作",
    no_items: "没有符合条件的待评估联系。", pool: "待领取池", pool_hint: "未分配给任何人的抽样联系,先到先得。",
    no_pool: "待领取池是空的。", open: "开始评估", continue: "继续评估", claim: "领取", skip: "跳过",
    skip_reason: "跳过原因(必填):", claimed_now: "已领取,正在打开评估……", skipped_now: "已跳过",
    coverage: "坐席覆盖率", handled: "处理量", sampled: "已抽样", evaluated: "已评估", average: "平均分",
    target: "目标", met: "达标", yes: "已达标", no: "未达标", none: "—", target_of: "目标依据:",
    kind_complaints: "投诉", kind_flagged_agents: "被标记坐席", kind_random_per_agent: "每坐席随机",
    kind_percentage: "按比例(含最少条数)", no_policy: "没有按坐席设定目标的策略",
  },
  en: {
    title: "QA work queue", recordings: "Recordings", logout: "Log out", language: "中文", mine: "My queue",
    claim_next: "Claim one from the pool", queue: "Queue", channel: "Channel", agent: "Agent", due: "Due",
    status: "Status", any: "Any", channel_voice: "Call", channel_chat: "Chat", due_overdue: "Overdue",
    due_today: "Due today", due_week: "Due within 7 days", status_active: "To do (not started, in progress)",
    status_open: "Not started", status_claimed: "In progress", status_done: "Done", status_skipped: "Skipped",
    everyone: "Every evaluator", apply: "Apply", reset: "Reset", contact: "Contact", ended: "Ended",
    policy: "Sampling policy", evaluator: "Evaluator", actions: "Actions",
    no_items: "Nothing to evaluate with these filters.", pool: "Pool",
    pool_hint: "Sampled contacts not given to anyone: first come, first served.", no_pool: "The pool is empty.",
    open: "Start evaluating", continue: "Continue", claim: "Claim", skip: "Skip",
    skip_reason: "Why is it skipped? (required)", claimed_now: "Claimed; opening its evaluation…",
    skipped_now: "Skipped", coverage: "Coverage per agent", handled: "Handled", sampled: "Sampled",
    evaluated: "Evaluated", average: "Average score", target: "Target", met: "Met", yes: "Met", no: "Not met",
    none: "—", target_of: "Target from:", kind_complaints: "Complaints", kind_flagged_agents: "Flagged agents",
    kind_random_per_agent: "Random per agent", kind_percentage: "Percentage (with a minimum)",
    no_policy: "No policy sets a target per agent",
  },
};
const $ = (id) => document.getElementById(id);
let lang = (localStorage.getItem("desk-lang") || navigator.language || "zh").startsWith("en") ? "en" : "zh";
const t = (key) => WORDS[lang][key] || key;
const state = { viewer: null, items: [], pool: [], coverage: null, zone: "Asia/Shanghai" };

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function say(id, text) { $(id).textContent = text || ""; $(id).hidden = !text; }

async function api(method, url, body) {
  let response;
  try {
    response = await fetch(url, { method, headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined });
  } catch (problem) { say("error", String(problem)); return null; }
  if (response.status === 401) { location.href = `/login?next=${encodeURIComponent(location.pathname)}`; return null; }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) { say("error", data.error || `HTTP ${response.status}`); return null; }
  say("error", "");
  return data;
}

function when(iso, dateOnly) {
  if (!iso) return t("none");
  const options = dateOnly ? { year: "numeric", month: "2-digit", day: "2-digit" }
    : { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false };
  return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "zh-CN", { timeZone: state.zone, ...options }).format(new Date(iso));
}
const day = (iso) => new Intl.DateTimeFormat("en-CA", { timeZone: state.zone }).format(new Date(iso));  // YYYY-MM-DD
const lead = () => Boolean(state.viewer && state.viewer.lead);
const policyName = (policy) => {
  const both = /^(.*?[\u3400-\u9fff].*?)\s+([A-Za-z].*)$/.exec(policy.name || "");  // "投诉 Complaints"
  return both ? both[lang === "en" ? 2 : 1] : policy.name || t(`kind_${policy.kind}`);
};

async function claim(item) {
  const done = await api("POST", `/api/qa/work/${item.id}/claim`);
  if (done) { say("notice", t("claimed_now")); location.href = done.evaluation_url; }
}

async function skip(item) {
  const reason = (prompt(t("skip_reason")) || "").trim();
  if (!reason) return;
  if (await api("POST", `/api/qa/work/${item.id}/skip`, { reason })) { say("notice", t("skipped_now")); load(); }
}

function actions(item, pooled) {
  const cell = el("td", { class: "actions" });
  if (item.evaluation_id && ["claimed", "done"].includes(item.status) && item.evaluator_id === state.viewer.id) {
    cell.append(el("a", { href: `/qa/evaluations/${item.evaluation_id}`, text: t(item.status === "done" ? "open" : "continue") }));
  } else if (item.status === "open" && (pooled || item.evaluator_id === state.viewer.id)) {
    cell.append(el("button", { type: "button", class: "primary claim", text: t(pooled ? "claim" : "open"), onclick: () => claim(item) }));
  } else if (item.evaluation_id) {
    cell.append(el("a", { href: `/qa/evaluations/${item.evaluation_id}`, text: `#${item.evaluation_id}` }));
  }
  if (lead() && ["open", "claimed"].includes(item.status)) {
    cell.append(el("button", { type: "button", class: "skip", text: t("skip"), onclick: () => skip(item) }));
  }
  return cell;
}

function row(item, pooled) {
  return el("tr", { "data-item": item.id, class: item.overdue ? "overdue" : "" },
    el("td", { text: `#${item.contact_id}` }),
    el("td", { text: item.agent_name || `#${item.agent_id}` }),
    el("td", { text: item.queue || t("none") }),
    el("td", { text: t(`channel_${item.channel}`) }),
    el("td", { text: when(item.contact_ended_at) }),
    el("td", { class: "due", text: when(item.due_at) }),
    pooled ? null : el("td", {}, el("span", { class: `pill ${item.status}`, text: t(`status_${item.status}`) })),
    el("td", { text: policyName(item.policy) }),
    pooled || !lead() ? null : el("td", { text: item.evaluator_name || t("none") }),
    actions(item, pooled));
}

function fillAgents() {
  const select = $("filters").elements.agent_id;
  const chosen = select.value;
  const agents = new Map([...state.items, ...state.pool].map((item) => [item.agent_id, item.agent_name]));
  select.replaceChildren(el("option", { value: "", text: t("any") }),
    ...[...agents].map(([id, name]) => el("option", { value: String(id), text: name || `#${id}` })));
  select.value = agents.has(Number(chosen)) ? chosen : "";
}

function draw() {
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  $("lang").textContent = t("language");
  if (state.viewer) QANav.fill($("nav"), state.viewer.role, lang, "/qa/work");
  for (const node of document.querySelectorAll(".lead-only")) node.hidden = !lead();
  $("items").querySelector("tbody").replaceChildren(...state.items.map((item) => row(item, false)));
  $("items-empty").hidden = state.items.length > 0;
  $("pool").querySelector("tbody").replaceChildren(...state.pool.map((item) => row(item, true)));
  $("pool-empty").hidden = state.pool.length > 0;
  drawCoverage();
}

function drawCoverage() {
  const c = state.coverage;
  if (!c) return;
  $("cov-policy").textContent = c.policy ? `${t("target_of")} ${policyName(c.policy)}` : t("no_policy");
  $("coverage").querySelector("tbody").replaceChildren(...c.agents.map((a) => el("tr", { "data-agent": a.agent_id },
    el("td", { text: a.agent_name || `#${a.agent_id}` }), el("td", { text: String(a.handled) }),
    el("td", { text: String(a.sampled) }), el("td", { text: String(a.evaluated) }),
    el("td", { text: a.average_score === null ? t("none") : String(a.average_score) }),
    el("td", { text: String(a.target) }),
    el("td", {}, el("span", { class: `pill ${a.met ? "met" : "missed"}`, text: t(a.met ? "yes" : "no") })))));
}

function query() {
  const form = $("filters").elements;
  const params = new URLSearchParams();
  for (const name of ["queue", "channel", "agent_id", "due", "status"]) if (form[name].value) params.set(name, form[name].value.trim());
  if (lead() && form.everyone.checked) params.set("everyone", "true");
  return params;
}

async function load() {
  const found = await api("GET", `/api/qa/work?${query()}`);
  if (!found) return;
  Object.assign(state, { viewer: found.viewer, items: found.items, pool: found.pool, zone: found.viewer.timezone });
  $("me").textContent = found.viewer.display_name;
  fillAgents();
  draw();
  if (lead() && !state.coverage) loadCoverage();
}

async function loadCoverage() {
  const params = new URLSearchParams();
  if ($("cov-from").value) params.set("from", $("cov-from").value);
  if ($("cov-to").value) params.set("to", $("cov-to").value);
  const found = await api("GET", `/api/qa/coverage?${params}`);
  if (!found) return;
  state.coverage = found;
  if (!$("cov-from").value) {  // the period the server chose (the policy's last whole one), in local dates
    $("cov-from").value = day(found.from);
    $("cov-to").value = day(new Date(new Date(found.to).getTime() - 1000).toISOString());
  }
  drawCoverage();
}

$("filters").addEventListener("submit", (event) => { event.preventDefault(); load(); });
$("filters").addEventListener("reset", () => setTimeout(load, 0));
$("claim-next").addEventListener("click", async () => {
  const form = $("filters").elements;
  const body = {};
  for (const name of ["queue", "channel", "due"]) if (form[name].value) body[name] = form[name].value.trim();
  if (form.agent_id.value) body.agent_id = Number(form.agent_id.value);
  const done = await api("POST", "/api/qa/work/claim", body);
  if (done) { say("notice", t("claimed_now")); location.href = done.evaluation_url; }
});
$("cov-load").addEventListener("click", loadCoverage);
$("lang").addEventListener("click", () => { lang = lang === "en" ? "zh" : "en"; localStorage.setItem("desk-lang", lang); fillAgents(); draw(); });
load();
