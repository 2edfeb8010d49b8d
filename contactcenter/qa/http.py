"""What the QA routes share: a request's work run in the thread pool with its user, in a session."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from contactcenter.access import reach
from contactcenter.context import Services
from contactcenter.qa.evaluations import NOTIFIED
from contactcenter.tickets.notifier import notification_view, notifications_sent
from contactcenter.users.auth import CurrentUser

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
Result = TypeVar("Result")


async def run(request: Request, work: Callable[[Services, CurrentUser], Result]) -> tuple[Result, CurrentUser]:
    """`work` for the request's user, in the thread pool; its result and the user."""
    user = reach(request).user
    services: Services = request.app.state.services
    return await run_in_threadpool(work, services, user), user


def writing(work: Callable[[Session, Services, CurrentUser], Result]) -> Callable[[Services, CurrentUser], Result]:
    """`work` in a session, committed when it returns; the notifications it made are then pushed live."""

    def in_session(services: Services, user: CurrentUser) -> Result:
        with services.db.session() as session:
            result = work(session, services, user)
            session.flush()
            made = session.info.pop(NOTIFIED, [])
            views, people = [notification_view(n) for n in made], [n.user_id for n in made]
        if views:
            try:
                notifications_sent(services.redis, views, people)
            except Exception:  # the rows are committed: a console reads them at its next start
                log.warning("pushing %d QA notifications failed", len(views), exc_info=True)
        return result

    return in_session
