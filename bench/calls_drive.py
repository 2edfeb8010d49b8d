"""What the call benchmark does on the wire: agents' consoles, callers, accepts at a steady rate, and the
moments the sandbox logged for each accepted call.

One round of a path places `count` callers at the rate and accepts each one `lead` seconds after it was
placed (in order), so about `rate × lead` callers wait at any time, as in a steady stream of calls.

- **conference** (the product): callers ring the hotline and choose Mandarin → enquiries (the product's
  IVR registers and queues them); routing offers each to an available agent, whose console (a websocket,
  as the page opens it) hears `offer.created`; the accept is `POST /api/agent/offers/N/accept` with that
  agent's session. Done: the sandbox's room log says `conference-start` (caller and agent both in the
  room; the caller cannot start it alone), and the console hears `contact.joined`.
- **dial** (the old path, calls_dial.py): callers ring the same hotline and choose Mandarin → repairs, a
  queue none of the bench's agents takes, so they wait there as the product queues them; the accept is
  `POST /accept` on the old path's server, `lead` seconds after the caller rang and once the sandbox's
  log shows them queued (the offer tells that on the other path). Done: the caller's log in the sandbox
  says `bridged`.

Times are wall-clock on this machine: the bench's own for the accept, the sandbox's log for the rest (a
call's or room's start, microseconds, plus the entry's offset, which the sandbox rounds to 1 ms).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from agent_sockets import login_all, open_console
from calls_setup import HOTLINE, PASSWORD, Stack
from routing_latency import cpu_seconds
from webhooks_setup import Watch
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from twilio_sandbox import SandboxClientError

PONG = json.dumps({"type": "pong"})
# The hotline's menu key each path's callers press: enquiries (the general queue, the bench's agents) or
# repairs (a queue nobody takes: its callers wait, as the product's, until the old path's accept).
MENU = {"conference": "1", "dial": "2"}
OFFER_WAIT = 15.0  # seconds an accept waits for its caller's offer before the round gives up
SETTLE = 0.5  # after a round's last accept, before the sandbox's logs are read (and between tries)
COLLECT_TRIES = 20
QUIET = 0.15  # the servers together below this share of one core: the last round's hang-ups are handled
QUIET_WAIT = 90.0  # seconds at most to wait for that


@dataclass
class Accept:
    """One accept and what followed, in wall-clock seconds (None: never happened)."""

    path: str
    round: int
    due: float  # when the schedule wanted it sent
    sent: float = 0.0  # just before the POST
    answered: float | None = None  # the accept's HTTP answer arrived
    status: int = 0
    contact: str = ""
    call_sid: str = ""  # the caller's
    redirected: float | None = None  # the sandbox took the REST redirect of the caller's call
    caller_in: float | None = None  # conference: the caller joined the room
    agent_in: float | None = None  # conference: the agent's leg joined the room
    connected: float | None = None  # conference-start, or bridged
    joined_event: float | None = None  # conference: contact.joined reached the agent's console
    leg_sid: str = ""  # conference: the agent's leg
    leg_waits: float | None = None  # conference: seconds the leg waited for answers to its status callbacks
    error: str = ""

    def ms(self, moment: float | None) -> float | None:
        return None if moment is None else (moment - self.sent) * 1000


@dataclass
class Console:
    """An agent's console: the session, the websocket, and the agent's id."""

    agent_id: str
    cookie: str
    ws: ClientConnection


@dataclass
class Driver:
    stack: Stack
    rate: float
    lead: float
    http: httpx.AsyncClient
    consoles: list[Console] = field(default_factory=list)
    offers: asyncio.Queue[tuple[str, Console, str]] = field(default_factory=asyncio.Queue)
    joined: dict[str, float] = field(default_factory=dict)  # contact → when its console heard contact.joined
    readers: list[asyncio.Task[None]] = field(default_factory=list)
    numbers: int = 0  # callers' numbers used so far: each call has a number of its own
    dial_agents: int = 0
    problems: list[str] = field(default_factory=list)
    closing: bool = False
    drained: list[float] = field(default_factory=list)  # seconds each round's end took to be handled

    async def quiet(self) -> float:
        """Wait until the servers are idle again: a round's callers hang up after it, and what that causes
        (rooms ending, recordings, contacts finished; the sandbox posts every room's callbacks one at a
        time) is no round's load. Returns the seconds waited."""
        pids = list(self.stack.pids.values())
        began = time.perf_counter()
        while time.perf_counter() - began < QUIET_WAIT:
            before, at = sum(cpu_seconds(pid) for pid in pids), time.perf_counter()
            await asyncio.sleep(0.5)
            if (sum(cpu_seconds(pid) for pid in pids) - before) / (time.perf_counter() - at) < QUIET:
                break
        else:
            self.problems.append(f"the servers were still busy {QUIET_WAIT:.0f} s after a round")
        return time.perf_counter() - began

    async def open(self, names: list[str]) -> None:
        """Log every agent in and open their consoles (a few at a time, as many browsers would)."""
        cookies = await login_all(self.stack.product, names, PASSWORD)
        gate = asyncio.Semaphore(8)
        ws_url = self.stack.product.replace("http", "ws", 1) + "/agents/ws"

        async def one(cookie: str) -> Console:
            async with gate:
                me = await self.http.get(self.stack.product + "/api/me", headers=_session(cookie))
                me.raise_for_status()
                return Console(str(me.json()["id"]), cookie, await open_console(ws_url, cookie))

        self.consoles = list(await asyncio.gather(*(one(cookie) for cookie in cookies)))
        self.readers = [asyncio.create_task(self._read(console)) for console in self.consoles]

    async def close(self) -> None:
        self.closing = True
        for task in self.readers:
            task.cancel()
        for console in self.consoles:
            await console.ws.close()

    async def _read(self, console: Console) -> None:
        """Answer the server's pings; hand offers to the accepting side; note contact.joined."""
        try:
            async for raw in console.ws:
                event = json.loads(raw)
                kind = event.get("type")
                if kind == "ping":
                    await console.ws.send(PONG)
                elif kind == "offer.created" and str(event.get("agent")) == console.agent_id:
                    self.offers.put_nowait((str(event["contact"]), console, str(event["info"].get("call_sid", ""))))
                elif kind == "contact.joined":
                    self.joined.setdefault(str(event["contact"]), time.time())
        except ConnectionClosed as exc:
            if not self.closing:
                self.problems.append(f"agent {console.agent_id}'s console closed: {exc}")
        except Exception as exc:  # a console that stops reading would leave its offers unanswered
            self.problems.append(f"agent {console.agent_id}'s console failed: {exc!r}")

    async def _place(self, count: int, start: float, menu: str, placed: asyncio.Queue[str], sids: list[str]) -> None:
        """`count` callers at the rate from `start`, pressing 1 (Mandarin), then `menu`: the control API's
        POST /sandbox/calls with the body twilio_sandbox.place_call sends, from this event loop
        (place_call builds a client per call, whose TLS setup costs ~10 ms of CPU: in a thread it
        would hold the GIL while accepts are due)."""

        async def one(number: str) -> None:
            body = {"from": number, "to": HOTLINE, "digits": ["1", menu], "hangup_after_queue": None}
            try:
                answer = await self.http.post(self.stack.sandbox + "/sandbox/calls", json=body)
                SandboxClientError.check(answer, 201)
            except httpx.HTTPError as exc:
                self.problems.append(f"placing a call failed: {exc}")
                return
            sids.append(str(answer.json()["call_sid"]))
            placed.put_nowait(sids[-1])

        tasks = []
        for i in range(count):
            await _sleep_until(start + i / self.rate)
            self.numbers += 1
            tasks.append(asyncio.create_task(one(f"+86137{self.numbers:08d}")))
        await asyncio.gather(*tasks)

    async def round(
        self, path: str, index: int, count: int, consoles: list[Console], pids: dict[str, int]
    ) -> tuple[list[Accept], dict[str, float]]:
        """One round of a path: its accepts with the sandbox's times filled in, and the CPU each process
        used (`pids`) from the first call placed to the last accept's answer."""
        while not self.offers.empty():  # an offer left from an earlier round is not this round's
            self.offers.get_nowait()
        if path == "conference":
            await self._available(consoles)
        placed: asyncio.Queue[str] = asyncio.Queue()
        sids: list[str] = []  # every caller placed, accepted or not
        start = time.time() + 0.2
        watch = Watch(pids)
        placing = asyncio.create_task(self._place(count, start, MENU[path], placed, sids))
        accepts: list[Accept] = []
        posts = []
        for j in range(count):
            accept = Accept(path, index, due=start + self.lead + j / self.rate)
            accepts.append(accept)
            await _sleep_until(accept.due)
            try:
                if path == "conference":
                    accept.contact, console, accept.call_sid = await asyncio.wait_for(self.offers.get(), OFFER_WAIT)
                    posts.append(asyncio.create_task(self._accept_offer(accept, console)))
                else:
                    accept.call_sid = await asyncio.wait_for(placed.get(), OFFER_WAIT)
                    await asyncio.wait_for(self._queued(accept.call_sid), OFFER_WAIT)
                    accept.contact = str(j + 1)
                    posts.append(asyncio.create_task(self._accept_dial(accept)))
            except TimeoutError:
                accept.error = "no offer" if path == "conference" else "no caller waiting"
                break
        await asyncio.gather(*posts, placing)
        cpu = watch.stop()
        await self._unaccepted(path, index, sids, {a.call_sid for a in accepts})
        for _ in range(COLLECT_TRIES):  # until every answered accept's caller is with their agent
            await asyncio.sleep(SETTLE)
            if path == "conference":
                await self._rooms(accepts)
            await self._calls(accepts, bridged=path == "dial")
            if all(a.connected is not None for a in accepts if a.sent and not a.error):
                break
        for accept in accepts:
            if accept.sent and not accept.error and accept.connected is None:
                accept.error = "never in the room with the agent" if path == "conference" else "never bridged"
        if path == "conference":
            await self._legs(accepts)
        await self._hang_up(sids)
        self.drained.append(await self.quiet())
        return accepts, cpu

    async def _queued(self, call_sid: str) -> None:
        """Until the caller waits in the product's queue (what the offer tells on the conference path)."""
        while True:
            call = (await self.http.get(f"{self.stack.sandbox}/sandbox/calls/{call_sid}")).json()
            if any(entry["event"] == "enqueue" for entry in call["log"]):
                return
            await asyncio.sleep(0.02)

    async def _unaccepted(self, path: str, index: int, sids: list[str], accepted: set[str]) -> None:
        """Callers placed whose accept never came: where the sandbox says they got to (the first three)."""
        for sid in [sid for sid in sids if sid not in accepted][:3]:
            call = (await self.http.get(f"{self.stack.sandbox}/sandbox/calls/{sid}")).json()
            last = ", ".join(f"{e['t']} {e['event']}" for e in call["log"][-4:])
            self.problems.append(f"{path} round {index}: caller {sid} was never accepted ({call['status']}: {last})")

    async def _available(self, consoles: list[Console]) -> None:
        gate = asyncio.Semaphore(8)

        async def one(console: Console) -> None:
            async with gate:
                url = self.stack.product + "/api/agent/state"
                answer = await self.http.post(url, json={"state": "available"}, headers=_session(console.cookie))
                answer.raise_for_status()

        await asyncio.gather(*(one(console) for console in consoles))

    async def _accept_offer(self, accept: Accept, console: Console) -> None:
        url = f"{self.stack.product}/api/agent/offers/{accept.contact}/accept"
        await self._post(accept, url, headers=_session(console.cookie))

    async def _accept_dial(self, accept: Accept) -> None:
        self.dial_agents += 1
        body = {"call_sid": accept.call_sid, "contact": accept.contact, "agent": 900_000 + self.dial_agents}
        await self._post(accept, self.stack.dial + "/accept", body=body)

    async def _post(self, accept: Accept, url: str, *, headers: dict[str, str] | None = None, body: Any = None) -> None:
        accept.sent = time.time()
        try:
            answer = await self.http.post(url, headers=headers, json=body)
        except httpx.HTTPError as exc:
            accept.error = f"accept: {type(exc).__name__}"
            return
        accept.answered, accept.status = time.time(), answer.status_code
        if answer.status_code != 200:
            accept.error = f"accept answered {answer.status_code}"

    async def _rooms(self, accepts: list[Accept]) -> None:
        """The room log of each accepted contact: who joined when, and when it started."""
        answer = await self.http.get(self.stack.sandbox + "/sandbox/conferences")
        rooms = {room["friendly_name"]: room for room in reversed(answer.json()["conferences"])}  # newest wins
        for accept in accepts:
            room = rooms.get(f"contact-{accept.contact}")
            if room is None or not accept.sent:
                continue
            base = datetime.fromisoformat(room["created_at"]).timestamp()
            for entry in room["log"]:
                at, label = base + entry["t"], entry.get("label") or ""
                if entry["event"] == "participant-join" and label == "caller":
                    accept.caller_in = accept.caller_in or at
                elif entry["event"] == "participant-join" and label.startswith("agent-"):
                    accept.agent_in = accept.agent_in or at
                elif entry["event"] == "conference-start":
                    accept.connected = accept.connected or at
            accept.joined_event = self.joined.get(accept.contact)
            legs = [p["call_sid"] for p in room["participants"] if (p.get("label") or "").startswith("agent-")]
            accept.leg_sid = legs[0] if legs else ""

    async def _legs(self, accepts: list[Accept]) -> None:
        """How long each agent leg waited, before it joined, for the product's answers to its status
        callbacks (initiated, ringing, answered): the sandbox posts them in line with the call."""
        gate = asyncio.Semaphore(8)

        async def one(accept: Accept) -> None:
            async with gate:
                log = (await self.http.get(f"{self.stack.sandbox}/sandbox/calls/{accept.leg_sid}")).json()["log"]
            waited = 0.0
            for before, entry in zip(log, log[1:], strict=False):
                if entry["event"] == "conference-joined":
                    break
                if entry["event"] == "webhook" and entry.get("kind") == "status-callback":
                    waited += entry["t"] - before["t"]
            accept.leg_waits = waited

        await asyncio.gather(*(one(a) for a in accepts if a.leg_sid))

    async def _calls(self, accepts: list[Accept], *, bridged: bool) -> None:
        """Each caller's log: when the redirect reached the sandbox, and (dial) when the call was bridged."""
        gate = asyncio.Semaphore(8)

        async def one(accept: Accept) -> None:
            async with gate:
                answer = await self.http.get(f"{self.stack.sandbox}/sandbox/calls/{accept.call_sid}")
            call = answer.json()
            base = datetime.fromisoformat(call["started_at"]).timestamp()
            queued = False
            for entry in call["log"]:
                queued = queued or entry["event"] == "enqueue"
                if entry["event"] == "rest-update" and accept.redirected is None:
                    accept.redirected = base + entry["t"]
                    if not queued:  # the accept would then measure the IVR as well
                        accept.error = "redirected before it was queued"
                elif entry["event"] == "bridged" and bridged:
                    accept.connected = base + entry["t"]

        wanted = [a for a in accepts if a.call_sid and a.sent and (a.redirected is None or a.connected is None)]
        await asyncio.gather(*(one(a) for a in wanted))

    async def _hang_up(self, call_sids: list[str]) -> None:
        """The round's callers hang up, accepted or not (the agents go to wrap-up; none is used again)."""
        gate = asyncio.Semaphore(8)

        async def one(sid: str) -> None:
            async with gate:
                await self.http.post(f"{self.stack.sandbox}/sandbox/calls/{sid}/hangup", json={"side": "caller"})

        await asyncio.gather(*(one(sid) for sid in call_sids))


def _session(cookie: str) -> dict[str, str]:
    return {"Cookie": f"cc_session={cookie}"}


async def _sleep_until(moment: float) -> None:
    delay = moment - time.time()
    if delay > 0:
        await asyncio.sleep(delay)
