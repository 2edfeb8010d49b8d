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

  // contact: {info (from the routing event), pop (GET /screen-pop, once loaded), enqueued_at, answered_at}
  function pop(container, contact, now) {
    const info = contact.info || {};
    const data = contact.pop || {};
    const customer = data.customer || (info.customer ? { name: info.customer, grade: info.grade } : null);
    const facts = el("dl");
    row(facts, t("caller"), (data.contact && data.contact.from) || info.from_masked || info.name || "");
    row(facts, t("customer"), customer ? `${customer.name || ""}${customer.grade === "key" ? ` ★ ${t("grade_key")}` : ""}` : "");
    row(facts, t("choice"), (data.contact && data.contact.choice) || info.choice || info.topic);
    const waitedMs = (contact.answered_at || now) - (contact.enqueued_at || now);
    row(facts, t("waited"), clock(Math.max(0, Math.round(waitedMs / 1000))));
    row(facts, t("ticket"), info.ticket || (data.contact && data.contact.ticket && data.contact.ticket.number));
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

  // Tomorrow at 10:00 local: the return visit's default (docs/domain.md: the next day).
  function tomorrowAtTen() {
    const d = new Date(Date.now() + 86400000);
    const pad = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T10:00`;
  }

  // A wrap-up form; submit(body) posts it. The ticket status "resolved" proposes the return visit.
  function wrapUp(options, { submit, moreTime }) {
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
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const next = (event.submitter && event.submitter.value) || "available";
      const f = form.elements;
      const body = {
        note: f.note.value, next_state: next, disposition: f.disposition.value || null,
        category: f.category.value || null, ticket_status: f.ticket_status.value || null,
        follow_up: f.follow_kind.value ? { kind: f.follow_kind.value, at: f.follow_at.value, note: f.follow_note.value } : null,
      };
      if (next === "not_ready") body.reason = document.getElementById("reason").value || "after_call_work";
      form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      try { await submit(body); } finally { form.querySelectorAll("button").forEach((b) => { b.disabled = false; }); }
    });
    return form;
  }

  return { el, clock, pop, fill, wrapUp };
})();
