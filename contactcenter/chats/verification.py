"""Identity before disclosure on the web chat.

The number typed into the pre-chat form is only a claim: until it is proved, the chat belongs to no customer
record (the agent sees "unverified", none of that customer's history or open tickets, and nothing can be
scheduled to the number). It is proved by a one-time code texted to it (Twilio's Messages API) and typed back
on the chat page, or by the agent on the chat, who checked it themselves (audited with their note). Then the
chat, its contact and its ticket are linked to the number's customer, as a call from that number is.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from contactcenter import ratelimit
from contactcenter.access.masking import mask_phone
from contactcenter.audit.models import AuditEvent
from contactcenter.audit.service import record_event, record_rows
from contactcenter.chats.forms import ChatError
from contactcenter.chats.hub import publish
from contactcenter.chats.models import ChatSession, IdentityCode
from contactcenter.chats.service import company_name
from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from contactcenter.customers.service import customer_id_for_phone
from contactcenter.errors import TooManyRequests
from contactcenter.telephony import TelephonyError
from contactcenter.tickets.clocks import clockwork
from contactcenter.tickets.linking import thread_contact
from contactcenter.tickets.models import Ticket
from contactcenter.timeutil import as_utc, utcnow

ACTOR = "webchat"
CODE_DIGITS = 6
CODE_SECONDS = 300  # a code is good for 5 minutes
MAX_TRIES = 5  # wrong codes before it is spent
# Sends, counted in Redis like the other limits on strangers (contactcenter/ratelimit.py): per chat, and per
# number, so nobody can flood a customer's phone (or guess at leisure) by opening chat after chat.
PER_CHAT = ratelimit.Limit("identity_code_chat", 3, 600)
PER_NUMBER = ratelimit.Limit("identity_code_number", 5, 3600)
SMS_TEXT = (
    "【{company}】您的验证码是 {code},{minutes} 分钟内有效,请勿告诉他人。"
    "Your {company} verification code is {code}; valid {minutes} minutes. Do not share it."
)


def code_hash(services: Services, *, contact_id: int, code: str) -> str:
    """What is stored of a code: an HMAC under the app's secret, bound to its chat."""
    key = services.settings.session_secret().encode()
    return hmac.new(key, f"{contact_id}:{code}".encode(), hashlib.sha256).hexdigest()


def identity_view(*, contact: Contact, chat: ChatSession, show_number: bool, method: str | None) -> dict[str, Any]:
    """What the console shows of a chat customer's identity: verified or not, how, and the number they gave."""
    claimed = chat.phone if show_number or not chat.phone else mask_phone(chat.phone)
    return {"verified": contact.identity_verified, "method": method, "claimed_phone": claimed}


def verified_by(session: Session, *, contact_id: int) -> str | None:
    """How the contact's identity was proved (its audit says), if it was."""
    event = session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.subject_type == "contact",
            AuditEvent.subject_id == str(contact_id),
            AuditEvent.kind == "identity_verified",
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    method = event.data.get("method") if event is not None else None
    return str(method) if method else None


def send_code(services: Services, *, contact_id: int, actor: str = ACTOR) -> dict[str, Any]:
    """Text a new one-time code to the number the chat customer gave (earlier codes of the chat are void)."""
    sender = services.settings.sms_from or services.settings.twilio_caller_id
    with services.db.session() as session:
        contact, chat = _unverified_chat(session, contact_id)
        phone = chat.phone or ""
    if not sender:
        raise ChatError(
            "暂时无法发送短信验证码,请让客服为您核实身份。"
            "SMS codes are not available here; the agent can check who you are.",
            503,
        )
    for limit, key in ((PER_CHAT, str(contact_id)), (PER_NUMBER, phone)):
        wait = limit.count(services.redis, key)
        if wait is not None:
            raise TooManyRequests(
                f"验证码发送过于频繁,请 {ratelimit.wait_text(wait)} 后再试。"
                f"Too many codes sent: try again in {wait} seconds.",
                retry_after=wait,
            )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    body = SMS_TEXT.format(company=company_name(services), code=code, minutes=CODE_SECONDS // 60)
    try:
        sid = services.telephony.send_sms(to=phone, from_=sender, body=body)
    except TelephonyError as exc:
        raise ChatError("验证码发送失败,请稍后再试。The code could not be sent; please try again later.", 502) from exc
    now = utcnow()
    with services.db.session() as session:
        for earlier in session.scalars(
            select(IdentityCode).where(IdentityCode.contact_id == contact_id, IdentityCode.used_at.is_(None))
        ):
            earlier.expires_at = min(as_utc(earlier.expires_at) or now, now)
        session.add(
            IdentityCode(
                contact_id=contact_id,
                phone=phone,
                code_hash=code_hash(services, contact_id=contact_id, code=code),
                attempts=0,
                message_sid=sid,
                created_at=now,
                expires_at=now + timedelta(seconds=CODE_SECONDS),
            )
        )
        _audit(session, contact_id, actor, "identity_code_sent", message_sid=sid)
    return {"sent": True, "to": mask_phone(phone), "expires_in": CODE_SECONDS}


def check_code(services: Services, *, contact_id: int, code: object) -> dict[str, Any]:
    """The customer typed the code back: right and fresh, the chat is linked to the number's customer."""
    if not isinstance(code, str) or not code.strip():
        raise ChatError("请输入短信中的验证码。Type the code we texted you.")
    with services.db.session() as session:
        _unverified_chat(session, contact_id)
        row = session.scalar(
            select(IdentityCode)
            .where(IdentityCode.contact_id == contact_id, IdentityCode.used_at.is_(None))
            .order_by(IdentityCode.id.desc())
            .limit(1)
        )
        if row is None:
            raise ChatError("尚未发送验证码,请先获取验证码。No code was sent to this chat; ask for one first.")
        if (as_utc(row.expires_at) or utcnow()) <= utcnow():
            raise ChatError(
                "验证码已过期,请重新获取。The code has expired: ask for a new one.", 410, code="code_expired"
            )
        # Every check spends a try, in one statement: guesses sent side by side cannot all read the same count.
        spent = session.execute(
            update(IdentityCode)
            .where(IdentityCode.id == row.id, IdentityCode.attempts < MAX_TRIES, IdentityCode.used_at.is_(None))
            .values(attempts=IdentityCode.attempts + 1)
        )
        if getattr(spent, "rowcount", 0) != 1:
            raise ChatError(
                "验证码错误次数过多,请重新获取。Too many wrong codes: ask for a new one.", 429, code="too_many_tries"
            )
        session.refresh(row)
        right = hmac.compare_digest(row.code_hash, code_hash(services, contact_id=contact_id, code=code.strip()))
        if not right:
            _audit(session, contact_id, ACTOR, "identity_refused", method="sms_code", attempt=row.attempts)
            left = MAX_TRIES - row.attempts
            wrong = ChatError(
                f"验证码不正确,还可尝试 {left} 次。That code is wrong: {left} tries left.",
                code="wrong_code",
                tries_left=left,
            )
        else:
            row.used_at = utcnow()
            _link(services, session, contact_id=contact_id, actor=ACTOR, method="sms_code")
            wrong = None
    if wrong is not None:
        raise wrong  # raised after the commit: the wrong try counts
    _announce(services, contact_id)
    return {"verified": True}


def agent_verifies(services: Services, *, contact_id: int, agent_id: int, note: object) -> dict[str, Any]:
    """The agent on the chat checked who the customer is (as the hotline's rules say) and says so: audited."""
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        raise ChatError("note must be text of at most 500 characters.")
    with services.db.session() as session:
        contact, _chat = _unverified_chat(session, contact_id)
        if contact.agent_id != agent_id or contact.status != ContactStatus.CONNECTED:
            raise ChatError("This chat is not yours.", 403)
        note_text = (note or "").strip()
        _link(services, session, contact_id=contact_id, actor=f"user:{agent_id}", method="agent", note=note_text)
    _announce(services, contact_id)
    return {"verified": True}


def check_agent(services: Services, *, contact_id: int, agent_id: int) -> None:
    """Refuse (403) an agent who is not on this live chat."""
    with services.db.session() as session:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.channel != "chat":
            raise ChatError("There is no such chat.", 404)
        if contact.agent_id != agent_id or contact.status != ContactStatus.CONNECTED:
            raise ChatError("This chat is not yours.", 403)


def _unverified_chat(session: Session, contact_id: int) -> tuple[Contact, ChatSession]:
    contact = session.get(Contact, contact_id)
    chat = session.scalar(select(ChatSession).where(ChatSession.contact_id == contact_id))
    if contact is None or chat is None:
        raise ChatError("There is no such chat.", 404)
    if contact.status not in (ContactStatus.QUEUED, ContactStatus.CONNECTED):
        raise ChatError("This chat has ended.", 409)
    if contact.identity_verified:
        raise ChatError("您的手机号已验证。This chat's number is verified already.", 409, code="verified_already")
    if not chat.phone:
        raise ChatError("您没有填写手机号。No phone number was given for this chat.")
    return contact, chat


def _link(services: Services, session: Session, *, contact_id: int, actor: str, method: str, **data: object) -> None:
    """The proof is in: the contact and its ticket belong to the number's customer (made if new), and the
    contact carries the number, so a callback or return visit may go to it; a repeat of the customer's open
    request joins its ticket (tickets/linking.py)."""
    contact = session.get_one(Contact, contact_id)
    chat = session.scalars(select(ChatSession).where(ChatSession.contact_id == contact_id)).one()
    phone = chat.phone or ""
    audit: list[dict[str, Any]] = []
    customer_id = customer_id_for_phone(session, phone=phone, actor=actor, audit=audit)
    record_rows(session, audit)
    contact.customer_id, contact.from_number, contact.identity_verified = customer_id, phone, True
    ticket = session.get(Ticket, contact.ticket_id) if contact.ticket_id else None
    if ticket is not None:
        ticket.customer_id = customer_id
        window = services.settings.ticket_thread_hours
        thread_contact(session, clockwork(services), contact=contact, window_hours=window, actor=actor)
    _audit(session, contact_id, actor, "identity_verified", method=method, customer_id=customer_id, **data)


def _announce(services: Services, contact_id: int) -> None:
    """Both sides learn it: the console loads the screen pop again, the page says the number is verified."""
    with services.db.session() as session:
        agent = session.get_one(Contact, contact_id).agent_id
    item = {"type": "chat.verified", "contact": str(contact_id), "agent": str(agent) if agent else None}
    publish(services.redis, item)


def _audit(session: Session, contact_id: int, actor: str, kind: str, **data: object) -> None:
    record_event(session, actor=actor, subject_type="contact", subject_id=contact_id, kind=kind, **data)
