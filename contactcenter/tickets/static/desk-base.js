// What the desk's pages share: building elements, calling the API (a refusal's message shown at the top),
// the header (links for the viewer's role, the language switch) and the options every page needs.
"use strict";

const Desk = (() => {
  const $ = (id) => document.getElementById(id);
  const t = (key) => DeskText.t(key);
  let me = null;

  // An element; `text` is set with textContent (customers' words are never HTML).
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name === "class") node.className = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (name in node && !name.startsWith("data-")) node[name] = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function say(id, text) {
    const box = $(id);
    if (!box) return;
    box.textContent = text || "";
    box.hidden = !text;
  }
  const error = (text) => { say("error", text ? DeskText.readable(text) : ""); if (text) say("notice", ""); };
  const notice = (text) => { say("notice", text); if (text) say("error", ""); };

  // JSON in and out (a FormData body goes as multipart: an upload); null when refused (its message shown).
  async function api(method, url, body) {
    let response;
    const plain = body === undefined || body instanceof FormData;
    try {
      response = await fetch(url, {
        method, headers: plain ? {} : { "Content-Type": "application/json" },
        body: plain ? body : JSON.stringify(body),
      });
    } catch (problem) { error(String(problem)); return null; }
    if (response.status === 401) { location.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`; return null; }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) { error(data.error || `HTTP ${response.status}`); return null; }
    return data;
  }

  // The header's links: the console for those who take contacts, the wallboard for team leads and
  // managers, the policies and retention for managers; the desk itself on every page but its own.
  function header(here) {
    const role = me ? me.role : "";
    const links = [
      ["desk", "/desk", true],
      ["console", "/console", ["agent", "supervisor"].includes(role)],
      ["wallboard", "/wallboard", ["supervisor", "manager", "admin"].includes(role)],
      ["policies", "/desk/policies", ["manager", "admin"].includes(role)],
      ["satisfaction", "/desk/satisfaction", ["supervisor", "manager", "admin"].includes(role)],
      ["retention", "/retention", ["manager", "admin"].includes(role)],
    ];
    $("nav").replaceChildren(...links.filter(([key, , shown]) => shown && key !== here)
      .map(([key, href]) => el("a", { href, text: t(key) })));
    $("lang").textContent = t("language");
  }

  // /api/me (name), /api/desk (statuses, categories, people, views, time zone), /api/queues (names).
  async function start(here, redraw) {
    const [who, options, queues] = await Promise.all([api("GET", "/api/me"), api("GET", "/api/desk"), api("GET", "/api/queues")]);
    if (!who || !options) return null;
    me = { ...options.me, name: who.display_name, queues: who.queues || [] };
    DeskText.configure(options, queues || []);
    $("me").textContent = me.name;
    $("lang").addEventListener("click", () => { DeskText.toggle(); DeskText.apply(document); header(here); redraw(); });
    DeskText.apply(document);
    header(here);
    return options;
  }

  // "T-000123", "#123" or "123" → 123.
  function ticketId(text) {
    const digits = String(text || "").replace(/\D/g, "");
    return digits ? Number(digits) : null;
  }

  return { $, el, api, error, notice, start, ticketId, me: () => me };
})();
