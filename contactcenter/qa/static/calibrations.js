// Calibration: sessions the viewer runs or scores in; each person's own (blind) evaluation; once everyone has
// scored, each answer beside the reference (the expert's, else the mean), the people far off flagged.
"use strict";

(() => {
  const { $, el, t, label, api, when, notice } = QA;
  let sessions = [];

  const TEXTS = {
    title: ["校准", "Calibration"], new: ["发起校准", "Run a calibration"], name: ["名称", "Name"],
    contact: ["联络编号", "Contact id"], evaluators: ["质检员编号", "Evaluator ids"], ids_hint: ["用逗号分隔", "comma separated"],
    expert: ["专家编号(可选)", "Expert id (optional)"], threshold: ["偏差阈值(分)", "Points off that flag"],
    start: ["发起", "Start"], sessions: ["校准记录", "Sessions"], blind: ["尚未全部评分:结果对所有人保密。", "Not everyone has scored: the results stay hidden."],
    scored: ["已评分", "Scored"], waiting: ["待评分", "To score"], open: ["打开我的评估", "Open my evaluation"],
    close: ["结束校准", "Close"], reference: ["参考", "Reference"], expert_ref: ["专家", "the expert"], mean_ref: ["平均", "the mean"],
    question: ["问题", "Question"], score: ["得分", "Score"], deviation: ["偏差", "Off by"], flagged: ["偏差过大", "Far off"],
    created: ["已发起校准", "Calibration started"],
  };

  function personName(session, id) {
    const person = session.people.find((p) => p.id === Number(id));
    return person ? person.name + (person.expert ? ` (${t("expert_ref")})` : "") : `#${id}`;
  }

  function comparison(session) {
    if (!session.complete) return el("p", { class: "muted", text: t("blind") });
    const people = session.scores.map((s) => s.evaluator_id);
    const head = el("tr", {}, el("th", { text: t("question") }), el("th", { text: `${t("reference")} (${t(session.reference === "expert" ? "expert_ref" : "mean_ref")})` }),
      ...people.map((p) => el("th", { text: personName(session, p) })));
    const rows = session.questions.map((q) => el("tr", {}, el("td", { text: label(q.text) }), el("td", { text: q.reference ?? "—" }),
      ...people.map((p) => {
        const off = q.deviation[String(p)];
        return el("td", { class: off !== null && Math.abs(off) >= 50 ? "off" : "", text: q.answers[String(p)] === null ? "—" : `${q.answers[String(p)]} (${off >= 0 ? "+" : ""}${off})` });
      })));
    const totals = el("tr", {}, el("th", { text: t("score") }), el("th", { text: session.reference_score }),
      ...session.scores.map((s) => el("th", { class: s.flagged ? "off" : "", text: `${s.score} (${s.deviation >= 0 ? "+" : ""}${s.deviation})${s.flagged ? ` ⚑ ${t("flagged")}` : ""}` })));
    return el("table", { class: "list calibration" }, el("thead", {}, head), el("tbody", {}, ...rows, totals));
  }

  function draw() {
    const me = QA.me();
    $("sessions").replaceChildren(...sessions.map((s) => {
      const mine = s.people.find((p) => p.id === me.id);
      return el("article", { class: "calibration-session" },
        el("h3", { text: `${s.name} · #${s.contact_id} · ${when(s.created_at)}` }),
        el("p", {}, ...s.people.map((p) => el("span", { class: p.submitted ? "tag done" : "tag", text: `${p.name}${p.expert ? ` (${t("expert_ref")})` : ""}: ${t(p.submitted ? "scored" : "waiting")} ` }))),
        mine ? el("a", { href: `/qa/evaluations/${mine.evaluation_id}`, text: t("open") }) : null,
        !s.closed_at && !s.complete ? el("button", { type: "button", text: t("close"), onclick: async () => { if (await api("POST", `/api/qa/calibrations/${s.id}/close`)) load(); } }) : null,
        comparison(s));
    }));
  }

  async function load() {
    const found = await api("GET", "/api/qa/calibrations");
    if (!found) return;
    sessions = found.calibrations;
    $("new-card").hidden = !found.may_run;
    draw();
  }

  $("new").addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = event.target.elements;
    const made = await api("POST", "/api/qa/calibrations", {
      name: f.name.value, contact_id: Number(f.contact_id.value),
      evaluator_ids: f.evaluators.value.split(/[,\s]+/).filter(Boolean).map(Number),
      expert_id: f.expert_id.value ? Number(f.expert_id.value) : null,
      threshold: f.threshold.value ? Number(f.threshold.value) : null,
    });
    if (made) { notice(t("created")); load(); }
  });

  QA.start(TEXTS, () => draw()).then((me) => { if (me) load(); });
})();
