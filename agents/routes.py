"""The agent console page and its HTTP actions; state reaches the page only over the websocket."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from agents import call_control, consult, screen_pop, service, voice, wrap_up_drafts
from agents import wrap_up as wrap_ups
from agents.forms import draft_form, wrap_up_form
from agents.schemas import Mute, Transfer, WrapUpExtension
from contactcenter.access import route
from contactcenter.access.rules import AGENT, AGENT_ACTION, AGENT_SELF, PAGE, SCREEN_POP
from contactcenter.audit.access import Action, audited
from contactcenter.callbacks.models import CallbackKind
from contactcenter.errors import json_object, parsed, path_id
from contactcenter.responses import JSONResponse
from contactcenter.tickets.lifecycle import WRAP_UP_STATES
from contactcenter.users.auth import AGENT_ROLES, SUPERVISOR_ROLES, as_user, require_user
from queues import service as queues

STATIC = Path(__file__).resolve().parent / "static"


async def console_page(request: Request) -> Response:
    return FileResponse(STATIC / "console.html")


async def _json_body(request: Request) -> dict[str, Any]:
    return json_object(await request.body())


def _contact_id(request: Request) -> int:
    return path_id(request, "contact_id")


async def _act(request: Request, action: Any, **kwargs: Any) -> Response:
    services = request.app.state.services
    result = await run_in_threadpool(
        as_user(request, AGENT_ROLES, lambda agent: action(services, agent=agent, **kwargs))
    )
    return JSONResponse({"ok": True, **({"state": result} if isinstance(result, str) else {})})


async def set_state(request: Request) -> Response:
    body = await _json_body(request)
    return await _act(request, service.set_state, state=str(body.get("state", "")), reason=str(body.get("reason", "")))


async def accept(request: Request) -> Response:
    return await _act(request, service.accept, contact_id=_contact_id(request))


async def reject(request: Request) -> Response:
    return await _act(request, service.reject, contact_id=_contact_id(request))


async def end(request: Request) -> Response:
    return await _act(request, service.end, contact_id=_contact_id(request))


async def wrap_up(request: Request) -> Response:
    body = await _json_body(request)
    form = wrap_up_form(body, timezone=request.app.state.services.settings.timezone)
    return await _act(request, wrap_ups.wrap_up, contact_id=_contact_id(request), form=form)


async def save_wrap_up_draft(request: Request) -> Response:
    body = await _json_body(request)
    form = draft_form(body, timezone=request.app.state.services.settings.timezone)
    return await _act(request, wrap_up_drafts.save_draft, contact_id=_contact_id(request), form=form)


async def wrap_up_draft(request: Request) -> Response:
    services = request.app.state.services
    draft = await run_in_threadpool(
        as_user(
            request,
            AGENT_ROLES,
            lambda agent: wrap_up_drafts.draft_of(services, agent=agent, contact_id=_contact_id(request)),
        )
    )
    return JSONResponse(draft, whole=True)  # their own unfinished text, put back in their form


async def screen_pop_of(request: Request) -> Response:
    viewer = await require_user(request, AGENT_ROLES | SUPERVISOR_ROLES)
    pop = await run_in_threadpool(
        screen_pop.screen_pop, request.app.state.services, viewer=viewer, contact_id=_contact_id(request)
    )
    # A read of the customer record (or, for an unknown caller, of the contact and its number).
    customer, contact = pop["customer"], pop["contact"]["id"]
    kind, key = ("customer", customer["id"]) if customer else ("contact", contact)
    await audited(request, viewer, action=Action.READ, object_type=kind, object_id=key, detail=f"contact {contact}")
    return JSONResponse(pop, viewer=viewer)


async def console_options(request: Request) -> Response:
    """The lists and timings the console offers (settings), and every queue's display name: the agent's own
    queues, any queue a transfer may go to (the server takes any) and any in a customer's history."""
    await require_user(request, AGENT_ROLES)
    services = request.app.state.services
    settings = services.settings

    def names() -> dict[str, str]:
        with services.db.session() as session:
            return queues.display_names(session)

    return JSONResponse(
        {
            "not_ready_reasons": list(settings.not_ready_reasons),
            "disposition_codes": list(settings.disposition_codes),
            "ticket_categories": list(settings.ticket_categories),
            "ticket_statuses": [status.value for status in WRAP_UP_STATES],
            "follow_up_kinds": [kind.value for kind in CallbackKind],
            "timezone": settings.timezone,
            "console_grace_seconds": settings.console_grace_seconds,
            "auto_answer": settings.auto_answer,
            "agent_ring_seconds": settings.agent_ring_seconds,
            "show_monitoring": settings.show_monitoring,
            "queue_names": await run_in_threadpool(names),
        }
    )


async def transfer(request: Request) -> Response:
    to = parsed(Transfer, await request.body(), problem='Send {"queue": "name"}, {"agent": id} or {"number": "+86..."}')
    if to.number is not None:
        return await _act(request, call_control.transfer_out, contact_id=_contact_id(request), number=to.number)
    action = consult.start if to.warm else service.transfer
    return await _act(request, action, contact_id=_contact_id(request), queue=to.queue, to_agent=to.agent, note=to.note)


async def complete_transfer(request: Request) -> Response:
    return await _act(request, consult.end, contact_id=_contact_id(request), outcome="complete")


async def cancel_transfer(request: Request) -> Response:
    return await _act(request, consult.end, contact_id=_contact_id(request), outcome="cancel")


async def hold(request: Request) -> Response:
    return await _act(request, call_control.hold, contact_id=_contact_id(request), on=True)


async def resume(request: Request) -> Response:
    return await _act(request, call_control.hold, contact_id=_contact_id(request), on=False)


async def mute(request: Request) -> Response:
    body = parsed(Mute, await request.body() or b"{}", problem='Send {"muted": true} or {"muted": false}')
    return await _act(request, call_control.mute, contact_id=_contact_id(request), muted=body.muted)


async def extend_wrap_up(request: Request) -> Response:
    more = parsed(WrapUpExtension, await request.body() or b"{}", problem='Send {"seconds": N} with N from 1 to 3600')
    return await _act(request, service.extend_wrap_up, seconds=more.seconds)


async def my_day(request: Request) -> Response:
    """The agent's own day, and the service level of the queues they serve."""
    agent = await require_user(request, AGENT_ROLES)
    routing = request.app.state.services.routing

    def figures() -> dict[str, Any]:
        levels = [
            {"queue": queue, "service_level_percent": routing.queue_stats(queue=queue)["service_level_percent"]}
            for queue in agent.queues
        ]
        return {**routing.agent_stats(agent_id=str(agent.id)), "queues": levels}

    return JSONResponse(await run_in_threadpool(figures))


routes = [
    route("/console", console_page, methods=["GET"], policy=PAGE),
    route("/api/agent/state", set_state, methods=["POST"], policy=AGENT_SELF),
    route("/api/agent/offers/{contact_id:int}/accept", accept, methods=["POST"], policy=AGENT_ACTION),
    route("/api/agent/offers/{contact_id:int}/reject", reject, methods=["POST"], policy=AGENT_ACTION),
    route("/api/agent/contacts/{contact_id:int}/end", end, methods=["POST"], policy=AGENT_ACTION),
    route("/api/agent/contacts/{contact_id:int}/wrap-up", wrap_up, methods=["POST"], policy=AGENT_ACTION),
    route(
        "/api/agent/contacts/{contact_id:int}/wrap-up/draft", save_wrap_up_draft, methods=["PUT"], policy=AGENT_ACTION
    ),
    route("/api/agent/contacts/{contact_id:int}/wrap-up/draft", wrap_up_draft, methods=["GET"], policy=AGENT_ACTION),
    route("/api/agent/contacts/{contact_id:int}/transfer", transfer, methods=["POST"], policy=AGENT_ACTION),
    route(
        "/api/agent/contacts/{contact_id:int}/transfer/complete",
        complete_transfer,
        methods=["POST"],
        policy=AGENT_ACTION,
    ),
    route(
        "/api/agent/contacts/{contact_id:int}/transfer/cancel", cancel_transfer, methods=["POST"], policy=AGENT_ACTION
    ),
    route("/api/agent/contacts/{contact_id:int}/hold", hold, methods=["POST"], policy=AGENT_ACTION),
    route("/api/agent/contacts/{contact_id:int}/resume", resume, methods=["POST"], policy=AGENT_ACTION),
    route("/api/agent/contacts/{contact_id:int}/mute", mute, methods=["POST"], policy=AGENT_ACTION),
    route("/api/agent/wrap-up/extend", extend_wrap_up, methods=["POST"], policy=AGENT_SELF),
    route("/api/agent/stats", my_day, methods=["GET"], policy=AGENT),
    route("/api/agent/options", console_options, methods=["GET"], policy=AGENT),
    route("/api/agent/contacts/{contact_id:int}/screen-pop", screen_pop_of, methods=["GET"], policy=SCREEN_POP),
    *voice.routes,
]
