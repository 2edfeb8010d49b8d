// The desk's notifications on the console and the wallboard: a button with the count of unread ones and
// their list. The unread ones are read whenever the page's socket (re)starts (GET
// /api/notifications?unread=1: the page calls load); new ones come live on that socket
// (`ticket.notification`); each is marked read with POST /api/notifications/{id}/read.
"use strict";

const Notices = (() => {
  const WORDS = {
    zh: {
      title: "通知", none: "没有未读通知", read: "已读", open: "打开工单", ticket: "工单",
      evaluation: "质检评估", open_evaluation: "打开评估", evaluation_submitted: "已提交,得分 {score}",
      evaluation_disputed: "有新申诉待您处理", dispute_decided: "您的申诉已处理,当前得分 {score}",
      escalated: "已升级至{level}", top: "在最高级别仍超时", skipped: "紧急升级至{level},跳过了{skipped}",
      warning: "{target}时限即将到期", due: "到期", other: "有新通知", nobody: "该级别无人,已告知上一级",
      by_hand: "手动", emergency: "紧急", breached: "{target}超时",
      levels: ["处理人", "组长", "经理"],
      targets: { respond: "响应", dispatch: "派单", reply: "答复", resolve: "解决", review: "审核", pickup: "取件",
        result: "处理结果", return_visit: "回访", escalation: "升级处理" },
    },
    en: {
      title: "Notifications", none: "No unread notifications", read: "Mark read", open: "Open ticket", ticket: "Ticket",
      evaluation: "Evaluation", open_evaluation: "Open evaluation", evaluation_submitted: "submitted: score {score}",
      evaluation_disputed: "disputed: yours to decide", dispute_decided: "your dispute was decided: score now {score}",
      escalated: "escalated to {level}", top: "still breached at the top level", skipped: "escalated to {level} in an emergency, skipping {skipped}",
      warning: "{target} due soon", due: "due", other: "has news", nobody: "nobody at that level, the level above was told",
      by_hand: "by hand", emergency: "emergency", breached: "{target} breached",
      levels: ["Assignee", "Team lead", "Manager"],
      targets: { respond: "First response", dispatch: "Dispatch", reply: "Reply", resolve: "Resolution", review: "Review",
        pickup: "Pickup", result: "Result", return_visit: "Return visit", escalation: "Escalation" },
    },
  };
  let language = () => "zh";
  let zone = () => "Asia/Shanghai";
  let items = []; // unread, newest first
  let root = null;
  let open = false;

  const w = () => WORDS[language() === "en" ? "en" : "zh"];
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => values[key] ?? "");
  const target = (name) => { const base = String(name || "").split(":")[0]; return w().targets[base] || base.replace(/_/g, " "); };
  const level = (n) => w().levels[n] ?? String(n);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function when(iso) {
    const at = iso ? new Date(iso) : null;
    if (!at || Number.isNaN(at.getTime())) return "";
    try {
      return new Intl.DateTimeFormat("en-CA", { timeZone: zone(), month: "2-digit", day: "2-digit", hour: "2-digit",
        minute: "2-digit", hourCycle: "h23" }).format(at).replace(",", "");
    } catch (error) { return at.toISOString().slice(5, 16).replace("T", " "); }
  }

  const EVALUATION_KINDS = ["evaluation_submitted", "evaluation_disputed", "dispute_decided"];

  // What happened, in words: "工单 T-000012 已升级至组长(响应超时)"; "质检评估 #7 已提交,得分 92.5".
  function say(n) {
    const d = n.data || {};
    const words = w();
    if (EVALUATION_KINDS.includes(n.kind)) {
      return `${words.evaluation} #${d.evaluation_id} ${fill(words[n.kind], { score: d.score ?? "—" })}`;
    }
    const reason = d.why === "by_hand" || d.why === "emergency" ? words[d.why] : d.why ? fill(words.breached, { target: target(d.why) }) : "";
    let what;
    if (n.kind === "escalated") what = d.level === undefined ? words.top : fill(words.escalated, { level: level(d.level) });
    else if (n.kind === "level_skipped") what = fill(words.skipped, { level: level(d.level), skipped: level(d.skipped_level) });
    else if (n.kind === "clock_warning") what = fill(words.warning, { target: target(d.target) });
    else what = words.other;
    const extra = [n.kind === "escalated" ? reason : "", n.kind === "level_skipped" ? d.reason : "",
      n.kind === "clock_warning" && d.due_at ? `${words.due} ${when(d.due_at)}` : "", d.nobody_at_level ? words.nobody : ""].filter(Boolean);
    return `${words.ticket} ${d.ticket || `#${n.ticket_id}`} ${what}${extra.length ? (language() === "en" ? ` (${extra.join("; ")})` : `(${extra.join(";")})`) : ""}`;
  }

  async function markRead(id) {
    const response = await fetch(`/api/notifications/${id}/read`, { method: "POST" }).catch(() => null);
    if (response && (response.ok || response.status === 404)) { items = items.filter((n) => n.id !== id); render(); }
  }

  function render() {
    if (!root) return;
    const words = w();
    const bell = root.querySelector(".notices-bell");
    bell.replaceChildren(`${words.title} `, el("span", `notices-count${items.length ? "" : " zero"}`, String(items.length)));
    bell.setAttribute("aria-expanded", String(open));
    const panel = root.querySelector(".notices-panel");
    panel.hidden = !open;
    panel.replaceChildren(...(items.length ? items.map((n) => {
      const item = el("li", "notice-item");
      item.dataset.notification = String(n.id);
      item.append(el("div", "notice-text", say(n)));
      if (n.data && n.data.subject) item.append(el("div", "notice-subject", n.data.subject));
      const actions = el("div", "notice-actions");
      actions.append(el("time", "", when(n.created_at)));
      if (n.ticket_id) {
        const link = el("a", "", words.open);
        link.href = `/desk/tickets/${n.ticket_id}`;
        actions.append(link);
      } else if (n.data && n.data.evaluation_id) {
        const link = el("a", "", words.open_evaluation);
        link.href = `/qa/evaluations/${n.data.evaluation_id}`;
        actions.append(link);
      }
      const read = el("button", "notice-read", words.read);
      read.type = "button";
      read.addEventListener("click", () => markRead(n.id));
      actions.append(read);
      item.append(actions);
      return item;
    }) : [el("li", "notice-none", words.none)]));
  }

  let arriving = null; // pushed while a load is on its way: kept beside what it brings

  function push(notification) {
    if (!notification || notification.read || items.some((n) => n.id === notification.id)) return;
    items = [notification, ...items];
    if (arriving) arriving.push(notification);
    render();
  }

  // The unread ones as the server has them (read elsewhere: gone; missed while the socket was away: here).
  async function load() {
    arriving = [];
    const response = await fetch("/api/notifications?unread=1").catch(() => null);
    const data = response && response.ok ? await response.json().catch(() => null) : null;
    const live = arriving;
    arriving = null;
    if (!data) return;
    const unread = data.notifications || [];
    const known = new Set(unread.map((n) => n.id));
    items = [...unread, ...live.filter((n) => !known.has(n.id))].sort((a, b) => b.id - a.id);
    render();
  }

  // Into `host` (an element of the page's header): options.lang and options.timezone are functions.
  function mount(host, options) {
    language = options.lang || language;
    zone = options.timezone || zone;
    root = host;
    root.classList.add("notices");
    const bell = el("button", "notices-bell");
    bell.type = "button";
    bell.addEventListener("click", () => { open = !open; render(); });
    const panel = el("ul", "notices-panel");
    root.replaceChildren(bell, panel);
    render();
  }

  return { mount, push, render, load };
})();
