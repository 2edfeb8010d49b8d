"""The daily retention run as an RQ job, enqueued by the worker's schedule (schedule.py)."""

from __future__ import annotations

import logging
from typing import Any

from contactcenter.retention import service
from contactcenter.worker import worker_services

log = logging.getLogger(__name__)


def daily_run() -> dict[str, Any]:
    """RQ job: mark what expired, destroy what waited out its grace; the report is the job's result."""
    services = worker_services()
    report = service.run(services.db, services.settings, progress=log.info)
    return report.as_dict()
