"""The long-lived resources of one process, built once by the app factory or the worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from redis import Redis
from rq import Queue as JobQueue

import contactcenter.models  # noqa: F401  (every table must be mapped before the first query)
from contactcenter.db import Database
from contactcenter.settings import Settings
from contactcenter.telephony import Telephony
from ivr.flow import Flow, load_flow
from queues.engine import RoutingConfig, RoutingEngine

JOB_QUEUE = "contactcenter"


@dataclass
class Services:
    settings: Settings
    db: Database
    redis: Redis
    routing: RoutingEngine
    telephony: Telephony
    jobs: JobQueue
    flow_path: Path
    flow: Flow = field(init=False)

    def __post_init__(self) -> None:
        self.flow = load_flow(self.flow_path)

    def url(self, path: str) -> str:
        """Absolute public URL of one of our endpoints (what Twilio calls and signs)."""
        return self.settings.public_base_url + path

    def close(self) -> None:
        """Release connections."""
        self.db.dispose()
        self.redis.close()


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
        ),
    )
    return Services(
        settings=settings,
        db=Database(settings.sqlalchemy_url),
        redis=redis,
        routing=routing,
        telephony=Telephony(settings),
        jobs=JobQueue(JOB_QUEUE, connection=redis),
        flow_path=settings.flow_path,
    )
