"""Every table, imported in one place so metadata and migrations see the whole schema."""

from agents.models import WrapUpDraft
from contactcenter.attachments.models import TicketAttachment
from contactcenter.audit.models import AccessEntry, AuditEvent
from contactcenter.callbacks.models import Callback
from contactcenter.chats.models import CannedReply, ChatMessage, ChatSession, IdentityCode
from contactcenter.contacts.models import Contact
from contactcenter.customers.models import Customer, CustomerProduct, Order
from contactcenter.outbox.models import OutboxJob
from contactcenter.qa.figures_models import AnswerWorth
from contactcenter.qa.models import (
    Calibration,
    CoachingNote,
    Dispute,
    Evaluation,
    EvaluationComment,
    EvaluationRevision,
    Scorecard,
    ScorecardVersion,
)
from contactcenter.qa.sampling_models import SampleItem, SampleRun, SamplingPolicy
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
    "AnswerWorth",
    "AuditEvent",
    "Calibration",
    "Callback",
    "CannedReply",
    "CoachingNote",
    "ChatMessage",
    "ChatSession",
    "Contact",
    "Customer",
    "CustomerProduct",
    "Dispute",
    "Evaluation",
    "EvaluationComment",
    "EvaluationRevision",
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
    "SampleItem",
    "SampleRun",
    "SamplingPolicy",
    "SavedView",
    "Scorecard",
    "ScorecardVersion",
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
