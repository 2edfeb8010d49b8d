"""Logging in and out (session cookie)."""

from __future__ import annotations

from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from contactcenter import ratelimit
from contactcenter.access import route
from contactcenter.access.rules import LOGGED_IN, PUBLIC
from contactcenter.audit.access import Action, append
from contactcenter.audit.service import record_event
from contactcenter.context import Services
from contactcenter.errors import Invalid, NotLoggedIn, TooManyRequests, json_value, utf8
from contactcenter.responses import JSONResponse
from contactcenter.timeutil import utcnow
from contactcenter.users import shifts
from contactcenter.users.auth import current_user
from contactcenter.users.models import Role, User
from contactcenter.users.service import authenticate
from contactcenter.users.sessions import begin, end_user_sessions

HOME: dict[str, str] = {
    Role.QA: "/qa",
    Role.MANAGER: "/qa",
    Role.ADMIN: "/admin/users",
}  # keyed by a user's stored role

LOGIN_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>登录 Log in — Contact Center</title><meta name="viewport" content="width=device-width">
<link rel="stylesheet" href="/static/agents/console.css"></head>
<body class="login"><form method="post" action="/login" class="card">
<h1>客服中心 Contact Center</h1>{error}
<label>用户名 Username <input name="username" autocomplete="username" required autofocus></label>
<label>密码 Password <input name="password" type="password" autocomplete="current-password" required></label>
<input type="hidden" name="next" value="{next}">
<button type="submit">登录 Log in</button></form></body></html>"""


def _safe_next(value: str) -> str:
    return value if value.startswith("/") and not value.startswith("//") else ""


def _check(services: Services, username: str, password: str, client: str) -> tuple[int, str, bool] | None:
    """The user (id, role, must change password) if these credentials are theirs; OutsideShift when refused."""
    with services.db.session() as session:
        user = authenticate(session, username=username, password=password)
        outside = _check_shift(services, session, user) if user is not None else None
        record_event(
            session,
            actor=f"user:{user.id}" if user else "anonymous",
            subject_type="user",
            subject_id=user.id if user else username,
            kind="login" if user else "login_failed",
            client=client,
        )
        if user is None:
            return None
        # Managers see who logged in, when and from where on /audit, a login outside the shift said so.
        detail = f"outside the shift ({outside})" if outside else ""
        append(
            session,
            viewer=user,
            action=Action.LOGIN,
            object_type="user",
            object_id=user.id,
            address=client,
            detail=detail,
        )
        return user.id, user.role, user.must_change_password


def _check_shift(services: Services, session: Session, user: User) -> str | None:
    """Refuse, or flag to the team lead, a login outside the user's shift (contactcenter/users/shifts.py):
    the hotline's local time of a flagged login, None on shift."""
    settings, now = services.settings, utcnow()
    if shifts.login_outside_shift(
        session,
        services.redis,
        user=user,
        at=now,
        timezone=settings.timezone,
        refuse=settings.shift_login_outside == "refuse",
        lifetime_s=settings.session_lifetime_hours * 3600,
    ):
        local = now.astimezone(ZoneInfo(settings.timezone)).strftime("%Y-%m-%d %H:%M")
        services.routing.note_outside_shift(agent_id=str(user.id), local_time=local)
        return local
    return None


async def login_page(request: Request) -> Response:
    nxt = escape(_safe_next(request.query_params.get("next", "")))
    return HTMLResponse(LOGIN_PAGE.format(error="", next=nxt))


async def login(request: Request) -> Response:
    """Form posts get a redirect; JSON posts (scripts, tests) get JSON."""
    is_json = request.headers.get("content-type", "").startswith("application/json")
    data: Any
    try:
        if is_json:
            data = json_value(await request.body())
        else:
            utf8(await request.body())  # the form parser would read other bytes as Latin-1
            data = await request.form()
    except Invalid as exc:  # no JSON, nested too deep, no UTF-8: said after what to send
        raise Invalid(f"Send username and password as a JSON object or a form. {exc}") from exc
    if data is None or not hasattr(data, "get"):
        raise Invalid("Send username and password as a JSON object or a form.")
    username, password = str(data.get("username", "")), str(data.get("password", ""))
    client = request.client.host if request.client else "unknown"
    services = request.app.state.services
    attempt = ratelimit.LoginAttempt(services.settings, username, client)
    if refused := await run_in_threadpool(attempt.blocked, services.redis):
        return _too_many_failures(is_json, *refused)
    try:
        found = await run_in_threadpool(_check, services, username, password, client)
    except shifts.OutsideShift as exc:
        if is_json:
            raise
        error = f'<p class="error">不在您的班次时间内,无法登录。{escape(str(exc))}</p>'
        return HTMLResponse(LOGIN_PAGE.format(error=error, next=""), status_code=403)
    if found is None:
        await run_in_threadpool(attempt.failed, services.redis)
        if is_json:
            raise NotLoggedIn("Wrong username or password.")
        error = '<p class="error">用户名或密码错误 Wrong username or password.</p>'
        return HTMLResponse(LOGIN_PAGE.format(error=error, next=""), status_code=401)
    user_id, role, must_change = found
    begin(request, user_id=user_id, must_change=must_change)  # a fresh session id, never the client's
    if is_json:
        return JSONResponse({"id": user_id, "role": role, "must_change_password": must_change})
    if must_change:  # an admin reset the password: nothing else is reachable until a new one is set
        return RedirectResponse("/password", status_code=303)
    target = _safe_next(str(data.get("next", ""))) or HOME.get(role, "/console")
    return RedirectResponse(target, status_code=303)


# Which count of wrong passwords is full (contactcenter/ratelimit.py, LoginAttempt).
TOO_MANY = {"pair": "for this user from here", "user": "for this user", "address": "from this address"}


def _too_many_failures(is_json: bool, wait: int, why: str) -> Response:
    """Refused without checking the password: too many wrong ones for this name from this address, for
    this name from anywhere, or from this address for any name."""
    if is_json:
        raise TooManyRequests(f"Too many failed logins {TOO_MANY[why]}: try again in {wait} seconds.", retry_after=wait)
    error = f'<p class="error">登录失败次数过多,请 {ratelimit.wait_text(wait)} 后再试。Too many failed logins.</p>'
    return HTMLResponse(LOGIN_PAGE.format(error=error, next=""), status_code=429, headers={"Retry-After": str(wait)})


LOGOUT_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>退出 Log out — Contact Center</title><meta name="viewport" content="width=device-width">
<link rel="stylesheet" href="/static/agents/console.css"></head>
<body class="login"><form method="post" action="/logout" class="card">
<h1>退出登录 Log out</h1><p>退出后,您在所有设备上的登录都将结束。Logging out ends your sessions on every device.</p>
<button type="submit">退出 Log out</button> <a href="/">取消 Cancel</a></form></body></html>"""


def _logged_out(services: Services, user_id: int, client: str) -> None:
    end_user_sessions(services.redis, user_id=user_id)
    with services.db.session() as session:
        record_event(
            session, actor=f"user:{user_id}", subject_type="user", subject_id=user_id, kind="logout", client=client
        )


async def logout_page(request: Request) -> Response:
    """A link to /logout shows a button: logging out changes state, so it is a POST (no logout by a GET)."""
    return HTMLResponse(LOGOUT_PAGE)


async def logout(request: Request) -> Response:
    """End every session of the user (this browser's and any other), then the login page."""
    user_id = request.session.get("user_id")
    if isinstance(user_id, int):
        client = request.client.host if request.client else "unknown"
        await run_in_threadpool(_logged_out, request.app.state.services, user_id, client)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


async def me(request: Request) -> Response:
    user = await current_user(request)
    if user is None:
        raise NotLoggedIn("Log in first.")
    return JSONResponse(
        {
            "id": user.id,
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role,
            "queues": list(user.queues),
            "qa_lead": user.qa_lead,
            "timezone": request.app.state.services.settings.timezone,
        },
        viewer=user,
    )


routes = [
    route("/login", login_page, methods=["GET"], policy=PUBLIC),
    route("/login", login, methods=["POST"], policy=PUBLIC),
    route("/logout", logout_page, methods=["GET"], policy=PUBLIC),  # a page with a button: a GET changes nothing
    route("/logout", logout, methods=["POST"], policy=PUBLIC),  # ends the caller's own sessions, if any
    route("/api/me", me, methods=["GET"], policy=LOGGED_IN),
]
