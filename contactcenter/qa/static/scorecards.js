// The scorecard builder: sections and questions with their weights, critical items and bands; a draft is saved
// (a published version never changes: saving starts the next draft), rebalanced, previewed, published.
"use strict";

(() => {
  const { $, el, t, label, api, notice } = QA;
  let current = null;  // the version shown: {scorecard, number, status, form, ...}
  let form = null;  // the form being edited
  let canEdit = false;

  const TEXTS = {
    title: ["评分表", "Scorecards"], scorecards: ["评分表", "Scorecards"], name: ["名称", "Name"],
    channel: ["渠道", "Channel"], queue: ["队列", "Queue"], published: ["已发布版本", "Published"],
    latest: ["最新版本", "Latest"], new_card: ["新建评分表", "New scorecard"], both: ["电话和聊天", "Calls and chats"],
    voice: ["电话", "Calls"], chat: ["聊天", "Chats"], every_queue: ["所有队列", "every queue"],
    pass_mark: ["合格线", "Pass mark"], excellent_mark: ["优秀线", "Excellent from"],
    add_section: ["添加部分", "Add section"], add_question: ["添加问题", "Add question"], remove: ["删除", "Remove"],
    rebalance: ["权重自动平衡为 100", "Rebalance weights to 100"], save_draft: ["保存草稿", "Save draft"],
    publish: ["发布", "Publish"], preview: ["预览评分", "Preview"], section: ["部分", "Section"],
    weight: ["权重 %", "Weight %"], question_zh: ["问题(中文)", "Question (Chinese)"], question_en: ["问题(英文)", "Question (English)"],
    title_zh: ["标题(中文)", "Title (Chinese)"], title_en: ["标题(英文)", "Title (English)"],
    kind: ["类型", "Kind"], yes_no: ["是/否", "Yes / no"], scale: ["评分", "Scale"], choice: ["选项", "Choice"],
    critical: ["关键项", "Critical"], not_critical: ["否", "No"], critical_section: ["本部分为 0", "Zeroes its section"],
    critical_form: ["整张为 0", "Zeroes the evaluation"], allow_na: ["可选不适用", "May be not applicable"],
    options: ["选项:编号=分值%(每行一个,中文|英文)", "Options: id=score% (one a line, Chinese|English)"],
    scale_range: ["范围", "Range"], saved: ["草稿已保存", "Draft saved"], published_ok: ["已发布", "Published"],
    draft: ["草稿", "Draft"], retired: ["已停用", "Retired"], read_only: ["只有质检组长可以修改评分表。", "Only QA leads edit scorecards."],
    new_name: ["新评分表", "New scorecard"],
  };

  const blank = () => ({ zh: "", en: "" });
  const newQuestion = (n) => ({ id: `q${n}`, text: blank(), kind: "yes_no", weight: 0, critical: null, allow_na: false, options: [] });

  function nextId(prefix) {
    const used = new Set(form.sections.flatMap((s) => [s.id, ...s.questions.map((q) => q.id)]));
    let n = 1;
    while (used.has(`${prefix}${n}`)) n += 1;
    return `${prefix}${n}`;
  }

  function input(value, onchange, props = {}) {
    return el("input", { value: value ?? "", disabled: !canEdit, onchange: (e) => onchange(e.target.value), ...props });
  }

  function optionsText(q) {
    return q.options.map((o) => `${o.id}=${o.score} ${o.label.zh}|${o.label.en}`).join("\n");
  }

  function readOptions(text) {
    return text.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
      const [head, ...rest] = line.split(" ");
      const [id, score] = head.split("=");
      const [zh, en] = rest.join(" ").split("|");
      return { id: id.trim(), score: Number(score), label: { zh: (zh || id).trim(), en: (en || zh || id).trim() } };
    });
  }

  function drawQuestion(section, q) {
    const row = el("div", { class: "question-edit" },
      el("label", {}, t("question_zh"), input(q.text.zh, (v) => { q.text.zh = v; }, { maxLength: 500 })),
      el("label", {}, t("question_en"), input(q.text.en, (v) => { q.text.en = v; }, { maxLength: 500 })),
      el("label", {}, t("kind"), el("select", { disabled: !canEdit, onchange: (e) => { q.kind = e.target.value; q.options = []; draw(); } },
        ...["yes_no", "scale", "choice"].map((k) => el("option", { value: k, text: t(k), selected: q.kind === k })))),
      el("label", {}, t("weight"), input(q.weight, (v) => { q.weight = Number(v); drawWeights(); }, { type: "number", min: 0, max: 100, step: 0.01 })),
      el("label", {}, t("critical"), el("select", { disabled: !canEdit, onchange: (e) => { q.critical = e.target.value || null; } },
        ...[["", "not_critical"], ["section", "critical_section"], ["form", "critical_form"]]
          .map(([v, k]) => el("option", { value: v, text: t(k), selected: (q.critical || "") === v })))),
      el("label", {}, el("input", { type: "checkbox", checked: q.allow_na, disabled: !canEdit, onchange: (e) => { q.allow_na = e.target.checked; } }), ` ${t("allow_na")}`),
      q.kind === "scale" ? el("label", {}, t("scale_range"),
        input(q.scale_min ?? 1, (v) => { q.scale_min = Number(v); }, { type: "number", min: 0, max: 99 }), " – ",
        input(q.scale_max ?? 5, (v) => { q.scale_max = Number(v); }, { type: "number", min: 1, max: 100 })) : null,
      q.kind === "choice" ? el("label", { class: "wide" }, t("options"),
        el("textarea", { rows: 3, disabled: !canEdit, value: optionsText(q), onchange: (e) => { q.options = readOptions(e.target.value); } })) : null,
      canEdit ? el("button", { type: "button", class: "link", text: t("remove"), onclick: () => { section.questions.splice(section.questions.indexOf(q), 1); draw(); } }) : null);
    return row;
  }

  function drawWeights() {
    const total = form.sections.reduce((sum, s) => sum + Number(s.weight || 0), 0);
    const inner = form.sections.map((s) => `${label(s.title) || s.id}: ${s.questions.reduce((sum, q) => sum + Number(q.weight || 0), 0)}`);
    $("weights").textContent = `Σ ${total} · ${inner.join(" · ")}` + (current.weight_problems.length ? ` — ${current.weight_problems.join("; ")}` : "");
  }

  function drawPreview() {
    const box = $("preview");
    box.replaceChildren(...form.sections.flatMap((s) => s.questions).map((q) => {
      const choices = q.kind === "scale" ? Array.from({ length: (q.scale_max ?? 5) - (q.scale_min ?? 1) + 1 }, (_, i) => String((q.scale_min ?? 1) + i))
        : q.options.map((o) => o.id);
      if (q.allow_na) choices.push("na");
      return el("label", {}, `${label(q.text) || q.id} `, el("select", { name: q.id, "data-kind": q.kind },
        el("option", { value: "", text: "—" }), ...choices.map((c) => el("option", { value: c, text: c }))));
    }));
  }

  function draw() {
    $("editor").hidden = !current;
    if (!current) return;
    $("editing").textContent = current.scorecard.name;
    $("version").textContent = `v${current.number} · ${t(current.status === "published" ? "published" : current.status)}`;
    const where = $("where").elements;
    where.name.value = current.scorecard.name;
    where.channel.value = current.scorecard.channel || "";
    where.queue.value = current.scorecard.queue || "";
    where.pass.value = form.bands.pass;
    where.excellent.value = form.bands.excellent;
    for (const field of where) field.disabled = !canEdit;
    $("sections").replaceChildren(...form.sections.map((section) => el("fieldset", { class: "section" },
      el("legend", { text: `${t("section")} ${section.id}` }),
      el("label", {}, t("title_zh"), input(section.title.zh, (v) => { section.title.zh = v; }, { maxLength: 500 })),
      el("label", {}, t("title_en"), input(section.title.en, (v) => { section.title.en = v; }, { maxLength: 500 })),
      el("label", {}, t("weight"), input(section.weight, (v) => { section.weight = Number(v); drawWeights(); }, { type: "number", min: 0, max: 100, step: 0.01 })),
      ...section.questions.map((q) => drawQuestion(section, q)),
      canEdit ? el("button", { type: "button", text: t("add_question"), onclick: () => { section.questions.push(newQuestion(0)); section.questions.at(-1).id = nextId("q"); draw(); } }) : null,
      canEdit ? el("button", { type: "button", class: "link", text: t("remove"), onclick: () => { form.sections.splice(form.sections.indexOf(section), 1); draw(); } }) : null)));
    for (const id of ["add-section", "rebalance", "save", "publish"]) $(id).hidden = !canEdit;
    drawWeights();
    drawPreview();
  }

  function show(version) {
    current = version;
    form = JSON.parse(JSON.stringify(version.form));
    draw();
  }

  async function list() {
    const found = await api("GET", "/api/qa/scorecards");
    if (!found) return;
    $("cards").replaceChildren(...found.scorecards.map((c) => el("tr", {},
      el("td", {}, el("a", { href: "#", text: c.name, onclick: async (e) => { e.preventDefault(); const v = await api("GET", `/api/qa/scorecards/${c.id}`); if (v) show(v); } })),
      el("td", { text: c.channel ? t(c.channel) : t("both") }), el("td", { text: c.queue || t("every_queue") }),
      el("td", { text: c.published_version ? `v${c.published_version}` : "—" }), el("td", { text: `v${c.latest_version}` }))));
  }

  function body(rebalance) {
    const where = $("where").elements;
    form.bands = { pass: Number(where.pass.value), excellent: Number(where.excellent.value) };
    return { form, rebalance, name: where.name.value, channel: where.channel.value || null, queue: where.queue.value.trim() || null };
  }

  async function save(rebalance) {
    const saved = await api("PUT", `/api/qa/scorecards/${current.scorecard.id}/draft`, body(rebalance));
    if (saved) { show(saved); notice(t("saved")); list(); }
    return saved;
  }

  $("add-section").addEventListener("click", () => {
    form.sections.push({ id: nextId("s"), title: blank(), weight: 0, questions: [newQuestion(0)] });
    form.sections.at(-1).questions[0].id = nextId("q");
    draw();
  });
  $("rebalance").addEventListener("click", () => save(true));
  $("save").addEventListener("click", () => save(false));
  $("publish").addEventListener("click", async () => {
    if (!(await save(false))) return;
    const published = await api("POST", `/api/qa/scorecards/${current.scorecard.id}/publish`);
    if (published) { show(published); notice(t("published_ok")); list(); }
  });
  $("new-card").addEventListener("click", async () => {
    const starter = { sections: [{ id: "s1", title: { zh: "开场", en: "Opening" }, weight: 100, questions: [
      { id: "q1", text: { zh: "是否规范问候", en: "Greeted as the script says" }, kind: "yes_no", weight: 100 }] }], bands: { pass: 80, excellent: 95 } };
    const made = await api("POST", "/api/qa/scorecards", { name: t("new_name"), form: starter });
    if (made) { show(made); list(); }
  });
  $("preview").addEventListener("change", async () => {
    const answers = {};
    for (const select of $("preview").querySelectorAll("select")) {
      if (!select.value) continue;
      answers[select.name] = select.value === "na" ? "na" : select.dataset.kind === "scale" ? Number(select.value) : select.value;
    }
    const result = await api("POST", `/api/qa/scorecard-versions/${current.id}/preview`, { answers });
    if (result) $("preview-score").textContent = `${result.score} · ${label(result.band_label)}`;
  });

  QA.start(TEXTS, draw).then((me) => {
    if (!me) return;
    canEdit = ["manager", "admin"].includes(me.role) || (me.role === "qa" && me.qa_lead);
    $("new-card").hidden = !canEdit;
    if (!canEdit) notice(t("read_only"));
    list();
  });
})();
