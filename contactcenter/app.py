"""The web application factory: routes of every domain, sessions, and per-process background tasks."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from redis.asyncio import Redis as AsyncRedis
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from agents import routes as agent_routes
from agents import wallboard, wallboard_ws
from agents import ws as agent_ws
from agents.heartbeat import PresenceRenewer
from agents.wrap_up_drafts import TIME_RAN_OUT, file_draft, file_left_drafts
from contactcenter import errors, openapi
from contactcenter.access import mount, route
from contactcenter.access.rules import PUBLIC
from contactcenter.attachments import routes as attachment_routes
from contactcenter.audit import routes as audit_routes
from contactcenter.body_limit import BodyLimit, BodyLimits
from contactcenter.callbacks import routes as callback_routes
from contactcenter.chats import presence as chat_presence
from contactcenter.chats import routes as chat_routes
from contactcenter.chats import service as chats
from contactcenter.chats.hub import ChatHub
from contactcenter.contacts import routes as contact_routes
from contactcenter.context import Services, build_services
from contactcenter.customers import routes as customer_routes
from contactcenter.liveness import beat_forever
from contactcenter.outbox.service import relay_forever
from contactcenter.qa import calibration_routes, sampling_routes, scorecard_routes
from contactcenter.qa import figures_routes as qa_figure_routes
from contactcenter.qa import routes as qa_routes
from contactcenter.qa.http import STATIC as QA_STATIC
from contactcenter.qa.sampling_jobs import sample_forever as qa_sample_forever
from contactcenter.reconcile.service import reconcile_forever
from contactcenter.responses import JSONResponse
from contactcenter.retention import routes as retention_routes
from contactcenter.satisfaction import routes as satisfaction_routes
from contactcenter.settings import Settings
from contactcenter.tickets import desk_routes
from contactcenter.tickets import routes as ticket_routes
from contactcenter.tickets.jobs import sweep_forever
from contactcenter.users import admin_routes, shift_routes
from contactcenter.users import routes as user_routes
from contactcenter.users.session_middleware import ServerSessions
from contactcenter.users.session_watch import SessionWatch
from contactcenter.users.sessions import Lifetimes, SessionStore
from contactcenter.voicemails import routes as voicemail_routes
from contactcenter.web_guard import WebGuard
from ivr import routes as ivr_routes
from ivr.fast_opening import FastOpening
from ivr.waiting import leave_queue
from queues import routes as queue_routes
from queues.config import publish_all
from queues.history import sample_forever
from queues.stream import EventHub
from recordings import routes as recording_routes

log = logging.getLogger(__name__)
REAP_INTERVAL = 0.5
DRAFT_SWEEP_INTERVAL = 15.0  # drafts left when a wrap-up ended otherwise than by time: filed this late at most
GC_THRESHOLDS = (100_000, 50, 100)  # young objects before a collection; then how often the older generations
AGENT_STATIC = Path(__file__).resolve().parent.parent / "agents" / "static"
DESK_STATIC = Path(__file__).resolve().parent / "tickets" / "static"


def reap_once(services: Services) -> None:
    """Act on routing's timers once (expired offers, overflow, maximum waits, wrap-ups); every process
    runs this, the script makes it safe, and only the process whose reap timed a caller out tells them,
    and only the one whose reap ended a wrap-up files its draft."""
    reaped = services.routing.reap()
    for contact_id in reaped.timed_out:
        leave_queue(services, contact_id=int(contact_id))
        chats.time_out(services, contact_id=int(contact_id))
    for agent_id, contact_id in reaped.wrapped_up:
        try:
            file_draft(services, contact_id=int(contact_id), agent_id=int(agent_id), why=TIME_RAN_OUT)
        except Exception:  # the draft stays: the sweep files it later
            log.exception("filing agent %s's wrap-up draft of contact %s failed", agent_id, contact_id)
    grace = services.settings.chat_customer_grace_seconds
    for chat_id in chat_presence.gone(services.redis, grace_seconds=grace):
        chats.customer_gone(services, contact_id=chat_id)


async def _reap_forever(services: Services) -> None:
    """reap_once twice a second; now and then, file the drafts of wrap-ups that ended otherwise."""
    swept = 0.0
    while True:
        try:
            await run_in_threadpool(reap_once, services)
            if (now := asyncio.get_running_loop().time()) - swept >= DRAFT_SWEEP_INTERVAL:
                swept = now
                await run_in_threadpool(file_left_drafts, services)
        except Exception:
            log.exception("reaping routing timers failed")
        await asyncio.sleep(REAP_INTERVAL)


async def healthz(request: Request) -> Response:
    services: Services = request.app.state.services
    await run_in_threadpool(services.redis.ping)
    return JSONResponse({"ok": True})


async def home(request: Request) -> Response:
    return RedirectResponse("/console", status_code=303)


def create_app(settings: Settings, *, own_process: bool = False) -> Starlette:
    """Build the ASGI app; connections open in the lifespan, not at import or here.

    `own_process`: the app is all its process serves (`contactcenter serve`), so its start-up may tune
    the process's garbage collector; an app built inside another program (the tests) leaves it alone.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services = build_services(settings)
        hub = EventHub(AsyncRedis.from_url(settings.redis_url or "", socket_timeout=10), services.routing.events_key)
        app.state.services = services
        with services.db.session() as session:
            publish_all(session, services.routing)  # Redis may be new or rebuilt: routing needs the settings
        app.state.hub = hub
        # For webhooks answered on the event loop when Redis alone can answer them (ivr/routes.py): a
        # short timeout, since a slow Redis must not hold the loop's other work for long.
        app.state.quick_redis = AsyncRedis.from_url(settings.redis_url or "", socket_timeout=2)
        # Every request's session check (contactcenter/users/sessions.py): one round trip on this client.
        app.state.sessions = SessionStore(
            AsyncRedis.from_url(settings.redis_url or "", socket_timeout=5),
            Lifetimes(settings.session_idle_minutes * 60_000, settings.session_lifetime_hours * 3_600_000),
        )
        app.state.session_watch = SessionWatch(app.state.sessions, settings.session_check_seconds)
        await hub.start()
        # Chat messages and typing between processes (pub/sub: no socket timeout, it idles by design).
        chat_hub = ChatHub(AsyncRedis.from_url(settings.redis_url or "", health_check_interval=30))
        app.state.chat_hub = chat_hub
        chat_hub.start()
        if own_process:
            # Everything built so far lives as long as the process: keep it out of every garbage
            # collection from now on (a full one walks the whole heap, several ms with it).
            gc.freeze()
            # Open consoles keep about 200 objects each alive, and heartbeats keep promoting new ones: with
            # the default thresholds (700, 10, 10) and 5,000 consoles, a generation-1 collection took 20-80
            # ms every few seconds and a full one ~0.9 s every ~20 s, stalling every socket
            # (docs/performance.md).
            gc.set_threshold(*GC_THRESHOLDS)
        reaper = asyncio.create_task(_reap_forever(services), name="offer-reaper")
        sampler = asyncio.create_task(sample_forever(services), name="queue-history")
        app.state.presence = PresenceRenewer(services.routing, settings.console_heartbeat_seconds)
        renewer = asyncio.create_task(app.state.presence.run_forever(), name="console-presence")
        relay = asyncio.create_task(relay_forever(services), name="outbox-relay")
        reconciler = asyncio.create_task(reconcile_forever(services), name="reconciler")
        alive = asyncio.create_task(beat_forever(services.redis, services.process_id), name="liveness")
        watch = asyncio.create_task(app.state.session_watch.run_forever(), name="session-watch")
        sla = asyncio.create_task(sweep_forever(services), name="sla-sweep")
        qa_sampling = asyncio.create_task(qa_sample_forever(services), name="qa-sampling")
        try:
            yield
        finally:
            for task in (reaper, sampler, renewer, relay, reconciler, alive, watch, sla, qa_sampling):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await hub.stop()
            await app.state.quick_redis.aclose()
            await app.state.sessions.redis.aclose()
            await chat_hub.stop()
            services.close()

    routes = [
        route("/", home, policy=PUBLIC),
        route("/healthz", healthz, policy=PUBLIC),
        *user_routes.routes,
        *admin_routes.routes,
        *shift_routes.routes,
        *ivr_routes.routes,
        *agent_routes.routes,
        *agent_ws.routes,
        *ticket_routes.routes,
        *desk_routes.routes,
        *satisfaction_routes.routes,
        *scorecard_routes.routes,
        *qa_routes.routes,
        *calibration_routes.routes,
        *sampling_routes.routes,
        *qa_figure_routes.routes,
        *attachment_routes.routes,
        *customer_routes.routes,
        *audit_routes.routes,
        *retention_routes.routes,
        *voicemail_routes.routes,
        *callback_routes.routes,
        *contact_routes.routes,
        *chat_routes.routes,
        *openapi.routes,
        *recording_routes.routes,
        *wallboard.routes,  # before queue_routes: /api/stats/queues/history is not a queue's name
        *wallboard_ws.routes,
        *queue_routes.routes,
        mount("/static/agents", StaticFiles(directory=AGENT_STATIC), name="agent-static", policy=PUBLIC),
        mount("/static/desk", StaticFiles(directory=DESK_STATIC), name="desk-static", policy=PUBLIC),
        mount("/static/qa", StaticFiles(directory=QA_STATIC), name="qa-static", policy=PUBLIC),
        mount(
            "/static/retention", StaticFiles(directory=retention_routes.STATIC), name="retention-static", policy=PUBLIC
        ),
    ]
    https = settings.public_base_url.startswith("https://")
    middleware = [
        # First: another site's request is refused before all else. A file is uploaded as a form.
        Middleware(WebGuard, settings=settings, uploads=(attachment_routes.UPLOAD_PATH,)),
        Middleware(ServerSessions, https_only=https, max_age=settings.session_lifetime_hours * 3600),
    ]
    app = ContactCenterApp(
        routes=routes, middleware=middleware, lifespan=lifespan, exception_handlers=errors.EXCEPTION_HANDLERS
    )
    app.body_limits = BodyLimits(
        api_bytes=settings.max_body_bytes,
        webhook_bytes=settings.max_webhook_body_bytes,
        uploads=(attachment_routes.upload_limit(settings),),
    )
    return app


class ContactCenterApp(Starlette):
    """Starlette, with a new call's first webhook answered ahead of the whole middleware stack
    (ivr/fast_opening.py: it is the busiest request, and the stack costs more than its work), and
    request bodies capped ahead of both (contactcenter/body_limit.py)."""

    body_limits = BodyLimits(api_bytes=1024 * 1024, webhook_bytes=1024 * 1024)  # create_app sets the settings'

    def build_middleware_stack(self) -> ASGIApp:
        return BodyLimit(FastOpening(super().build_middleware_stack()), self.body_limits)
