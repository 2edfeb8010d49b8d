"""The worker stops at once when told to, whatever its command listener is doing."""

from __future__ import annotations

import threading

from redis import Redis
from rq import Queue

from contactcenter.context import JOB_QUEUE
from contactcenter.worker import ContactCenterWorker
from tests.console import eventually

STOPPED_WITHIN = 5.0  # seconds: a hang, not a speed target (the listener's own wait is 60 s)


def test_a_worker_whose_listener_already_saw_the_unsubscribe_still_stops(redis_client: Redis) -> None:
    worker = ContactCenterWorker([Queue(JOB_QUEUE, connection=redis_client)], connection=redis_client)
    worker.subscribe()
    pubsub, listener = worker.pubsub, worker.pubsub_thread
    assert pubsub is not None and listener is not None
    try:
        pubsub.unsubscribe()  # what RQ's own unsubscribe does first; the listener reads the reply
        assert eventually(lambda: not pubsub.subscribed, 5.0)

        stopping = threading.Thread(target=worker.unsubscribe, daemon=True)
        stopping.start()
        stopping.join(STOPPED_WITHIN)

        assert not stopping.is_alive(), "the stop waits for a listener that waits 60 s for a subscription"
    finally:
        listener.stop(timeout=0)
