// The screen pop (who is on the line) and the wrap-up form, shared by calls and chats.
// Everything shown is set with textContent: names and notes are the customers' own words.
"use strict";

const ConsoleParts = (() => {
  const t = (key) => ConsoleText.t(key);
  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };
  const clock = (total) => `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;

  function row(list, label, value) {
    list.append(el("dt", "", label), el("dd", "", value === undefined || value === null || value === "" ? "—" : value));
  }

  // Whole numbers the agent revealed (POST /api/contacts/{id}/reveal: a reason is asked, the server audits
  // it), by contact, until the page reloads. Everywhere else the server sends agents numbers masked.
  const revealed = new Map();

  // The caller as the console shows them: the number (masked, unless revealed) or the chat customer's name.
  function callerOf(contact) {
    const info = contact.info || {};
    const data = contact.pop || {};
    return revealed.get(String(contact.contact)) || (data.contact && data.contact.from) || info.from || info.name || "";
  }

  async function reveal(contact, redraw) {
    const reason = window.prompt(t("reveal_reason"));
    if (!reason || !reason.trim()) return;
    const response = await fetch(`/api/contacts/${contact.contact}/reveal`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ reason: reason.trim() }),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) { window.alert(`${t("reveal_failed")} ${data.error || response.status}`); return; }
    revealed.set(String(contact.contact), data.phone);
    redraw();
  }

  // contact: {info (from the routing event), pop (GET /screen-pop, once loaded), enqueued_at, answered_at}
  function pop(container, contact, now) {
    const info = contact.info || {};
    const data = contact.pop || {};
    const customer = data.customer || (info.customer ? { name: info.customer, grade: info.grade } : null);
    const facts = el("dl");
    const caller = callerOf(contact);
    row(facts, t("caller"), caller);
    if (caller.includes("*")) { // masked: the whole number only by an explicit, audited reveal
      const button = el("button", "reveal", t("reveal"));
      button.type = "button";
      button.addEventListener("click", () => reveal(contact, () => pop(container, contact, Date.now())));
      facts.lastChild.append(" ", button);
    }
    row(facts, t("customer"), customer ? `${customer.name || ""}${customer.grade === "key" ? ` ★ ${t("grade_key")}` : ""}` : "");
    row(facts, t("choice"), (data.contact && data.contact.choice) || info.choice || info.topic);
    const waitedMs = (contact.answered_at || now) - (contact.enqueued_at || now);
    row(facts, t("waited"), clock(Math.max(0, Math.round(waitedMs / 1000))));
    row(facts, t("ticket"), info.ticket || (data.contact && data.contact.ticket && data.contact.ticket.number));
    if (info.callback_kind === "return_visit") row(facts, t("visit_note"), info.callback_note);
    // A chat's number is the customer's claim until proved: said so, with what they claimed (masked for agents).
    const identity = data.identity || (contact.channel === "chat" ? { verified: Boolean(info.verified) } : null);
    if (identity && (contact.channel === "chat" || identity.verified)) {
      const how = identity.method ? ` · ${t(`verified_${identity.method}`)}` : "";
      const claim = identity.claimed_phone ? ` · ${t("claims")} ${identity.claimed_phone}` : "";
      row(facts, t("identity"), identity.verified ? `✓ ${t("verified")}${how}` : `⚠ ${t("unverified")}${claim}`);
    }
    const transfer = info.transfer || (data.contact && data.contact.transfer);
    if (transfer) { // handed on by a colleague: from whom, and what they want us to know
      row(facts, t("transferred_from"), transfer.from_name);
      row(facts, t("transfer_note_label"), transfer.note);
    }
    const parts = [facts];
    if (contact.pop) {
      parts.push(el("h3", "", t("recent")));
      const recent = el("ul", "recent");
      for (const c of data.recent_contacts || []) {
        const outcome = c.disposition ? ConsoleText.code("disposition", c.disposition) : ConsoleText.code("contact", c.status);
        const topic = c.choice || (c.queue ? ConsoleText.queue(c.queue) : t("ivr"));
        recent.append(el("li", "", `${ConsoleText.when(c.created_at)} · ${ConsoleText.code("channel", c.channel)} · ${topic} · ${outcome}${c.agent ? " · " + c.agent : ""}`));
      }
      if (!recent.children.length) recent.append(el("li", "muted", t("none")));
      parts.push(recent, el("h3", "", t("open_tickets")));
      const open = el("ul", "open-tickets");
      for (const ticket of data.open_tickets || []) {
        open.append(el("li", "", `${ticket.number} · ${ConsoleText.code("status", ticket.status)} · ${ticket.category ? ConsoleText.code("category", ticket.category) : ""} · ${ticket.subject}`));
      }
      if (!open.children.length) open.append(el("li", "muted", t("none")));
      parts.push(open);
    }
    container.replaceChildren(...parts);
  }

  // The options of a select: each value in words, by a ConsoleText.code prefix or a function of the value.
  function fill(select, values, prefix, blank) {
    const words = typeof prefix === "function" ? prefix : (value) => ConsoleText.code(prefix, value);
    const options = blank ? [el("option", "", blank)] : [];
    if (blank) options[0].value = "";
    for (const value of values) {
      const option = el("option", "", words(value));
      option.value = value;
      options.push(option);
    }
    select.replaceChildren(...options);
  }

  // Tomorrow at 10:00 in the hotline's time zone (not the browser's): the return visit's default
  // (docs/domain.md: the next day).
  const tomorrowAtTen = () => ConsoleText.localInput(1, 10);

  // A wrap-up form; submit(body) posts it. The ticket status "resolved" proposes the return visit.
  // With `contact`, what the agent types is saved on the server as a draft a moment after each change
  // (PUT …/wrap-up/draft) and filled in again when the form opens (a reload, the language switch); a
  // draft the wrap-up's end finds unsubmitted is filed by the server, and the console says so.
  function wrapUp(options, { submit, moreTime, contact, ticket }) {
    const form = document.getElementById("wrapup-template").content.firstElementChild.cloneNode(true);
    ConsoleText.apply(form);
    fill(form.elements.disposition, options.disposition_codes || [], "disposition", "—");
    fill(form.elements.category, options.ticket_categories || [], "category", "—");
    fill(form.elements.ticket_status, options.ticket_statuses || [], "status", "—");
    fill(form.elements.follow_kind, options.follow_up_kinds || [], "follow", t("follow_none"));
    const follow = () => form.querySelectorAll(".follow").forEach((label) => { label.hidden = !form.elements.follow_kind.value; });
    form.elements.follow_kind.addEventListener("change", () => {
      if (form.elements.follow_kind.value && !form.elements.follow_at.value) form.elements.follow_at.value = tomorrowAtTen();
      follow();
    });
    form.elements.ticket_status.addEventListener("change", () => {
      if (form.elements.ticket_status.value === "resolved" && !form.elements.follow_kind.value) {
        form.elements.follow_kind.value = "return_visit";
        form.elements.follow_at.value = tomorrowAtTen();
        follow();
      }
    });
    follow();
    form.querySelector(".more-time").addEventListener("click", moreTime);
    const draft = contact ? keepDraft(form, { contact, ticket, follow }) : null;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const next = (event.submitter && event.submitter.value) || "available";
      const body = { ...formFields(form), next_state: next };
      if (next === "not_ready") body.reason = document.getElementById("reason").value || "after_call_work";
      form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      try {
        if (draft) await draft.submitting(() => submit(body));
        else await submit(body);
      } finally { form.querySelectorAll("button").forEach((b) => { b.disabled = false; }); }
    });
    return form;
  }

  // What the form holds, as the wrap-up and its draft take it.
  function formFields(form) {
    const f = form.elements;
    return {
      note: f.note.value, disposition: f.disposition.value || null,
      category: f.category.value || null, ticket_status: f.ticket_status.value || null,
      follow_up: f.follow_kind.value ? { kind: f.follow_kind.value, at: f.follow_at.value, note: f.follow_note.value } : null,
    };
  }

  function fillForm(form, draft) {
    const f = form.elements;
    f.note.value = draft.note || "";
    f.disposition.value = draft.disposition || "";
    f.category.value = draft.category || "";
    f.ticket_status.value = draft.ticket_status || "";
    f.follow_kind.value = (draft.follow_up && draft.follow_up.kind) || "";
    f.follow_at.value = (draft.follow_up && draft.follow_up.at) || "";
    f.follow_note.value = (draft.follow_up && draft.follow_up.note) || "";
  }

  const DRAFT_DELAY_MS = 800;
  const typed = new Map(); // contact → the fields last typed in this page (a form made again starts from them)
  const onServer = new Set(); // contacts whose draft the server holds, as far as this page knows
  const drafts = new Set(); // the open forms' draft keepers: {form, contact, ticket, submitted, flush}

  function keepDraft(form, { contact, ticket, follow }) {
    const url = `/api/agent/contacts/${contact}/wrap-up/draft`;
    const status = form.querySelector(".draft-status");
    const keeper = { form, contact, ticket, submitted: false };
    let timer = null, saving = Promise.resolve(), lastSent = null, touched = false;
    const say = (key, detail) => { status.textContent = detail ? `${t(key)}: ${detail}` : t(key); status.classList.toggle("failed", key === "draft_not_saved"); };

    async function save() {
      timer = null;
      const body = formFields(form), sent = JSON.stringify(body);
      if (sent === lastSent) return;
      lastSent = sent;
      try {
        const response = await fetch(url, { method: "PUT", headers: { "Content-Type": "application/json" }, body: sent });
        const data = await response.json().catch(() => ({}));
        if (response.ok) { onServer.add(contact); say("draft_saved"); } else { lastSent = null; say("draft_not_saved", data.error || response.status); }
      } catch (error) { lastSent = null; say("draft_not_saved", error.message); }
    }
    const changed = () => {
      touched = true;
      typed.set(contact, formFields(form));
      clearTimeout(timer);
      timer = setTimeout(() => { saving = save(); }, DRAFT_DELAY_MS);
    };
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);

    const restore = (fields) => { fillForm(form, fields); follow(); };
    if (typed.has(contact)) { restore(typed.get(contact)); changed(); } else {
      fetch(url).then((r) => (r.ok ? r.json() : null)).then((data) => {
        if (!data || !data.draft || touched) return;
        restore(data.draft);
        lastSent = JSON.stringify(formFields(form));
        onServer.add(contact);
        say("draft_restored");
      }).catch(() => {});
    }

    // The submit goes after any draft on its way, so no draft lands after the write-up it is part of.
    keeper.submitting = async (send) => {
      clearTimeout(timer);
      timer = null;
      keeper.submitted = true;
      await saving;
      const done = await send();
      if (done) { typed.delete(contact); onServer.delete(contact); } else keeper.submitted = false;
      return done;
    };
    // The page is going (a reload): what the last moment's typing changed is sent now, not lost.
    keeper.flush = () => {
      if (timer === null) return;
      clearTimeout(timer);
      timer = null;
      fetch(url, { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(formFields(form)), keepalive: true });
    };
    drafts.add(keeper);
    return keeper;
  }

  // A form gone from the page without being submitted (its wrap-up ended: time ran out, or the agent
  // left wrap-up another way) whose draft the server holds: the server files it, and the agent is told.
  new MutationObserver(() => {
    for (const keeper of drafts) {
      if (keeper.form.isConnected) continue;
      drafts.delete(keeper);
      const again = [...drafts].some((other) => other.contact === keeper.contact && other.form.isConnected);
      if (again || keeper.submitted) continue; // drawn again (the language switch), or sent by the agent
      typed.delete(keeper.contact);
      if (onServer.delete(keeper.contact)) notice(t("draft_filed").replace("{ticket}", keeper.ticket || ""));
    }
  }).observe(document.body, { childList: true, subtree: true });
  window.addEventListener("pagehide", () => drafts.forEach((keeper) => keeper.flush()));

  function notice(text) {
    const box = el("p", "banner info draft-filed");
    const dismiss = el("button", "", t("dismiss"));
    dismiss.addEventListener("click", () => box.remove());
    box.append(el("span", "", text), dismiss);
    document.getElementById("announcements").prepend(box);
  }

  return { el, clock, pop, fill, wrapUp, callerOf };
})();
