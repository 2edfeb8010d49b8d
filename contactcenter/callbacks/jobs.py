"""RQ jobs of the callbacks domain."""

from __future__ import annotations

from contactcenter.callbacks.service import release
from contactcenter.worker import worker_services


def release_callback(callback_id: int) -> None:
    """A scheduled callback's time has come: put it in its queue."""
    release(worker_services(), callback_id=callback_id)
