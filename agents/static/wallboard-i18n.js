// The wallboard's words in Chinese and English (wallboard.js picks one; the header's button switches).
"use strict";

const LABELS = {
  zh: {
    title: "监控大屏", logout: "退出", history: "排队与服务水平", agents: "坐席", waiting: "排队中的客户",
    agent: "坐席", state: "状态", in_state: "持续", contact: "当前联系", actions: "操作", queue: "队列",
    caller: "来电", wait: "等待", priority: "优先级", nobody_waiting: "无人排队", lang: "English",
    waiting_now: "排队", longest: "最长等待", sl: "服务水平", asa: "平均应答", abandoned: "放弃率",
    set_state: "设置", move: "转队列", reprioritize: "改优先级", team: "团队", all_teams: "全部团队",
    chats: "会话", callback: "回呼", connection: "连接", series_waiting: "排队数", series_sl: "服务水平 %",
    reason: "原因", key: "重点客户", desk: "工单台", no_history: "暂无数据(每分钟采样一次)", outside_shift: "班次外登录",
    states: { available: "就绪", not_ready: "小休", offline: "离线", reserved: "振铃", busy: "通话中", wrap_up: "话后处理" },
    channels: { voice: "电话", chat: "在线" },
  },
  en: {
    title: "Wallboard", logout: "Log out", history: "Waiting and service level", agents: "Agents",
    waiting: "Waiting contacts", agent: "Agent", state: "State", in_state: "For", contact: "Current contact",
    actions: "Actions", queue: "Queue", caller: "Caller", wait: "Waiting", priority: "Priority",
    nobody_waiting: "Nobody waiting", lang: "中文", waiting_now: "Waiting", longest: "Longest wait",
    sl: "Service level", asa: "Avg. answer", abandoned: "Abandoned", set_state: "Set", move: "Move",
    reprioritize: "Priority", team: "Team", all_teams: "All teams", chats: "chats", callback: "callback",
    connection: "connection", series_waiting: "Waiting", series_sl: "Service level %", reason: "reason", desk: "Ticket desk",
    key: "key account", no_history: "No samples yet (one a minute)", outside_shift: "logged in off shift",
    states: { available: "Available", not_ready: "Not ready", offline: "Offline", reserved: "Ringing", busy: "Busy", wrap_up: "Wrap-up" },
    channels: { voice: "call", chat: "chat" },
  },
};

// The hotline's wall clock at an instant (ms), never the browser's: "14:24", or "14:24:05" with seconds.
// The zone comes from GET /api/desk (wallboard-charts.js); Asia/Shanghai until it has.
const HotlineClock = {
  zone: "Asia/Shanghai",
  at(ms, seconds) {
    const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", ...(seconds ? { second: "2-digit" } : {}) };
    try { return new Intl.DateTimeFormat("en-GB", { ...options, timeZone: this.zone }).format(new Date(ms)); } catch (error) {
      return new Intl.DateTimeFormat("en-GB", { ...options, timeZone: "Asia/Shanghai" }).format(new Date(ms));
    }
  },
};
