"""What the QA routes share: a request's work run in the thread pool with its user, in a session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from contactcenter.access import reach
from contactcenter.context import Services
from contactcenter.users.auth import CurrentUser

STATIC = Path(__file__).resolve().parent / "static"
Result = TypeVar("Result")


async def run(request: Request, work: Callable[[Services, CurrentUser], Result]) -> tuple[Result, CurrentUser]:
    """`work` for the request's user, in the thread pool; its result and the user."""
    user = reach(request).user
    services: Services = request.app.state.services
    return await run_in_threadpool(work, services, user), user


def writing(work: Callable[[Session, Services, CurrentUser], Result]) -> Callable[[Services, CurrentUser], Result]:
    """`work` in a session, committed when it returns."""

    def in_session(services: Services, user: CurrentUser) -> Result:
        with services.db.session() as session:
            return work(session, services, user)

    return in_session
