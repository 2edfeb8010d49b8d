// The user administration page's words in Chinese and English (admin-users.js picks one; the header's button switches).
"use strict";

const ADMIN_LABELS = {
  zh: {
    title: "用户管理", logout: "退出", lang: "English", my_password: "修改我的密码", users: "用户",
    username: "用户名", display_name: "姓名", role: "角色", team: "团队", queues: "队列", skills: "技能",
    chat_capacity: "会话上限", status: "状态", actions: "操作", new_user: "新建用户", password: "初始密码",
    password_rule: "至少 12 个字符,不能包含用户名,不能是常见密码。", create: "创建", save: "保存",
    disable: "停用", enable: "启用", reset_password: "重置密码", active: "启用中", disabled: "已停用",
    must_change: "待改密码", created: "已创建用户", saved: "已保存", disabled_done: "已停用,其所有登录已结束",
    enabled_done: "已启用", reset_done: "临时密码(仅显示一次,用户下次登录时须修改):",
    confirm_disable: "停用此用户?其所有登录会立即结束。", confirm_reset: "重置此用户的密码?其所有登录会立即结束。",
    shifts: "班次", shifts_hint: "按团队或用户设置每周班次和特殊日期(热线所在时区)。用户自己的班次优先于团队班次。",
    for: "适用于", weekly: "每周", exceptions: "特殊日期", or_user: "或用户名", save_shift: "保存班次",
    delete: "删除", shift_saved: "班次已保存", shift_deleted: "班次已删除", off: "休息", none: "无",
    roles: { agent: "坐席", supervisor: "组长", qa: "质检", manager: "经理", admin: "管理员" },
  },
  en: {
    title: "Users", logout: "Log out", lang: "中文", my_password: "Change my password", users: "Users",
    username: "User name", display_name: "Name", role: "Role", team: "Team", queues: "Queues", skills: "Skills",
    chat_capacity: "Chats at once", status: "Status", actions: "Actions", new_user: "New user", password: "First password",
    password_rule: "At least 12 characters, not containing the user name, not a common password.", create: "Create", save: "Save",
    disable: "Disable", enable: "Enable", reset_password: "Reset password", active: "Active", disabled: "Disabled",
    must_change: "must change password", created: "User created", saved: "Saved", disabled_done: "Disabled: every session of theirs has ended",
    enabled_done: "Enabled", reset_done: "Temporary password (shown once; the user must change it at next login):",
    confirm_disable: "Disable this user? Every session of theirs ends at once.", confirm_reset: "Reset this user's password? Every session of theirs ends at once.",
    shifts: "Shifts", shifts_hint: "Weekly hours and dated exceptions per team or user (the hotline's time zone). A user's own shift replaces their team's.",
    for: "For", weekly: "Weekly", exceptions: "Exceptions", or_user: "or user name", save_shift: "Save shift",
    delete: "Delete", shift_saved: "Shift saved", shift_deleted: "Shift deleted", off: "off", none: "none",
    roles: { agent: "Agent", supervisor: "Team lead", qa: "QA", manager: "Manager", admin: "Admin" },
  },
};
