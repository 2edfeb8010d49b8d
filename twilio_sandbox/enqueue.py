"""<Enqueue>: waiting in a named queue, the waitUrl loop and the action request."""

from __future__ import annotations

import math
import time

from .call_engine import CallEngine
from .queues import Queue
from .signals import ApplicationError, CallEnded, Fetch, HangupRequested, LeaveQueue, RedirectRequested
from .twiml import Document, Verb

# Real hold prompts take seconds to play; the sandbox's take ~0, so without a floor a waitUrl
# document without <Pause> would be re-requested in a tight loop.
MIN_WAIT_LOOP_SECONDS = 0.5


async def run_enqueue(engine: CallEngine, verb: Verb, doc: Document) -> Document | None:
    """Run <Enqueue>; return the action's TwiML, or None to continue after the verb."""
    call, sandbox = engine.call, engine.sandbox
    name = verb.text.strip()
    action = doc.resolve(verb.attrs.get("action"))
    method = verb.attr("method", "POST")
    if not name:
        call.record("ignored", verb="Enqueue", reason="no queue name")
        return None
    if sandbox.queues.is_full(name):
        call.record("enqueue", queue=name, result="queue-full")
        return await _report(engine, None, name, "queue-full", 0, action, method, follow=True)
    queue = sandbox.queues.join(name, call)
    call.queue, call.queue_result = name, None
    call.record("enqueue", queue=name, queue_sid=queue.sid, position=queue.position(call))
    call.caller.joined_queue()
    if call.caller.hangup_after_queue is not None:
        call.caller_deadline = time.monotonic() + call.caller.hangup_after_queue
    wait_url = doc.resolve(verb.attrs.get("waitUrl"))
    wait_method = verb.attr("waitUrlMethod", "POST")
    try:
        await _hold(engine, queue, wait_url, wait_method)
    except LeaveQueue:
        call.caller_deadline = None
        waited = sandbox.queues.leave(queue, call)
        return await _report(engine, queue, name, "leave", waited, action, method, follow=True)
    except RedirectRequested:
        waited = sandbox.queues.leave(queue, call)
        await _report(engine, queue, name, "redirected", waited, action, method, follow=False)
        raise
    except HangupRequested:
        call.caller_gone = True
        waited = sandbox.queues.leave(queue, call)
        await _report(engine, queue, name, "hangup", waited, action, method, follow=False)
        raise
    except CallEnded as ended:
        call.caller_gone = True
        waited = sandbox.queues.leave(queue, call)
        result = "error" if isinstance(ended, ApplicationError) else "hangup"
        await _report(engine, queue, name, result, waited, action, method, follow=False)
        raise
    finally:
        call.caller_deadline = None
        call.caller.left_queue()
        sandbox.queues.leave(queue, call)
    return None  # _hold only returns by raising


async def _hold(engine: CallEngine, queue: Queue, wait_url: str | None, method: str) -> None:
    """Keep the caller on hold until something takes the call out of the queue."""
    call = engine.call
    while True:
        if wait_url is None:
            # Twilio would play its default hold music; the sandbox just waits.
            await call.sleep(math.inf)
            continue
        started = time.monotonic()
        document: Document | None = await engine.fetch_twiml(
            Fetch(wait_url, method, kind="wait"), queue.wait_params(call)
        )
        while document is not None:
            document = await engine.execute(document, waiting=True)
        remaining = MIN_WAIT_LOOP_SECONDS - (time.monotonic() - started)
        if remaining > 0:
            await call.sleep(remaining)


async def _report(
    engine: CallEngine,
    queue: Queue | None,
    name: str,
    result: str,
    waited: int,
    action: str | None,
    method: str,
    *,
    follow: bool,
) -> Document | None:
    """Record how the call left the queue and request the action URL, if any."""
    call = engine.call
    call.queue_result = result
    call.record("queue-left", queue=name, result=result, queue_time=waited)
    if action is None:
        return None
    params = {
        "QueueResult": result,
        "QueueSid": queue.sid if queue else engine.sandbox.queue_sid(name),
        "QueueTime": str(waited),
    }
    if follow:
        return await engine.fetch_twiml(Fetch(action, method, kind="enqueue-action"), params)
    await engine.notify(action, method, params, kind="enqueue-action")
    return None
