"""Every route declares who may call it, beside its definition: `route(path, endpoint, policy=…)` builds a
Starlette Route whose endpoint is wrapped so that the policy is checked before the endpoint runs
(docs/access.md; tests/test_access_*.py hold every route of the app to it).

Kinds: `public` (no check), `twilio` (the endpoint is ivr/webhook.py's wrapper, which checks the
signature: the policy only makes sure it is that wrapper, so nothing is checked twice and a webhook costs
nothing more), `chat_customer` (the customer's chat token; the socket checks it in its hello) and `user`
(logged in, one of `roles`, and the object the path names inside the user's scope: scopes.py).

A `user` policy loads the user and checks the scope in one thread-pool hop and leaves the user on the
connection for `require_user`/`current_user` (users/auth.py), which then read no database. `in_hop`
policies (the agent's actions, the caller's path on an accept) are checked in `as_user`'s hop instead, the
one that does the work: the wrapper refuses the anonymous at once and fails loudly if the endpoint never
called `as_user`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import ASGIApp
from starlette.websockets import WebSocket

import contactcenter.access.scopes as scopes
from contactcenter.access.scopes import Reach
from contactcenter.context import Services
from contactcenter.errors import APIError, Forbidden, NotFound, NotLoggedIn
from contactcenter.users import auth
from contactcenter.users.auth import CurrentUser

REACH = "cc.reach"  # the scope key under which a checked request keeps the user's Reach
FORBIDDEN_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>无权访问 Not allowed</title><link rel="stylesheet" href="/static/agents/console.css"></head>
<body class="forbidden"><main><h1>无权访问 Not allowed</h1><p>{zh}您的角色:{role}。</p>
<p>{en} Your role: {role}.</p><p><a href="/">返回 Back</a> · <a href="/logout">切换账号 Log in as someone else</a></p>
</main></body></html>"""


@dataclass(frozen=True)
class Scope:
    """The object a route acts on: a `kind` of scopes.KINDS, named by the path parameter (or, with
    `query`, the query parameter, when present) `param`. `by_service`: the domain's service decides (a
    contact offered or assigned to the agent: routing knows; a live call a team lead may listen to)."""

    kind: str
    param: str = ""
    query: bool = False
    by_service: str = ""

    def __post_init__(self) -> None:
        if not self.by_service and self.kind not in scopes.KINDS:
            raise ValueError(f"unknown scope kind {self.kind!r}")


@dataclass(frozen=True)
class Policy:
    """Who may call a route, and on which objects (see the module's docstring)."""

    kind: str  # public | twilio | chat_customer | user
    roles: frozenset[str] | None = None  # `user` policies: None means any logged-in user
    scope: Scope | None = None
    page: bool = False  # a page: the anonymous are sent to log in, a wrong role gets a page saying so
    page_text: tuple[str, str] = ("您无权打开此页面。", "You may not open this page.")  # (zh, en)
    in_hop: bool = False
    forbidden: str = ""  # who may, said to a role that may not ("Listening in is for team leads and QA staff")
    note: str = ""  # one line for docs/access-matrix.md

    def __post_init__(self) -> None:
        if self.kind not in ("public", "twilio", "chat_customer", "user"):
            raise ValueError(f"unknown policy kind {self.kind!r}")

    def allows_role(self, role: str) -> bool:
        return self.roles is None or role in self.roles

    def admit(self, services: Services, user: CurrentUser | None, params: dict[str, str]) -> Reach | None:
        """The user's reach, or the refusal (401, 403, or 404 for a personal record out of scope). None for
        an `in_hop` policy without an object to check: the agent's own actions need no reach (and a team
        lead's would cost a query on the caller's path)."""
        if user is None:
            raise refusal(401, "Log in first.")
        if not self.allows_role(user.role):
            said = f"{self.forbidden}; your role ({user.role}) may not." if self.forbidden else ""
            raise refusal(403, said or f"Your role ({user.role}) may not do this.")
        scope = self.scope
        key = params.get(scope.param) if scope and not scope.by_service else None
        if scope is None or key is None:
            return None if self.in_hop else scopes.reach_of(services, user)
        with services.db.reader.connect() as connection:  # rolled back on leaving: it only reads
            reach = scopes.reach_of(services, user, connection)
            why = scopes.outside(services, connection, reach, scope.kind, key)
        if why is not None:
            raise refusal(404 if scope.kind in scopes.PERSONAL else 403, why)
        return reach


def refusal(status: int, message: str) -> APIError:
    """A refusal of the policy: `"policy": true` in its JSON tells it from a handler's own 404."""
    kind = {401: NotLoggedIn, 403: Forbidden, 404: NotFound}[status]
    return kind(message, policy=True)


def _params(conn: HTTPConnection, scope: Scope | None) -> dict[str, str]:
    found = {name: str(value) for name, value in conn.path_params.items()}
    if scope is not None and scope.query and scope.param in conn.query_params:
        found[scope.param] = conn.query_params[scope.param]
    return found


def _check(services: Services, policy: Policy, conn: HTTPConnection, user_id: object) -> CurrentUser | None:
    """In the thread pool: the user loaded and the policy checked; the user and reach kept on `conn`."""
    user = auth.load_user(services, user_id)
    auth.remember(conn, user)
    conn.scope[REACH] = policy.admit(services, user, _params(conn, policy.scope))
    return user


async def check(policy: Policy, conn: HTTPConnection) -> None:
    """Raise the policy's refusal, or return with the user (for `user` policies) kept on `conn`."""
    if policy.kind != "user":
        return
    user_id = conn.session.get("user_id")
    if policy.in_hop:
        if not isinstance(user_id, int):
            raise refusal(401, "Log in first.")
        conn.scope[auth.PENDING_CHECK] = lambda services, user: _in_hop(policy, conn, services, user)
        return
    await run_in_threadpool(_check, conn.app.state.services, policy, conn, user_id)


def _in_hop(policy: Policy, conn: HTTPConnection, services: Services, user: CurrentUser | None) -> None:
    conn.scope[REACH] = policy.admit(services, user, _params(conn, policy.scope))


def reach(conn: HTTPConnection) -> Reach:
    """The reach the route's policy found for this request's user."""
    found = conn.scope.get(REACH)
    if not isinstance(found, Reach):
        raise RuntimeError(f"{conn.url.path}: no user policy was checked for this request")
    return found


async def queues_of(conn: HTTPConnection) -> list[str]:
    """The queues whose contacts, voicemails and callbacks the request's user sees (managers, admins: all)."""
    found = reach(conn)
    if not found.everything:
        return sorted(found.queues)
    return await run_in_threadpool(scopes.every_queue, conn.app.state.services)


def _page_refusal(policy: Policy, request: Request, exc: APIError) -> Response:
    if exc.status == 401:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    user = auth.remembered(request)
    zh, en = policy.page_text
    role = escape(user.role if user else "")
    return HTMLResponse(FORBIDDEN_PAGE.format(zh=zh, en=en, role=role), status_code=exc.status)


def guarded(
    policy: Policy, endpoint: Callable[[Request], Awaitable[Response]]
) -> Callable[[Request], Awaitable[Response]]:
    """`endpoint`, run only once `policy` let the request through."""

    async def run(request: Request) -> Response:
        try:
            await check(policy, request)
        except APIError as exc:
            if policy.page:
                return _page_refusal(policy, request, exc)
            raise
        response = await endpoint(request)
        if policy.in_hop and request.scope.get(auth.PENDING_CHECK) is not None:
            raise RuntimeError(f"{request.url.path}: its policy is checked in as_user's hop, which never ran")
        return response

    return run


class PolicyRoute(Route):
    """A Route that carries its access policy (`policy`) and checks it before its endpoint."""

    def __init__(self, path: str, endpoint: Callable[..., Any], *, policy: Policy, **kwargs: Any) -> None:
        if policy.kind == "twilio" and not getattr(endpoint, "checks_twilio_signature", False):
            raise TypeError(f"{path}: a twilio policy needs ivr.webhook.webhook's endpoint, which checks signatures")
        if policy.kind == "chat_customer" and not getattr(endpoint, "checks_chat_token", False):
            raise TypeError(f"{path}: a chat_customer policy needs an endpoint that finds the chat by its token")
        self.policy = policy
        # Nothing to check before a public or Twilio endpoint (the latter checks its signature): not wrapped.
        super().__init__(path, guarded(policy, endpoint) if policy.kind == "user" else endpoint, **kwargs)


class PolicyWebSocketRoute(WebSocketRoute):
    """A WebSocketRoute with its policy: a refused socket is accepted and closed with 4401, 4403 or 4404,
    so the browser sees why (a bare HTTP 403 tells it nothing)."""

    def __init__(self, path: str, endpoint: Callable[[WebSocket], Awaitable[None]], *, policy: Policy) -> None:
        if policy.kind == "chat_customer" and not getattr(endpoint, "checks_chat_token", False):
            raise TypeError(f"{path}: a chat_customer policy needs a socket that checks the chat's token first")
        if policy.kind == "twilio":
            raise TypeError(f"{path}: Twilio calls no websocket of ours")
        self.policy = policy

        async def run(ws: WebSocket) -> None:
            try:
                await check(policy, ws)
            except APIError as exc:
                await ws.accept()
                await ws.close(code=4000 + exc.status)
                return
            await endpoint(ws)

        super().__init__(path, run)


class PolicyMount(Mount):
    """A Mount (static files) with its policy: only public ones are mounted this way."""

    def __init__(self, path: str, app: ASGIApp, *, policy: Policy, name: str | None = None) -> None:
        if policy.kind != "public":
            raise ValueError(f"{path}: mounts are public; serve what needs a login through a route")
        self.policy = policy
        super().__init__(path, app=app, name=name)


def route(
    path: str, endpoint: Callable[..., Any], *, policy: Policy, methods: Sequence[str] | None = None
) -> PolicyRoute:
    """A route with its policy: `route("/api/tickets/{ticket_id:int}", get_ticket, methods=["GET"], policy=…)`."""
    return PolicyRoute(path, endpoint, policy=policy, methods=list(methods) if methods else None)


def websocket_route(
    path: str, endpoint: Callable[[WebSocket], Awaitable[None]], *, policy: Policy
) -> PolicyWebSocketRoute:
    return PolicyWebSocketRoute(path, endpoint, policy=policy)


def mount(path: str, app: ASGIApp, *, policy: Policy, name: str | None = None) -> PolicyMount:
    return PolicyMount(path, app, policy=policy, name=name)
