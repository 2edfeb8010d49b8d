"""Demo data for `contactcenter run --demo`: queues, agents, a supervisor, a QA user, customers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter.chats.models import CannedReply
from contactcenter.customers.models import Customer, Order
from contactcenter.qa.starter import publish_starter
from contactcenter.users.models import Role, User
from contactcenter.users.passwords import generated_password
from contactcenter.users.service import create_user
from queues.service import create_queue

QUEUES = [("general", "咨询 General enquiries"), ("repair", "报修 Repairs"), ("complaints", "投诉 Complaints")]
# Routing settings a hotline would start from: repairs spill to the general team after two
# minutes; complaints weigh double for agents who serve several queues.
QUEUE_SETTINGS: dict[str, dict[str, Any]] = {
    "repair": {"overflow": [{"after_seconds": 120, "lower_levels_by": 0, "queues": ["general"], "any_agent": False}]},
    "complaints": {"weight": 2},
}
TEAM = "一组 Team 1"
# username, name, role, queues, skills, team (the supervisor leads it; the manager sees every team)
USERS = [
    (
        "agent1",
        "王芳 Wang Fang",
        Role.AGENT,
        ["general", "repair", "complaints"],
        {"zh": 5, "en": 4, "complaints": 4},
        TEAM,
    ),
    ("agent2", "李明 Li Ming", Role.AGENT, ["general", "repair"], {"zh": 5, "en": 2, "repair": 4}, TEAM),
    ("supervisor", "张伟 Zhang Wei", Role.SUPERVISOR, ["general", "repair", "complaints"], {"zh": 5, "en": 5}, TEAM),
    ("manager", "刘强 Liu Qiang", Role.MANAGER, [], {}, None),
    ("qa", "陈静 Chen Jing", Role.QA, ["general", "repair", "complaints"], {}, None),  # the queues she reviews
    ("admin", "系统管理员 Admin", Role.ADMIN, [], {}, None),
]
# Ready-made chat answers: title, body, language, queue (None: every queue)
CANNED_REPLIES = [
    ("问候", "您好,很高兴为您服务,请问有什么可以帮您?", "zh-CN", None),
    ("稍等", "好的,请稍等,我帮您查一下。", "zh-CN", None),
    ("报修信息", "请提供产品型号、购买日期和故障现象,我们为您安排维修。", "zh-CN", "repair"),
    ("结束语", "感谢您的咨询,祝您生活愉快!", "zh-CN", None),
    ("Greeting", "Hello, happy to help. What can I do for you?", "en", None),
    ("One moment", "Thank you, please give me a moment to check.", "en", None),
    (
        "Repair details",
        "Please tell me the model, the purchase date and what is wrong; we will book a repair.",
        "en",
        "repair",
    ),
    ("Closing", "Thank you for contacting us. Have a nice day!", "en", None),
]
# phone, name, grade, last 4 characters of the registered ID, orders (number, product, status)
CUSTOMERS = [
    ("+8613800138000", "赵女士 Ms Zhao", "key", "123X", [("20261101001", "滚筒洗衣机 washing machine", "shipped")]),
    ("+8613900139000", "钱先生 Mr Qian", "normal", "5678", [("20261015002", "空调 air conditioner", "delivered")]),
]


def needs_demo_data(session: Session) -> bool:
    """True on an empty database (no users yet)."""
    return session.scalar(select(func.count()).select_from(User)) == 0


def create_demo_data(session: Session, *, password: str | None = None) -> dict[str, str]:
    """Create the demo records; returns each user's password (to print once)."""
    for name, display in QUEUES:
        queue = create_queue(session, name=name, display_name=display, actor="demo")
        for field, value in QUEUE_SETTINGS.get(name, {}).items():
            setattr(queue, field, value)
    passwords, made = {}, {}
    for username, display, role, queues, skills, team in USERS:
        passwords[username] = password or generated_password(username=username)
        made[username] = create_user(
            session,
            username=username,
            password=passwords[username],
            role=role,
            display_name=display,
            queues=queues,
            skills=skills,
            team=team,
            qa_lead=username == "qa",  # the demo's one QA user leads QA: builds scorecards, runs calibrations
            actor="demo",
        )
    for phone, name, grade, id_last4, orders in CUSTOMERS:
        customer = Customer(phone=phone, name=name, grade=grade, id_last4=id_last4)
        session.add(customer)
        session.flush()
        session.add_all(Order(number=n, customer_id=customer.id, product=p, status=st) for n, p, st in orders)
    session.add_all(
        CannedReply(title=title, body=body, language=language, queue=queue, position=n, updated_by=None)
        for n, (title, body, language, queue) in enumerate(CANNED_REPLIES)
    )
    session.flush()
    publish_starter(session, actor_id=made["qa"].id)  # a scorecard to evaluate with from the first call
    return passwords
