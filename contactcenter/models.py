"""Every table, imported in one place so metadata and migrations see the whole schema."""

from agents.models import WrapUpDraft
from contactcenter.attachments.models import TicketAttachment
from contactcenter.audit.models import AccessEntry, AuditEvent
from contactcenter.callbacks.models import Callback
from contactcenter.chats.models import CannedReply, ChatMessage, ChatSession, IdentityCode
from contactcenter.contacts.models import Contact
from contactcenter.customers.models import Customer, CustomerProduct, Order
from contactcenter.outbox.models import OutboxJob
from contactcenter.retention.models import DeletionReceipt, LegalHold, RetentionLeftover, RetentionMark
from contactcenter.satisfaction.models import AgentFlag, ReturnVisitBatch, Survey
from contactcenter.tickets.models import Notification, SavedView, SlaPolicy, Ticket, TicketClock, TicketNote
from contactcenter.users.models import Shift, User
from contactcenter.voicemails.models import Voicemail
from queues.models import Queue
from recordings.models import Recording

__all__ = [
    "AccessEntry",
    "AgentFlag",
    "AuditEvent",
    "Callback",
    "CannedReply",
    "ChatMessage",
    "ChatSession",
    "Contact",
    "Customer",
    "CustomerProduct",
    "DeletionReceipt",
    "IdentityCode",
    "LegalHold",
    "Notification",
    "Order",
    "OutboxJob",
    "Queue",
    "Recording",
    "RetentionLeftover",
    "RetentionMark",
    "ReturnVisitBatch",
    "SavedView",
    "Shift",
    "SlaPolicy",
    "Survey",
    "Ticket",
    "TicketClock",
    "TicketAttachment",
    "TicketNote",
    "User",
    "Voicemail",
    "WrapUpDraft",
]
