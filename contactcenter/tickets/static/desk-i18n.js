// The desk's words in Chinese and English (the desk, a ticket and the SLA policies share them). The
// browser's language picks one at first; the header's button switches and the choice is kept.
// Statuses and categories come from GET /api/desk in both languages; the rest of the codes are named here.
"use strict";

const DESK_LABELS = {
  zh: {
    language: "English", logout: "退出", desk_title: "工单台", ticket_title: "工单", policies_title: "时限策略",
    console: "坐席工作台", wallboard: "监控大屏", desk: "工单台", policies: "时限策略",
    tickets: "工单", callbacks: "回电", voicemails: "留言",
    view_mine: "我的", view_queues: "我的队列", view_team: "我的团队", view_all: "全部",
    search: "搜索主题、描述、备注…", status: "状态", category: "类别", assignee: "处理人", queue: "队列",
    due: "时限", created: "创建时间", updated: "更新时间", from: "从", to: "到", apply: "筛选", reset: "清除",
    any: "全部", any_open: "全部(不含已合并)", nobody: "无人", uncategorized: "未分类",
    due_breaching_soon: "即将超时", due_breached: "已超时",
    saved_views: "已保存的视图", choose_view: "选择视图…", view_name: "视图名称", save_view: "保存当前筛选",
    delete_view: "删除", view_saved: "视图已保存", view_deleted: "视图已删除", confirm_delete_view: "删除这个视图?",
    number: "编号", subject: "主题", customer: "客户", next_due: "下一时限", more: "加载更多", none_found: "没有符合条件的工单",
    over_by: "超时", left: "剩余", day: "天", days_short: "天",
    // callbacks and voicemails
    kind: "类型", when: "时间", phone: "电话", ticket: "工单", attempts: "尝试次数", note: "备注", actions: "操作",
    cancel: "取消", cancel_callback: "取消回电", confirm_cancel: "取消这个回电?", canceled: "已取消",
    kind_callback: "回电", kind_return_visit: "回访",
    callback_scheduled: "已预约", callback_waiting: "排队中", callback_dialing: "拨号中", callback_connected: "已接通",
    callback_completed: "已完成", callback_failed: "失败", callback_canceled: "已取消",
    all_my_queues: "我的全部队列", duration: "时长", taken_by: "处理人", take: "接手", done: "完成",
    voicemail_recording: "录制中", voicemail_new: "新留言", voicemail_taken: "处理中", voicemail_done: "已完成",
    taken: "已接手", marked_done: "已完成", no_callbacks: "没有回电", no_voicemails: "没有留言",
    // the ticket page
    back_to_desk: "返回工单台", customer_grade_key: "重点客户", created_at: "创建于", level: "升级级别",
    move_to: "变更状态", why_optional: "原因(可选)", moved: "状态已变更", no_moves: "当前状态无可用变更",
    fields: "工单信息", description: "问题描述", product_model: "产品型号", serial_number: "序列号",
    purchase_date: "购买日期", solution: "解决方案", outcome: "处理结果", save: "保存", saved: "已保存", nothing_changed: "没有修改",
    outcome_none: "—", outcome_fixed: "已修复", outcome_replaced: "已更换", outcome_refunded: "已退款",
    outcome_explained: "已解释", outcome_refused: "已拒绝",
    compose: "备注与回复", note_internal: "内部备注", reply_customer: "回复客户", write_here: "写下备注或回复的内容",
    add: "提交", note_added: "已添加", timeline: "时间线", newest_first: "最新在前", oldest_first: "最早在前",
    clocks: "时限", no_clocks: "没有时限", due_at: "到期", budget: "时限", minutes: "分钟", hours: "小时",
    version: "版本", reapply: "重新应用当前时限策略", reapplied: "已重新应用时限策略",
    clock_running: "计时中", clock_breached: "已超时", clock_paused: "已暂停", clock_stopped: "已完成",
    clock_stopped_late: "已完成(超时)", clock_superseded: "已作废",
    calendar_none: "全天候", calendar_office: "工作时间", calendar_callbacks: "回电时段",
    assign: "分配", assigned: "已分配", assign_to: "分配给",
    escalation: "升级", escalate: "升级一级", escalated: "已升级", emergency: "紧急升级至经理(跳过组长)",
    emergency_reason: "紧急原因(会告知被跳过的组长)", at_top: "已是最高级别",
    level_0: "处理人", level_1: "组长", level_2: "经理",
    merge: "合并", merge_into: "合并到工单(编号)", merge_go: "合并", merged_done: "已合并", unmerge: "取消合并",
    unmerged: "已取消合并", merged_into: "本工单已合并到", merged_in: "已并入本工单",
    duplicates: "疑似重复", find_duplicates: "查找", no_duplicates: "没有疑似重复的工单", merge_here: "将本工单合并到此",
    schedule: "安排回电", schedule_at: "时间(热线时区)", schedule_note: "回电要点", scheduled: "已安排",
    contact: "联系", channel_voice: "电话", channel_chat: "在线会话", ivr: "语音导航",
    contact_ivr: "语音导航中", contact_queued: "排队中", contact_callback: "等待回电", contact_connected: "已接通",
    contact_ended: "已结束", contact_abandoned: "已放弃", contact_offered: "振铃中", contact_connecting: "接通中",
    contact_voicemail: "留言", contact_missed: "未接",
    recording: "录音", play: "播放", recording_pending: "处理中", recording_stored: "已保存", recording_failed: "保存失败",
    note_kind_note: "内部备注", note_kind_reply: "回复客户", note_kind_voicemail: "留言", note_kind_transcript: "聊天记录",
    by_system: "系统", by_sla: "时限系统", by_reconciler: "自动修复", by_ivr: "语音导航",
    field_subject: "主题", field_description: "问题描述", field_product_model: "产品型号", field_serial_number: "序列号",
    field_purchase_date: "购买日期", field_solution: "解决方案", field_outcome: "处理结果",
    why_answered: "已接听", why_wrap_up: "话后处理", why_by_hand: "手动", why_emergency: "紧急", why_escalated: "已升级",
    why_category_changed: "类别变更", why_merged: "合并",
    level_skipped: "跳过", read_only: "只读",
    // SLA policies
    target: "目标", calendar: "日历", warn: "提醒 %", enabled: "启用", every_category: "所有类别",
    policy_saved: "策略已保存,新版本:", policies_hint: "修改后为新版本;正在计时的工单沿用原版本,直到在工单页重新应用。",
    target_respond: "响应", target_dispatch: "派单", target_reply: "答复", target_resolve: "解决", target_review: "审核",
    target_pickup: "取件", target_result: "处理结果", target_return_visit: "回访", target_escalation: "升级处理",
    // return visits, complaints, attachments, the customer file
    customer_file: "客户档案", open_customer_file: "客户档案", satisfaction: "满意度",
    return_visit: "回访", visit_planned_at: "回访时间", visit_reached: "已联系上客户", visit_not_reached: "无人接听",
    visit_score: "满意度", visit_resolved: "问题是否已解决", visit_comment: "客户意见", visit_record: "记录回访结果",
    choose: "请选择…", yes: "是", no: "否",
    score_1: "1 非常不满意", score_2: "2 不满意", score_3: "3 一般", score_4: "4 满意", score_5: "5 非常满意",
    visit_hint: "满意且问题已解决:工单归档;不满意或未解决:工单重开。",
    visit_need_answer: "请填写满意度或问题是否已解决,或选择「无人接听」。",
    visit_effect_closed: "回访已记录:工单已归档", visit_effect_reopened: "回访已记录:工单已重开",
    visit_effect_other: "回访已记录,工单状态:",
    complaint_handling: "投诉处理", about_agent: "被投诉坐席", substantiated: "投诉是否属实",
    substantiated_unknown: "未认定", substantiated_yes: "属实", substantiated_no: "不属实",
    field_about_agent_id: "被投诉坐席", field_substantiated: "投诉属实",
    attachments: "附件", no_attachments: "暂无附件", upload: "上传", uploaded: "附件已上传", view: "查看",
    attachment_types: "JPEG、PNG、WebP 图片或 PDF 文件", choose_file: "请选择文件", attachment: "附件",
    source_return_visit: "回访", source_ivr: "语音评价", source_chat: "会话评价",
    visit_nobody: "未联系上客户", resolved_yes: "已解决", resolved_no: "未解决",
    why_planned: "已安排回访", why_visited: "已回访", why_unsatisfied: "客户不满意", why_batch: "批量回访",
    "why_unsatisfied: complaint": "客户不满意,已转投诉", "why_return visit: satisfied": "回访满意",
    "why_return visit: not reached": "回访未联系上", "why_no number to call": "无可拨打的号码",
    why_merged_into: "已合并到", why_earlier: "{ticket} 的更早",
    name: "姓名", grade: "客户等级", grade_normal: "普通客户", grade_key: "重点客户", products: "产品",
    add_product: "添加产品", remove: "删除", product_added: "产品已添加", product_removed: "产品已删除",
    confirm_remove_product: "从客户档案中删除这个产品?", grade_saved: "客户等级已更新", name_saved: "姓名已保存",
    no_products: "暂无产品", no_tickets: "暂无工单", contacts: "联系记录", no_contacts: "暂无联系记录",
    shown_of: "显示 {shown} / 共 {total} 条", answered_at: "接听", ended_at: "结束", direction: "方向",
    direction_inbound: "呼入", direction_callback: "回电", direction_outbound: "外呼", merged_mark: "已合并到",
    customer_since: "建档时间",
    forbidden: "您的角色无权使用此页面。",
  },
  en: {
    language: "中文", logout: "Log out", desk_title: "Ticket desk", ticket_title: "Ticket", policies_title: "SLA policies",
    console: "Console", wallboard: "Wallboard", desk: "Ticket desk", policies: "SLA policies",
    tickets: "Tickets", callbacks: "Callbacks", voicemails: "Voicemails",
    view_mine: "Mine", view_queues: "My queues", view_team: "My team", view_all: "All",
    search: "Search subject, description, notes…", status: "Status", category: "Category", assignee: "Assignee",
    queue: "Queue", due: "Due", created: "Created", updated: "Updated", from: "from", to: "to", apply: "Filter",
    reset: "Clear", any: "Any", any_open: "Any (not merged)", nobody: "Nobody", uncategorized: "Uncategorized",
    due_breaching_soon: "Breaching soon", due_breached: "Breached",
    saved_views: "Saved views", choose_view: "Choose a view…", view_name: "View name", save_view: "Save these filters",
    delete_view: "Delete", view_saved: "View saved", view_deleted: "View deleted", confirm_delete_view: "Delete this view?",
    number: "Number", subject: "Subject", customer: "Customer", next_due: "Next due", more: "More",
    none_found: "No tickets match", over_by: "over by", left: "left", day: "day", days_short: "d",
    kind: "Kind", when: "When", phone: "Phone", ticket: "Ticket", attempts: "Attempts", note: "Note", actions: "Actions",
    cancel: "Cancel", cancel_callback: "Cancel callback", confirm_cancel: "Cancel this callback?", canceled: "Canceled",
    kind_callback: "Callback", kind_return_visit: "Return visit",
    callback_scheduled: "Scheduled", callback_waiting: "Waiting", callback_dialing: "Dialing", callback_connected: "Connected",
    callback_completed: "Completed", callback_failed: "Failed", callback_canceled: "Canceled",
    all_my_queues: "All my queues", duration: "Length", taken_by: "Taken by", take: "Take", done: "Done",
    voicemail_recording: "Recording", voicemail_new: "New", voicemail_taken: "Taken", voicemail_done: "Done",
    taken: "Taken", marked_done: "Done", no_callbacks: "No callbacks", no_voicemails: "No voicemails",
    back_to_desk: "Back to the desk", customer_grade_key: "key account", created_at: "Created", level: "Escalation level",
    move_to: "Change status", why_optional: "Why (optional)", moved: "Status changed", no_moves: "No change possible from here",
    fields: "Details", description: "Description", product_model: "Product model", serial_number: "Serial number",
    purchase_date: "Purchase date", solution: "Solution", outcome: "Outcome", save: "Save", saved: "Saved",
    nothing_changed: "Nothing changed",
    outcome_none: "—", outcome_fixed: "Fixed", outcome_replaced: "Replaced", outcome_refunded: "Refunded",
    outcome_explained: "Explained", outcome_refused: "Refused",
    compose: "Notes and replies", note_internal: "Internal note", reply_customer: "Reply to customer",
    write_here: "What to note or tell the customer", add: "Add", note_added: "Added", timeline: "Timeline",
    newest_first: "Newest first", oldest_first: "Oldest first",
    clocks: "Clocks", no_clocks: "No clocks", due_at: "due", budget: "allowance", minutes: "min", hours: "h",
    version: "Version", reapply: "Re-apply the current SLA policy", reapplied: "SLA policy re-applied",
    clock_running: "Running", clock_breached: "Breached", clock_paused: "Paused", clock_stopped: "Met",
    clock_stopped_late: "Met late", clock_superseded: "Set aside",
    calendar_none: "Around the clock", calendar_office: "Office hours", calendar_callbacks: "Callback hours",
    assign: "Assign", assigned: "Assigned", assign_to: "Give to",
    escalation: "Escalation", escalate: "Escalate one level", escalated: "Escalated",
    emergency: "Emergency: straight to the manager (skip the team lead)",
    emergency_reason: "Why it is an emergency (the skipped team lead is told)", at_top: "At the top level",
    level_0: "Assignee", level_1: "Team lead", level_2: "Manager",
    merge: "Merge", merge_into: "Merge into ticket (number)", merge_go: "Merge", merged_done: "Merged",
    unmerge: "Unmerge", unmerged: "Unmerged", merged_into: "This ticket was merged into", merged_in: "Merged into this one",
    duplicates: "Possible duplicates", find_duplicates: "Find", no_duplicates: "No likely duplicates",
    merge_here: "Merge this ticket into it",
    schedule: "Schedule a callback", schedule_at: "When (hotline time)", schedule_note: "What to check", scheduled: "Scheduled",
    contact: "Contact", channel_voice: "Call", channel_chat: "Chat", ivr: "IVR",
    contact_ivr: "In the IVR", contact_queued: "Waiting", contact_callback: "Waiting for a callback",
    contact_connected: "Connected", contact_ended: "Ended", contact_abandoned: "Abandoned", contact_offered: "Ringing",
    contact_connecting: "Connecting", contact_voicemail: "Voicemail", contact_missed: "Missed",
    recording: "Recording", play: "Play", recording_pending: "Processing", recording_stored: "Stored",
    recording_failed: "Failed",
    note_kind_note: "Internal note", note_kind_reply: "Reply to customer", note_kind_voicemail: "Voicemail",
    note_kind_transcript: "Chat transcript",
    by_system: "System", by_sla: "SLA", by_reconciler: "Automatic repair", by_ivr: "IVR",
    field_subject: "Subject", field_description: "Description", field_product_model: "Product model",
    field_serial_number: "Serial number", field_purchase_date: "Purchase date", field_solution: "Solution",
    field_outcome: "Outcome",
    why_answered: "answered", why_wrap_up: "wrap-up", why_by_hand: "by hand", why_emergency: "emergency",
    why_escalated: "escalated", why_category_changed: "category changed", why_merged: "merge",
    level_skipped: "skipped", read_only: "read-only",
    target: "Target", calendar: "Calendar", warn: "Warn at %", enabled: "On", every_category: "Every category",
    policy_saved: "Policy saved, new version:",
    policies_hint: "Each change is a new version; running clocks keep theirs until it is re-applied on the ticket's page.",
    target_respond: "First response", target_dispatch: "Dispatch", target_reply: "Reply", target_resolve: "Resolution",
    target_review: "Review", target_pickup: "Pickup", target_result: "Result", target_return_visit: "Return visit",
    target_escalation: "Escalation",
    customer_file: "Customer file", open_customer_file: "Customer file", satisfaction: "Satisfaction",
    return_visit: "Return visit", visit_planned_at: "Return visit at", visit_reached: "Reached the customer",
    visit_not_reached: "Nobody answered", visit_score: "Satisfaction", visit_resolved: "Was it resolved?",
    visit_comment: "Customer's comment", visit_record: "Record the return visit", choose: "Choose…", yes: "Yes", no: "No",
    score_1: "1 Very unsatisfied", score_2: "2 Unsatisfied", score_3: "3 Neutral", score_4: "4 Satisfied",
    score_5: "5 Very satisfied",
    visit_hint: "Satisfied and resolved: the ticket is closed; unsatisfied or not resolved: it is reopened.",
    visit_need_answer: "Give the satisfaction or whether it was resolved, or choose \u201cNobody answered\u201d.",
    visit_effect_closed: "Return visit recorded: the ticket is closed",
    visit_effect_reopened: "Return visit recorded: the ticket is reopened", visit_effect_other: "Return visit recorded; the ticket is now",
    complaint_handling: "Complaint handling", about_agent: "Agent complained about", substantiated: "Substantiated?",
    substantiated_unknown: "Not decided", substantiated_yes: "Substantiated", substantiated_no: "Not substantiated",
    field_about_agent_id: "Agent complained about", field_substantiated: "Substantiated",
    attachments: "Attachments", no_attachments: "No attachments", upload: "Upload", uploaded: "Attachment uploaded",
    view: "View", attachment_types: "JPEG, PNG or WebP pictures, or PDF files", choose_file: "Choose a file",
    attachment: "Attachment",
    source_return_visit: "return visit", source_ivr: "phone survey", source_chat: "chat rating",
    visit_nobody: "nobody answered", resolved_yes: "resolved", resolved_no: "not resolved",
    why_planned: "return visit planned", why_visited: "visited", why_unsatisfied: "unsatisfied", why_batch: "batch of return visits",
    "why_unsatisfied: complaint": "unsatisfied, a complaint opened", "why_return visit: satisfied": "return visit: satisfied",
    "why_return visit: not reached": "return visit: nobody answered", "why_no number to call": "no number to call",
    why_merged_into: "merged into", why_earlier: "{ticket}'s is earlier",
    name: "Name", grade: "Grade", grade_normal: "Normal", grade_key: "Key account", products: "Products",
    add_product: "Add product", remove: "Remove", product_added: "Product added", product_removed: "Product removed",
    confirm_remove_product: "Remove this product from the customer's file?", grade_saved: "Grade changed",
    name_saved: "Name saved", no_products: "No products", no_tickets: "No tickets", contacts: "Contacts",
    no_contacts: "No contacts", shown_of: "{shown} of {total}", answered_at: "Answered", ended_at: "Ended",
    direction: "Direction", direction_inbound: "Inbound", direction_callback: "Callback", direction_outbound: "Outbound",
    merged_mark: "merged into", customer_since: "Customer since",
    forbidden: "Your role may not use this page.",
  },
};
DESK_LABELS.zh.satisfaction = "满意度"; DESK_LABELS.en.satisfaction = "Satisfaction"; // the header's link to satisfaction.html
DESK_LABELS.zh.retention = "数据保留"; DESK_LABELS.en.retention = "Retention"; // the header's link to the retention page

const DeskText = {
  lang: (localStorage.getItem("desk-lang") || localStorage.getItem("console-lang") || navigator.language || "zh")
    .toLowerCase().startsWith("en") ? "en" : "zh",
  timezone: "Asia/Shanghai",
  statuses: {}, // code → {zh, en}, from GET /api/desk
  categories: {},
  queues: {}, // code → display name, from GET /api/queues
  people: {}, // id → name
  t(key) {
    const words = DESK_LABELS[this.lang];
    return words[key] !== undefined ? words[key] : DESK_LABELS.zh[key] !== undefined ? DESK_LABELS.zh[key] : key;
  },
  // A code in words: our table's `prefix_value`, else the code made readable (never shown with underscores).
  code(prefix, value) {
    if (value === null || value === undefined || value === "") return "";
    const words = DESK_LABELS[this.lang][`${prefix}_${value}`];
    return words !== undefined ? words : String(value).replace(/_/g, " ");
  },
  configure(options, queues) {
    if (options.timezone) this.timezone = options.timezone;
    for (const s of options.statuses || []) this.statuses[s.status] = s;
    for (const c of options.categories || []) this.categories[c.category] = c;
    for (const p of options.people || []) this.people[p.id] = p.name;
    for (const q of queues || []) this.queues[q.name] = q.display_name || q.name;
  },
  status(code) { const s = this.statuses[code]; return s ? s[this.lang] : this.code("status", code); },
  category(code) {
    if (!code) return this.t("uncategorized");
    const c = this.categories[code];
    return c ? c[this.lang] : String(code).replace(/_/g, " ");
  },
  queue(name) { return name ? this.queues[name] || String(name).replace(/_/g, " ") : ""; },
  person(id) { return id == null ? "" : this.people[id] || `#${id}`; },
  // The clock a policy or clock names ("escalation:1" → "升级处理 L1").
  target(name) {
    const [base, level] = String(name || "").split(":");
    return this.code("target", base) + (level ? ` L${level}` : "");
  },
  calendar(name) { return this.code("calendar", name || "none"); },
  // A label the server gives in both languages ("计时开始 Clock started"): the part in ours.
  pick(label) {
    const both = /^([^\x00-\x7f]\S*) ([\x00-\x7f].*)$/.exec(String(label || ""));
    return both ? both[this.lang === "en" ? 2 : 1] : String(label || "");
  },
  // A server's message with its codes put in words: "resolved (已解决 Resolved)" → "已解决 Resolved".
  readable(message) {
    const known = new Set([...Object.keys(this.statuses), ...Object.keys(this.categories)]);
    return String(message || "")
      .replace(/\b([a-z]+(?:_[a-z]+)*) \(([^()]+)\)/g, (whole, code, words) => (known.has(code) ? words : whole))
      .replace(/\b[a-z]+(?:_[a-z]+)+\b/g, (code) => (this.statuses[code] ? this.status(code)
        : this.categories[code] ? this.category(code) : code.replace(/_/g, " ")));
  },
  // A stored (UTC) time as the hotline's wall clock: "2026-12-06 22:27" (`only`: "date" or "clock").
  when(iso, only) {
    // A time without an offset is UTC (the callbacks' and voicemails' times come so from SQLite).
    const text = String(iso || "");
    const at = iso ? new Date(/T[\d:.]+$/.test(text) ? `${text}Z` : text) : null;
    if (!at || Number.isNaN(at.getTime())) return "";
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
      timeZone: this.timezone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
      hourCycle: "h23",
    }).formatToParts(at).map((part) => [part.type, part.value]));
    const date = `${parts.year}-${parts.month}-${parts.day}`, time = `${parts.hour}:${parts.minute}`;
    return only === "date" ? date : only === "clock" ? time : `${date} ${time}`;
  },
  // Now in the hotline's zone as a datetime-local value, `days` ahead at `hour` o'clock.
  localInput(days, hour) {
    const today = this.when(new Date(Date.now() + days * 86400000).toISOString(), "date");
    return `${today}T${String(hour).padStart(2, "0")}:00`;
  },
  // A length of time: "2:05:09", or "3天 04:10" past a day.
  span(seconds) {
    const s = Math.max(0, Math.floor(Math.abs(seconds)));
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const two = (n) => String(n).padStart(2, "0");
    return d ? `${d}${this.t("days_short")} ${two(h)}:${two(m)}` : `${h}:${two(m)}:${two(r)}`;
  },
  minutes(total) {
    if (total % 60 === 0) return `${total / 60} ${this.t("hours")}`;
    return `${total} ${this.t("minutes")}`;
  },
  apply(root) {
    root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = this.t(el.dataset.i18n); });
    root.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = this.t(el.dataset.i18nPlaceholder); });
    document.documentElement.lang = this.lang === "en" ? "en" : "zh-CN";
  },
  toggle() {
    this.lang = this.lang === "en" ? "zh" : "en";
    localStorage.setItem("desk-lang", this.lang);
  },
};
