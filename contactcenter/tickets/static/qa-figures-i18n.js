// The QA figures page's words in Chinese and English. The browser's language picks one at first (or the desk's
// choice, kept in this browser); the header's button switches. No code is shown to a person: each has words here.
"use strict";

const QA_FIGURES_LABELS = {
  zh: {
    language: "English", logout: "退出", title: "质检数据", desk: "工单台", qa: "录音质检", wallboard: "监控大屏",
    from: "从", to: "到", group: "分组", bucket: "趋势", queue: "队列", team: "团队", agent: "坐席", channel: "渠道",
    scorecard: "评分表", apply: "查询", export_csv: "导出 CSV", export_xlsx: "导出 Excel", any: "全部",
    group_agent: "按坐席", group_team: "按团队", group_queue: "按队列",
    bucket_auto: "自动", bucket_day: "按天", bucket_week: "按周", channel_voice: "电话", channel_chat: "在线会话",
    hint: "只统计已提交的常规评估(校准评估不计);日期按热线时区:", count: "评估数", average: "平均分",
    pass_rate: "合格率", excellent_rate: "优秀率", critical: "致命错误", weakest_row: "最弱问题",
    table_title: "明细", trend_title: "趋势(平均分与评估数)", weakest_title: "最弱问题(平均得分最低在前)",
    none: "这段时间没有评估", no_team: "未分组", answers: "次回答", total: "合计",
    coaching_title: "辅导记录", note_hint: "写下对该坐席的辅导建议", add_note: "添加辅导记录", note_added: "已添加辅导记录",
    no_notes: "还没有辅导记录", pick_agent: "点击坐席姓名查看其辅导记录",
  },
  en: {
    language: "中文", logout: "Log out", title: "QA figures", desk: "Desk", qa: "Recordings", wallboard: "Wallboard",
    from: "From", to: "To", group: "Group by", bucket: "Trend", queue: "Queue", team: "Team", agent: "Agent",
    channel: "Channel", scorecard: "Scorecard", apply: "Show", export_csv: "Export CSV", export_xlsx: "Export Excel",
    any: "All", group_agent: "By agent", group_team: "By team", group_queue: "By queue",
    bucket_auto: "Automatic", bucket_day: "By day", bucket_week: "By week", channel_voice: "Phone", channel_chat: "Chat",
    hint: "Submitted regular evaluations only (calibrations never count); days are the hotline's:",
    count: "Evaluations", average: "Average score", pass_rate: "Pass rate", excellent_rate: "Excellent rate",
    critical: "Critical failures", weakest_row: "Weakest question", table_title: "Breakdown",
    trend_title: "Trend (average score and evaluations)", weakest_title: "Weakest questions (lowest average first)",
    none: "No evaluations in this period", no_team: "No team", answers: "answers", total: "Total",
    coaching_title: "Coaching notes", note_hint: "Write your coaching for this agent", add_note: "Add a coaching note",
    note_added: "Coaching note added", no_notes: "No coaching notes yet", pick_agent: "Click an agent's name for their coaching notes",
  },
};

const QaText = {
  lang: (localStorage.getItem("desk-lang") || navigator.language || "zh").toLowerCase().startsWith("en") ? "en" : "zh",
  timezone: "Asia/Shanghai",
  t(key) { return QA_FIGURES_LABELS[this.lang][key] ?? QA_FIGURES_LABELS.zh[key] ?? key; },
  pick(label) { return label ? label[this.lang] || label.zh || "" : ""; },
  apply(root) {
    root.querySelectorAll("[data-i18n]").forEach((node) => { node.textContent = this.t(node.dataset.i18n); });
    root.querySelectorAll("[data-i18n-placeholder]").forEach((node) => { node.placeholder = this.t(node.dataset.i18nPlaceholder); });
    document.documentElement.lang = this.lang === "en" ? "en" : "zh-CN";
  },
  toggle() { this.lang = this.lang === "en" ? "zh" : "en"; localStorage.setItem("desk-lang", this.lang); },
  // A stored (UTC) time as the hotline's wall clock: "2026-12-06 22:27".
  when(iso) {
    const at = new Date(iso);
    if (Number.isNaN(at.getTime())) return "";
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
      timeZone: this.timezone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(at).map((part) => [part.type, part.value]));
    return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
  },
  today() { return this.when(new Date().toISOString()).slice(0, 10); },
};
