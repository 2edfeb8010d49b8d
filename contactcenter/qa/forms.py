"""A scorecard's form and how it scores (the rules the issue names, after Amazon Connect's evaluation forms and
Zendesk QA's critical categories):

- A form has sections, a section has questions: yes/no, a scale (min..max) or a choice of options, each option
  worth 0-100 % of the question.
- Weights: questions within a section total 100, sections within the form total 100 (checked on publish;
  `rebalance` scales what the builder typed to 100). An answer "na" (allowed per question) is left out and
  the weights of the others in its section grow in proportion; a section with every answer "na" is left
  out the same way among the sections.
- Critical questions: an answer worth under 50 % fails the question's section (the section scores 0) or the
  whole form (the evaluation scores 0 and fails).
- Bands: under `pass` fails, from `excellent` is excellent; a form-level critical failure always fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,64}$")]
NA = "na"
CRITICAL_BELOW = 0.5  # an answer worth less than this fails a critical question (Zendesk QA's 50 %)
WEIGHT_TOLERANCE = 0.01
BAND_LABELS = {"fail": ("不合格", "Fail"), "pass": ("合格", "Pass"), "excellent": ("优秀", "Excellent")}
KIND_LABELS = {"yes_no": ("是/否", "Yes / no"), "scale": ("评分", "Scale"), "choice": ("选项", "Choice")}


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid")

    zh: Text
    en: Text


class Option(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Code
    label: Label
    score: Annotated[float, Field(ge=0, le=100)]  # % of the question


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Code
    text: Label
    kind: Literal["yes_no", "scale", "choice"]
    weight: Annotated[float, Field(ge=0, le=100)] = 0
    critical: Literal["section", "form"] | None = None
    allow_na: bool = False
    options: list[Option] = []  # choice; yes_no gets yes (100) / no (0) unless given
    scale_min: int = 1
    scale_max: int = 5

    @model_validator(mode="after")
    def _options_fit_the_kind(self) -> Question:
        if self.kind == "yes_no" and not self.options:
            self.options = [
                Option(id="yes", label=Label(zh="是", en="Yes"), score=100),
                Option(id="no", label=Label(zh="否", en="No"), score=0),
            ]
        if self.kind == "yes_no" and len(self.options) != 2:
            raise ValueError(f"question {self.id}: a yes/no question has two options")
        if self.kind == "choice" and len(self.options) < 2:
            raise ValueError(f"question {self.id}: a choice needs at least two options")
        if self.kind == "scale" and not 0 <= self.scale_min < self.scale_max <= 100:
            raise ValueError(f"question {self.id}: a scale runs from a smaller to a larger number (0-100)")
        if len({option.id for option in self.options}) != len(self.options):
            raise ValueError(f"question {self.id}: two options have the same id")
        return self

    def worth(self, answer: Any) -> float:
        """What `answer` is worth, 0.0-1.0; ValueError if it is not an answer to this question."""
        if self.kind == "scale":
            if isinstance(answer, bool) or not isinstance(answer, int):
                raise ValueError(f"{self.id}: answer a number from {self.scale_min} to {self.scale_max}")
            if not self.scale_min <= answer <= self.scale_max:
                raise ValueError(f"{self.id}: answer a number from {self.scale_min} to {self.scale_max}")
            return (answer - self.scale_min) / (self.scale_max - self.scale_min)
        for option in self.options:
            if option.id == answer:
                return option.score / 100
        raise ValueError(f"{self.id}: answer one of {', '.join(o.id for o in self.options)}")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Code
    title: Label
    weight: Annotated[float, Field(ge=0, le=100)] = 0
    questions: Annotated[list[Question], Field(min_length=1, max_length=100)]


class Bands(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pass_: Annotated[float, Field(ge=0, le=100, alias="pass")] = 80
    excellent: Annotated[float, Field(ge=0, le=100)] = 95

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        if self.excellent < self.pass_:
            raise ValueError("the excellent band starts at or above the pass mark")
        return self


class Form(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    sections: Annotated[list[Section], Field(min_length=1, max_length=30)]
    bands: Bands = Bands()

    @model_validator(mode="after")
    def _ids_unique(self) -> Form:
        questions = [q.id for s in self.sections for q in s.questions]
        if len(set(questions)) != len(questions):
            raise ValueError("two questions have the same id")
        if len({s.id for s in self.sections}) != len(self.sections):
            raise ValueError("two sections have the same id")
        return self

    def questions(self) -> dict[str, Question]:
        return {q.id: q for s in self.sections for q in s.questions}

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


def weight_problems(form: Form) -> list[str]:
    """What keeps the form's weights from totalling 100 (empty: they do): checked when it is published."""
    problems = []
    total = sum(s.weight for s in form.sections)
    if abs(total - 100) > WEIGHT_TOLERANCE:
        problems.append(f"the sections' weights total {total:g}, not 100")
    for section in form.sections:
        inner = sum(q.weight for q in section.questions)
        if abs(inner - 100) > WEIGHT_TOLERANCE:
            problems.append(f"section {section.id}: its questions' weights total {inner:g}, not 100")
    return problems


def _to_hundred(weights: list[float]) -> list[float]:
    """`weights` scaled to total 100 (equal if they total 0), to two decimals, the rounding on the last."""
    total = sum(weights)
    scaled = [100 / len(weights)] * len(weights) if total <= 0 else [w * 100 / total for w in weights]
    rounded = [round(w, 2) for w in scaled]
    rounded[-1] = round(100 - sum(rounded[:-1]), 2)
    return rounded


def rebalance(form: Form) -> Form:
    """The form with its weights scaled to total 100, sections and each section's questions."""
    data = form.as_json()
    for section, weight in zip(data["sections"], _to_hundred([s.weight for s in form.sections]), strict=True):
        section["weight"] = weight
        for question, inner in zip(
            section["questions"], _to_hundred([q["weight"] for q in section["questions"]]), strict=True
        ):
            question["weight"] = inner
    return Form.model_validate(data)


@dataclass
class SectionScore:
    id: str
    score: float | None  # None: every answer "na" (left out)
    failed: bool = False  # a section-level critical question failed


@dataclass
class Score:
    score: float
    band: str
    critical_failed: bool
    sections: list[SectionScore] = field(default_factory=list)
    failed_questions: list[str] = field(default_factory=list)  # critical questions answered under 50 %
    missing: list[str] = field(default_factory=list)  # questions not answered (allowed in a draft's preview)


def check_answers(form: Form, answers: dict[str, Any], *, complete: bool) -> list[str]:
    """What is wrong with `answers` (empty: nothing): unknown questions, answers that are not answers, "na"
    where not allowed, and, when `complete`, questions left unanswered."""
    questions, problems = form.questions(), []
    for qid, answer in answers.items():
        question = questions.get(qid)
        if question is None:
            problems.append(f"{qid}: no such question")
        elif answer == NA:
            if not question.allow_na:
                problems.append(f"{qid}: cannot be answered not applicable")
        else:
            try:
                question.worth(answer)
            except ValueError as exc:
                problems.append(str(exc))
    if complete:
        problems += [f"{qid}: not answered" for qid in questions if qid not in answers]
    return problems


def score(form: Form, answers: dict[str, Any]) -> Score:
    """The form's score for `answers` (checked with `check_answers` first); unanswered questions count as
    "na" so a draft can be previewed."""
    sections, failed_questions, missing = [], [], []
    form_failed = False
    for section in form.sections:
        weighted, weights, section_failed = 0.0, 0.0, False
        for question in section.questions:
            answer = answers.get(question.id)
            if answer is None:
                missing.append(question.id)
            if answer is None or answer == NA:
                continue
            worth = question.worth(answer)
            weighted += question.weight * worth
            weights += question.weight
            if question.critical and worth < CRITICAL_BELOW:
                failed_questions.append(question.id)
                section_failed |= question.critical == "section"
                form_failed |= question.critical == "form"
        if weights <= 0:  # all "na" (or weights of 0): left out, its weight shared by the others
            sections.append(SectionScore(section.id, None))
            continue
        sections.append(SectionScore(section.id, 0.0 if section_failed else 100 * weighted / weights, section_failed))
    counted = [(s, section.weight) for s, section in zip(sections, form.sections, strict=True) if s.score is not None]
    total_weight = sum(weight for _, weight in counted)
    total = sum((s.score or 0) * weight for s, weight in counted) / total_weight if total_weight > 0 else 0.0
    if form_failed:
        total = 0.0
    total = round(total, 1)
    band = (
        "fail" if form_failed or total < form.bands.pass_ else "excellent" if total >= form.bands.excellent else "pass"
    )
    for s in sections:
        s.score = None if s.score is None else round(s.score, 1)
    return Score(total, band, bool(failed_questions), sections, failed_questions, missing)
