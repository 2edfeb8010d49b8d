"""Playing recordings: QA staff, supervisors and managers only; every list, play and download is in the
access log (contactcenter/audit/access.py)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

from contactcenter.access import Policy, mount, reach, route
from contactcenter.access.masking import for_viewer
from contactcenter.access.rules import PUBLIC, RECORDING_PLAY, RECORDINGS
from contactcenter.access.scopes import Reach
from contactcenter.audit.access import Action, Viewer, audited, starts_a_play
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.errors import NotFound, path_id
from contactcenter.responses import JSONResponse
from contactcenter.tickets.models import Ticket
from contactcenter.timeutil import as_utc
from contactcenter.users.auth import QA_ROLES
from contactcenter.users.models import Role, User
from recordings.crypto import RecordingCryptoError
from recordings.models import Recording, RecordingStatus
from recordings.peaks import recording_peaks, remembered
from recordings.playback import RecordingUnreadable, media_response
from recordings.storage import StoredMedia, master_keys, stored_media

STATIC = Path(__file__).resolve().parent / "static"
AUDIT_LINK = '<a href="/audit">访问日志 Access log</a>'  # managers and admins land here after logging in
EMPTY_ROW = '<tr><td colspan="7">暂无录音 No recordings yet.</td></tr>'
QA_PAGE = Policy(
    "user",
    QA_ROLES,
    page=True,
    page_text=(
        "只有质检、组长和经理可以收听录音。",
        "Only QA staff, supervisors and managers may listen to recordings.",
    ),
    note="QA, team leads, managers, admins (a page)",
)


def _media(services: Services, recording_id: int) -> StoredMedia | None:
    with services.db.session() as session:
        recording = session.get(Recording, recording_id)
        media = stored_media(recording, master_keys(services.settings)) if recording else None
        if recording is None or media is None:
            return None
        return media


async def media(request: Request) -> Response:
    """The audio, with HTTP range requests; `?download=1` as a file to save."""
    return await serve_media(request, reach(request).user, path_id(request, "recording_id"))


async def serve_media(request: Request, user: Viewer, recording_id: int) -> Response:
    """A recording's audio for a viewer already let through (here, or an evaluation's page: qa/routes.py). A play
    is logged once, by the request that starts it (no Range, or a range from byte 0), not by each range a player
    then asks for."""
    try:
        found = await run_in_threadpool(_media, request.app.state.services, recording_id)
        if found is None or not found.path.exists():
            raise NotFound("No stored recording with that id.")
        download = request.query_params.get("download") == "1"
        if starts_a_play(request.headers.get("range")):
            action = Action.DOWNLOAD if download else Action.PLAY
            await audited(request, user, action=action, object_type="recording", object_id=recording_id)
        headers = {"Content-Disposition": f'attachment; filename="recording-{recording_id}.wav"'} if download else {}
        # Encrypted: decrypted on the fly, only the chunks a Range asks for (recordings/playback.py).
        return await media_response(found, request.headers.get("range"), headers)
    except RecordingCryptoError as exc:
        raise RecordingUnreadable(f"The recording cannot be opened: {exc}.") from None


# A recording never changes, so neither do its peaks: the browser keeps them (private: they are a call's).
PEAKS_HEADERS = {"Cache-Control": "private, max-age=31536000, immutable"}


async def peaks(request: Request) -> Response:
    """The waveform of a stored recording for the player (recordings/waveform.py), computed once and kept.
    Not in the access log: peaks hold no word or number of the call; playing it (the media) is logged."""
    return await serve_peaks(request, path_id(request, "recording_id"))


async def serve_peaks(request: Request, recording_id: int) -> Response:
    """A recording's waveform for a viewer already let through."""
    try:
        body = remembered(request.app.state.services, recording_id) or await run_in_threadpool(
            recording_peaks, request.app.state.services, recording_id=recording_id
        )
    except RecordingCryptoError as exc:
        raise RecordingUnreadable(f"The recording cannot be opened: {exc}.") from None
    # Rendered once when computed, numbers and channel names only (nothing to mask): sent as kept.
    return Response(body, media_type="application/json", headers=PEAKS_HEADERS)


def _listing(services: Services, scope: Reach, limit: int = 100) -> list[dict[str, Any]]:
    """The newest recordings the viewer may reach: all for managers and admins; QA staff's to review (their
    queues' and what is sampled for or evaluated by them); a team lead's team's (their queues', their agents')."""
    query = (
        select(Recording, Contact, Ticket, User)
        .outerjoin(Contact, Recording.contact_id == Contact.id)
        .outerjoin(Ticket, Recording.ticket_id == Ticket.id)
        .outerjoin(User, Contact.agent_id == User.id)
    )
    if scope.recorded:  # QA staff: their queues' recorded calls, and what is sampled for or evaluated by them
        query = query.where(scope.reviewed_contacts())
    elif not scope.everything:
        query = query.where(or_(Contact.queue.in_(list(scope.queues)), Contact.agent_id.in_(list(scope.agents))))
    with services.db.session() as session:
        rows = session.execute(query.order_by(Recording.id.desc()).limit(limit)).all()
        return [
            {
                "id": r.id,
                "status": r.status,
                "duration_seconds": r.duration_seconds,
                "sha256": r.sha256,
                "created_at": as_utc(r.created_at).isoformat(),
                "ticket": t.number if t else None,
                "ticket_id": t.id if t else None,
                "contact_id": c.id if c else None,
                "from": c.from_number if c else None,
                "agent": u.display_name if u else None,
                "media_url": f"/recordings/{r.id}/media" if r.status == RecordingStatus.STORED else None,
            }
            for r, c, t, u in rows
        ]


async def recordings_json(request: Request) -> Response:
    scope = reach(request)
    rows = await run_in_threadpool(_listing, request.app.state.services, scope)
    await audited(request, scope.user, action=Action.LIST, object_type="recording", detail=f"{len(rows)} newest")
    return JSONResponse(rows, viewer=scope.user)


STATUS_WORDS = {
    RecordingStatus.PENDING: "获取中 Fetching",
    RecordingStatus.STORED: "已保存 Stored",
    RecordingStatus.FAILED: "获取失败 Not fetched",
    RecordingStatus.DESTROYED: "已按保留策略销毁 Destroyed (retention)",
}


def _row(r: dict[str, Any], zone: ZoneInfo) -> str:
    """A recording's row of the QA page, its time in the hotline's zone; a stored one opens in the player above
    the table, and a call an agent answered can be evaluated (qa/static/evaluation.html)."""
    listen = ""
    if r["media_url"]:
        listen = (
            f'<button type="button" class="listen" data-recording="{r["id"]}" data-media="{r["media_url"]}" '
            f'data-peaks="/api/recordings/{r["id"]}/peaks">▶ 收听 Listen</button>'
        )
        if r["contact_id"] and r["agent"]:
            listen += f' <button type="button" class="evaluate" data-contact="{r["contact_id"]}">评估 Evaluate</button>'
    when = datetime.fromisoformat(r["created_at"]).astimezone(zone).strftime("%Y-%m-%d %H:%M")
    return (
        f"<tr><td>{when}</td><td>{escape(r['ticket'] or '')}</td>"
        f"<td>{escape(r['from'] or '')}</td><td>{escape(r['agent'] or '')}</td>"
        f"<td>{r['duration_seconds'] or ''}</td><td>{escape(STATUS_WORDS.get(r['status'], r['status']))}</td>"
        f"<td>{listen}</td></tr>"
    )


async def qa_page(request: Request) -> Response:
    scope = reach(request)
    user = scope.user
    rows = for_viewer(await run_in_threadpool(_listing, request.app.state.services, scope), user)  # QA: masked
    await audited(request, user, action=Action.LIST, object_type="recording", detail=f"{len(rows)} newest, /qa")
    zone = ZoneInfo(request.app.state.services.settings.timezone)
    body = "".join(_row(r, zone) for r in rows)
    page = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>录音质检 QA</title>
<link rel="stylesheet" href="/static/agents/console.css"><link rel="stylesheet" href="/static/recordings/player.css">
<script src="/static/recordings/player.js" defer></script><script src="/static/recordings/qa.js" defer></script>
</head><body class="qa">
<header><h1>录音质检 Recordings for QA</h1><nav><a href="/qa/work">工作队列 Work queue</a>
<a href="/qa/figures">质检数据 QA figures</a></nav><span>{escape(user.display_name)}</span>
{AUDIT_LINK if user.role in (Role.MANAGER, Role.ADMIN) else ""}
<a href="/logout">退出 Log out</a></header><main>
<section id="listening" hidden><h2 id="listening-title"></h2><div id="player"></div></section>
<table class="recordings">
<thead><tr><th>时间 Time</th><th>工单 Ticket</th><th>来电 Caller</th><th>坐席 Agent</th><th>秒 s</th>
<th>状态 Status</th><th>播放、评估 Play, evaluate</th></tr></thead><tbody>{body or EMPTY_ROW}</tbody>
</table></main></body></html>"""
    return HTMLResponse(page)


routes = [
    route("/recordings/{recording_id:int}/media", media, methods=["GET"], policy=RECORDING_PLAY),
    route("/api/recordings/{recording_id:int}/peaks", peaks, methods=["GET"], policy=RECORDING_PLAY),
    route("/api/recordings", recordings_json, methods=["GET"], policy=RECORDINGS),
    route("/qa", qa_page, methods=["GET"], policy=QA_PAGE),
    mount("/static/recordings", StaticFiles(directory=STATIC), name="recording-static", policy=PUBLIC),
]
