"""What a customer may type into the chat's forms, checked before anything is stored."""

from __future__ import annotations

from dataclasses import dataclass

from contactcenter.customers.service import normalize_phone
from contactcenter.errors import APIError

LANGUAGES = ("zh-CN", "en")
MAX_NAME_LENGTH = 64
MAX_MESSAGE_LENGTH = 2000
MAX_CLIENT_ID_LENGTH = 64


class ChatError(APIError):
    """A chat request that cannot be done (400 unless said otherwise); the message tells the customer or agent why."""

    status = 400


@dataclass(frozen=True)
class Topic:
    """A choice of the pre-chat form: the queue it waits in and the ticket category it files under."""

    queue: str
    category: str
    label: dict[str, str]
    priority: int = 0


# The same choices and queues as the hotline's menu (ivr/flows/hotline.yaml).
TOPICS = {
    "consultation": Topic("general", "consultation", {"zh-CN": "咨询", "en": "Enquiry"}),
    "repair": Topic("repair", "repair", {"zh-CN": "报修", "en": "Repair request"}),
    "complaint": Topic("complaints", "complaint", {"zh-CN": "投诉", "en": "Complaint"}, priority=3),
    "order": Topic("general", "order", {"zh-CN": "订单和物流", "en": "Orders and delivery"}),
}


@dataclass(frozen=True)
class PreChatForm:
    name: str
    phone: str | None  # E.164
    topic: str
    language: str

    @property
    def choice(self) -> str:
        """The topic in both languages, for the agent's screen (as the IVR labels menu choices)."""
        label = TOPICS[self.topic].label
        return " / ".join(label[lang] for lang in LANGUAGES)


def pre_chat_form(*, name: object, phone: object, topic: object, language: object, region: str) -> PreChatForm:
    """The form's answers, checked: a name, a valid phone number if one is given, a known topic and language."""
    if not isinstance(name, str) or not name.strip():
        raise ChatError("Please tell us your name.")
    if len(name.strip()) > MAX_NAME_LENGTH:
        raise ChatError(f"The name is longer than {MAX_NAME_LENGTH} characters.")
    if not isinstance(topic, str) or topic not in TOPICS:
        raise ChatError(f"topic must be one of {', '.join(TOPICS)}.")
    if language not in LANGUAGES:
        raise ChatError(f"language must be one of {', '.join(LANGUAGES)}.")
    e164 = None
    if phone is not None and not isinstance(phone, str):
        raise ChatError("phone must be text.")
    if phone and phone.strip():
        e164 = normalize_phone(phone.strip(), region=region)
        if e164 is None:
            raise ChatError(f"{phone.strip()!r} is not a valid phone number.")
    return PreChatForm(name=name.strip(), phone=e164, topic=str(topic), language=str(language))


def message_body(body: object) -> str:
    """A message's text as typed: not empty, not longer than the limit."""
    if not isinstance(body, str) or not body.strip():
        raise ChatError("The message is empty.")
    if len(body) > MAX_MESSAGE_LENGTH:
        raise ChatError(f"The message is longer than {MAX_MESSAGE_LENGTH} characters ({len(body)}).")
    return body


def client_message_id(client_id: object) -> str | None:
    """The id the sender gave its message (resends carry the same one), if any."""
    if client_id is None:
        return None
    if not isinstance(client_id, str) or not client_id or len(client_id) > MAX_CLIENT_ID_LENGTH:
        raise ChatError(f"client_id must be text of 1 to {MAX_CLIENT_ID_LENGTH} characters.")
    return client_id
