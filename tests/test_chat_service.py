"""The web chat's service and hub, without HTTP: forms, messages, leaving, transcripts, out of hours,
canned replies, and delivery between two processes' hubs on one Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from pydantic import ValidationError
from redis.asyncio import Redis as AsyncRedis
from sqlalchemy import select

from contactcenter.chats import canned, offline, presence, service, views
from contactcenter.chats.forms import MAX_MESSAGE_LENGTH, ChatError, PreChatForm
from contactcenter.chats.hub import ChatHub, publish
from contactcenter.chats.models import ChatMessage, ChatSession, Sender
from contactcenter.chats.schemas import CannedReplyChange, NewCannedReply
from contactcenter.contacts.models import Contact
from contactcenter.context import Services, build_services
from contactcenter.customers.models import Customer
from contactcenter.demo import create_demo_data
from contactcenter.settings import Settings
from contactcenter.tickets.models import Ticket, TicketNote
from contactcenter.tickets.timeline import ticket_view
from contactcenter.users.models import User

TEST_CALENDARS = Path(__file__).resolve().parent / "calendars.yaml"


def make_services(tmp_path: Path, database_url: str, redis_url: str, *, closed: bool) -> Services:
    calendars = yaml.safe_load(TEST_CALENDARS.read_text())
    if closed:  # the hotline closed from yesterday to the day after tomorrow, whatever the time zone
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        calendars["hotline"]["closed"] = {str(today + timedelta(days=d)): "test closure" for d in range(-1, 3)}
    (tmp_path / "calendars.yaml").write_text(yaml.safe_dump(calendars, allow_unicode=True))
    settings = Settings(
        VAR_DIR=tmp_path / "var",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CALENDARS=tmp_path / "calendars.yaml",
        SECRET_KEY="test",
    )
    services = build_services(settings)
    services.redis.flushdb()
    services.db.upgrade()
    with services.db.session() as session:
        create_demo_data(session, password="chat-test-password")
    return services


@pytest.fixture
def services(tmp_path: Path, new_database: Callable[[], str], redis_url: str) -> Iterator[Services]:
    built = make_services(tmp_path, new_database(), redis_url, closed=False)
    yield built
    built.close()


@pytest.fixture
def closed_services(tmp_path: Path, new_database: Callable[[], str], redis_url: str) -> Iterator[Services]:
    built = make_services(tmp_path, new_database(), redis_url, closed=True)
    yield built
    built.close()


def form(services: Services, **changes: object) -> PreChatForm:
    answers: dict[str, object] = {"name": "周先生", "phone": "13800138000", "topic": "repair", "language": "zh-CN"}
    return service.check_form(services, **{**answers, **changes})


def user_id(services: Services, username: str) -> int:
    with services.db.session() as session:
        return session.scalars(select(User.id).where(User.username == username)).one()


def connect_agent(services: Services, contact_id: int, username: str = "agent2") -> int:
    """An available agent takes the chat (the routing and SQL steps of agents/service.accept)."""
    agent = user_id(services, username)
    services.routing.set_agent_state(agent_id=str(agent), state="available", queues=["general", "repair"])
    services.routing.accept(contact_id=str(contact_id), agent_id=str(agent))
    with services.db.session() as session:
        contact = session.get_one(Contact, contact_id)
        contact.status, contact.agent_id = "connected", agent
    service.agent_joined(services, contact_id=contact_id, agent_id=agent)
    return agent


def test_a_chat_opens_a_contact_and_ticket_of_no_customer_until_proved_greets_and_waits_in_its_topics_queue(
    services: Services,
) -> None:
    started = service.start_chat(services, form=form(services))
    with services.db.session() as session:
        contact = session.get_one(Contact, started.contact_id)
        chat = session.scalars(select(ChatSession).where(ChatSession.contact_id == contact.id)).one()
        ticket = session.get_one(Ticket, contact.ticket_id)
        assert (contact.channel, contact.to_number, contact.queue, contact.status) == (
            "chat",
            "webchat",
            "repair",
            "queued",
        )
        assert contact.provider_id.startswith("CH") and chat.phone == "+8613800138000"
        # The number typed is a claim (tests/test_chat_identity.py): no customer, nothing to dial yet.
        assert contact.customer_id is None and ticket.customer_id is None and contact.from_number == ""
        assert (ticket.number, ticket.category) == (started.ticket, "repair")
        assert chat.token_hash == service.token_hash(started.token) and started.token not in chat.token_hash
        [greeting] = views.messages_after(session, contact_id=contact.id, after=0)
    assert greeting["sender"] == "system" and greeting["body"].startswith("您好,这里是示例电器 Example Appliances。")
    routing = services.routing.contact(str(started.contact_id))
    assert (routing["state"], routing["queue"], routing["channel"]) == ("waiting", "repair", "chat")
    estimate = services.routing.wait_estimate(contact_id=str(started.contact_id))
    assert estimate is not None and estimate["position"] == 1


def test_the_pre_chat_form_refuses_what_it_cannot_use(services: Services) -> None:
    for changes, error in [
        ({"name": "  "}, "Please tell us your name."),
        ({"phone": "12345"}, "'12345' is not a valid phone number."),
        ({"topic": "weather"}, "topic must be one of consultation, repair, complaint, order."),
        ({"language": "fr"}, "language must be one of zh-CN, en."),
    ]:
        with pytest.raises(ChatError, match=error.replace("(", r"\(").replace(".", r"\.")):
            form(services, **changes)
    assert form(services, phone="").phone is None  # the phone is optional


def test_a_message_resent_with_its_client_id_is_stored_once(services: Services) -> None:
    contact_id = service.start_chat(services, form=form(services)).contact_id
    first, created = service.post_message(
        services, contact_id=contact_id, sender=Sender.CUSTOMER, body="<b>hi</b>", client_id="c-1"
    )
    again, created_again = service.post_message(
        services, contact_id=contact_id, sender=Sender.CUSTOMER, body="<b>hi</b>", client_id="c-1"
    )
    assert created and not created_again and again == first and first["body"] == "<b>hi</b>"
    with services.db.session() as session:
        assert session.scalars(select(ChatMessage).where(ChatMessage.client_id == "c-1")).all() != []
        assert len(session.scalars(select(ChatMessage).where(ChatMessage.client_id == "c-1")).all()) == 1


def test_empty_and_overlong_messages_are_refused(services: Services) -> None:
    contact_id = service.start_chat(services, form=form(services)).contact_id
    with pytest.raises(ChatError, match="The message is empty."):
        service.post_message(services, contact_id=contact_id, sender=Sender.CUSTOMER, body=" \n ")
    with pytest.raises(ChatError, match=f"longer than {MAX_MESSAGE_LENGTH} characters"):
        service.post_message(
            services, contact_id=contact_id, sender=Sender.CUSTOMER, body="x" * (MAX_MESSAGE_LENGTH + 1)
        )


def test_only_the_assigned_agent_posts_and_only_while_the_chat_is_live(services: Services) -> None:
    contact_id = service.start_chat(services, form=form(services)).contact_id
    agent2, agent1 = user_id(services, "agent2"), user_id(services, "agent1")
    with pytest.raises(ChatError, match="not yours") as waiting:
        service.post_message(services, contact_id=contact_id, sender=Sender.AGENT, body="hello", agent_id=agent2)
    assert waiting.value.status == 403
    connect_agent(services, contact_id, "agent2")
    with pytest.raises(ChatError, match="not yours"):
        service.post_message(services, contact_id=contact_id, sender=Sender.AGENT, body="hello", agent_id=agent1)
    message, _ = service.post_message(
        services, contact_id=contact_id, sender=Sender.AGENT, body="您好", agent_id=agent2
    )
    assert message["author"] == "李明 Li Ming"
    service.customer_leaves(services, contact_id=contact_id)
    with pytest.raises(ChatError, match="not live any more") as ended:
        service.post_message(services, contact_id=contact_id, sender=Sender.AGENT, body="still there?", agent_id=agent2)
    assert ended.value.status == 409


def test_leaving_while_waiting_abandons_the_contact(services: Services) -> None:
    contact_id = service.start_chat(services, form=form(services)).contact_id
    service.customer_leaves(services, contact_id=contact_id)
    service.customer_leaves(services, contact_id=contact_id)  # twice is once
    with services.db.session() as session:
        assert session.get_one(Contact, contact_id).status == "abandoned"
        assert session.scalars(select(ChatSession.ended_at).where(ChatSession.contact_id == contact_id)).one()
    assert services.routing.contact(str(contact_id)).get("state") in (None, "abandoned")


def test_a_waiting_customer_whose_page_goes_quiet_is_abandoned_and_a_live_chat_stays(services: Services) -> None:
    waiting = service.start_chat(services, form=form(services)).contact_id
    live = service.start_chat(services, form=form(services)).contact_id
    connect_agent(services, live)
    for contact_id in (waiting, live):
        presence.heard(services.redis, contact_id=contact_id)
    assert {waiting, live}.isdisjoint(presence.gone(services.redis, grace_seconds=60))  # heard just now

    silent = presence.gone(services.redis, grace_seconds=0)
    assert {waiting, live} <= set(silent)
    assert {waiting, live}.isdisjoint(presence.gone(services.redis, grace_seconds=0))  # each handed out once
    for contact_id in (waiting, live):
        service.customer_gone(services, contact_id=contact_id)
    with services.db.session() as session:
        assert session.get_one(Contact, waiting).status == "abandoned"
        assert session.get_one(Contact, live).status == "connected"  # the agent sees and ends it


def test_leaving_a_live_chat_ends_it_and_files_the_transcript_on_the_ticket(services: Services) -> None:
    contact_id = service.start_chat(services, form=form(services)).contact_id
    agent = connect_agent(services, contact_id)
    service.post_message(services, contact_id=contact_id, sender=Sender.CUSTOMER, body="洗衣机漏水 <script>x</script>")
    service.post_message(services, contact_id=contact_id, sender=Sender.AGENT, body="请问型号?", agent_id=agent)
    service.customer_leaves(services, contact_id=contact_id)
    with services.db.session() as session:
        contact = session.get_one(Contact, contact_id)
        assert contact.status == "ended"
        view = ticket_view(session, ticket=session.get_one(Ticket, contact.ticket_id))
    [note] = view["notes"]
    lines = note["body"].splitlines()
    assert lines[0] == "聊天记录 Chat transcript (周先生, repair, zh-CN)"
    assert [line.split("] ", 1)[1] for line in lines[3:]] == [
        "客户 周先生: 洗衣机漏水 <script>x</script>",
        "客服 李明 Li Ming: 请问型号?",
        "系统 System: 客户已离开对话。 The customer left the chat.",
    ]
    assert note["author"] == "李明 Li Ming"
    assert services.routing.contact(str(contact_id))["state"] == "ended"


def test_out_of_hours_no_chat_is_queued_and_a_message_becomes_a_ticket(closed_services: Services) -> None:
    services = closed_services
    assert service.hotline_open(services, topic="repair") is False
    with pytest.raises(ChatError, match="We are closed now") as closed:
        service.start_chat(services, form=form(services))
    assert closed.value.status == 409
    with services.db.session() as session:
        assert session.scalars(select(Contact)).all() == []
    with pytest.raises(ChatError, match="Please give a phone number"):
        offline.leave_message(services, form=form(services, phone=""), message="请回电")
    number = offline.leave_message(services, form=form(services), message="洗衣机坏了,请回电")
    with services.db.session() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        [note] = session.scalars(select(TicketNote).where(TicketNote.ticket_id == ticket.id)).all()
        assert ticket.category == "repair" and session.get_one(Customer, ticket.customer_id).phone == "+8613800138000"
    assert note.body.endswith(":\n洗衣机坏了,请回电") and "+8613800138000" in note.body


def test_canned_replies_are_listed_by_queue_and_language_and_checked_on_change(services: Services) -> None:
    supervisor = user_id(services, "supervisor")
    before = len(canned.listing(services, queues=None, language=None, include_inactive=True))
    repair = canned.create(
        services, fields=NewCannedReply(title="型号", body="请告诉我产品型号。", queue="repair"), user_id=supervisor
    )
    english = canned.create(
        services, fields=NewCannedReply(title="Hi", body="How can I help?", language="en"), user_id=supervisor
    )
    ids = lambda **kw: {r["id"] for r in canned.listing(services, **kw)}  # noqa: E731
    assert repair["id"] in ids(queues=["repair"], language="zh-CN")
    assert repair["id"] not in ids(queues=["general"], language="zh-CN")
    assert english["id"] in ids(queues=["general"], language="en")
    canned.update(services, reply_id=repair["id"], fields=CannedReplyChange(active=False), user_id=supervisor)
    assert repair["id"] not in ids(queues=["repair"], language=None)
    with pytest.raises(ChatError, match="There is no queue 'nowhere'"):
        canned.update(services, reply_id=english["id"], fields=CannedReplyChange(queue="nowhere"), user_id=supervisor)
    # What is wrong with the fields themselves is refused before the service is called.
    for fields, error in [
        ({"title": ""}, "title"),
        ({"colour": "red"}, "colour"),
        ({"language": "de"}, "language"),
    ]:
        with pytest.raises(ValidationError, match=error):
            CannedReplyChange.model_validate(fields)
    assert english["id"] in ids(queues=["general"], language="en")  # the refused change left it as it was
    canned.delete(services, reply_id=english["id"], user_id=supervisor)
    assert len(canned.listing(services, queues=None, language=None, include_inactive=True)) == before + 1
    with pytest.raises(ChatError, match="There is no canned reply") as gone:
        canned.delete(services, reply_id=english["id"], user_id=supervisor)
    assert gone.value.status == 404


def test_an_item_published_by_one_process_reaches_the_feeds_of_another(redis_url: str) -> None:
    async def scenario() -> list[dict | None]:
        process_a, process_b = ChatHub(AsyncRedis.from_url(redis_url)), ChatHub(AsyncRedis.from_url(redis_url))
        process_a.start()
        process_b.start()
        try:
            await process_a.wait_listening()
            await process_b.wait_listening()
            async with process_b.agent_feed(7) as agent, process_b.contact_feed(12) as customer:
                await process_a.publish({"type": "chat.typing", "contact": "12", "agent": "7", "from": "customer"})
                await process_a.publish({"type": "chat.message", "contact": "99", "agent": "8", "message": {}})
                await process_a.publish({"type": "chat.left", "contact": "12", "agent": "7"})
                return [await agent.get(5), await agent.get(5), await customer.get(5), await agent.get(0.3)]
        finally:
            await process_a.stop()
            await process_b.stop()

    typing, left, customer_typing, nothing_else = asyncio.run(scenario())
    assert typing == {"type": "chat.typing", "contact": "12", "agent": "7", "from": "customer"}
    assert left is not None and left["type"] == "chat.left" and customer_typing == typing
    assert nothing_else is None  # the other chat's message went to nobody here


def test_service_code_publishes_through_redis_to_the_hub(redis_url: str) -> None:
    from redis import Redis

    async def scenario() -> dict | None:
        hub = ChatHub(AsyncRedis.from_url(redis_url))
        hub.start()
        try:
            await hub.wait_listening()
            async with hub.contact_feed("5") as feed:
                sync = Redis.from_url(redis_url)
                publish(sync, {"type": "chat.ended", "contact": "5", "agent": None, "reason": "agent_ended"})
                sync.close()
                return await feed.get(5)
        finally:
            await hub.stop()

    assert asyncio.run(scenario()) == {"type": "chat.ended", "contact": "5", "agent": None, "reason": "agent_ended"}


def test_a_chat_nobody_took_within_the_maximum_wait_ends_asking_for_a_message(services: Services) -> None:
    contact_id = service.start_chat(services, form=form(services)).contact_id
    service.time_out(services, contact_id=contact_id)
    with services.db.session() as session:
        assert session.get_one(Contact, contact_id).status == "abandoned"
        last = views.messages_after(session, contact_id=contact_id, after=0)[-1]
    assert last["sender"] == "system" and "please leave a message" in last["body"]
