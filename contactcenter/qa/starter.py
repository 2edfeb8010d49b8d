"""The scorecard a new hotline starts from (the demo publishes it; QA leads edit it into their own): the
hotline's service standard in three sections, its identity check critical for the whole evaluation."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from contactcenter.qa import scorecards
from contactcenter.qa.forms import Form
from contactcenter.qa.models import ScorecardVersion


def _q(qid: str, zh: str, en: str, weight: float, **more: Any) -> dict[str, Any]:
    return {"id": qid, "text": {"zh": zh, "en": en}, "kind": more.pop("kind", "yes_no"), "weight": weight, **more}


STARTER: dict[str, Any] = {
    "sections": [
        {
            "id": "opening",
            "title": {"zh": "开场与身份核实", "en": "Opening and identity"},
            "weight": 30,
            "questions": [
                _q("greeting", "使用标准问候语并报工号", "Greeted with the standard words and staff number", 40),
                _q(
                    "identity",
                    "办理业务前核实客户身份",
                    "Verified the customer's identity before acting",
                    60,
                    critical="form",
                ),
            ],
        },
        {
            "id": "handling",
            "title": {"zh": "问题处理", "en": "Handling"},
            "weight": 50,
            "questions": [
                _q(
                    "understood",
                    "准确理解客户诉求",
                    "Understood what the customer needed",
                    30,
                    kind="choice",
                    options=[
                        {"id": "fully", "label": {"zh": "完全", "en": "Fully"}, "score": 100},
                        {"id": "partly", "label": {"zh": "部分", "en": "Partly"}, "score": 50},
                        {"id": "not", "label": {"zh": "没有", "en": "Not"}, "score": 0},
                    ],
                ),
                _q(
                    "accurate",
                    "提供的信息和方案准确",
                    "The information and solution were accurate",
                    40,
                    critical="section",
                ),
                _q(
                    "ticket",
                    "工单记录完整、分类正确",
                    "The ticket was complete and rightly categorised",
                    30,
                    allow_na=True,
                ),
            ],
        },
        {
            "id": "manner",
            "title": {"zh": "服务态度", "en": "Manner"},
            "weight": 20,
            "questions": [
                _q("courtesy", "礼貌与耐心", "Courtesy and patience", 60, kind="scale", scale_min=1, scale_max=5),
                _q("closing", "确认问题解决并礼貌结束", "Confirmed the outcome and closed politely", 40),
            ],
        },
    ],
    "bands": {"pass": 80, "excellent": 95},
}


def publish_starter(session: Session, *, actor_id: int) -> ScorecardVersion:
    """The starter scorecard, for calls and chats of every queue, published."""
    version = scorecards.create_scorecard(
        session,
        name="热线服务标准 Hotline service standard",
        channel=None,
        queue=None,
        form=Form.model_validate(STARTER),
        actor_id=actor_id,
    )
    return scorecards.publish(session, scorecard_id=version.scorecard_id, actor_id=actor_id)
