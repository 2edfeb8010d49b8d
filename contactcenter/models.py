"""Every table, imported in one place so metadata and migrations see the whole schema."""

from contactcenter.audit.models import AuditEvent
from contactcenter.contacts.models import Contact
from contactcenter.customers.models import Customer
from contactcenter.tickets.models import Ticket, TicketNote
from contactcenter.users.models import User
from queues.models import Queue
from recordings.models import Recording

__all__ = ["AuditEvent", "Contact", "Customer", "Queue", "Recording", "Ticket", "TicketNote", "User"]
