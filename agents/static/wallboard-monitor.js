// Listening in to live calls from the wallboard (agents/monitoring.py): a team lead (their team's
// calls) or QA staff (any) gets, on each agent's row with a live call, buttons to listen, whisper to
// the agent, barge in, and leave; the row also shows who listens. The server calls the viewer's own
// browser phone (phone.js + phone-panel.js, started here for those roles) into the call's room, and
// this page answers it (phone-panel.js answers the leg that rings after `console:accepted`).
// Uses wallboard.js's board, el, t, lang, showError and renderLive.
"use strict";

const WallboardMonitor = (() => {
  const MODES = ["listen", "whisper", "barge"];
  const MONITOR_ROLES = ["supervisor", "qa"];
  const MANAGING_ROLES = ["supervisor", "manager", "admin"];
  const WORDS = {
    zh: { monitor: "监听", listen: "监听", whisper: "耳语", barge: "强插", leave: "离开", phone: "话机",
      listening: "监听中", whispering: "耳语中", barging: "强插中" },
    en: { monitor: "Listen in", listen: "Listen", whisper: "Whisper", barge: "Barge", leave: "Leave", phone: "Phone",
      listening: "listening", whispering: "whispering", barging: "barged in" },
  };
  const DOING = { listen: "listening", whisper: "whispering", barge: "barging" };
  for (const code of Object.keys(WORDS)) Object.assign(LABELS[code], { monitor: WORDS[code].monitor, phone: WORDS[code].phone });
  const word = (key) => WORDS[lang][key] ?? key;
  let me = null; // {id, role} of the viewer, from /api/me

  const mayListen = () => Boolean(me && MONITOR_ROLES.includes(me.role));

  // The call's listeners after a `contact.monitored` event (`mode` "" means they left).
  function onEvent(e) {
    const agent = board.agents.get(String(e.agent));
    const contact = agent && agent.contact;
    if (!contact || String(contact.contact) !== String(e.contact)) return;
    const others = (contact.monitors || []).filter((m) => String(m.monitor) !== String(e.monitor));
    contact.monitors = e.mode ? [...others, { monitor: String(e.monitor), name: e.monitor_name || "", mode: e.mode }] : others;
  }

  async function request(method, contact, body) {
    try {
      const response = await fetch(`/api/supervision/contacts/${contact}/monitor`, {
        method, headers: { "Content-Type": "application/json" }, body: body ? JSON.stringify(body) : undefined,
      });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) { showError(data.error || `HTTP ${response.status}`); return null; }
      showError("");
      return data;
    } catch (error) {
      showError(String(error));
      return null;
    }
  }

  async function join(contact, mode) {
    const done = await request("POST", contact, { mode });
    if (done && done.ring_seconds > 0) { // our phone is being called into the room: answer it
      document.dispatchEvent(new CustomEvent("console:accepted", { detail: {
        contact: String(contact), autoAnswer: true, ringMs: done.ring_seconds * 1000,
      } }));
    }
  }

  // The row's cell: who listens, and (for a team lead or QA on someone else's live call) the buttons.
  // Stable hooks: td.monitor; buttons #monitor-{listen,whisper,barge,leave}-{agent id} (classes
  // monitor-listen …, data-mode, data-contact, aria-pressed and .active on the current mode);
  // span.monitor-status[data-monitor][data-mode] per listener.
  function cell(agent) {
    const td = el("td", { class: "monitor" });
    const contact = agent.contact;
    if (!contact || contact.channel === "chat") return td;
    const monitors = contact.monitors || [];
    for (const m of monitors) {
      td.append(el("span", { class: `chip monitor-status mode-${m.mode}`, "data-monitor": String(m.monitor),
        "data-mode": m.mode, text: `${m.name} · ${word(DOING[m.mode] || m.mode)}` }));
    }
    // Live: the agent's phone joined the caller (assigned) and the call has not ended (wrap-up).
    const live = contact.state === "assigned" && agent.state === "busy";
    if (!mayListen() || !live || String(agent.id) === String(me.id)) return td;
    const mine = monitors.find((m) => String(m.monitor) === String(me.id));
    for (const mode of MODES) {
      const active = Boolean(mine && mine.mode === mode);
      const button = el("button", { type: "button", id: `monitor-${mode}-${agent.id}`, class: `monitor-${mode}${active ? " active" : ""}`,
        "data-mode": mode, "data-contact": String(contact.contact), text: word(mode) });
      button.setAttribute("aria-pressed", String(active));
      button.addEventListener("click", () => join(contact.contact, mode));
      td.append(button);
    }
    if (mine) {
      const leave = el("button", { type: "button", id: `monitor-leave-${agent.id}`, class: "monitor-leave",
        "data-contact": String(contact.contact), text: word("leave") });
      leave.addEventListener("click", () => request("DELETE", contact.contact));
      td.append(leave);
    }
    return td;
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = () => reject(new Error(`cannot load ${src}`));
      document.body.append(script);
    });
  }

  async function start() {
    const response = await fetch("/api/me").catch(() => null);
    if (!response || !response.ok) return;
    me = await response.json();
    document.body.classList.toggle("read-only", !MANAGING_ROLES.includes(me.role));
    renderLive();
    if (!mayListen()) return; // managers and admins have no phone here
    document.getElementById("phone").hidden = false;
    await loadScript("/static/agents/phone.js");
    await loadScript("/static/agents/phone-panel.js");
  }

  start().catch((error) => showError(String(error)));
  return { onEvent, cell };
})();
