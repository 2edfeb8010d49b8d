// The agent's chats, side by side: messages, unread markers, the customer's typing, canned replies,
// the chat's own wrap-up. Messages are stored first and then pushed to this console over its
// websocket (chat.message); after a reconnect each panel catches up from the last id it showed.
"use strict";

const ConsoleChat = (() => {
  const panels = new Map(); // contact id → {card, lastId, unread, typingUntil, wrapFor}
  let canned = [];
  const el = (...args) => ConsoleParts.el(...args);
  const t = (key) => ConsoleText.t(key);

  async function call(method, url, body) {
    const response = await fetch(url, { method, headers: { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || `Request failed (${response.status})`);
    return data;
  }

  function showMessage(panel, message) {
    if (message.id <= panel.lastId) return; // already shown (a push and a catch-up may overlap)
    panel.lastId = message.id;
    const item = el("li", `message ${message.sender}`);
    item.append(el("span", "who", message.sender === "agent" ? message.author || "" : message.sender === "customer" ? "" : "·"),
      el("span", "body", message.body), el("time", "muted", ConsoleText.when(message.created_at, true)));
    const list = panel.card.querySelector(".messages");
    list.append(item);
    list.scrollTop = list.scrollHeight;
    const focused = panel.card.contains(document.activeElement);
    if (message.sender === "customer" && !focused) panel.unread += 1;
  }

  async function catchUp(id) {
    const panel = panels.get(id);
    if (!panel) return;
    try {
      const data = await call("GET", `/api/agent/chats/${id}/messages?after=${panel.lastId}`);
      for (const message of data.messages || []) showMessage(panel, message);
      renderUnread(panel);
    } catch (error) { /* the contact may be over; the next event will tell */ }
  }

  function renderUnread(panel) {
    const badge = panel.card.querySelector(".unread");
    badge.hidden = panel.unread === 0;
    badge.textContent = `${panel.unread} ${t("unread")}`;
  }

  function fillCanned(select) {
    const first = el("option", "", t("canned"));
    first.value = "";
    select.replaceChildren(first, ...canned.map((reply) => { const o = el("option", "", reply.title); o.value = reply.body; return o; }));
  }

  function open(contact) {
    const card = document.getElementById("chat-template").content.firstElementChild.cloneNode(true);
    ConsoleText.apply(card);
    const panel = { card, lastId: 0, unread: 0, typingUntil: 0, wrapFor: null, id: contact.contact };
    panels.set(contact.contact, panel);
    document.getElementById("chats").append(card); // first: a panel in the map is always on the page
    const input = card.querySelector("textarea");
    const form = card.querySelector(".compose");
    fillCanned(card.querySelector(".canned"));
    card.querySelector(".canned").addEventListener("change", (event) => {
      if (event.target.value) input.value = input.value ? `${input.value} ${event.target.value}` : event.target.value;
      event.target.value = "";
      input.focus();
    });
    let lastTyping = 0;
    input.addEventListener("input", () => {
      if (Date.now() - lastTyping > 2000) { lastTyping = Date.now(); call("POST", `/api/agent/chats/${panel.id}/typing`, {}).catch(() => {}); }
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
    });
    card.addEventListener("focusin", () => { panel.unread = 0; renderUnread(panel); });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = input.value.trim();
      if (!body) return;
      const clientId = `a-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
      try {
        const data = await call("POST", `/api/agent/chats/${panel.id}/messages`, { body, client_id: clientId });
        input.value = "";
        if (data.message) showMessage(panel, data.message);
      } catch (error) { document.getElementById("error").textContent = error.message; document.getElementById("error").hidden = false; }
    });
    const fail = (error) => { document.getElementById("error").textContent = error.message; document.getElementById("error").hidden = false; };
    card.querySelector(".send-code").addEventListener("click", () => call("POST", `/api/agent/chats/${panel.id}/verification`, {})
      .then((sent) => { card.querySelector(".identity-actions .muted").textContent = `${t("code_sent")} ${sent.to}`; }).catch(fail));
    card.querySelector(".confirm-identity").addEventListener("click", () => {
      const note = window.prompt(t("confirm_identity_note"));
      if (note !== null && note.trim()) call("POST", `/api/agent/chats/${panel.id}/verify`, { note: note.trim() }).catch(fail);
    });
    card.querySelector(".end-chat").addEventListener("click", () => call("POST", `/api/agent/contacts/${panel.id}/end`, {}).catch(() => {}));
    catchUp(contact.contact);
    return panel;
  }

  function render(view, now) {
    const chats = [...view.contacts.values()].filter((c) => c.channel === "chat" && c.state !== "offered");
    const live = new Set(chats.map((c) => c.contact));
    for (const [id, panel] of panels) if (!live.has(id)) { panel.card.remove(); panels.delete(id); }
    for (const contact of chats) {
      const panel = panels.get(contact.contact) || open(contact);
      const info = contact.info || {};
      panel.card.querySelector(".chat-title").textContent = `${info.name || info.customer || t("chats")} · ${info.choice || info.topic || ""}`;
      ConsoleParts.pop(panel.card.querySelector(".pop"), contact, now);
      const ended = contact.state === "ended";
      const identity = contact.pop && contact.pop.identity;
      panel.card.querySelector(".identity-actions").hidden = ended || !identity || identity.verified || !identity.claimed_phone;
      panel.card.querySelector(".compose").hidden = ended;
      if (ended && panel.wrapFor !== contact.contact) {
        panel.wrapFor = contact.contact;
        panel.card.querySelector(".chat-wrapup").replaceChildren(ConsoleParts.wrapUp(view.options, {
          submit: (body) => call("POST", `/api/agent/contacts/${contact.contact}/wrap-up`, body).catch((error) => {
            document.getElementById("error").textContent = error.message; document.getElementById("error").hidden = false;
          }),
          moreTime: () => {},
          contact: contact.contact, ticket: info.ticket, // the draft kept as the agent types
        }));
      }
      renderUnread(panel);
    }
  }

  function tick(view, now) {
    for (const [id, panel] of panels) {
      panel.card.querySelector(".typing").hidden = panel.typingUntil < now;
      const contact = view.contacts.get(id);
      if (contact && contact.answered_at) {
        panel.card.querySelector(".chat-timer").textContent = ConsoleParts.clock(Math.max(0, Math.round(((contact.ended_at || now) - contact.answered_at) / 1000)));
      }
    }
  }

  function onEvent(event) {
    const panel = panels.get(String(event.contact));
    if (!panel) return;
    if (event.type === "chat.message" && event.message) showMessage(panel, event.message);
    if (event.type === "chat.typing" && event.from === "customer") panel.typingUntil = Date.now() + 4000;
    if (event.type === "chat.left") catchUp(panel.id);
    if (event.type === "chat.verified") loadPop(panel.id); // the customer is linked to their record now
    renderUnread(panel);
  }

  fetch("/api/canned-replies").then((r) => (r.ok ? r.json() : [])).then((data) => {
    canned = Array.isArray(data.canned_replies) ? data.canned_replies : [];
    for (const panel of panels.values()) fillCanned(panel.card.querySelector(".canned"));
  }).catch(() => {});
  // After a reconnect the socket may have missed pushes: every panel catches up from its last id.
  setInterval(() => { for (const id of panels.keys()) catchUp(id); }, 15000);

  return { render, tick, onEvent, catchUp };
})();
