"""Sampling and the work queue over HTTP (contract: qa/api.yml, the sampling block): policies and runs for QA
leads, managers and admins; each evaluator's queue, claims and the pool; skips and coverage for leads; the
work-queue page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from contactcenter.access import Policy, reach, route
from contactcenter.context import Services
from contactcenter.errors import MAX_ID, Forbidden, Invalid, parsed, path_id
from contactcenter.qa import coverage as coverage_of
from contactcenter.qa import sampling_policies as policies
from contactcenter.qa import work_queue
from contactcenter.qa.sampling import SEED_BITS
from contactcenter.qa.sampling_models import SampleRun
from contactcenter.qa.sampling_runs import ensure_defaults, run_policy
from contactcenter.responses import JSONResponse
from contactcenter.timeutil import as_utc, utcnow
from contactcenter.users.auth import QA_ROLES, CurrentUser
from contactcenter.users.models import Role, User

Q = TypeVar("Q", bound=BaseModel)
STATIC = Path(__file__).resolve().parent / "static"
LEADS = Policy(
    "user",
    policies.LEAD_ROLES,
    forbidden="Sampling is kept by QA leads, managers and admins",
    note="QA leads (QA users marked so; other QA staff are refused by the handler), managers, admins",
)
WORK = Policy("user", QA_ROLES, note="QA staff, team leads, managers, admins: their own queue and the pool")
WORK_PAGE = Policy(
    "user",
    QA_ROLES,
    page=True,
    page_text=(
        "质检工作队列只供质检人员、组长、经理和管理员使用。",
        "The QA work queue is for QA staff, team leads, managers and admins.",
    ),
    note="QA staff, team leads, managers, admins (a page)",
)
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
QueueName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Kind = Literal["complaints", "flagged_agents", "random_per_agent", "percentage"]
Channel = Literal["voice", "chat"]


class NewPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: Kind
    per_agent: Annotated[int, Field(ge=0, le=1000)] = 0
    percentage: Annotated[float, Field(gt=0, le=100)] | None = None
    queues: Annotated[list[QueueName], Field(max_length=50)] = []
    channel: Channel | None = None
    min_seconds: Annotated[int, Field(ge=0, le=86400)] = 0
    recording_required: bool = True
    period_days: Annotated[int, Field(ge=1, le=366)] = 7
    evaluator_ids: Annotated[list[Id], Field(max_length=100)] = []
    assign: bool = True
    due_days: Annotated[int, Field(ge=0, le=60)] = 3
    active: bool = True


class PolicyChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    kind: Kind | None = None
    per_agent: Annotated[int, Field(ge=0, le=1000)] | None = None
    percentage: Annotated[float, Field(gt=0, le=100)] | None = None
    queues: Annotated[list[QueueName], Field(max_length=50)] | None = None
    channel: Channel | None = None
    min_seconds: Annotated[int, Field(ge=0, le=86400)] | None = None
    recording_required: bool | None = None
    period_days: Annotated[int, Field(ge=1, le=366)] | None = None
    evaluator_ids: Annotated[list[Id], Field(max_length=100)] | None = None
    assign: bool | None = None
    due_days: Annotated[int, Field(ge=0, le=60)] | None = None
    active: bool | None = None


class RunNow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: Annotated[int, Field(ge=0, le=2**SEED_BITS - 1)] | None = None
    dry_run: bool = False


class Skip(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class QueueQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue: QueueName | None = None
    channel: Channel | None = None
    agent_id: Id | None = None
    due: Literal["overdue", "today", "week"] | None = None
    status: Literal["open", "claimed", "done", "skipped"] | None = None
    evaluator_id: Id | None = None  # leads: someone else's queue
    everyone: bool = False  # leads: every evaluator's items


class CoverageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy_id: Id | None = None
    from_: Annotated[str, StringConstraints(max_length=10)] | None = Field(default=None, alias="from")
    to: Annotated[str, StringConstraints(max_length=10)] | None = None


def _query(model: type[Q], request: Request) -> Q:
    return parsed(model, json.dumps(dict(request.query_params)).encode(), problem="Bad query")


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _lead(request: Request) -> CurrentUser:
    user = reach(request).user
    policies.require_lead(user)
    return user


def _is_lead(user: CurrentUser) -> bool:
    return user.role in (Role.MANAGER, Role.ADMIN) or (user.role == Role.QA and user.qa_lead)


def _check_evaluators(services: Services, ids: list[int] | None) -> None:
    if not ids:
        return
    with services.db.reading() as session:
        found = set(session.scalars(select(User.id).where(User.id.in_(ids), User.role.in_(QA_ROLES))))
    if missing := sorted(set(ids) - found):
        raise Invalid(f"evaluator_ids: {missing} are not QA staff, team leads, managers or admins.")


async def work_page(request: Request) -> Response:
    """The evaluator's queue with filters and claims, and (leads) coverage per agent: data from the API below."""
    return FileResponse(STATIC / "work.html")


async def list_policies(request: Request) -> Response:
    user = _lead(request)
    services = _services(request)

    def read() -> list[dict[str, Any]]:
        with services.db.session() as session:  # a write only the first time: the default policies
            ensure_defaults(session, settings=services.settings)
            return policies.list_policies(session)

    return JSONResponse({"policies": await run_in_threadpool(read)}, viewer=user)


async def create_policy(request: Request) -> Response:
    user = _lead(request)
    body = parsed(NewPolicy, await request.body())
    services = _services(request)
    _check_evaluators(services, body.evaluator_ids)

    def write() -> dict[str, Any]:
        with services.db.session() as session:
            return policies.view(policies.create_policy(session, fields=body.model_dump(), actor_id=user.id))

    return JSONResponse(await run_in_threadpool(write), status_code=201, viewer=user)


async def change_policy(request: Request) -> Response:
    user = _lead(request)
    body = parsed(PolicyChange, await request.body())
    services = _services(request)
    policy_id = path_id(request, "policy_id")
    fields = body.model_dump(exclude_unset=True)
    for name in ("name", "kind", "per_agent", "min_seconds", "recording_required", "period_days", "assign", "active"):
        if name in fields and fields[name] is None:
            raise Invalid(f"{name}: may not be null.")
    _check_evaluators(services, body.evaluator_ids)

    def write() -> dict[str, Any]:
        with services.db.session() as session:
            changed = policies.change_policy(session, policy_id=policy_id, fields=fields, actor_id=user.id)
            return policies.view(changed)

    return JSONResponse(await run_in_threadpool(write), viewer=user)


async def delete_policy(request: Request) -> Response:
    user = _lead(request)
    services = _services(request)
    policy_id = path_id(request, "policy_id")

    def write() -> None:
        with services.db.session() as session:
            policies.delete_policy(session, policy_id=policy_id, actor_id=user.id)

    await run_in_threadpool(write)
    return JSONResponse({"deleted": policy_id}, viewer=user)


async def run_now(request: Request) -> Response:
    user = _lead(request)
    body = parsed(RunNow, await request.body())
    services = _services(request)
    policy_id = path_id(request, "policy_id")

    def write() -> dict[str, Any]:
        with services.db.session() as session:
            policy = policies.get_policy(session, policy_id=policy_id)
            result = run_policy(
                session,
                policy=policy,
                settings=services.settings,
                seed=body.seed,
                trigger="manual",
                actor_id=user.id,
                dry_run=body.dry_run,
            )
            return {**result.as_json(), "dry_run": body.dry_run}

    done = await run_in_threadpool(write)
    return JSONResponse(done, status_code=200 if body.dry_run else 201, viewer=user)


async def list_runs(request: Request) -> Response:
    user = _lead(request)
    services = _services(request)

    def read() -> list[dict[str, Any]]:
        with services.db.reading() as session:
            runs = session.scalars(select(SampleRun).order_by(SampleRun.id.desc()).limit(100))
            return [
                {
                    "id": run.id,
                    "policy_id": run.policy_id,
                    "window_start": as_utc(run.window_start).isoformat(),
                    "window_end": as_utc(run.window_end).isoformat(),
                    "seed": run.seed,
                    "trigger": run.trigger,
                    "candidates": run.candidates,
                    "selected": run.selected,
                    "contact_ids": run.contact_ids,
                    "created_by": run.created_by,
                    "created_at": as_utc(run.created_at).isoformat(),
                }
                for run in runs
            ]

    return JSONResponse({"runs": await run_in_threadpool(read)}, viewer=user)


async def my_queue(request: Request) -> Response:
    user = reach(request).user
    query = _query(QueueQuery, request)
    lead = _is_lead(user)
    if (query.evaluator_id not in (None, user.id) or query.everyone) and not lead:
        raise Forbidden("Other evaluators' queues are for QA leads, managers and admins.")
    filters = work_queue.Filters(query.queue, query.channel, query.agent_id, query.due, query.status)
    services = _services(request)
    whose = None if query.everyone else (query.evaluator_id or user.id)

    def read() -> dict[str, Any]:
        with services.db.reading() as session:
            zone = ZoneInfo(services.settings.timezone)
            return work_queue.work_queue(session, evaluator_id=whose, filters=filters, zone=zone)

    found = await run_in_threadpool(read)
    viewer = {
        "id": user.id,
        "display_name": user.display_name,
        "role": user.role,
        "lead": lead,
        "timezone": services.settings.timezone,
    }
    return JSONResponse({**found, "viewer": viewer}, viewer=user)


def _claimed(item: Any) -> dict[str, Any]:
    return {
        "id": item.id,
        "status": item.status,
        "evaluator_id": item.evaluator_id,
        "evaluation_id": item.evaluation_id,
        "evaluation_url": f"/qa/evaluations/{item.evaluation_id}",
    }


async def claim(request: Request) -> Response:
    user = reach(request).user
    services = _services(request)
    item_id = path_id(request, "item_id")

    def write() -> dict[str, Any]:
        with services.db.session() as session:
            return _claimed(work_queue.claim(session, item_id=item_id, user_id=user.id))

    return JSONResponse(await run_in_threadpool(write), viewer=user)


async def claim_next(request: Request) -> Response:
    user = reach(request).user
    body = parsed(QueueQuery, await request.body() or b"{}")
    if body.status or body.evaluator_id or body.everyone:
        raise Invalid("A claim from the pool takes queue, channel, agent_id and due only.")
    services = _services(request)
    filters = work_queue.Filters(body.queue, body.channel, body.agent_id, body.due)

    def write() -> dict[str, Any]:
        zone = ZoneInfo(services.settings.timezone)
        with services.db.session() as session:
            return _claimed(work_queue.claim_next(session, user_id=user.id, filters=filters, zone=zone))

    return JSONResponse(await run_in_threadpool(write), viewer=user)


async def skip(request: Request) -> Response:
    user = _lead(request)
    body = parsed(Skip, await request.body())
    services = _services(request)
    item_id = path_id(request, "item_id")

    def write() -> dict[str, Any]:
        with services.db.session() as session:
            item = work_queue.skip(session, item_id=item_id, reason=body.reason, actor_id=user.id)
            return {"id": item.id, "status": item.status, "skip_reason": item.skip_reason}

    return JSONResponse(await run_in_threadpool(write), viewer=user)


async def coverage(request: Request) -> Response:
    user = _lead(request)
    query = _query(CoverageQuery, request)
    services = _services(request)

    def read() -> dict[str, Any]:
        zone = ZoneInfo(services.settings.timezone)
        with services.db.reading() as session:
            policy = coverage_of.target_policy(session, policy_id=query.policy_id)
            if query.policy_id is not None and policy is None:
                raise Invalid(f"policy_id: no sampling policy {query.policy_id}.")
            days = policy.period_days if policy else services.settings.qa_sample_period_days
            start, end = coverage_of.period(first=query.from_, last=query.to, days=days, now=utcnow(), zone=zone)
            return coverage_of.coverage(session, start=start, end=end, policy=policy)

    return JSONResponse(await run_in_threadpool(read), viewer=user)


POLICY = "/api/qa/sampling/policies/{policy_id:int}"
routes = [
    route("/qa/work", work_page, methods=["GET"], policy=WORK_PAGE),
    route("/api/qa/sampling/policies", list_policies, methods=["GET"], policy=LEADS),
    route("/api/qa/sampling/policies", create_policy, methods=["POST"], policy=LEADS),
    route(POLICY, change_policy, methods=["PATCH"], policy=LEADS),
    route(POLICY, delete_policy, methods=["DELETE"], policy=LEADS),
    route(POLICY + "/run", run_now, methods=["POST"], policy=LEADS),
    route("/api/qa/sampling/runs", list_runs, methods=["GET"], policy=LEADS),
    route("/api/qa/work", my_queue, methods=["GET"], policy=WORK),
    route("/api/qa/work/claim", claim_next, methods=["POST"], policy=WORK),
    route("/api/qa/work/{item_id:int}/claim", claim, methods=["POST"], policy=WORK),
    route("/api/qa/work/{item_id:int}/skip", skip, methods=["POST"], policy=LEADS),
    route("/api/qa/coverage", coverage, methods=["GET"], policy=LEADS),
]
