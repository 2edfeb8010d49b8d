// The satisfaction page's words in Chinese and English, added to the desk's (desk-i18n.js) so that DeskText.t,
// the language switch and data-i18n serve them too. Every key starts with `sat_`: none of the desk's is replaced.
"use strict";

const SATISFACTION_LABELS = {
  zh: {
    sat_title: "满意度",
    // the month's figures
    sat_month_title: "月度满意度", sat_month: "月份", sat_answers: "评价数", sat_average: "平均分",
    sat_satisfied: "满意率(4-5分)", sat_target: "目标", sat_met: "已达标", sat_missed: "未达标",
    sat_no_answers: "本月暂无评价", sat_not_reached: "未接通的回访", sat_out_of: "/ 5",
    sat_by_source: "按来源", sat_by_category: "按类别", sat_source: "来源", sat_none: "—",
    sat_source_return_visit: "回访", sat_source_ivr: "电话满意度调查", sat_source_chat: "在线会话评价",
    // return-visit batches
    sat_batches_title: "回访批次", sat_batches_hint: "选出已解决、待回访的工单,分给坐席轮流回访。",
    sat_resolved_between: "解决/更新日期", sat_last_week: "上周", sat_find: "查找", sat_select_all: "全选",
    sat_no_candidates: "没有符合条件的已解决工单", sat_chosen: "已选工单:", sat_agents: "回访坐席",
    sat_batch_name: "批次名称", sat_batch_name_hint: "例如:上周维修回访", sat_hand_out: "分派回访",
    sat_need_tickets: "请先勾选工单。", sat_need_agents: "请至少选择一位坐席。", sat_handed_out: "已分派回访数:",
    sat_skipped: "未分派(已回访过或没有可拨打的号码):", sat_default_name: "回访",
    sat_my_batches: "本浏览器创建的批次", sat_made_at: "创建时间", sat_total: "回访数", sat_by_state: "各状态",
    sat_answered: "已回答", sat_done: "完成度", sat_refresh: "刷新", sat_forget: "移除", sat_batch_gone: "找不到此批次",
    sat_no_batches: "还没有在本浏览器创建的批次。", sat_none_yet: "暂无",
    // complaint flags
    sat_flags_title: "投诉预警", sat_flags_hint: "坐席在一段时间内属实投诉达到设定次数即预警;确认后,之后的投诉重新计数。",
    sat_all_flags: "显示全部(含已确认)", sat_agent: "坐席", sat_count: "属实投诉", sat_count_in: "{days} 天内 {count} 次",
    sat_complaints: "投诉工单", sat_since: "预警时间", sat_state: "状态", sat_acknowledge: "确认",
    sat_open: "待处理", sat_acknowledged: "已确认", sat_flag_acknowledged: "预警已确认", sat_no_flags: "没有投诉预警",
  },
  en: {
    sat_title: "Satisfaction",
    sat_month_title: "The month's satisfaction", sat_month: "Month", sat_answers: "Answers", sat_average: "Average",
    sat_satisfied: "Satisfied (4-5)", sat_target: "goal", sat_met: "Target met", sat_missed: "Below target",
    sat_no_answers: "No answers this month yet", sat_not_reached: "Return visits not reached", sat_out_of: "/ 5",
    sat_by_source: "By source", sat_by_category: "By category", sat_source: "Source", sat_none: "—",
    sat_source_return_visit: "Return visit", sat_source_ivr: "Phone survey", sat_source_chat: "Chat rating",
    sat_batches_title: "Return-visit batches",
    sat_batches_hint: "Choose resolved tickets awaiting their return visit and hand them to agents in turn.",
    sat_resolved_between: "Resolved or updated", sat_last_week: "Last week", sat_find: "Find", sat_select_all: "All",
    sat_no_candidates: "No resolved tickets match", sat_chosen: "Tickets chosen:", sat_agents: "Agents to call",
    sat_batch_name: "Batch name", sat_batch_name_hint: "e.g. last week's repairs", sat_hand_out: "Hand out",
    sat_need_tickets: "Tick the tickets first.", sat_need_agents: "Choose at least one agent.",
    sat_handed_out: "Return visits handed out:", sat_skipped: "Not handed out (visited already, or no number to call):",
    sat_default_name: "Return visits",
    sat_my_batches: "Batches made in this browser", sat_made_at: "Made", sat_total: "Visits", sat_by_state: "By state",
    sat_answered: "Answered", sat_done: "Done", sat_refresh: "Refresh", sat_forget: "Forget", sat_batch_gone: "No such batch",
    sat_no_batches: "No batch made in this browser yet.", sat_none_yet: "none yet",
    sat_flags_title: "Complaint flags",
    sat_flags_hint: "An agent with the set number of substantiated complaints in the window is flagged; once acknowledged, later complaints count anew.",
    sat_all_flags: "Show all (acknowledged too)", sat_agent: "Agent", sat_count: "Substantiated complaints",
    sat_count_in: "{count} in {days} days", sat_complaints: "Complaints", sat_since: "Flagged", sat_state: "State",
    sat_acknowledge: "Acknowledge", sat_open: "Open", sat_acknowledged: "Acknowledged",
    sat_flag_acknowledged: "Flag acknowledged", sat_no_flags: "No complaint flags",
  },
};
Object.assign(DESK_LABELS.zh, SATISFACTION_LABELS.zh);
Object.assign(DESK_LABELS.en, SATISFACTION_LABELS.en);
