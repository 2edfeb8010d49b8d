"""The web chat through a running system: the customer's page API and websocket, an agent's console,
the agent's chat HTTP calls, the hub's agent feed from another process, canned replies."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis as AsyncRedis
from sqlalchemy import Engine, text
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from contactcenter.chats.hub import ChatHub
from tests.conftest import System
from tests.console import AgentConsole

HTML = '<script>alert("hi")</script><img src=x onerror=alert(1)>'


class ChatCustomer:
    """What the chat page does: the form, then the websocket with its hello."""

    def __init__(self, system: System, **form: Any) -> None:
        self.system = system
        answers = {"name": "孙女士", "phone": "13912345678", "topic": "complaint", "language": "zh-CN", **form}
        response = httpx.post(system.base_url + "/api/chat/start", json=answers, timeout=15)
        assert response.status_code == 201, response.text
        started = response.json()
        self.contact, self.token, self.ticket = started["contact"], started["token"], started["ticket"]
        self.ws: ClientConnection | None = None
        self.seen: list[dict[str, Any]] = []

    def open(self, last_message_id: int = 0) -> dict[str, Any]:
        """Connect and say hello; returns the history the server answers with."""
        self.ws = connect(self.system.base_url.replace("http", "ws", 1) + "/chat/ws").__enter__()
        self.ws.send(json.dumps({"type": "hello", "token": self.token, "last_message_id": last_message_id}))
        return self.next("history")

    def send(self, **message: Any) -> None:
        assert self.ws is not None
        self.ws.send(json.dumps(message))

    def next(self, type_: str, timeout: float = 10) -> dict[str, Any]:
        """The next server message of this type, skipping others (queue updates, typing)."""
        assert self.ws is not None
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {type_} within {timeout} s; saw {[m['type'] for m in self.seen]}")
            message = json.loads(self.ws.recv(timeout=remaining))
            self.seen.append(message)
            if message["type"] == type_:
                return message

    def next_message(self, sender: str, timeout: float = 10) -> dict[str, Any]:
        """The next chat message from this sender (skipping system lines such as "agent joined")."""
        while True:
            message = self.next("message", timeout)["message"]
            if message["sender"] == sender:
                return message

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()


@pytest.fixture
def agent(system: System) -> Iterator[AgentConsole]:
    """agent1 (the only agent of the complaints queue who logs in here), available for chats."""
    console = AgentConsole(system, "agent1")
    console.go("available")
    yield console
    console.post("/api/agent/state", {"state": "offline"})
    console.close()


def offered_chat(agent: AgentConsole, customer: ChatCustomer) -> dict[str, Any]:
    return agent.next_event("offer.created", contact=customer.contact)


def connected(agent: AgentConsole, customer: ChatCustomer) -> None:
    """The chat is offered to the agent, who accepts; the customer hears who joined."""
    offer = offered_chat(agent, customer)
    assert offer["channel"] == "chat"
    response = agent.accept(customer.contact)
    assert response.status_code == 200, response.text
    assert customer.next("agent_joined")["agent_name"] == "王芳 Wang Fang"


def wrap_up(agent: AgentConsole, customer: ChatCustomer) -> None:
    response = agent.post(f"/api/agent/contacts/{customer.contact}/wrap-up", {"note": "", "next_state": "available"})
    assert response.status_code == 200, response.text


def status_of(sql: Engine, contact: str) -> str:
    with sql.connect() as conn:
        return conn.execute(text("SELECT status FROM contacts WHERE id = :id"), {"id": int(contact)}).scalar_one()


def test_a_chat_reaches_an_agent_and_messages_go_both_ways_as_typed(system: System, agent: AgentConsole) -> None:
    customer = ChatCustomer(system)
    history = customer.open()
    assert history["state"] == "queued"
    assert [m["sender"] for m in history["messages"]] == ["system"]  # greeted at once, before any agent
    offer = offered_chat(agent, customer)
    assert offer["channel"] == "chat" and offer["info"]["caller_name"] == "孙女士"
    assert offer["info"]["ticket"] == customer.ticket and offer["info"]["choice"] == "投诉 / Complaint"
    assert agent.accept(customer.contact).status_code == 200
    assert customer.next("agent_joined")["agent_name"] == "王芳 Wang Fang"

    customer.send(type="message", body=HTML, client_id="m-1")
    mine = customer.next_message("customer")
    assert (mine["sender"], mine["body"], mine["client_id"]) == ("customer", HTML, "m-1")
    on_console = agent.http.get(f"/api/agent/chats/{customer.contact}/messages", params={"after": 0}).json()
    assert on_console["customer"]["name"] == "孙女士" and on_console["state"] == "connected"
    assert [m["body"] for m in on_console["messages"] if m["sender"] == "customer"] == [HTML]

    reply = agent.post(
        f"/api/agent/chats/{customer.contact}/messages", {"body": "您好 <b>请讲</b>", "client_id": "a-1"}
    )
    assert reply.status_code == 201, reply.text
    heard = customer.next_message("agent")
    assert (heard["sender"], heard["author"], heard["body"]) == ("agent", "王芳 Wang Fang", "您好 <b>请讲</b>")
    assert agent.post(f"/api/agent/chats/{customer.contact}/typing").status_code == 200
    assert customer.next("typing")["from"] == "agent"

    assert agent.post(f"/api/agent/contacts/{customer.contact}/end").status_code == 200
    assert customer.next("ended")["reason"] == "agent_ended"
    wrap_up(agent, customer)
    customer.close()


def test_a_reconnecting_customer_gets_exactly_what_they_missed_and_a_resend_is_stored_once(
    system: System, agent: AgentConsole
) -> None:
    customer = ChatCustomer(system)
    customer.open()
    connected(agent, customer)
    customer.send(type="message", body="第一条", client_id="c-1")
    first = customer.next_message("customer")
    customer.close()  # the line drops

    path = f"/api/agent/chats/{customer.contact}/messages"
    for body in ("still there?", "hello?"):
        assert agent.post(path, {"body": body, "client_id": body}).status_code == 201
    history = customer.open(last_message_id=first["id"])
    assert [m["body"] for m in history["messages"]] == ["still there?", "hello?"]
    assert history["state"] == "connected" and history["agent_name"] == "王芳 Wang Fang"

    customer.send(type="message", body="第一条", client_id="c-1")  # unsure it arrived: sent again
    customer.send(type="ping")
    customer.next("pong")
    everything = agent.http.get(path).json()["messages"]
    assert [m["body"] for m in everything].count("第一条") == 1
    again = agent.post(path, {"body": "hello?", "client_id": "hello?"})
    assert again.status_code == 200 and again.json()["created"] is False

    customer.send(type="leave")
    assert customer.next("ended")["reason"] == "customer_left"
    wrap_up(agent, customer)
    customer.close()


def test_a_transferred_chat_tells_the_customer_they_wait_again_with_their_place(
    system: System, agent: AgentConsole
) -> None:
    customer = ChatCustomer(system)
    customer.open()
    connected(agent, customer)
    moved = agent.post(f"/api/agent/contacts/{customer.contact}/transfer", {"queue": "general"})
    assert moved.status_code == 200, moved.text

    customer.next("transferred")
    # Waiting again: place and wait come back at once, even when just as before the agent joined.
    assert customer.next("queue", timeout=3)["position"] == 1
    said = customer.next_message("system")
    assert "转接" in said["body"] and "transferred" in said["body"]
    customer.close()
    again = customer.open(last_message_id=said["id"])  # a reconnect says the same
    assert again["state"] == "queued" and again["messages"] == []
    customer.send(type="leave")
    assert customer.next("ended")["reason"] == "customer_left"
    customer.close()


def test_leaving_while_waiting_abandons_the_chat(system: System, sql: Engine) -> None:
    customer = ChatCustomer(system, topic="consultation")  # nobody is available: it waits
    customer.open()
    update = customer.next("queue")
    assert update["position"] >= 1 and "estimated_wait_seconds" in update
    customer.send(type="leave")
    assert customer.next("ended")["reason"] == "customer_left"
    assert status_of(sql, customer.contact) == "abandoned"
    customer.close()


def test_leaving_a_live_chat_ends_the_agents_contact_and_files_the_transcript(
    system: System, agent: AgentConsole, sql: Engine
) -> None:
    hub_items: list[dict[str, Any]] = []
    listening, stop = threading.Event(), threading.Event()

    async def other_process() -> None:
        """A console on another process: the hub there hears what this system publishes."""
        hub = ChatHub(AsyncRedis.from_url(system.redis_url))
        hub.start()
        await hub.wait_listening()
        async with hub.agent_feed(agent.id) as feed:
            listening.set()
            while not stop.is_set():
                item = await feed.get(0.2)
                if item:
                    hub_items.append(item)
        await hub.stop()

    thread = threading.Thread(target=asyncio.run, args=(other_process(),), daemon=True)
    thread.start()
    assert listening.wait(10)
    try:
        customer = ChatCustomer(system)
        customer.open()
        connected(agent, customer)
        customer.send(type="typing")
        customer.send(type="message", body="我的洗衣机不转了", client_id="x")
        customer.next_message("customer")
        customer.send(type="leave")
        customer.next("ended")
        ended = agent.next_event("contact.ended", contact=customer.contact)
        assert ended["reason"] == "customer_left" and ended["channel"] == "chat"
        time.sleep(0.5)
    finally:
        stop.set()
        thread.join(10)
    kinds = [(item["type"], item.get("from")) for item in hub_items if item["contact"] == customer.contact]
    assert ("chat.typing", "customer") in kinds and ("chat.left", None) in kinds and ("chat.ended", None) in kinds
    said = [i["message"]["body"] for i in hub_items if i["type"] == "chat.message"]
    assert "我的洗衣机不转了" in said
    assert status_of(sql, customer.contact) == "ended"

    with sql.connect() as conn:
        ticket_id = conn.execute(
            text("SELECT ticket_id FROM contacts WHERE id = :id"), {"id": int(customer.contact)}
        ).scalar_one()
    ticket = agent.http.get(f"/api/tickets/{ticket_id}").json()
    [transcript] = [n["body"] for n in ticket["notes"] if n["body"].startswith("聊天记录 Chat transcript")]
    assert "客户 孙女士: 我的洗衣机不转了" in transcript
    wrap_up(agent, customer)
    customer.close()


def test_the_customer_socket_refuses_an_unknown_token(system: System) -> None:
    with connect(system.base_url.replace("http", "ws", 1) + "/chat/ws") as ws:
        ws.send(json.dumps({"type": "hello", "token": "not-a-chat", "last_message_id": 0}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"name": "", "topic": "repair"}, "Please tell us your name."),
        ({"name": "A", "topic": "repair", "phone": "123"}, "'123' is not a valid phone number."),
        ({"name": "A", "topic": "sales"}, "topic must be one of consultation, repair, complaint, order."),
        ({"name": "A", "topic": "repair", "language": "ja"}, "language must be one of zh-CN, en."),
        ([1, 2], "The body must be a JSON object."),
    ],
)
def test_a_bad_pre_chat_form_gets_a_400_saying_why(system: System, body: Any, error: str) -> None:
    response = httpx.post(system.base_url + "/api/chat/start", json=body, timeout=15)
    assert (response.status_code, response.json()) == (400, {"error": error, "code": "invalid"})


def test_bad_agent_messages_get_a_4xx_saying_why(system: System, agent: AgentConsole) -> None:
    customer = ChatCustomer(system)
    customer.open()
    connected(agent, customer)
    path = f"/api/agent/chats/{customer.contact}/messages"
    assert agent.post(path, {"body": "   "}).json() == {"error": "The message is empty.", "code": "invalid"}
    too_long = agent.post(path, {"body": "长" * 2001})
    assert too_long.status_code == 400 and "longer than 2000 characters" in too_long.json()["error"]
    assert agent.http.post(path, content=b"{not json", headers={"Content-Type": "application/json"}).status_code == 400
    assert agent.http.post(path, content=b"{}", headers={"Content-Type": "text/plain"}).status_code == 415
    assert agent.http.get(path, params={"after": "x"}).status_code == 400
    other = system.login("agent2")
    assert other.post(path, json={"body": "hi"}).status_code == 403
    assert httpx.post(system.base_url + path, json={"body": "hi"}).status_code == 401
    customer.send(type="message", body="x" * 2001, client_id="big")
    refused = customer.next("error")
    assert refused["client_id"] == "big" and "longer than 2000" in refused["error"]
    customer.send(type="leave")
    customer.next("ended")
    wrap_up(agent, customer)
    customer.close()


def test_canned_replies_are_read_by_agents_and_kept_by_supervisors(system: System) -> None:
    agent, supervisor = system.login("agent2"), system.login("supervisor")
    demo = agent.get("/api/canned-replies", params={"language": "en"}).json()["canned_replies"]
    assert "Greeting" in [r["title"] for r in demo] and {r["language"] for r in demo} == {"en"}

    assert agent.post("/api/canned-replies", json={"title": "t", "body": "b"}).status_code == 403
    created = supervisor.post("/api/canned-replies", json={"title": "退换货", "body": "7 个工作日内可申请退换货。"})
    assert created.status_code == 201, created.text
    reply = created.json()
    assert reply["id"] in [r["id"] for r in agent.get("/api/canned-replies").json()["canned_replies"]]
    path = f"/api/canned-replies/{reply['id']}"
    assert agent.put(path, json={"active": False}).status_code == 403
    assert agent.delete(path).status_code == 403
    refused = supervisor.put(path, json={"active": "no"})
    assert refused.status_code == 400 and refused.json()["code"] == "invalid" and "active" in refused.json()["error"]
    assert supervisor.put(path, json={"active": False}).json()["active"] is False
    assert reply["id"] not in [r["id"] for r in agent.get("/api/canned-replies").json()["canned_replies"]]
    assert reply["id"] in [r["id"] for r in supervisor.get("/api/canned-replies?all=1").json()["canned_replies"]]
    assert supervisor.delete(path).status_code == 200
    assert supervisor.delete(path).status_code == 404
    assert system.login("qa").get("/api/canned-replies").status_code == 403


def test_the_chat_page_and_its_files_are_served_without_a_cdn(system: System) -> None:
    page = httpx.get(system.base_url + "/chat")
    assert page.status_code == 200 and "/static/chat/chat.js" in page.text
    assert "http://" not in page.text and "https://" not in page.text  # everything from this server
    script = httpx.get(system.base_url + "/static/chat/chat.js").text
    assert "innerHTML" not in script and "textContent = message.body" in script
    available = httpx.get(system.base_url + "/api/chat/availability").json()
    assert available["open"] is True and [t["id"] for t in available["topics"]][:2] == ["consultation", "repair"]


def test_a_message_left_on_the_page_becomes_a_ticket_holding_it(system: System, sql: Engine) -> None:
    form = {"name": "郑女士", "phone": "+8613612345678", "topic": "order", "language": "zh-CN"}
    no_phone = httpx.post(system.base_url + "/api/chat/leave-message", json={**form, "phone": "", "message": "hi"})
    assert no_phone.status_code == 400 and no_phone.json() == {
        "error": "Please give a phone number so we can get back to you.",
        "code": "invalid",
    }
    empty = httpx.post(system.base_url + "/api/chat/leave-message", json={**form, "message": ""})
    assert empty.json() == {"error": "The message is empty.", "code": "invalid"}
    left = httpx.post(system.base_url + "/api/chat/leave-message", json={**form, "message": "订单 20261101001 到哪了?"})
    assert left.status_code == 201, left.text
    with sql.connect() as conn:
        ticket_id = conn.execute(
            text("SELECT id FROM tickets WHERE number = :n"), {"n": left.json()["ticket"]}
        ).scalar_one()
    ticket = system.login("supervisor").get(f"/api/tickets/{ticket_id}").json()
    assert ticket["category"] == "order" and ticket["customer"]["phone"] == "+8613612345678"
    assert ticket["notes"][0]["body"].endswith("订单 20261101001 到哪了?")
