// The customer's web chat: pre-chat form → waiting (place and wait) → conversation → end;
// out of hours, a leave-a-message form. Protocol: contactcenter/chats/events.md.
// Every text from the server or the customer is shown with textContent, never as HTML.
"use strict";

const LABELS = {
  "zh-CN": {
    title: "在线客服", switch_to: "English", prechat_intro: "请留下您的称呼,我们马上为您接通客服。",
    name: "您的称呼", phone: "联系电话", phone_optional: "联系电话(选填)", topic: "咨询类型", start: "开始咨询",
    offline_intro: "现在是非工作时间。请留言,我们上班后会尽快联系您。", your_message: "留言内容",
    send_message: "提交留言", message_left: "留言已收到,我们会尽快联系您。", ticket_number: "工单号:",
    waiting: "正在为您接通客服,请稍候。", position: "您排在第", estimated_wait: "预计等待",
    talking_to: "正在为您服务:", ended: "对话已结束,感谢您的咨询。", new_chat: "重新咨询",
    reconnecting: "网络中断,正在重新连接……未发送的消息会在连接后发出。", agent_typing: "客服正在输入……",
    type_here: "请输入消息,按 Enter 发送", send: "发送", leave: "结束对话", you: "我", system: "系统",
    minutes: (m) => (m < 1 ? "不到 1 分钟" : `约 ${m} 分钟`), place: (n) => `${n} 位`, unknown: "暂无法估计",
    verify_intro: "验证您的手机号后,客服才能查看您的服务记录并为您预约回电。", send_code: "发送验证码",
    code_placeholder: "6 位验证码", check_code: "验证", code_sent: (to) => `验证码已发送至 ${to},5 分钟内有效。`,
    number_verified: "您的手机号已验证。",
    rate_intro: "请为本次服务评分:", rate_5: "5 非常满意", rate_4: "4 满意", rate_3: "3 一般", rate_2: "2 不满意",
    rate_1: "1 非常不满意", rate_comment: "您的意见(选填)", rated: "感谢您的评价!",
  },
  en: {
    title: "Web chat", switch_to: "中文", prechat_intro: "Tell us your name and we will connect you to an agent.",
    name: "Your name", phone: "Phone number", phone_optional: "Phone number (optional)", topic: "Topic",
    start: "Start chat", offline_intro: "We are closed now. Leave a message and we will get back to you when we open.",
    your_message: "Your message", send_message: "Send message",
    message_left: "We have your message and will get back to you soon.", ticket_number: "Ticket number:",
    waiting: "Connecting you to an agent, please wait.", position: "Your place in line:",
    estimated_wait: "estimated wait", talking_to: "You are talking to", ended: "The chat has ended. Thank you.",
    new_chat: "New chat", reconnecting: "Connection lost, reconnecting… unsent messages go out once connected.",
    agent_typing: "The agent is typing…", type_here: "Type a message, Enter to send", send: "Send",
    leave: "End chat", you: "You", system: "System",
    minutes: (m) => (m < 1 ? "under a minute" : `about ${m} min`), place: (n) => `${n}`, unknown: "not known yet",
    verify_intro: "Verify your phone number so the agent can see your service history and call you back.",
    send_code: "Send code", code_placeholder: "6-digit code", check_code: "Verify",
    code_sent: (to) => `Code sent to ${to}; valid for 5 minutes.`, number_verified: "Your phone number is verified.",
    rate_intro: "How was this chat?", rate_5: "5 Very satisfied", rate_4: "4 Satisfied", rate_3: "3 Neutral",
    rate_2: "2 Unsatisfied", rate_1: "1 Very unsatisfied", rate_comment: "Anything to add (optional)",
    rated: "Thank you for your rating!",
  },
};
const STORE = "cc-chat";
const $ = (id) => document.getElementById(id);
let lang = localStorage.getItem("cc-chat-lang") || ((navigator.language || "").toLowerCase().startsWith("zh") ? "zh-CN" : "en");
let topics = [];
let chat = JSON.parse(sessionStorage.getItem(STORE) || "null"); // {token, lastId, outbox: [{client_id, body}], leaving}
let ws = null;
let backoff = 1000;
let ended = false;
let typingSentAt = 0;
let typingTimer = null;
let lastQueue = null;
const shown = new Map(); // message id → <li>
const pending = new Map(); // client_id → <li> of a message not yet confirmed

function t(key, ...args) {
  const value = LABELS[lang][key];
  return typeof value === "function" ? value(...args) : value;
}

function applyLabels() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  $("language").textContent = t("switch_to");
  document.querySelectorAll("select.topics").forEach((select) => {
    const chosen = select.value;
    select.replaceChildren(...topics.map((topic) => new Option(topic.label[lang] || topic.id, topic.id)));
    if (chosen) select.value = chosen;
  });
  if (lastQueue) showQueue(lastQueue);
}

function show(...ids) {
  for (const id of ["prechat", "offline", "left", "conversation"]) $(id).hidden = !ids.includes(id);
}

function showError(text) {
  $("error").textContent = text || "";
  $("error").hidden = !text;
}

function save() {
  if (chat) sessionStorage.setItem(STORE, JSON.stringify(chat));
  else sessionStorage.removeItem(STORE);
}

async function postJson(url, body) {
  const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  let data = {};
  try { data = await response.json(); } catch (_) { /* an empty or non-JSON answer */ }
  return { status: response.status, data };
}

function formValues(form) {
  const values = Object.fromEntries(new FormData(form).entries());
  values.language = lang;
  return values;
}

// ---- the conversation ---------------------------------------------------------------------------

function messageItem(message) {
  const li = document.createElement("li");
  li.className = message.sender;
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = message.sender === "customer" ? t("you") : message.sender === "agent" ? (message.author || "") : t("system");
  const body = document.createElement("span");
  body.className = "body";
  body.textContent = message.body; // text only: a message holding HTML is shown as typed
  li.append(who, body);
  return li;
}

function placeInOrder(li, id) {
  li.dataset.id = String(id);
  const list = $("messages");
  const later = [...list.children].find((other) => other.dataset.id && Number(other.dataset.id) > id);
  list.insertBefore(li, later || list.querySelector("li.pending"));
}

function addMessage(message) {
  if (shown.has(message.id)) return; // a resend or a catch-up brought it twice: shown once
  const li = messageItem(message);
  shown.set(message.id, li);
  placeInOrder(li, message.id);
  if (message.client_id && pending.has(message.client_id)) {
    pending.get(message.client_id).remove();
    pending.delete(message.client_id);
  }
  if (chat) {
    chat.lastId = Math.max(chat.lastId || 0, message.id);
    chat.outbox = (chat.outbox || []).filter((item) => item.client_id !== message.client_id || message.sender !== "customer");
    save();
  }
  $("messages").scrollTop = $("messages").scrollHeight;
}

function addPending(item) {
  const li = messageItem({ sender: "customer", body: item.body });
  li.classList.add("pending");
  pending.set(item.client_id, li);
  $("messages").append(li);
  $("messages").scrollTop = $("messages").scrollHeight;
}

function showQueue(update) {
  lastQueue = update;
  $("position").textContent = update.position ? t("place", update.position) : "…";
  const seconds = update.estimated_wait_seconds;
  $("wait").textContent = seconds === null || seconds === undefined ? t("unknown") : t("minutes", Math.round(seconds / 60));
}

function showState(state, agentName) {
  $("waiting").hidden = state !== "queued";
  $("with-agent").hidden = state !== "connected";
  $("ended").hidden = state !== "ended";
  $("compose").hidden = state === "ended";
  if (agentName) $("agent-name").textContent = agentName;
}

// The number typed into the form is proved by a code texted to it (contactcenter/chats/verification.py).
function showVerify(canVerify, verified) {
  $("verify").hidden = !canVerify || ended;
  $("verified").hidden = !verified;
}

async function sendCode() {
  showError("");
  const { status, data } = await postJson("/api/chat/verification", { token: chat && chat.token });
  if (status === 202) $("verify").querySelector("span").textContent = t("code_sent", data.to);
  else showError(data.error || `HTTP ${status}`);
}

async function checkCode(event) {
  event.preventDefault();
  showError("");
  const { status, data } = await postJson("/api/chat/verification/check", { token: chat && chat.token, code: $("code").value.trim() });
  if (status === 200) { $("code").value = ""; showVerify(false, true); }
  else showError(data.error || `HTTP ${status}`);
}

// The ended chat's rating (contactcenter/satisfaction/routes.py): once, with the chat's token kept for it.
let ratingToken = null;

async function rate(score) {
  if (!ratingToken) return;
  showError("");
  const body = { token: ratingToken, satisfaction: score, comment: $("rating-comment").value.trim() };
  const { status, data } = await postJson("/api/chat/rating", body);
  if (status === 201 || (status === 409 && data.code !== "invalid")) {
    ratingToken = null;
    $("rating").hidden = true;
    $("rated").hidden = false;
  } else showError(data.error || `HTTP ${status}`);
}

function finish() {
  ended = true;
  ratingToken = chat && chat.token;
  $("rating").hidden = !ratingToken;
  $("rated").hidden = true;
  showState("ended");
  showVerify(false, false);
  $("typing").hidden = true;
  $("offline-notice").hidden = true;
  chat = null;
  save();
  if (ws) ws.close();
}

function send(payload) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(payload));
}

function resend(clientId) {
  const item = ((chat && chat.outbox) || []).find((queued) => queued.client_id === clientId);
  if (item) send({ type: "message", body: item.body, client_id: item.client_id });
}

function flushOutbox() {
  for (const item of (chat && chat.outbox) || []) send({ type: "message", body: item.body, client_id: item.client_id });
  if (chat && chat.leaving) send({ type: "leave" });
}

function onServerMessage(message) {
  switch (message.type) {
    case "history":
      message.messages.forEach(addMessage);
      showState(message.state, message.agent_name);
      showVerify(message.can_verify, message.verified);
      flushOutbox();
      break;
    case "message": addMessage(message.message); break;
    case "queue": showQueue(message); break;
    case "agent_joined": showState("connected", message.agent_name); break;
    case "verified": showVerify(false, true); break;
    case "transferred": // waiting again, for another agent: the place comes with the next queue update
      $("position").textContent = "…";
      $("wait").textContent = "…";
      showState("queued");
      break;
    case "typing":
      $("typing").hidden = false;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => { $("typing").hidden = true; }, 4000);
      break;
    case "ended":
      finish();
      if (message.reason === "max_wait") show("offline"); // nobody came in time: take a message instead
      break;
    case "error":
      showError(message.error);
      if (message.code === "too_many" && message.client_id) { // sent too fast: kept, and sent again after the wait
        setTimeout(() => resend(message.client_id), message.retry_after * 1000);
        break;
      }
      if (message.client_id && pending.has(message.client_id)) {
        pending.get(message.client_id).classList.replace("pending", "failed"); // refused: never resent
        chat.outbox = chat.outbox.filter((item) => item.client_id !== message.client_id);
        save();
      }
      break;
    default: break;
  }
}

function connect() {
  if (!chat || ended) return;
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/chat/ws`;
  ws = new WebSocket(url);
  ws.onopen = () => {
    backoff = 1000;
    $("offline-notice").hidden = true;
    ws.send(JSON.stringify({ type: "hello", token: chat.token, last_message_id: chat.lastId || 0 }));
  };
  ws.onmessage = (event) => onServerMessage(JSON.parse(event.data));
  ws.onclose = (event) => {
    if (ended) return;
    if (event.code === 4401) { chat = null; save(); start(); return; } // the chat is unknown here: begin again
    $("offline-notice").hidden = false;
    setTimeout(connect, backoff + Math.random() * 500);
    backoff = Math.min(backoff * 2, 30000);
  };
}

// The page says it is still here every 15 s: a waiting chat whose page goes quiet for a minute
// (tab closed, signal lost) is given up as abandoned (contactcenter/chats/presence.py).
setInterval(() => { if (ws && ws.readyState === 1) ws.send('{"type":"ping"}'); }, 15000);

function openConversation() {
  show("conversation");
  showState("queued");
  for (const item of chat.outbox || []) addPending(item);
  connect();
}

function newClientId() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

function submitMessage() {
  const body = $("body").value;
  if (!body.trim() || !chat) return;
  const item = { client_id: newClientId(), body };
  chat.outbox = [...(chat.outbox || []), item]; // kept until the server confirms it, across reconnects and reloads
  save();
  addPending(item);
  $("body").value = "";
  send({ type: "message", body, client_id: item.client_id });
}

// ---- forms --------------------------------------------------------------------------------------

async function startChat(event) {
  event.preventDefault();
  showError("");
  const { status, data } = await postJson("/api/chat/start", formValues(event.target));
  if (status === 201) {
    chat = { token: data.token, lastId: 0, outbox: [] };
    save();
    openConversation();
  } else if (data.leave_message) {
    show("offline");
    showError(data.error);
  } else {
    showError(data.error || `HTTP ${status}`);
  }
}

async function leaveMessage(event) {
  event.preventDefault();
  showError("");
  const { status, data } = await postJson("/api/chat/leave-message", formValues(event.target));
  if (status === 201) {
    $("ticket").textContent = data.ticket;
    show("left");
  } else {
    showError(data.error || `HTTP ${status}`);
  }
}

async function start() {
  ended = false;
  shown.clear();
  pending.clear();
  $("messages").replaceChildren();
  const response = await fetch("/api/chat/availability");
  const info = await response.json();
  topics = info.topics;
  $("company").textContent = info.company;
  applyLabels();
  if (chat) { // a reload mid-chat picks the conversation up again, from its first message
    chat.lastId = 0;
    openConversation();
  }
  else show(info.open ? "prechat" : "offline");
}

$("prechat").addEventListener("submit", startChat);
$("offline").addEventListener("submit", leaveMessage);
$("compose").addEventListener("submit", (event) => { event.preventDefault(); submitMessage(); });
$("body").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); submitMessage(); }
});
$("body").addEventListener("input", () => {
  if (Date.now() - typingSentAt > 2000) { typingSentAt = Date.now(); send({ type: "typing" }); }
});
$("leave").addEventListener("click", () => {
  if (!chat) return;
  chat.leaving = true; // sent now, or on reconnect if the line is down
  save();
  send({ type: "leave" });
});
$("send-code").addEventListener("click", sendCode);
$("verify").addEventListener("submit", checkCode);
$("again").addEventListener("click", () => { chat = null; save(); start(); });
document.querySelectorAll("#rating [data-score]").forEach((button) => {
  button.addEventListener("click", () => rate(Number(button.dataset.score)));
});
$("language").addEventListener("click", () => {
  lang = lang === "zh-CN" ? "en" : "zh-CN";
  localStorage.setItem("cc-chat-lang", lang);
  applyLabels();
});
setInterval(() => send({ type: "ping" }), 15000);
applyLabels();
start();
