"""The long-lived resources of one process, built once by the app factory or the worker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from redis import Redis
from rq import Queue as JobQueue
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

import contactcenter.models  # noqa: F401  (every table must be mapped before the first query)
from contactcenter.db import Database
from contactcenter.liveness import new_process_id
from contactcenter.settings import Settings
from contactcenter.telephony import Telephony
from ivr.registry import FlowRegistry
from queues.engine import RoutingConfig, RoutingEngine
from queues.models import Queue

JOB_QUEUE = "contactcenter"


@dataclass
class Services:
    settings: Settings
    db: Database
    redis: Redis
    routing: RoutingEngine
    telephony: Telephony
    jobs: JobQueue
    flows: FlowRegistry
    process_id: str = field(default_factory=new_process_id)  # whose work this is (contactcenter/liveness.py)

    def url(self, path: str) -> str:
        """Absolute public URL of one of our endpoints (what Twilio calls and signs)."""
        return self.settings.public_base_url + path

    def close(self) -> None:
        """Release connections."""
        self.db.dispose()
        self.redis.close()


def _queue_names(db: Database) -> Callable[[], set[str] | None]:
    """The queues flows may name, read when a flow file is (re)loaded; None (not checked) before any exist."""

    def names() -> set[str] | None:
        try:
            with db.session() as session:
                return set(session.scalars(select(Queue.name))) or None
        except SQLAlchemyError:
            return None

    return names


def build_services(settings: Settings) -> Services:
    """Connect to the database and Redis named by the settings."""
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set: start through `contactcenter run`, or set REDIS_URL")
    redis = Redis.from_url(settings.redis_url)
    routing = RoutingEngine(
        redis,
        RoutingConfig(
            offer_timeout_ms=int(settings.offer_timeout_seconds * 1000),
            rering_ms=settings.rering_seconds * 1000,
            preferred_agent_ms=settings.preferred_agent_seconds * 1000,
            timezone=settings.timezone,
            chat_capacity=settings.chat_capacity,
            voice_blocks_chat=settings.voice_blocks_chat,
            console_grace_ms=settings.console_grace_seconds * 1000,
        ),
    )
    db = Database(settings.sqlalchemy_url)
    flows = FlowRegistry(
        settings.flows_path,
        calendars_path=settings.calendars_path,
        timezone=settings.timezone,
        queue_names=_queue_names(db),
    )
    return Services(
        settings=settings,
        db=db,
        redis=redis,
        routing=routing,
        telephony=Telephony(settings),
        jobs=JobQueue(JOB_QUEUE, connection=redis),
        flows=flows,
    )
