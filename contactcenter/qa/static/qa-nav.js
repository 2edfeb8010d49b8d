// The QA pages' shared header links, in both languages: the work queue, recordings, scorecards, calibration, the
// figures, the wallboard, and the desk for those who use it; the page's own link left out.
"use strict";

const QANav = (() => {
  const LINKS = [
    ["/qa/work", "工作队列", "Work queue", () => true],
    ["/qa", "录音", "Recordings", () => true],
    ["/qa/scorecards", "评分表", "Scorecards", (role) => ["qa", "manager", "admin"].includes(role)],
    ["/qa/calibrations", "校准", "Calibration", () => true],
    ["/qa/figures", "质检数据", "QA figures", () => true],
    ["/wallboard", "监控大屏", "Wallboard", () => true],
    ["/desk", "工单台", "Desk", (role) => role !== "qa"],
  ];

  // Fill `nav` with the links for this role, in `lang` ("zh" or "en"), all but `here` (a path).
  function fill(nav, role, lang, here) {
    if (!nav) return;
    nav.replaceChildren(...LINKS.filter(([href, , , shown]) => href !== here && shown(role)).map(([href, zh, en]) => {
      const link = document.createElement("a");
      link.href = href;
      link.textContent = lang === "en" ? en : zh;
      return link;
    }));
  }

  return { fill };
})();
