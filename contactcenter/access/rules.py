"""The policies routes share (docs/access.md); a route with a rule of its own declares it beside itself."""

from __future__ import annotations

from contactcenter.access.policy import Policy, Scope
from contactcenter.users.auth import AGENT_ROLES, QA_ROLES, SUPERVISOR_ROLES, WALLBOARD_ROLES
from contactcenter.users.models import Role

# Who works with callers' messages and callbacks: agents and team leads (their queues), managers and admins.
# QA staff review recordings, not the callers' requests.
STAFF_ROLES = AGENT_ROLES | {Role.MANAGER, Role.ADMIN}

PUBLIC = Policy("public", note="anyone")
TWILIO = Policy("twilio", note="Twilio's request signature (ivr/webhook.py)")
CHAT_CUSTOMER = Policy("chat_customer", note="the chat's token (the socket's hello, or the request's body)")
LOGGED_IN = Policy("user", note="any logged-in user")
PAGE = Policy("user", page=True, note="any logged-in user (a page)")

# The agent's own actions: checked in as_user's hop; routing refuses a contact not offered or assigned to them.
ROUTED = Scope("contact", by_service="offered or assigned to this agent (routing, agents/service.py)")
AGENT_ACTION = Policy("user", AGENT_ROLES, ROUTED, in_hop=True, note="the agent's own offer or contact")
AGENT_SELF = Policy("user", AGENT_ROLES, in_hop=True, note="the agent's own state")
AGENT = Policy("user", AGENT_ROLES, note="the agent's own figures and console")
AGENT_CHAT = Policy("user", AGENT_ROLES, Scope("contact", "contact_id"), note="a chat of their queues (and theirs)")
SCREEN_POP = Policy("user", AGENT_ROLES | SUPERVISOR_ROLES, Scope("contact", "contact_id"), note="a contact in scope")

TICKET_READ = Policy("user", scope=Scope("ticket", "ticket_id"), note="a ticket in scope")
VOICEMAILS = Policy("user", STAFF_ROLES, Scope("queue_seen", "queue", query=True), note="their queues' voicemails")
VOICEMAIL_ACTION = Policy("user", STAFF_ROLES, Scope("voicemail", "voicemail_id"), note="a voicemail in scope")
CALLBACKS = Policy("user", STAFF_ROLES, note="their queues' callbacks")
CALLBACK_CANCEL = Policy("user", SUPERVISOR_ROLES, Scope("callback", "callback_id"), note="a callback in scope")

RECORDINGS = Policy("user", QA_ROLES, note="recordings in scope")
RECORDING_PLAY = Policy("user", QA_ROLES, Scope("recording", "recording_id"), note="a recording in scope")

WALLBOARD = Policy("user", WALLBOARD_ROLES, note="the viewer's team (everyone: managers, admins, QA)")
WALLBOARD_AGENT = Policy("user", WALLBOARD_ROLES, Scope("agent", "agent_id"), note="an agent of the viewer's team")
SUPERVISE = Policy("user", SUPERVISOR_ROLES, note="team leads, managers, admins")
SUPERVISE_QUEUE = Policy("user", SUPERVISOR_ROLES, Scope("queue", "name"), note="a queue their team serves")
SUPERVISE_CONTACT = Policy("user", SUPERVISOR_ROLES, Scope("contact", "contact_id"), note="a contact in scope")
SUPERVISE_AGENT = Policy("user", SUPERVISOR_ROLES, Scope("agent", "agent_id"), note="an agent of their team")
ANNOUNCE = Policy("user", SUPERVISOR_ROLES, note="to the queues their team serves (queues/announcements.py)")
