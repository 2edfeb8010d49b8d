// What the QA pages share: elements, the API (a refusal's message shown at the top), both languages, times in
// the hotline's zone (from /api/me), and the header.
"use strict";

const QA = (() => {
  const $ = (id) => document.getElementById(id);
  // The desk's choice of language, shared by its pages and the QA pages.
  let lang = (localStorage.getItem("desk-lang") || navigator.language || "zh").startsWith("en") ? "en" : "zh";
  let me = null;
  const texts = {};

  const { el } = Desk;  // desk-base.js: building elements (text set as text, never as HTML)

  const t = (key) => (texts[key] ? texts[key][lang === "en" ? 1 : 0] : key);
  const label = (pair) => (pair ? (lang === "en" ? pair.en : pair.zh) : "");

  function say(id, text) {
    const box = $(id);
    if (!box) return;
    box.textContent = text || "";
    box.hidden = !text;
  }
  const error = (text) => { say("error", text); if (text) say("notice", ""); };
  const notice = (text) => { say("notice", text); if (text) say("error", ""); };

  async function api(method, url, body) {
    let response;
    try {
      response = await fetch(url, {
        method, headers: body === undefined ? {} : { "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (problem) { error(String(problem)); return null; }
    if (response.status === 401) { location.href = `/login?next=${encodeURIComponent(location.pathname)}`; return null; }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) { error(data.error || `HTTP ${response.status}`); return null; }
    return data;
  }

  // An instant in the hotline's zone: "2026-12-07 09:30".
  function when(iso) {
    if (!iso) return "";
    const parts = new Intl.DateTimeFormat("en-CA", {
      timeZone: (me && me.timezone) || "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(new Date(iso));
    const part = (type) => parts.find((p) => p.type === type).value;
    return `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")}`;
  }

  // Seconds as m:ss.
  const clock = (seconds) => `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, "0")}`;

  function apply(root) {
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    const toggle = $("lang");
    if (toggle) toggle.textContent = lang === "en" ? "中文" : "English";
    if (me && window.QANav) QANav.fill($("nav"), me.role, lang, location.pathname.replace(/\/\d+$/, ""));
  }

  async function start(moreTexts, redraw) {
    Object.assign(texts, BASE_TEXTS, moreTexts);
    me = await api("GET", "/api/me");
    if (!me) return null;
    $("me").textContent = me.display_name;
    $("lang").addEventListener("click", () => {
      lang = lang === "en" ? "zh" : "en";
      localStorage.setItem("desk-lang", lang);
      apply(document);
      redraw();
    });
    apply(document);
    return me;
  }

  const BASE_TEXTS = {
    logout: ["退出", "Log out"],
    yes: ["是", "Yes"],
    no: ["否", "No"],
    na: ["不适用", "Not applicable"],
  };

  return { $, el, t, label, api, when, clock, error, notice, start, apply, lang: () => lang, me: () => me };
})();
