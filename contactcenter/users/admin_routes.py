"""User administration for admins (page and JSON API), and each user's own password change (thin: the
logic is contactcenter/users/admin.py). Each route declares its access policy (contactcenter/access)."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from contactcenter.access import Policy, mount, route
from contactcenter.access.rules import LOGGED_IN, PAGE, PUBLIC
from contactcenter.context import Services
from contactcenter.errors import APIError, parsed, path_id
from contactcenter.responses import JSONResponse
from contactcenter.users import admin
from contactcenter.users.auth import CurrentUser, require_user
from contactcenter.users.models import Role
from contactcenter.users.routes import HOME
from contactcenter.users.schemas import NewUser, PasswordChange, PasswordReset, UserChanges
from contactcenter.users.service import create_user
from contactcenter.users.sessions import begin

STATIC = Path(__file__).resolve().parent / "static"
ADMIN_ROLES = frozenset({Role.ADMIN})
ADMIN = Policy("user", ADMIN_ROLES, note="admins")
ADMIN_PAGE = Policy(
    "user",
    ADMIN_ROLES,
    page=True,
    page_text=("用户管理仅限管理员。", "User administration is for admins only."),
    note="admins (a page)",
)
PASSWORD_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>修改密码 Change password — Contact Center</title><meta name="viewport" content="width=device-width">
<link rel="stylesheet" href="/static/agents/console.css"></head>
<body class="login"><form method="post" action="/password" class="card">
<h1>修改密码 Change password</h1>{note}{error}
<label>当前密码 Current password
<input name="current_password" type="password" autocomplete="current-password" required autofocus></label>
<label>新密码 New password
<input name="new_password" type="password" autocomplete="new-password" minlength="12" required></label>
<p class="hint">至少 12 个字符,不能包含用户名,不能是常见密码。
At least 12 characters, not containing your user name, not a common password.</p>
<button type="submit">保存 Save</button> <a href="/logout">退出 Log out</a></form></body></html>"""
MUST_CHANGE = (
    '<p class="error">管理员已重置您的密码,请先设置新密码。An admin reset your password: set a new one first.</p>'
)


def _actor(user: CurrentUser) -> str:
    return f"user:{user.id}"


async def users_page(request: Request) -> Response:
    return FileResponse(STATIC / "admin-users.html")


def _listed(services: Services) -> list[dict[str, Any]]:
    with services.db.reading() as session:
        return [admin.user_view(user) for user in admin.list_users(session)]


async def list_users(request: Request) -> Response:
    user = await require_user(request, ADMIN_ROLES)
    return JSONResponse(await run_in_threadpool(_listed, request.app.state.services), viewer=user)


def _created(services: Services, sent: NewUser, actor: str) -> dict[str, Any]:
    with services.db.session() as session:
        fields = sent.model_dump(exclude={"role"})
        user = create_user(session, role=sent.role.value, actor=actor, **fields)
        return admin.user_view(user)


async def add_user(request: Request) -> Response:
    user = await require_user(request, ADMIN_ROLES)
    sent = parsed(NewUser, await request.body())
    created = await run_in_threadpool(_created, request.app.state.services, sent, _actor(user))
    return JSONResponse(created, status_code=201, viewer=user)


def _updated(services: Services, user_id: int, changes: UserChanges, actor: str) -> dict[str, Any]:
    with services.db.session() as session:
        return admin.user_view(
            admin.update_user(session, services.redis, user_id=user_id, changes=changes, actor=actor)
        )


async def edit_user(request: Request) -> Response:
    user = await require_user(request, ADMIN_ROLES)
    user_id = path_id(request, "user_id")
    changes = parsed(UserChanges, await request.body())
    if user_id == user.id and (changes.active is False or (changes.role and changes.role != Role.ADMIN)):
        raise APIError("Admins may not disable themselves or drop their own admin role.", 409)
    found = await run_in_threadpool(_updated, request.app.state.services, user_id, changes, _actor(user))
    return JSONResponse(found, viewer=user)


def _reset(services: Services, user_id: int, password: str | None, actor: str) -> str:
    with services.db.session() as session:
        return admin.reset_password(session, services.redis, user_id=user_id, password=password, actor=actor)


async def reset_password(request: Request) -> Response:
    user = await require_user(request, ADMIN_ROLES)
    user_id = path_id(request, "user_id")
    sent = parsed(PasswordReset, await request.body() or b"{}")
    temporary = await run_in_threadpool(_reset, request.app.state.services, user_id, sent.password, _actor(user))
    # Whole: a generated password is random text, which the masking could mistake for a number.
    return JSONResponse({"id": user_id, "password": temporary, "must_change_password": True}, whole=True)


def _changed(services: Services, user_id: int, sent: PasswordChange) -> str:
    with services.db.session() as session:
        user = admin.change_password(
            session, services.redis, user_id=user_id, current=sent.current_password, new=sent.new_password
        )
        return user.role


async def password_page(request: Request) -> Response:
    note = MUST_CHANGE if request.session.get("must_change_password") else ""
    return HTMLResponse(PASSWORD_PAGE.format(note=note, error=""))


async def change_password(request: Request) -> Response:
    """JSON: {"current_password", "new_password"}; a form post (the page) is redirected home."""
    user = await require_user(request)
    is_json = request.headers.get("content-type", "").startswith("application/json")
    if is_json:
        sent = parsed(PasswordChange, await request.body())
    else:
        form = await request.form()
        sent = PasswordChange(
            current_password=str(form.get("current_password", "")), new_password=str(form.get("new_password", ""))
        )
    try:
        role = await run_in_threadpool(_changed, request.app.state.services, user.id, sent)
    except APIError as exc:
        if is_json:
            raise
        error = f'<p class="error">{escape(str(exc))}</p>'
        return HTMLResponse(PASSWORD_PAGE.format(note="", error=error), status_code=exc.status)
    begin(request, user_id=user.id)  # every session ended; this browser goes on in a fresh one
    if is_json:
        return JSONResponse({"ok": True})
    return RedirectResponse(HOME.get(role, "/console"), status_code=303)


routes = [
    route("/admin/users", users_page, methods=["GET"], policy=ADMIN_PAGE),
    route("/api/admin/users", list_users, methods=["GET"], policy=ADMIN),
    route("/api/admin/users", add_user, methods=["POST"], policy=ADMIN),
    route("/api/admin/users/{user_id:int}", edit_user, methods=["PATCH"], policy=ADMIN),
    route("/api/admin/users/{user_id:int}/password-reset", reset_password, methods=["POST"], policy=ADMIN),
    # Reachable while an admin's reset must be followed by a new password (session_middleware.MAY_PASS).
    route("/password", password_page, methods=["GET"], policy=PAGE),
    route("/password", change_password, methods=["POST"], policy=LOGGED_IN),  # their own password only
    route("/api/me/password", change_password, methods=["POST"], policy=LOGGED_IN),  # their own password only
    mount("/static/users", StaticFiles(directory=STATIC), name="user-static", policy=PUBLIC),
]
