"""The access log over HTTP, for managers and admins: a page, a JSON API and a CSV export (itself logged).

Nothing here changes the log: it has no route that writes to it except by reading (the export's own
entry), and the database refuses UPDATE and DELETE on it.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse

from contactcenter.access import Policy, reach, route
from contactcenter.audit import search
from contactcenter.audit.access import Action, audited
from contactcenter.context import Services
from contactcenter.errors import Invalid
from contactcenter.responses import JSONResponse
from contactcenter.users.models import Role

AUDIT_ROLES = frozenset({Role.MANAGER, Role.ADMIN})
AUDIT = Policy("user", AUDIT_ROLES, note="managers, admins")
AUDIT_PAGE = Policy(
    "user",
    AUDIT_ROLES,
    page=True,
    page_text=("只有经理和管理员可以查看访问日志。", "Only managers and admins may see the access log."),
    note="managers, admins (a page)",
)
FILTER_NAMES = ("user", "object_type", "object_id", "action", "from", "to")
# Every word of the page in both languages, side by side as the other staff pages show them.
WORDS = {
    "title": "访问日志 Access log",
    "user": "用户 User",
    "object_type": "对象类型 Object type",
    "object_id": "对象编号 Object id",
    "action": "操作 Action",
    "from": "起 From",
    "to": "止 To",
    "any": "全部 Any",
    "find": "查询 Find",
    "export": "导出 CSV Export CSV",
    "newest": "最新 Newest",
    "older": "更早 Older",
    "time": "时间 Time",
    "role": "角色 Role",
    "object": "对象 Object",
    "detail": "说明 Detail",
    "address": "来源地址 Address",
    "none": "没有符合条件的记录。 No entries match.",
    "logout": "退出 Log out",
}
ACTION_WORDS = {
    "read": "查看 Read",
    "list": "列表 List",
    "play": "播放 Play",
    "download": "下载 Download",
    "export": "导出 Export",
    "reveal": "显示完整 Reveal",
    "login": "登录 Login",
}
TYPE_WORDS = {
    "ticket": "工单 Ticket",
    "transcript": "聊天记录 Transcript",
    "recording": "录音 Recording",
    "customer": "客户 Customer",
    "contact": "联系 Contact",
    "voicemail": "语音留言 Voicemail",
    "callback": "回电 Callback",
    "access_log": "访问日志 Access log",
    "user": "账号 Account",
}


def _find(services: Services, params: dict[str, str]) -> tuple[list[dict[str, Any]], int | None]:
    filters = search.filters_from(params, timezone=services.settings.timezone)
    before, limit = search.page_from(params)
    with services.db.reading() as session:
        return search.find(session, filters=filters, before=before, limit=limit, timezone=services.settings.timezone)


async def list_entries(request: Request) -> Response:
    services: Services = request.app.state.services
    entries, older = await run_in_threadpool(_find, services, dict(request.query_params))
    found = {"entries": entries, "next_before": older, "timezone": services.settings.timezone}
    return JSONResponse(found, viewer=reach(request).user)


async def export_csv(request: Request) -> Response:
    """The matching entries as CSV; the export is itself logged (action export, object access_log)."""
    user = reach(request).user
    services: Services = request.app.state.services
    filters = search.filters_from(request.query_params, timezone=services.settings.timezone)
    await audited(request, user, action=Action.EXPORT, object_type="access_log", detail=filters.as_text())
    chunks = search.csv_chunks(services.db, filters=filters, timezone=services.settings.timezone)
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="access-log.csv"', "Cache-Control": "no-store"},
    )


def _options(name: str, choices: dict[str, str], chosen: str) -> str:
    options = [f'<option value="">{WORDS["any"]}</option>']
    for value, label in choices.items():
        selected = " selected" if value == chosen else ""
        options.append(f'<option value="{value}"{selected}>{escape(label)}</option>')
    return f'<select name="{name}">{"".join(options)}</select>'


def _form(params: dict[str, str]) -> str:
    def field(name: str, kind: str = "text") -> str:
        return (
            f'<label>{WORDS[name]} <input name="{name}" type="{kind}" value="{escape(params.get(name, ""))}"></label>'
        )

    return (
        '<form class="inline" method="get" action="/audit">'
        + field("user")
        + f"<label>{WORDS['object_type']} {_options('object_type', TYPE_WORDS, params.get('object_type', ''))}</label>"
        + field("object_id")
        + f"<label>{WORDS['action']} {_options('action', ACTION_WORDS, params.get('action', ''))}</label>"
        + field("from", "datetime-local")
        + field("to", "datetime-local")
        + f'<button class="primary">{WORDS["find"]}</button></form>'
    )


def _row(entry: dict[str, Any]) -> str:
    when = entry["at_local"][:19].replace("T", " ")
    what = TYPE_WORDS.get(entry["object_type"], entry["object_type"])
    cells = (
        when,
        f"{entry['username']} (#{entry['user_id']})",
        entry["role"],
        ACTION_WORDS.get(entry["action"], entry["action"]),
        f"{what} {entry['object_id']}".strip(),
        entry["detail"],
        entry["address"],
    )
    return "<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in cells) + "</tr>"


async def audit_page(request: Request) -> Response:
    user = reach(request).user
    services: Services = request.app.state.services
    params = {name: value for name, value in request.query_params.items() if value}
    try:
        entries, older = await run_in_threadpool(_find, services, params)
        problem = ""
    except Invalid as exc:
        entries, older, problem = [], None, str(exc)
    filters = {name: params[name] for name in FILTER_NAMES if name in params}
    links = [f'<a href="/audit?{escape(urlencode(filters))}">{WORDS["newest"]}</a>']
    if older is not None:
        links.append(f'<a href="/audit?{escape(urlencode({**filters, "before": older}))}">{WORDS["older"]}</a>')
    links.append(f'<a href="/api/audit.csv?{escape(urlencode(filters))}">{WORDS["export"]}</a>')
    zone = escape(services.settings.timezone)
    head = "".join(
        f"<th>{WORDS[name]}</th>" for name in ("time", "user", "role", "action", "object", "detail", "address")
    ).replace(f"<th>{WORDS['time']}</th>", f"<th>{WORDS['time']} ({zone})</th>")
    rows = "".join(map(_row, entries)) or f'<tr><td colspan="7">{WORDS["none"]}</td></tr>'
    error = f'<p class="error">{escape(problem)}</p>' if problem else ""
    page = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{WORDS["title"]}</title>
<link rel="stylesheet" href="/static/agents/console.css"></head><body class="qa">
<header><h1>{WORDS["title"]}</h1><span>{escape(user.display_name)}</span>
<a href="/logout">{WORDS["logout"]}</a></header><main>{error}{_form(params)}
<table class="recordings"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>
<p>{" · ".join(links)}</p></main></body></html>"""
    return HTMLResponse(page, status_code=400 if problem else 200)


routes = [
    route("/audit", audit_page, methods=["GET"], policy=AUDIT_PAGE),
    route("/api/audit", list_entries, methods=["GET"], policy=AUDIT),
    route("/api/audit.csv", export_csv, methods=["GET"], policy=AUDIT),
]
