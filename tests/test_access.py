"""One access policy (docs/access.md): every route declares one, the findings of issue 15 stay fixed, and
every route answers every persona as tests/access_table.py says, on team 1's object and team 2's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from tests.access_table import SOCKETS, TABLE, cells
from tests.access_world import Side, anonymous_client, build_world, clients
from tests.conftest import System

pytestmark = pytest.mark.long  # ~18 s on one test process: started first (tests/conftest.py)

World = tuple[Side, Side, dict[str, httpx.Client]]


@pytest.fixture(scope="module")
def world(system: System) -> Iterator[World]:
    one, two = build_world(system)
    yield one, two, clients(system)


def _routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, BaseRoute]]:
    """Every route of the table, Mounts walked into (a static files' Mount is a route of its own)."""
    for found in routes:
        yield prefix + getattr(found, "path", ""), found
        if isinstance(found, Mount) and found.routes:
            yield from _routes(list(found.routes), prefix + found.path)


def _refused_by_policy(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("policy") is True


# ---- the findings of issue 15, each refused by the policy now -------------------------------------


def test_a_ticket_is_read_only_within_the_readers_scope(world: World) -> None:
    one, two, who = world
    assert who["agent"].get(f"/api/tickets/{one.ticket}").status_code == 200
    refused = who["other_agent"].get(f"/api/tickets/{one.ticket}")
    assert refused.status_code == 404 and _refused_by_policy(refused)
    assert "+8613700000001" not in refused.text
    assert who["qa"].get(f"/api/tickets/{one.ticket}").status_code == 200  # recorded: QA reviews it
    assert who["qa"].get(f"/api/tickets/{two.ticket}").status_code == 404
    assert who["other_lead"].get(f"/api/tickets/{one.ticket}").status_code == 404


def test_a_team_lead_changes_only_the_queues_their_team_serves(world: World) -> None:
    _, _, who = world
    refused = who["other_lead"].patch("/api/queues/general", json={"wrapup_seconds": 99})
    assert refused.status_code == 403 and _refused_by_policy(refused)
    assert who["lead"].patch("/api/queues/general", json={}).status_code == 200
    assert who["other_lead"].patch("/api/queues/vip", json={}).status_code == 200
    assert [q["queue"] for q in who["other_lead"].get("/api/stats/queues").json()] == ["vip"]


def test_a_team_lead_without_a_team_manages_no_queue_and_reads_what_an_agent_of_their_queues_does(
    system: System, world: World
) -> None:
    one, two, _ = world
    lead0 = system.login("lead0")
    assert lead0.patch("/api/queues/general", json={"wrapup_seconds": 99}).status_code == 403
    assert lead0.post("/api/announcements", json={"text": "hello"}).status_code == 403
    assert lead0.post(f"/api/contacts/{one.contact}/requeue", json={"priority": 9}).status_code == 404
    assert lead0.get(f"/api/tickets/{one.ticket}").status_code == 200  # a ticket of their queue
    assert lead0.get(f"/api/tickets/{two.ticket}").status_code == 404


def test_a_team_lead_cannot_requeue_or_see_the_routing_of_another_teams_caller(world: World) -> None:
    one, _, who = world
    for response in (
        who["other_lead"].post(f"/api/contacts/{one.contact}/requeue", json={"priority": 9}),
        who["other_lead"].get(f"/api/contacts/{one.contact}/routing"),
    ):
        assert response.status_code == 404 and _refused_by_policy(response), response.text


def test_a_team_lead_moves_callers_only_into_their_teams_queues(world: World) -> None:
    one, _, who = world
    moved = who["lead"].post(f"/api/contacts/{one.contact}/requeue", json={"priority": 1, "queue": "vip"})
    assert moved.status_code == 403 and "vip" in moved.json()["error"]


def test_a_team_lead_cannot_read_another_teams_screen_pop_or_chat(world: World) -> None:
    one, _, who = world
    pop = who["other_lead"].get(f"/api/agent/contacts/{one.contact}/screen-pop")
    assert pop.status_code == 404 and "+8613700000001" not in pop.text
    chat = who["other_lead"].get(f"/api/agent/chats/{one.chat}/messages")
    assert chat.status_code == 404 and _refused_by_policy(chat)
    assert who["lead"].get(f"/api/agent/chats/{one.chat}/messages").status_code == 200


def test_a_team_lead_announces_only_to_the_queues_their_team_serves(world: World) -> None:
    _, _, who = world
    refused = who["other_lead"].post("/api/announcements", json={"text": "hello", "queues": ["general"]})
    assert refused.status_code == 403
    mine = who["other_lead"].post("/api/announcements", json={"text": "hello team 2"})
    assert mine.status_code == 201 and mine.json()["queues"] == ["vip"]
    assert who["manager"].post("/api/announcements", json={"text": "hello all"}).json()["queues"] == []


def test_voicemails_and_callbacks_are_listed_and_handled_within_the_users_queues(world: World) -> None:
    one, two, who = world
    assert who["qa"].get("/api/voicemails", params={"queue": "general"}).status_code == 403
    assert who["qa"].get("/api/callbacks").status_code == 403
    assert who["other_lead"].get("/api/voicemails", params={"queue": "general"}).status_code == 403
    listed = who["other_lead"].get("/api/voicemails").json()["voicemails"]
    assert [v["id"] for v in listed] == [two.voicemail]
    assert one.callback not in [c["id"] for c in who["other_lead"].get("/api/callbacks").json()["callbacks"]]
    assert two.voicemail in [v["id"] for v in who["manager"].get("/api/voicemails").json()["voicemails"]]
    taken = who["other_agent"].post(f"/api/voicemails/{one.voicemail}/take")
    assert taken.status_code == 404 and _refused_by_policy(taken)
    cancelled = who["other_lead"].post(f"/api/callbacks/{one.callback}/cancel")
    assert cancelled.status_code == 404 and _refused_by_policy(cancelled)


def test_a_team_lead_lists_and_plays_only_their_teams_recordings(world: World) -> None:
    one, two, who = world
    assert [r["id"] for r in who["other_lead"].get("/api/recordings").json()] == [two.recording]
    assert {one.recording, two.recording} <= {r["id"] for r in who["qa"].get("/api/recordings").json()}
    played = who["other_lead"].get(f"/recordings/{one.recording}/media")
    assert played.status_code == 404 and _refused_by_policy(played)


# ---- the matrix ----------------------------------------------------------------------------------


def _fill(path: str, kind: str | None, side: Side) -> tuple[str, dict[str, str]]:
    """The path with the side's object in it (and a query, for a queue a list is narrowed to)."""
    ids = {
        "contact": side.contact,
        "chat": side.chat,
        "ticket": side.ticket,
        "recording": side.recording,
        "voicemail": side.voicemail,
        "callback": side.callback,
        "agent": side.agent,
        "attachment": side.attachment,
        "customer": side.customer,
    }
    query = {}
    params = ("contact_id", "ticket_id", "recording_id", "voicemail_id", "callback_id", "agent_id")
    for param in (*params, "attachment_id", "customer_id"):
        path = path.replace(f"{{{param}:int}}", str(ids[kind]) if kind in ids else "999999")
    path = path.replace("{reply_id:int}", "999999").replace("{action:str}", "bogus")
    for param in ("user_id", "shift_id", "view_id", "notification_id", "product_id", "batch_id", "flag_id", "hold_id"):
        path = path.replace(f"{{{param}:int}}", "999999")
    path = path.replace("{category}", "complaint").replace("{target}", "resolve")
    if "{name}" in path:
        path = path.replace("{name}", side.queue)
    elif kind == "queue" and "announcements" not in path:
        query = {"queue": side.queue}
    return path, query


def _body(path: str, kind: str | None, side: Side, body: Any) -> Any:
    return {"text": "matrix", "queues": [side.queue]} if path == "/api/announcements" else body


def _outcome(response: httpx.Response) -> str:
    """The cell this response fills: a refusal's status, or `ok` when the policy let it through."""
    if response.status_code == 303 and response.headers["location"].startswith("/login?next="):
        return "303"
    if _refused_by_policy(response) or response.text.startswith("Invalid or missing X-Twilio-Signature"):
        return str(response.status_code)
    if response.status_code == 403 and response.headers.get("content-type", "").startswith("text/html"):
        return "403"  # a page refusing a role
    return "ok"


def test_every_route_answers_every_persona_as_the_table_says(system: System, world: World) -> None:
    one, two, who = world
    declared = {
        (method, found.path)
        for _, found in _routes(system.client.app.routes)  # type: ignore[attr-defined]
        if isinstance(found, Route)
        for method in (found.methods or set()) - {"HEAD"}
    }
    assert declared == {(method, path) for method, path, *_ in TABLE}, "the table must name every route"
    wrong = []
    for method, path, row, kind, body in TABLE:
        for (persona, client), expected in zip(who.items(), cells(row), strict=True):
            if path == "/logout":  # it would log the persona out
                client = anonymous_client(system)
            for side, want in zip((one, two), expected, strict=True):
                url, query = _fill(path, kind, side)
                sent = _body(path, kind, side, body)
                response = client.request(method, url, params=query, json=sent)
                got = _outcome(response)
                if got != want:
                    wrong.append(f"{method} {url} as {persona}: {got} ({response.status_code}), expected {want}")
                if kind is None:
                    break  # no object: one request is the whole cell
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("path", sorted(SOCKETS))
def test_every_websocket_refuses_whom_the_table_says(world: World, path: str) -> None:
    _, _, who = world
    wrong = []
    for (persona, client), (want, _) in zip(who.items(), cells(SOCKETS[path]), strict=True):
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        try:
            with client.websocket_connect(path, headers={"Cookie": cookie}) as ws:  # type: ignore[attr-defined]
                ws.send_json({"type": "hello", "last_seq": None})
                ws.receive_json()
                got = "ok"
        except WebSocketDisconnect as closed:
            got = str(closed.code)
        except WebSocketDenialResponse as denied:
            got = f"denied {denied.status_code}"
        if got != want:
            wrong.append(f"{path} as {persona}: {got}, expected {want}")
    assert not wrong, "\n".join(wrong)


def test_a_chat_socket_without_its_token_is_closed_4401(world: World) -> None:
    _, _, who = world
    with pytest.raises(WebSocketDisconnect) as closed, who["anonymous"].websocket_connect("/chat/ws") as ws:  # type: ignore[attr-defined]
        ws.send_json({"type": "hello", "token": "not-a-token"})
        ws.receive_json()
    assert closed.value.code == 4401


# ---- the ticket desk -----------------------------------------------------------------------------


def test_a_ticket_is_merged_only_into_one_the_caller_may_see(world: World) -> None:
    one, two, who = world
    refused = who["other_agent"].post(f"/api/tickets/{two.ticket}/merge", json={"into": one.ticket})
    assert refused.status_code == 404 and "+8613700000001" not in refused.text
    assert who["agent"].get(f"/api/tickets/{one.ticket}").json()["merged_in"] == []


def test_tickets_go_only_to_oneself_or_a_team_leads_own_team(world: World) -> None:
    one, two, who = world
    for giver in ("agent", "lead"):
        refused = who[giver].post(f"/api/tickets/{one.ticket}/assign", json={"assignee_id": two.agent})
        assert refused.status_code == 400 and "team" in refused.json()["error"], refused.text
    assert who["agent"].get(f"/api/tickets/{one.ticket}").json()["assignee_id"] is None


def test_the_desk_lists_no_ticket_the_caller_may_not_open(world: World) -> None:
    one, two, who = world
    for persona in ("agent", "other_agent", "lead", "other_lead"):
        client = who[persona]
        for view in client.get("/api/desk").json()["views"]:
            listed = client.get("/api/tickets", params={"view": view, "limit": "100"})
            assert listed.status_code == 200, listed.text
            for row in listed.json()["tickets"]:
                opened = client.get(f"/api/tickets/{row['id']}")
                assert opened.status_code == 200, f"{persona} lists {row['number']} in {view}, cannot open it"
