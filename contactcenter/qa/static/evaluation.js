// The evaluation page: the recording (or chat transcript) beside its scorecard. The evaluator answers (saved as
// they go), comments at moments of the recording, submits; the agent acknowledges or disputes; a reviewer decides.
"use strict";

(() => {
  const { $, el, t, label, api, when, clock, notice } = QA;
  // replaceChildren with what is there (a part not shown is null).
  const put = (node, ...children) => node.replaceChildren(...children.filter((c) => c !== null && c !== undefined && c !== false));
  const id = Number(location.pathname.split("/").pop());
  let evaluation = null;
  let player = null;
  let saving = null;

  const TEXTS = {
    title: ["质检评估", "Evaluation"],
    recording: ["录音 / 聊天记录", "Recording / transcript"],
    comments: ["评语", "Comments"],
    at_now: ["在当前时间点", "At the current moment"],
    add_comment: ["添加评语", "Add comment"],
    timeline: ["工单时间线", "Ticket timeline"],
    summary: ["总评", "Summary"],
    history: ["修订与申诉", "Revisions and disputes"],
    submit: ["提交评估", "Submit"],
    acknowledge: ["确认已阅", "Acknowledge"],
    dispute: ["申诉", "Dispute"],
    dispute_why: ["申诉理由", "Why you disagree"],
    propose: ["建议答案", "Your answer"],
    retract: ["撤回申诉", "Retract the dispute"],
    decide: ["处理申诉", "Decide the dispute"],
    outcome: ["结论", "Outcome"],
    accepted: ["接受", "Accept"],
    partial: ["部分接受", "Partly accept"],
    rejected: ["驳回", "Reject"],
    decision: ["处理说明", "Decision"],
    send: ["提交", "Send"],
    saved: ["已自动保存", "Saved"],
    agent: ["坐席", "Agent"],
    evaluator: ["质检员", "Evaluator"],
    queue: ["队列", "Queue"],
    channel: ["渠道", "Channel"],
    voice: ["电话", "Call"],
    chat: ["在线聊天", "Chat"],
    talk: ["通话时长", "Talk time"],
    ivr_path: ["IVR 路径", "IVR path"],
    ticket: ["工单", "Ticket"],
    status: ["状态", "Status"],
    acknowledge_by: ["确认期限", "Acknowledge by"],
    dispute_until: ["申诉期限", "Dispute until"],
    revision: ["修订", "Revision"],
    round: ["第 {n} 轮申诉", "Dispute round {n}"],
    critical: ["关键项", "Critical"],
    critical_form: ["不合格则整张评估为 0", "Fails the whole evaluation"],
    critical_section: ["不合格则本部分为 0", "Fails its section"],
    no_recording: ["没有录音", "No recording"],
    submitted_ok: ["评估已提交,坐席会收到通知。", "Submitted; the agent is notified."],
    customer: ["客户", "Customer"],
    agent_said: ["坐席", "Agent"],
    system: ["系统", "System"],
  };

  // The answer inputs of one question (`name` prefix: "a" the evaluator's, "p" a proposal, "r" a reviewer's).
  function answerInput(question, prefix, value, disabled) {
    const name = `${prefix}-${question.id}`;
    const choices = question.kind === "scale"
      ? Array.from({ length: question.scale_max - question.scale_min + 1 }, (_, i) => [question.scale_min + i, String(question.scale_min + i)])
      : question.options.map((o) => [o.id, label(o.label)]);
    if (question.allow_na) choices.push(["na", t("na")]);
    const box = el("span", { class: "choices" });
    for (const [code, text] of choices) {
      box.append(el("label", {}, el("input", {
        type: "radio", name, value: String(code), checked: value !== undefined && String(value) === String(code), disabled,
        "data-question": question.id, "data-kind": question.kind,
      }), ` ${text}`));
    }
    return box;
  }

  function readAnswers(form, prefix) {
    const answers = {};
    for (const input of form.querySelectorAll(`input[type=radio]:checked`)) {
      if (!input.name.startsWith(`${prefix}-`)) continue;
      const question = input.dataset.question;
      answers[question] = input.value === "na" ? "na" : input.dataset.kind === "scale" ? Number(input.value) : input.value;
    }
    return answers;
  }

  function drawForm() {
    const form = $("answers");
    const editing = evaluation.may.edit;
    const failed = new Set(evaluation.failed_questions);
    const sections = new Map(evaluation.sections.map((s) => [s.id, s]));
    form.replaceChildren(...evaluation.form.sections.map((section) => {
      const result = sections.get(section.id) || {};
      return el("fieldset", { class: result.failed ? "section failed" : "section" },
        el("legend", { text: `${label(section.title)} · ${section.weight}% · ${result.score ?? "—"}` }),
        ...section.questions.map((q) => el("div", { class: failed.has(q.id) ? "question failed" : "question", "data-question": q.id },
          el("p", {},
            el("b", { text: label(q.text) }), ` (${q.weight}%) `,
            q.critical ? el("span", { class: "critical", title: t(q.critical === "form" ? "critical_form" : "critical_section"), text: t("critical") }) : null),
          answerInput(q, "a", evaluation.answers[q.id], !editing))));
    }));
    $("summary").value = evaluation.summary || "";
    $("summary").disabled = !editing;
  }

  function drawFacts() {
    const c = evaluation.contact;
    const fact = (key, value) => (value === null || value === undefined || value === "" ? null
      : el("div", { class: "figure" }, el("span", { class: "label", text: t(key) }), el("b", { text: String(value) })));
    put($("facts"), 
      fact("agent", evaluation.agent.name), fact("evaluator", evaluation.evaluator.name),
      fact("channel", t(c.channel)), fact("queue", c.queue_label), fact("talk", c.talk_seconds === null ? null : clock(c.talk_seconds)),
      fact("ivr_path", c.ivr_path),
      c.ticket_id ? el("div", { class: "figure" }, el("span", { class: "label", text: t("ticket") }),
        el("a", { href: `/desk/tickets/${c.ticket_id}`, text: `#${c.ticket_id}` })) : null,
      fact("status", label(evaluation.status_label)),
      fact("acknowledge_by", evaluation.status === "submitted" ? when(evaluation.acknowledge_by) : null),
      fact("dispute_until", evaluation.may.dispute ? when(evaluation.dispute_until) : null),
    );
    $("scorecard-name").textContent = `${evaluation.scorecard.name} v${evaluation.scorecard.version}`;
    $("score").textContent = evaluation.score === null ? "" : `${evaluation.score} · ${label(evaluation.band_label)}`;
    $("score").className = `score ${evaluation.band || ""}`;
  }

  function drawMedia() {
    const c = evaluation.contact;
    const box = $("media");
    if (c.channel === "chat") {
      box.replaceChildren(el("ol", { class: "transcript" }, ...(c.transcript || []).map((m) => el("li", { class: m.sender },
        el("span", { class: "muted", text: `${clock(m.at_seconds)} ${t(m.sender === "customer" ? "customer" : m.sender === "agent" ? "agent_said" : "system")} ` }),
        el("span", { text: m.body })))));
      return;
    }
    if (player) return;  // drawn once: the player keeps playing through redraws
    const [recording] = c.recordings;
    if (!recording) { box.replaceChildren(el("p", { class: "muted", text: t("no_recording") })); return; }
    const base = `/api/qa/evaluations/${id}/recordings/${recording.id}`;  // whoever reads the evaluation hears it
    const mediaUrl = `${base}/media`;
    if (window.RecordingPlayer) {
      player = new RecordingPlayer(box, { mediaUrl, peaksUrl: `${base}/peaks`, lang: QA.lang() });
    } else {
      const audio = el("audio", { controls: true, src: mediaUrl, preload: "metadata" });
      box.replaceChildren(audio);
      player = { get currentTime() { return audio.currentTime; }, seek(s) { audio.currentTime = s; }, setMarkers() {} };
    }
  }

  function drawComments() {
    const list = $("comments");
    const mine = evaluation.may.edit;
    list.replaceChildren(...evaluation.comments.map((c) => el("li", {},
      c.at_seconds === null ? null : el("button", { type: "button", class: "moment", text: clock(c.at_seconds),
        onclick: () => player && player.seek(c.at_seconds) }),
      ` ${c.text} `, el("span", { class: "muted", text: c.author }),
      mine ? el("button", { type: "button", class: "link", text: "×", title: "delete", onclick: () => act("DELETE", `/comments/${c.id}`) }) : null)));
    $("comment-form").hidden = !mine;
    if (player && player.setMarkers) {
      player.setMarkers(evaluation.comments.filter((c) => c.at_seconds !== null).map((c) => ({ seconds: c.at_seconds, label: c.text })));
    }
  }

  function drawHistory() {
    const rows = [];
    for (const r of evaluation.revisions) {
      rows.push(el("li", {}, el("span", { class: "muted", text: `${when(r.at)} ` }), `${t("revision")} ${r.number}: ${r.score} · ${label(r.band_label)}`));
    }
    for (const d of evaluation.disputes) {
      rows.push(el("li", {}, el("span", { class: "muted", text: `${when(d.created_at)} ` }),
        `${t("round").replace("{n}", d.round)} · ${label(d.status_label)}: ${d.comment}`,
        d.decision ? el("div", { class: "decision", text: `→ ${d.decision}` }) : null));
    }
    put($("history"), ...rows);
  }

  function proposalForm(prefix, withOutcome) {
    const form = el("form", { class: "dispute" });
    if (withOutcome) {
      form.append(el("label", {}, `${t("outcome")} `, el("select", { name: "outcome" },
        ...["accepted", "partial", "rejected"].map((o) => el("option", { value: o, text: t(o) })))));
    }
    form.append(el("label", {}, t(withOutcome ? "decision" : "dispute_why"), el("textarea", { name: "words", required: true, maxLength: 2000, rows: 2 })));
    const questions = evaluation.form.sections.flatMap((s) => s.questions);
    form.append(el("details", {}, el("summary", { text: t("propose") }),
      ...questions.map((q) => el("div", { class: "question" }, el("p", { text: label(q.text) }), answerInput(q, prefix, undefined, false)))));
    form.append(el("button", { type: "submit", class: "primary", text: t(withOutcome ? "decide" : "dispute") }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const answers = readAnswers(form, prefix);
      const words = form.elements.words.value;
      if (withOutcome) {
        const outcome = form.elements.outcome.value;
        await act("POST", "/disputes/decision", { outcome, decision: words, answers: outcome === "partial" ? answers : null });
      } else {
        await act("POST", "/disputes", { comment: words, proposed: answers });
      }
    });
    return form;
  }

  function drawActions() {
    const may = evaluation.may;
    const button = (key, onclick, primary) => el("button", { type: "button", class: primary ? "primary" : "", text: t(key), onclick });
    put($("actions"), 
      may.edit ? button("submit", () => act("POST", "/submit").then((done) => done && notice(t("submitted_ok"))), true) : null,
      may.acknowledge ? button("acknowledge", () => act("POST", "/acknowledge"), true) : null,
      may.retract ? button("retract", () => act("POST", "/disputes/retract")) : null,
    );
    put($("dispute-box"), 
      may.dispute ? el("section", {}, el("h3", { text: t("dispute") }), proposalForm("p", false)) : null,
      may.decide ? el("section", {}, el("h3", { text: t("decide") }), proposalForm("r", true)) : null,
    );
  }

  async function loadTimeline() {
    const ticket = evaluation.contact.ticket_id;
    $("timeline-title").hidden = !ticket;
    if (!ticket) return;
    const found = await fetch(`/api/tickets/${ticket}`).then((r) => (r.ok ? r.json() : null)).catch(() => null);
    if (!found) return;
    put($("timeline"), ...(found.history || []).map((e) => el("li", {},
      el("span", { class: "muted", text: `${when(e.at)} ` }), e.label)));
  }

  function draw() {
    drawFacts();
    drawMedia();
    drawForm();
    drawComments();
    drawHistory();
    drawActions();
  }

  async function act(method, path, body) {
    const done = await api(method, `/api/qa/evaluations/${id}${path}`, body);
    if (done) { evaluation = done; draw(); }
    return done;
  }

  // Autosave: the evaluator's answers and summary, a moment after they change; the score shown is the server's.
  function saveSoon() {
    clearTimeout(saving);
    saving = setTimeout(async () => {
      const done = await api("PUT", `/api/qa/evaluations/${id}/draft`, { answers: readAnswers($("answers"), "a"), summary: $("summary").value });
      if (done) {
        evaluation = done;
        drawFacts();
        drawForm();
        $("saved").textContent = `${t("saved")} ${when(new Date().toISOString())}`;
      }
    }, 600);
  }

  $("answers").addEventListener("change", saveSoon);
  $("summary").addEventListener("input", saveSoon);
  $("comment-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const at = $("comment-at-now").checked && player ? Math.round(player.currentTime * 10) / 10 : null;
    if (await act("POST", "/comments", { text: $("comment-text").value, at_seconds: at })) $("comment-text").value = "";
  });

  QA.start(TEXTS, () => evaluation && draw()).then(async (me) => {
    if (!me) return;
    evaluation = await api("GET", `/api/qa/evaluations/${id}`);
    if (!evaluation) return;
    draw();
    loadTimeline();
  });
})();
