"""Request bodies of the QA API (contract: qa/api.yml)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Words = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Answers = Annotated[dict[Annotated[str, StringConstraints(max_length=64)], Any], Field(max_length=500)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


class NewScorecard(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    channel: Literal["voice", "chat"] | None = None
    queue: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None = None
    form: dict[str, Any]


class DraftForm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    form: dict[str, Any]
    rebalance: bool = False
    name: Name | None = None
    channel: Literal["voice", "chat"] | None = None
    queue: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None = None


class Archive(BaseModel):
    model_config = ConfigDict(extra="forbid")

    archived: bool


class Preview(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: Answers = {}


class NewEvaluation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version_id: Id | None = None


class Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: Answers = {}
    summary: Words | None = None


class NewComment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Words
    at_seconds: Annotated[float, Field(ge=0, le=86_400)] | None = None
    question: Annotated[str, StringConstraints(max_length=64)] | None = None


class NewDispute(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: Words
    proposed: Answers = {}


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["accepted", "partial", "rejected"]
    decision: Words
    answers: Answers | None = None


class NewCalibration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    contact_id: Id
    evaluator_ids: Annotated[list[Id], Field(min_length=1, max_length=30)]
    expert_id: Id | None = None
    version_id: Id | None = None
    threshold: Annotated[float, Field(gt=0, le=100)] | None = None
