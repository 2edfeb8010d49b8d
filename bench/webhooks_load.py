"""Load of the webhook benchmark: pre-signed incoming-call requests and two cheap HTTP/1.1 clients on
asyncio protocols (keep-alive, requests as ready-made bytes, responses parsed only as far as status,
Content-Type, Content-Length and a look for `<Response`).

- `closed_loop`: N connections, each sends its next request as soon as the previous answer is in;
  counts the answers that arrive before the deadline (throughput).
- `open_loop`: requests leave at fixed times whatever the server does (a new connection is opened
  when none is idle); each latency runs from the request's *scheduled* time, so a server that falls
  behind is charged for the queue it builds.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlencode

from tests.twilio_params import gather_action, incoming_call, new_sid, signed

MAX_OPEN_LOOP_CONNECTIONS = 1024
_SOME_SID = new_sid("CA")  # stands for each call's own in a form encoded once per caller
DRAIN_SECONDS = 30.0


@dataclass(frozen=True)
class Target:
    host: str
    port: int


@dataclass(frozen=True)
class Callers:
    """Who calls: the demo customers some of the time, else a pool of other mobiles (some of whom
    become customers on their first call and are found again on later ones)."""

    known: tuple[str, ...]
    others: tuple[str, ...]
    known_share: float

    @classmethod
    def make(cls, known: tuple[str, ...], others: int, known_share: float, seed: int = 4) -> Callers:
        rng = random.Random(seed)
        pool = tuple(f"+86139{rng.randrange(10**8):08d}" for _ in range(others))
        return cls(known, pool, known_share)

    def pick(self, rng: random.Random) -> str:
        return rng.choice(self.known if rng.random() < self.known_share else self.others)


@dataclass
class Calls:
    """Pre-signed incoming-call requests of new calls, and what each caller's first answer (pressing 1
    for Mandarin at the opening's language question, which registers the call) needs."""

    incoming: list[bytes]
    params: list[dict[str, str]]
    answer_to: tuple[str, str, str]  # (our public base URL, Host header, auth token)

    def first_answers(self, count: int | None = None) -> list[bytes]:
        """The first answers of the first `count` calls, signed now (signing takes longer than sending)."""
        base, host, token = self.answer_to
        path = f"/twilio/voice/gather?node=language&attempt=1&started={int(time.time() * 1000)}"
        out = []
        for params in self.params[:count]:
            answer = gather_action(call=params, digits="1")
            signature = signed(base + path, answer, token)["X-Twilio-Signature"]
            out.append(form_request(path, host, urlencode(answer), signature))
        return out


def form_request(path: str, host: str, form: str, signature: str) -> bytes:
    """A signed webhook POST as Twilio's proxy sends it, ready to write to a connection."""
    body = form.encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: TwilioProxy/1.1\r\nAccept: */*\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"X-Twilio-Signature: {signature}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def build_requests(
    count: int, *, public_url: str, host: str, token: str, account_sid: str, to: str, callers: Callers, seed: int
) -> Calls:
    """`count` new calls, each a new CallSid with Twilio's full parameter set, signed for `public_url`
    (the URL Twilio would post to) and serialised the way Twilio's proxy sends them."""
    rng = random.Random(seed)
    path = "/" + public_url.split("/", 3)[3]
    calls = Calls([], [], (public_url.rsplit("/twilio/voice", 1)[0], host, token))
    forms: dict[str, tuple[dict[str, str], str, str]] = {}  # per caller: fields, their encoding, signed text
    for _ in range(count):
        caller, sid = callers.pick(rng), new_sid("CA")
        if caller not in forms:
            fields = incoming_call(account_sid=account_sid, call_sid=_SOME_SID, from_=caller, to=to)
            text = public_url + "".join(name + fields[name] for name in sorted(fields))
            forms[caller] = (fields, urlencode(fields), text)
        fields, form, text = forms[caller]
        params = {**fields, "CallSid": sid}
        # Twilio's signature (tests.twilio_params.signed) made from the caller's text: that one takes
        # longer than a round's requests take to send. The first call is checked against it.
        mac = base64.b64encode(hmac.digest(token.encode(), text.replace(_SOME_SID, sid).encode(), "sha1"))
        signature = mac.decode()
        if not calls.incoming and signature != signed(public_url, params, token)["X-Twilio-Signature"]:
            raise AssertionError("the benchmark's signatures are not Twilio's")
        calls.incoming.append(form_request(path, host, form.replace(_SOME_SID, sid), signature))
        calls.params.append(params)
    return calls


@dataclass
class Tally:
    """What came back: answers by outcome, and the latency (s) of every good answer."""

    ok: int = 0
    late: int = 0  # good answers after a throughput round's deadline: not counted, but they wrote rows
    bad: Counter[str] = field(default_factory=Counter)  # "503", "not TwiML", "connection lost", ...
    latencies: list[float] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(self.bad.values())


class _Connection(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight."""

    def __init__(self, on_answer: Callable[[_Connection, str | None], None]) -> None:
        self.on_answer = on_answer  # called with None for a 200 TwiML answer, else what was wrong
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.busy = False
        self.lost = False  # the server closed it: never send on it again
        self.started = 0.0  # perf_counter() the current request counts from
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not asyncio subclasses

    def send(self, request: bytes, started: float) -> None:
        assert self.transport is not None
        self.busy, self.started = True, started
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.busy:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).lower()
            at = head.find(b"\r\ncontent-length:")
            if at < 0:
                self._answer("no Content-Length")
                self.buffer.clear()
                return
            line_end = head.find(b"\r\n", at + 2)
            length = int(head[at + 17 : line_end if line_end > 0 else len(head)])
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            status = head[9:12].decode()
            twiml = b"content-type: application/xml" in head and b"<Response" in self.buffer[end + 4 : total]
            del self.buffer[:total]
            self._answer(None if status == "200" and twiml else (status if status != "200" else "not TwiML"))

    def _answer(self, problem: str | None) -> None:
        self.busy = False
        self.on_answer(self, problem)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.busy:
            self._answer("connection lost")
        if not self.closed.done():
            self.closed.set_result(None)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def _connect(target: Target, on_answer: Callable[[_Connection, str | None], None]) -> _Connection:
    _, conn = await asyncio.get_running_loop().create_connection(
        lambda: _Connection(on_answer), target.host, target.port
    )
    return conn


def _record(tally: Tally, conn: _Connection, problem: str | None, now: float) -> None:
    if problem is None:
        tally.ok += 1
        tally.latencies.append(now - conn.started)
    else:
        tally.bad[problem] += 1


async def _close_all(conns: list[_Connection]) -> None:
    for conn in conns:
        conn.close()
    await asyncio.gather(*(conn.closed for conn in conns))


async def closed_loop(
    target: Target, requests: list[bytes], *, connections: int, seconds: float, reuse: bool
) -> tuple[Tally, float, bool]:
    """Throughput: answers before the deadline, the time they took, and whether `requests` ran out
    (`reuse` cycles through them instead, for a server that stores nothing)."""
    tally, drained = Tally(), asyncio.Event()
    state = {"next": 0, "in_flight": 0, "exhausted": False}
    deadline = 0.0

    def on_answer(conn: _Connection, problem: str | None) -> None:
        now = time.perf_counter()
        state["in_flight"] -= 1
        if now <= deadline or problem is not None:  # errors count whenever they come
            _record(tally, conn, problem, now)
        else:
            tally.late += 1
        if now <= deadline and not conn.lost:
            send(conn, now)
        if state["in_flight"] == 0:
            drained.set()

    def send(conn: _Connection, now: float) -> None:
        index = state["next"]
        if index >= len(requests):
            if not reuse:
                state["exhausted"] = True
                return
            index %= len(requests)
        state["next"] += 1
        state["in_flight"] += 1
        conn.send(requests[index], now)

    conns = [await _connect(target, on_answer) for _ in range(connections)]
    began = time.perf_counter()
    deadline = began + seconds
    for conn in conns:
        send(conn, began)
    await asyncio.wait_for(drained.wait(), seconds + DRAIN_SECONDS)
    elapsed = min(time.perf_counter(), deadline) - began
    await _close_all(conns)
    return tally, elapsed, bool(state["exhausted"])


async def _idle_connection(
    idle: asyncio.Queue[_Connection], conns: list[_Connection], connect: Callable[[], Awaitable[_Connection]]
) -> _Connection:
    """An idle connection the server has not closed, opening another one when none is idle."""
    while True:
        if idle.empty() and len(conns) < MAX_OPEN_LOOP_CONNECTIONS:
            conns.append(await connect())
            return conns[-1]
        conn = await idle.get()
        if not conn.lost:
            return conn


@dataclass
class Paced:
    tally: Tally
    sent: int
    seconds: float  # from the first scheduled send to the last actual one
    max_lag: float  # worst lateness of a send against its schedule (s)
    connections: int


async def open_loop(target: Target, requests: list[bytes], *, rate: float, warm_connections: int = 32) -> Paced:
    """Send every request at its scheduled time (`rate` per second), never waiting for answers."""
    tally, idle = Tally(), asyncio.Queue[_Connection]()
    answered = asyncio.Event()
    pending = len(requests)

    def on_answer(conn: _Connection, problem: str | None) -> None:
        nonlocal pending
        _record(tally, conn, problem, time.perf_counter())
        pending -= 1
        if pending == 0:
            answered.set()
        if not conn.lost:
            idle.put_nowait(conn)

    conns = [await _connect(target, on_answer) for _ in range(warm_connections)]
    for conn in conns:
        idle.put_nowait(conn)
    start = time.perf_counter() + 0.05
    max_lag = 0.0
    for i, request in enumerate(requests):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            max_lag = max(max_lag, -delay)
        conn = await _idle_connection(idle, conns, lambda: _connect(target, on_answer))
        conn.send(request, due)  # latency counts from the schedule, not from this moment
    sent_in = time.perf_counter() - start
    try:
        await asyncio.wait_for(answered.wait(), DRAIN_SECONDS)
    except TimeoutError:
        tally.bad["no answer"] += pending
    await _close_all(conns)
    return Paced(tally, len(requests), sent_in, max_lag, len(conns))
