// The console's words in Chinese and English. The browser's language picks one at first; the
// switch in the header keeps the agent's choice in localStorage.
"use strict";

const CONSOLE_LABELS = {
  zh: {
    title: "坐席工作台", available: "就绪", not_ready: "小休", offline: "离线", logout: "退出",
    reserved: "振铃中", busy: "通话中", wrap_up: "话后处理", language: "English",
    reason_break: "休息", reason_meal: "用餐", reason_training: "培训", reason_meeting: "会议",
    reason_after_call_work: "话后工作", reason_missed: "未接听", reason_disconnected: "连接断开", reason_routing_rebuilt: "系统已恢复",
    reason_transferred: "已转接", choose_reason: "选择原因…",
    reconnecting: "连接已断开,正在重连…", link_connecting: "正在连接…", link_on: "已连接", link_lost: "已断开,正在重连",
    idle_title: "等待来电", idle_text: "点击「就绪」开始接听以下队列的来电和会话:",
    incoming_call: "来电", incoming_chat: "新会话", accept: "接听", reject: "拒绝",
    caller: "来电号码", reveal: "显示完整号码", reveal_reason: "请填写查看完整号码的原因(将记入审计日志):",
    reveal_failed: "无法显示号码:", customer: "客户", grade_key: "重点客户", choice: "IVR 选择", waited: "等待",
    ticket: "工单", recent: "最近联系", open_tickets: "未结工单", none: "无",
    on_call: "通话中", end_call: "挂断", transfer: "转接", transfer_to_queue: "转到队列",
    transfer_to_agent: "转给坐席 (编号)", transfer_to_number: "转外线号码", transfer_go: "转接", cancel: "取消",
    hold: "保持", resume: "恢复通话", on_hold: "保持中", mute: "静音", unmute: "取消静音",
    connecting: "接通中…", transfer_note: "给接手坐席的备注", transfer_warm: "先咨询(热转接)",
    transfer_complete: "完成转接", transfer_abort: "取消转接", consulting: "咨询转接中,客户保持中", consult_joined: "同事已接入,可交谈", transferred_from: "转接自", transfer_note_label: "转接备注",
    was_away: "工作台断开时间过长,已转为小休。断开前的状态:", was_rebuilt: "系统恢复后您暂为小休。您上次选择的状态:", back_to_it: "恢复该状态",
    wrap_up_title: "话后处理", disposition: "处理结果", category: "工单类别", ticket_status: "工单状态",
    note: "备注", note_placeholder: "记录到工单的内容", follow_up: "后续", follow_none: "无",
    follow_callback: "预约回电", follow_return_visit: "预约回访", when: "时间", follow_note: "回访要点",
    done_available: "完成并就绪", done_not_ready: "完成并小休", more_time: "延长 30 秒",
    draft_saved: "草稿已保存", draft_not_saved: "草稿未保存", draft_restored: "已恢复上次保存的草稿",
    draft_filed: "话后处理已结束:您填写的内容已自动提交到工单 {ticket}。",
    my_quality: "我的质检", coaching: "辅导意见", quality_none: "还没有质检评估。", quality_average: "近30天平均分",
    quality_pass: "合格率", quality_to_ack: "待确认", quality_ack_by: "请在此前确认", quality_disputed: "申诉中",
    seconds_left: "秒", my_day: "我的今日", handled: "已处理", answered: "已接听",
    aht: "平均处理时长", service_level: "服务水平", announcement: "通知", dismiss: "知道了",
    chats: "会话", send: "发送", typing: "对方正在输入…", canned: "快捷回复…", end_chat: "结束会话",
    customer_left: "客户已离开", message_placeholder: "输入消息,回车发送", unread: "未读",
    shortcuts: "快捷键", phone: "话机", in_state: "已持续", desk: "工单台", open_ticket: "打开工单",
    status_new: "新建", status_acknowledged: "已受理", status_dispatched: "已派单", status_in_progress: "处理中", status_waiting_customer: "等待客户", status_waiting_parts: "等待配件", status_under_review: "审核中", status_pickup: "待取件", status_resolved: "已解决", status_return_visit: "待回访", status_closed: "已归档", status_reopened: "已重开", status_merged: "已合并",
    disposition_resolved: "已解决", disposition_follow_up: "需跟进", disposition_escalated: "已升级",
    disposition_transferred: "已转接", disposition_wrong_number: "打错电话", disposition_no_answer: "无人应答",
    category_consultation: "咨询", category_repair: "报修", category_complaint: "投诉", category_order: "订单与配送",
    category_return_exchange: "退换货", category_other: "其他",
    monitor_listen: "正在监听本通话", monitor_whisper: "正在对您耳语(客户听不到)",
    monitor_barge: "已加入通话(客户也能听到)",
    channel_voice: "电话", channel_chat: "在线会话", ivr: "语音导航",
    contact_ivr: "语音导航中", contact_queued: "排队中", contact_callback: "等待回电", contact_connected: "已接通",
    contact_ended: "已结束", contact_abandoned: "已放弃",
    recordings: "录音", recording_pending: "处理中", recording_stored: "已保存", recording_failed: "保存失败",
    identity: "身份", verified: "已验证", unverified: "未验证", claims: "自称号码",
    verified_sms_code: "短信验证码", verified_agent: "坐席核实", verified_id_last4: "证件后四位",
    "verified_order_number+caller_number": "订单号 + 来电号码", "verified_order_number+id_last4": "订单号 + 证件后四位",
    send_code: "发送验证码", code_sent: "验证码已发送至", confirm_identity: "确认身份",
    confirm_identity_note: "您是如何核实客户身份的?(将记入审计日志)",
    unverified_hint: "客户身份未验证:不显示该号码客户的历史记录,也不能向该号码预约回电或回访。",
    return_visit: "回访", incoming_return_visit: "回访来电", visit_note: "回访要点",
    visit_reached: "已联系上客户", visit_not_reached: "无人接听", visit_score: "满意度", visit_resolved: "问题是否已解决",
    visit_comment: "客户意见", visit_record: "记录回访结果", choose: "请选择…", yes: "是", no: "否",
    score_1: "1 非常不满意", score_2: "2 不满意", score_3: "3 一般", score_4: "4 满意", score_5: "5 非常满意",
    visit_need_answer: "请填写满意度或问题是否已解决,或选择「无人接听」。",
    visit_effect_closed: "回访已记录:工单已归档", visit_effect_reopened: "回访已记录:工单已重开",
    visit_effect_other: "回访已记录,工单状态:",
  },
  en: {
    title: "Agent console", available: "Available", not_ready: "Not ready", offline: "Offline", logout: "Log out",
    reserved: "Ringing", busy: "On a call", wrap_up: "Wrap-up", language: "中文",
    reason_break: "Break", reason_meal: "Meal", reason_training: "Training", reason_meeting: "Meeting",
    reason_after_call_work: "After-call work", reason_missed: "Missed offers", reason_disconnected: "Disconnected", reason_routing_rebuilt: "System restored",
    reason_transferred: "Transferred", choose_reason: "Choose a reason…",
    reconnecting: "Connection lost, reconnecting…", link_connecting: "Connecting…", link_on: "Connected",
    link_lost: "Disconnected, reconnecting",
    idle_title: "Waiting for contacts", idle_text: "Go Available to receive calls and chats from your queues:",
    incoming_call: "Incoming call", incoming_chat: "New chat", accept: "Accept", reject: "Reject",
    caller: "Caller", reveal: "Reveal number", reveal_reason: "Why do you need the whole number? (kept in the audit log)",
    reveal_failed: "Could not reveal the number:", customer: "Customer", grade_key: "key account", choice: "IVR choice", waited: "Waited",
    ticket: "Ticket", recent: "Recent contacts", open_tickets: "Open tickets", none: "none",
    on_call: "On call", end_call: "End call", transfer: "Transfer", transfer_to_queue: "To queue",
    transfer_to_agent: "To agent (id)", transfer_to_number: "To outside number", transfer_go: "Transfer", cancel: "Cancel",
    hold: "Hold", resume: "Take back", on_hold: "On hold", mute: "Mute", unmute: "Unmute",
    connecting: "Connecting…", transfer_note: "Note for the receiving agent", transfer_warm: "Consult first (warm)",
    transfer_complete: "Complete transfer", transfer_abort: "Cancel transfer", consulting: "Transferring: caller on hold", consult_joined: "Colleague joined: talk to them", transferred_from: "Transferred from", transfer_note_label: "Transfer note",
    was_away: "The console was away too long, so you were made not ready. Before that you were:",
    was_rebuilt: "The system was restored and you were made not ready. The state you last chose:", back_to_it: "Go back to it",
    wrap_up_title: "Wrap-up", disposition: "Disposition", category: "Ticket category", ticket_status: "Ticket status",
    note: "Note", note_placeholder: "What goes on the ticket", follow_up: "Follow-up", follow_none: "None",
    follow_callback: "Schedule callback", follow_return_visit: "Schedule return visit", when: "When",
    follow_note: "What to check", done_available: "Done, available", done_not_ready: "Done, not ready",
    draft_saved: "Draft saved", draft_not_saved: "Draft not saved", draft_restored: "Your saved draft is back",
    draft_filed: "Wrap-up is over: what you had written was filed on ticket {ticket} for you.",
    my_quality: "My quality reviews", coaching: "Coaching", quality_none: "No evaluations yet.", quality_average: "Average, last 30 days",
    quality_pass: "pass rate", quality_to_ack: "to acknowledge", quality_ack_by: "acknowledge by", quality_disputed: "disputed",
    more_time: "30 s more", seconds_left: "s", my_day: "My day", handled: "Handled", answered: "Answered",
    aht: "Average handle time", service_level: "Service level", announcement: "Announcement", dismiss: "Dismiss",
    chats: "Chats", send: "Send", typing: "Customer is typing…", canned: "Canned reply…", end_chat: "End chat",
    customer_left: "The customer left", message_placeholder: "Type a message, Enter sends", unread: "unread",
    shortcuts: "Shortcuts", phone: "Phone", in_state: "for", desk: "Ticket desk", open_ticket: "Open ticket",
    status_new: "New", status_acknowledged: "Acknowledged", status_dispatched: "Dispatched", status_in_progress: "In progress", status_waiting_customer: "Waiting on customer", status_waiting_parts: "Waiting on parts", status_under_review: "Under review", status_pickup: "Pickup", status_resolved: "Resolved", status_return_visit: "Return visit", status_closed: "Closed", status_reopened: "Reopened", status_merged: "Merged",
    disposition_resolved: "Resolved", disposition_follow_up: "Needs follow-up", disposition_escalated: "Escalated",
    disposition_transferred: "Transferred", disposition_wrong_number: "Wrong number", disposition_no_answer: "No answer",
    category_consultation: "Consultation", category_repair: "Repair", category_complaint: "Complaint",
    category_order: "Order and delivery", category_return_exchange: "Return or exchange", category_other: "Other",
    monitor_listen: "is listening to this call", monitor_whisper: "is whispering to you (the caller cannot hear)",
    monitor_barge: "has joined the call (the caller hears them too)",
    channel_voice: "Call", channel_chat: "Chat", ivr: "IVR",
    contact_ivr: "In the IVR", contact_queued: "Waiting", contact_callback: "Waiting for a callback",
    contact_connected: "Connected", contact_ended: "Ended", contact_abandoned: "Abandoned",
    recordings: "Recordings", recording_pending: "Processing", recording_stored: "Stored", recording_failed: "Failed",
    identity: "Identity", verified: "verified", unverified: "unverified", claims: "says their number is",
    verified_sms_code: "SMS code", verified_agent: "checked by the agent", verified_id_last4: "ID's last 4",
    "verified_order_number+caller_number": "order number + caller's number", "verified_order_number+id_last4": "order number + ID's last 4",
    send_code: "Send code", code_sent: "Code sent to", confirm_identity: "Confirm identity",
    confirm_identity_note: "How did you check who the customer is? (kept in the audit log)",
    unverified_hint: "Identity unverified: the number's customer history is not shown, and no callback or return visit can go to it.",
    return_visit: "Return visit", incoming_return_visit: "Return visit call", visit_note: "What to check",
    visit_reached: "Reached the customer", visit_not_reached: "Nobody answered", visit_score: "Satisfaction",
    visit_resolved: "Was it resolved?", visit_comment: "Customer's comment", visit_record: "Record the return visit",
    choose: "Choose…", yes: "Yes", no: "No",
    score_1: "1 Very unsatisfied", score_2: "2 Unsatisfied", score_3: "3 Neutral", score_4: "4 Satisfied", score_5: "5 Very satisfied",
    visit_need_answer: "Give the satisfaction or whether it was resolved, or choose \u201cNobody answered\u201d.",
    visit_effect_closed: "Return visit recorded: the ticket is closed",
    visit_effect_reopened: "Return visit recorded: the ticket is reopened", visit_effect_other: "Return visit recorded; the ticket is now",
  },
};

const ConsoleText = {
  lang: (localStorage.getItem("console-lang") || navigator.language || "zh").toLowerCase().startsWith("en") ? "en" : "zh",
  t(key) {
    const words = CONSOLE_LABELS[this.lang];
    return words[key] !== undefined ? words[key] : CONSOLE_LABELS.zh[key] !== undefined ? CONSOLE_LABELS.zh[key] : key;
  },
  // A code from the settings (reason, disposition, category) in words when we have them, else as it is.
  code(prefix, value) {
    const key = `${prefix}_${value}`;
    const words = CONSOLE_LABELS[this.lang][key];
    return words !== undefined ? words : String(value || "").replace(/_/g, " ");
  },
  // What the server says (GET /api/agent/options): the hotline's time zone and the queues' names.
  timezone: "Asia/Shanghai",
  queueNames: {},
  configure(options) {
    if (options.timezone) this.timezone = options.timezone;
    this.queueNames = options.queue_names || {};
  },
  // A queue by its display name ("报修 Repairs"); a queue the server did not name, as readable as its code.
  queue(name) {
    if (!name) return "";
    const shown = this.queueNames[name];
    if (shown) return shown;
    const words = String(name).replace(/_/g, " ");
    return words.charAt(0).toUpperCase() + words.slice(1);
  },
  // A stored (UTC) time as the hotline's wall clock, never the browser's: "2026-12-06 22:27"; `clock` gives
  // only "22:27". A time without an offset is UTC (as SQLite hands some back), not the browser's local time.
  when(iso, clock) {
    const text = String(iso ?? "");
    const at = iso === null || iso === undefined || iso === "" ? null
      : new Date(typeof iso === "string" && /T[\d:.]+$/.test(text) ? `${text}Z` : iso);
    if (!at || Number.isNaN(at.getTime())) return "";
    const parts = this.parts(at);
    const time = `${parts.hour}:${parts.minute}`;
    return clock ? time : `${parts.year}-${parts.month}-${parts.day} ${time}`;
  },
  // The hotline's calendar and clock at an instant (year, month, day, hour, minute, second).
  parts(at) {
    let zone = this.timezone;
    try { new Intl.DateTimeFormat("en", { timeZone: zone }); } catch (error) { zone = "Asia/Shanghai"; }
    return Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
      timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
      second: "2-digit", hourCycle: "h23",
    }).formatToParts(at).map((part) => [part.type, part.value]));
  },
  // The hotline's day `days` from now at `hour` o'clock, as a datetime-local value (the server reads one in
  // the hotline's time zone): what a follow-up proposes.
  localInput(days, hour) {
    const p = this.parts(new Date(Date.now() + days * 86400000));
    return `${p.year}-${p.month}-${p.day}T${String(hour).padStart(2, "0")}:00`;
  },
  apply(root) {
    root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = this.t(el.dataset.i18n); });
    root.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = this.t(el.dataset.i18nPlaceholder); });
    document.documentElement.lang = this.lang === "en" ? "en" : "zh-CN";
  },
  toggle() {
    this.lang = this.lang === "en" ? "zh" : "en";
    localStorage.setItem("console-lang", this.lang);
  },
};
