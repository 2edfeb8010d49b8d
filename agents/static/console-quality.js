// The agent's quality reviews in the console: their evaluations (score, band, what is awaited of them), each
// opening its page (the recording, comments at their moments, acknowledge or dispute), their last 30 days'
// average and pass rate, and the coaching notes about them. Refreshed every few minutes and on a notification.
"use strict";

const ConsoleQuality = (() => {
  const t = (key) => ConsoleText.t(key);
  const { el } = ConsoleParts;
  const $ = (id) => document.getElementById(id);

  function line(evaluation) {
    const item = el("li", evaluation.status === "submitted" ? "awaiting" : "");
    const link = el("a", "", `${ConsoleText.when(evaluation.submitted_at)} · ${evaluation.score} ${ConsoleText.lang === "en" ? evaluation.band_label.en : evaluation.band_label.zh}`);
    link.href = `/qa/evaluations/${evaluation.id}`;
    link.target = "_blank";
    item.append(link);
    if (evaluation.status === "submitted") {
      item.append(el("span", "muted", ` ${t("quality_to_ack")}, ${t("quality_ack_by")} ${ConsoleText.when(evaluation.acknowledge_by)}`));
    } else if (evaluation.status === "disputed") {
      item.append(el("span", "muted", ` ${t("quality_disputed")}`));
    }
    return item;
  }

  async function load() {
    const from = ConsoleText.localInput(-30, 0).slice(0, 10);
    const [mine, figures] = await Promise.all([
      fetch("/api/agent/evaluations").then((r) => (r.ok ? r.json() : null)).catch(() => null),
      fetch(`/api/qa/my-figures?from=${from}`).then((r) => (r.ok ? r.json() : null)).catch(() => null),
    ]);
    if (mine) {
      const list = mine.evaluations.slice(0, 10).map(line);
      $("quality-list").replaceChildren(...(list.length ? list : [el("li", "muted", t("quality_none"))]));
    }
    if (figures) {
      const totals = figures.totals || {};
      $("quality-figures").textContent = totals.count
        ? `${t("quality_average")}: ${totals.average} · ${t("quality_pass")} ${totals.pass_rate}%` : "";
      $("quality-notes").replaceChildren(...(figures.coaching_notes || []).slice(0, 5).map((note) =>
        el("li", "", `${ConsoleText.when(note.created_at, false)} ${note.text}`)));
    }
  }

  function start() {
    load();
    setInterval(load, 300000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  return { load };
})();
