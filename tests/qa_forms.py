"""Scorecard forms the QA tests share."""

from __future__ import annotations

from typing import Any

# The words of the questions, sections and options the tests name (a form a hotline would write).
WORDS = {
    "verified": ("核实了客户身份", "Verified the customer's identity"),
    "courtesy": ("礼貌用语", "Courtesy"),
    "explained": ("解释清楚解决方案", "Explained the solution"),
    "follow_up_offered": ("主动提供后续跟进", "Offered a follow-up"),
    "accurate": ("信息准确", "Information accurate"),
    "Opening": ("开场", "Opening"),
    "Solution": ("解决问题", "Solution"),
    "fully": ("完整", "Fully"),
    "partly": ("部分", "Partly"),
    "not": ("没有", "Not"),
}


def label(text: str) -> dict[str, str]:
    zh, en = WORDS.get(text, (text, text))
    return {"zh": zh, "en": en}


def question(qid: str, kind: str = "yes_no", weight: float = 50, **more: Any) -> dict[str, Any]:
    return {"id": qid, "text": label(qid), "kind": kind, "weight": weight, **more}


def service_form() -> dict[str, Any]:
    """Two sections, 60/40: greeting (a critical-for-the-form ID check, a 1-5 courtesy scale), solution (a
    choice, a yes/no that may be not applicable, a critical-for-the-section accuracy question)."""
    return {
        "sections": [
            {
                "id": "opening",
                "title": label("Opening"),
                "weight": 60,
                "questions": [
                    question("verified", weight=50, critical="form"),
                    question("courtesy", "scale", weight=50, scale_min=1, scale_max=5),
                ],
            },
            {
                "id": "solution",
                "title": label("Solution"),
                "weight": 40,
                "questions": [
                    question(
                        "explained",
                        "choice",
                        weight=40,
                        options=[
                            {"id": "fully", "label": label("fully"), "score": 100},
                            {"id": "partly", "label": label("partly"), "score": 50},
                            {"id": "not", "label": label("not"), "score": 0},
                        ],
                    ),
                    question("follow_up_offered", weight=30, allow_na=True),
                    question("accurate", weight=30, critical="section"),
                ],
            },
        ],
        "bands": {"pass": 80, "excellent": 95},
    }


PERFECT = {"verified": "yes", "courtesy": 5, "explained": "fully", "follow_up_offered": "yes", "accurate": "yes"}
