"""The web chat over HTTP: the customer's page and forms, the agents' messages and canned replies.

The customer's websocket is in socket.py. Contracts: api.yml (HTTP) and events.md (websocket, hub).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles

from contactcenter import ratelimit
from contactcenter.access import Policy, mount, route
from contactcenter.access.rules import AGENT_CHAT, CHAT_CUSTOMER, PUBLIC, SUPERVISE
from contactcenter.audit.access import Action, audited
from contactcenter.chats import canned, offline, service, socket, verification, views
from contactcenter.chats.forms import LANGUAGES, TOPICS, ChatError
from contactcenter.chats.models import Sender
from contactcenter.chats.schemas import CannedReplyChange, NewCannedReply
from contactcenter.errors import MAX_ID, TooManyRequests, json_object, parsed, path_id
from contactcenter.responses import JSONResponse
from contactcenter.users.auth import AGENT_ROLES, SUPERVISOR_ROLES, require_user

STATIC = Path(__file__).resolve().parent / "static"
CANNED_READERS = AGENT_ROLES | SUPERVISOR_ROLES
CANNED_READ = Policy("user", CANNED_READERS, note="agents (their queues' replies), team leads, managers, admins")
CANNED_PAGE = Policy(
    "user",
    SUPERVISOR_ROLES,
    page=True,
    page_text=(
        "只有组长、经理和管理员可以维护快捷回复。",
        "Only supervisors, managers and admins keep the canned replies.",
    ),
    note="team leads, managers, admins (a page)",
)


async def _json_object(request: Request) -> dict[str, Any]:
    return json_object(await request.body())


async def chat_page(request: Request) -> Response:
    return FileResponse(STATIC / "chat.html")


async def canned_page(request: Request) -> Response:
    """Where supervisors keep the canned replies; agents are told who may (CANNED_PAGE)."""
    return FileResponse(STATIC / "canned.html")


async def availability(request: Request) -> Response:
    """Whether chats are answered now (else the page shows the leave-a-message form), and the topics."""
    topic = request.query_params.get("topic", "consultation")
    if topic not in TOPICS:
        raise ChatError(f"topic must be one of {', '.join(TOPICS)}.")
    services = request.app.state.services
    is_open = await run_in_threadpool(service.hotline_open, services, topic=topic)
    return JSONResponse(
        {
            "open": is_open,
            "company": service.company_name(services),
            "topics": [{"id": key, "label": t.label} for key, t in TOPICS.items()],
            "languages": list(LANGUAGES),
        }
    )


def _form(request: Request, body: dict[str, Any]) -> Any:
    return service.check_form(
        request.app.state.services,
        name=body.get("name"),
        phone=body.get("phone"),
        topic=body.get("topic"),
        language=body.get("language", "zh-CN"),
    )


async def _count_attempt(request: Request) -> None:
    """Refuse (429) a client address over the chat-form limit, counting this attempt."""
    services = request.app.state.services
    address = request.client.host if request.client else "unknown"
    wait = await run_in_threadpool(ratelimit.chat_forms(services.settings).count, services.redis, address)
    if wait is not None:
        error = f"请求过于频繁,请 {ratelimit.wait_text(wait)} 后再试。Too many requests: try again in {wait} seconds."
        raise TooManyRequests(error, retry_after=wait)


async def start(request: Request) -> Response:
    """Closed or full is a 409 with leave_message: the page offers the leave-a-message form instead."""
    await _count_attempt(request)
    form = _form(request, await _json_object(request))
    started = await run_in_threadpool(service.start_chat, request.app.state.services, form=form)
    return JSONResponse(
        {"contact": str(started.contact_id), "token": started.token, "ticket": started.ticket, "ws": "/chat/ws"},
        status_code=201,
        whole=True,  # the customer's own chat: its token must reach them as it is
    )


async def leave_message(request: Request) -> Response:
    await _count_attempt(request)
    body = await _json_object(request)
    form = _form(request, body)
    number = await run_in_threadpool(
        offline.leave_message, request.app.state.services, form=form, message=body.get("message")
    )
    return JSONResponse({"ticket": number}, status_code=201)


async def send_code(request: Request) -> Response:
    """The customer asks for a one-time code by SMS to the number they gave (verification.py)."""
    services = request.app.state.services
    body = await _json_object(request)
    contact_id = await run_in_threadpool(service.contact_of_token, services, token=body.get("token"))
    sent = await run_in_threadpool(verification.send_code, services, contact_id=contact_id)
    return JSONResponse(sent, status_code=202)


async def check_code(request: Request) -> Response:
    """The customer types the code back: the chat is then linked to the number's customer record."""
    services = request.app.state.services
    body = await _json_object(request)
    contact_id = await run_in_threadpool(service.contact_of_token, services, token=body.get("token"))
    return JSONResponse(
        await run_in_threadpool(verification.check_code, services, contact_id=contact_id, code=body.get("code"))
    )


# What their chat_customer policy asks: each finds its chat by the token in the body, or is refused.
send_code.checks_chat_token = True  # type: ignore[attr-defined]
check_code.checks_chat_token = True  # type: ignore[attr-defined]


async def agent_send_code(request: Request) -> Response:
    """The agent on the chat has the code texted to the number the customer gave (they type it on their page)."""
    agent = await require_user(request, AGENT_ROLES)
    services, contact_id = request.app.state.services, path_id(request, "contact_id")
    await run_in_threadpool(verification.check_agent, services, contact_id=contact_id, agent_id=agent.id)
    sent = await run_in_threadpool(verification.send_code, services, contact_id=contact_id, actor=f"user:{agent.id}")
    return JSONResponse(sent, status_code=202, viewer=agent)


async def agent_verify(request: Request) -> Response:
    """The agent on the chat checked who the customer is themselves: audited, with their note of how."""
    agent = await require_user(request, AGENT_ROLES)
    body = await _json_object(request)
    verified = await run_in_threadpool(
        verification.agent_verifies,
        request.app.state.services,
        contact_id=path_id(request, "contact_id"),
        agent_id=agent.id,
        note=body.get("note"),
    )
    return JSONResponse(verified, viewer=agent)


def _after(request: Request) -> int:
    raw = request.query_params.get("after", "0")
    # isdigit() alone takes "²" and other digits int() does not read; past MAX_ID no message id is.
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ID:
        raise ChatError(f"after must be a message id (a whole number from 0 to {MAX_ID}, 0 for all).")
    return int(raw)


async def agent_messages(request: Request) -> Response:
    agent = await require_user(request, AGENT_ROLES)
    after = _after(request)
    chat = await run_in_threadpool(
        views.agent_view,
        request.app.state.services,
        contact_id=path_id(request, "contact_id"),
        agent_id=agent.id,
        supervisor=agent.role in SUPERVISOR_ROLES,
        after=after,
    )
    # Logged when it shows messages or is the whole transcript (after=0): the console's catch-up every 15 s
    # that finds nothing new is not another read.
    if chat["messages"] or not after:
        detail = f"after message {after}" if after else ""
        await audited(
            request, agent, action=Action.READ, object_type="transcript", object_id=chat["contact"], detail=detail
        )
    return JSONResponse(chat, viewer=agent)


async def agent_post(request: Request) -> Response:
    agent = await require_user(request, AGENT_ROLES)
    body = await _json_object(request)
    message, created = await run_in_threadpool(
        service.post_message,
        request.app.state.services,
        contact_id=path_id(request, "contact_id"),
        sender=Sender.AGENT,
        body=body.get("body"),
        client_id=body.get("client_id"),
        agent_id=agent.id,
    )
    return JSONResponse({"message": message, "created": created}, status_code=201 if created else 200, viewer=agent)


async def agent_typing(request: Request) -> Response:
    agent = await require_user(request, AGENT_ROLES)
    await run_in_threadpool(
        service.typing,
        request.app.state.services,
        contact_id=path_id(request, "contact_id"),
        sender=Sender.AGENT,
        agent_id=agent.id,
    )
    return JSONResponse({"ok": True})


async def list_canned(request: Request) -> Response:
    """Agents get the active replies of their queues; supervisors may ask for all (`?all=1`)."""
    user = await require_user(request, CANNED_READERS)
    everything = request.query_params.get("all") == "1" and user.role in SUPERVISOR_ROLES
    replies = await run_in_threadpool(
        canned.listing,
        request.app.state.services,
        queues=None if everything else list(user.queues),
        language=request.query_params.get("language"),
        include_inactive=everything,
    )
    return JSONResponse({"canned_replies": replies}, viewer=user)


async def create_canned(request: Request) -> Response:
    user = await require_user(request, SUPERVISOR_ROLES)
    fields = parsed(NewCannedReply, await request.body())
    reply = await run_in_threadpool(canned.create, request.app.state.services, fields=fields, user_id=user.id)
    return JSONResponse(reply, status_code=201, viewer=user)


async def change_canned(request: Request) -> Response:
    user = await require_user(request, SUPERVISOR_ROLES)
    services, reply_id = request.app.state.services, path_id(request, "reply_id")
    if request.method == "DELETE":
        await run_in_threadpool(canned.delete, services, reply_id=reply_id, user_id=user.id)
        return JSONResponse({"ok": True})
    fields = parsed(CannedReplyChange, await request.body())
    reply = await run_in_threadpool(canned.update, services, reply_id=reply_id, fields=fields, user_id=user.id)
    return JSONResponse(reply, viewer=user)


routes = [
    route("/chat", chat_page, methods=["GET"], policy=PUBLIC),
    route("/canned-replies", canned_page, methods=["GET"], policy=CANNED_PAGE),
    route("/api/chat/availability", availability, methods=["GET"], policy=PUBLIC),
    route("/api/chat/start", start, methods=["POST"], policy=PUBLIC),  # rate limited per address
    route("/api/chat/leave-message", leave_message, methods=["POST"], policy=PUBLIC),
    route("/api/agent/chats/{contact_id:int}/messages", agent_messages, methods=["GET"], policy=AGENT_CHAT),
    route("/api/agent/chats/{contact_id:int}/messages", agent_post, methods=["POST"], policy=AGENT_CHAT),
    route("/api/agent/chats/{contact_id:int}/typing", agent_typing, methods=["POST"], policy=AGENT_CHAT),
    route("/api/chat/verification", send_code, methods=["POST"], policy=CHAT_CUSTOMER),
    route("/api/chat/verification/check", check_code, methods=["POST"], policy=CHAT_CUSTOMER),
    # the agent the live chat is assigned to (verification.check_agent); audited: identity_verified
    route("/api/agent/chats/{contact_id:int}/verification", agent_send_code, methods=["POST"], policy=AGENT_CHAT),
    route("/api/agent/chats/{contact_id:int}/verify", agent_verify, methods=["POST"], policy=AGENT_CHAT),
    route("/api/canned-replies", list_canned, methods=["GET"], policy=CANNED_READ),
    route("/api/canned-replies", create_canned, methods=["POST"], policy=SUPERVISE),
    route("/api/canned-replies/{reply_id:int}", change_canned, methods=["PUT", "DELETE"], policy=SUPERVISE),
    *socket.routes,
    mount("/static/chat", StaticFiles(directory=STATIC), name="chat-static", policy=PUBLIC),
]
