"""The expected answer of every route to every persona, written by hand (not read from the policies, so
that a policy that changes fails the matrix test): tests/test_access.py checks every cell.

A row is eight cells, for the personas of tests/access_world.py in order (anonymous, agent, agent of
another team, QA, team lead, team lead of another team, manager, admin). A cell is `ok` (let through
the policy: whatever the handler answers, except a refusal of the policy), a status (401, 403, 404: the
policy's refusal; 303: a page sending the anonymous to log in; 403 on a webhook: no Twilio signature),
or `a/b`: a on team 1's object, b on team 2's.
"""

from __future__ import annotations

from typing import Any

ANYONE = "ok ok ok ok ok ok ok ok"
SIGNED = "403 403 403 403 403 403 403 403"  # Twilio's webhooks: none of these requests is signed
LOGGED_IN = "401 ok ok ok ok ok ok ok"
AGENTS = "401 ok ok 403 ok ok 403 403"  # agents and team leads: who take contacts
SUPERVISORS = "401 403 403 403 ok ok ok ok"
WATCHERS = "401 403 403 ok ok ok ok ok"  # the wallboard's, and the recordings': team leads, managers, admins, QA
STAFF = "401 ok ok 403 ok ok ok ok"  # voicemails and callbacks: everyone but QA
PHONE = "401 ok ok ok ok ok 403 403"  # agents, and those who listen in (team leads, QA)
LISTENERS = "401 403 403 ok ok ok 403 403"

TICKET = "401 ok/404 404/ok ok/404 ok/404 404/ok ok ok"  # QA: what was recorded (team 1's call only)
CONTACT = "401 ok/404 404/ok 403 ok/404 404/ok ok ok"
AGENT_CONTACT = "401 ok/404 404/ok 403 ok/404 404/ok 403 403"
SUPERVISED_CONTACT = "401 403 403 403 ok/404 404/ok ok ok"
RECORDING = "401 403 403 ok/404 ok/404 404/ok ok ok"  # QA staff: their queues' (team 1's), or sampled for them
QUEUE_LED = "401 403 403 403 ok/403 403/ok ok ok"
AGENT_LED = "401 403 403 403 ok/403 403/ok ok ok"
AGENT_WATCHED = "401 403 403 ok ok/403 403/ok ok ok"
STAFF_QUEUE = "401 ok/403 403/ok 403 ok/403 403/ok ok ok"
STAFF_RECORD = "401 ok/404 404/ok 403 ok/404 404/ok ok ok"
SUPERVISED_RECORD = "401 403 403 403 ok/404 404/ok ok ok"
ANNOUNCE = "401 403 403 403 ok/403 403/ok ok ok"  # the queue named in the body
PAGE = "303 ok ok ok ok ok ok ok"
STAFF_PAGE = "303 ok ok 403 ok ok ok ok"  # the ticket desk's pages
WATCHERS_PAGE = "303 403 403 ok ok ok ok ok"
SUPERVISORS_PAGE = "303 403 403 403 ok ok ok ok"
MANAGERS = "401 403 403 403 403 403 ok ok"  # the access log
MANAGERS_PAGE = "303 403 403 403 403 403 ok ok"
ADMINS = "401 403 403 403 403 403 403 ok"  # user administration and shifts
ADMINS_PAGE = "303 403 403 403 403 403 403 ok"
QA_LEADS = "401 403 403 ok 403 403 ok ok"  # QA users (the handler refuses those who do not lead QA), managers, admins

# (method, route path, row, what fills the path: an object kind of access_world.Side, or None; body)
Entry = tuple[str, str, str, str | None, Any]
AGENT_CONTACTS = "/api/agent/contacts/{contact_id:int}"
TWILIO_PATHS = [
    "/twilio/voice",
    "/twilio/voice/gather",
    "/twilio/voice/callback",
    "/twilio/voice/wait",
    "/twilio/voice/wait-key",
    "/twilio/voice/queue-result",
    "/twilio/voice/timed-out",
    "/twilio/voice/voicemail-done",
    "/twilio/voice/transfer-result",
    "/twilio/voice/connect",
    "/twilio/voice/conference-done",
    "/twilio/voice/survey",
    "/twilio/voice/survey-offer",
    "/twilio/voice/conference",
    "/twilio/voice/agent-leg",
    "/twilio/voice/monitor-leg",
    "/twilio/voice/transfer-out",
    "/twilio/voice/transfer-out-result",
    "/twilio/voice/status",
    "/twilio/voice/callback/answered",
    "/twilio/voice/callback/status",
    "/twilio/recording",
    "/twilio/voice/fallback",
    "/twilio/voice/agent-outgoing",
]
# The agent's own actions: routing refuses what is not offered or assigned to them (past the policy).
AGENT_ACTIONS: list[Entry] = [
    ("POST", "/api/agent/state", AGENTS, None, {"state": "bogus"}),
    ("POST", "/api/agent/offers/{contact_id:int}/accept", AGENTS, "contact", None),
    ("POST", "/api/agent/offers/{contact_id:int}/reject", AGENTS, "contact", None),
    ("POST", AGENT_CONTACTS + "/end", AGENTS, "contact", None),
    ("POST", AGENT_CONTACTS + "/wrap-up", AGENTS, "contact", {}),
    ("PUT", AGENT_CONTACTS + "/wrap-up/draft", AGENTS, "contact", {}),
    ("GET", AGENT_CONTACTS + "/wrap-up/draft", AGENTS, "contact", None),
    ("POST", AGENT_CONTACTS + "/transfer", AGENTS, "contact", {"queue": "general"}),
    ("POST", AGENT_CONTACTS + "/transfer/complete", AGENTS, "contact", None),
    ("POST", AGENT_CONTACTS + "/transfer/cancel", AGENTS, "contact", None),
    ("POST", AGENT_CONTACTS + "/hold", AGENTS, "contact", None),
    ("POST", AGENT_CONTACTS + "/resume", AGENTS, "contact", None),
    ("POST", AGENT_CONTACTS + "/mute", AGENTS, "contact", {"muted": True}),
    ("POST", "/api/agent/wrap-up/extend", AGENTS, None, {"seconds": 10}),
]
# The ticket desk (tickets/routes.py, desk_routes.py). Bodies left out where one is read: the handler's 400
# (past the policy) changes nothing; unmerge (409: not merged), split (409: the ticket's only contact) and
# re-applying policies (no clocks) change nothing either.
TICKETS = "/api/tickets/{ticket_id:int}"
DESK: list[Entry] = [
    ("GET", "/api/tickets", STAFF, None, None),
    ("PATCH", TICKETS, STAFF_RECORD, "ticket", None),
    *[
        ("POST", TICKETS + action, STAFF_RECORD, "ticket", None)
        for action in ("/status", "/assign", "/notes", "/escalate", "/merge", "/unmerge", "/callbacks")
    ],
    ("POST", TICKETS + "/reapply-policy", SUPERVISED_RECORD, "ticket", None),
    ("GET", TICKETS + "/duplicates", STAFF_RECORD, "ticket", None),
    ("POST", "/api/contacts/{contact_id:int}/split", STAFF_RECORD, "contact", None),
    ("GET", "/desk", STAFF_PAGE, None, None),
    ("GET", "/desk/tickets/{ticket_id:int}", STAFF_PAGE, None, None),  # the page: its data is GET /api/tickets/…
    ("GET", "/desk/customers/{customer_id:int}", STAFF_PAGE, None, None),  # its data: GET /api/customers/…
    ("GET", "/desk/policies", MANAGERS_PAGE, None, None),
    ("GET", "/api/desk", STAFF, None, None),
    ("POST", "/api/desk/views", STAFF, None, None),
    ("DELETE", "/api/desk/views/{view_id:int}", STAFF, None, None),
    ("GET", "/api/notifications", LOGGED_IN, None, None),
    ("POST", "/api/notifications/{notification_id:int}/read", LOGGED_IN, None, None),
    ("GET", "/api/sla-policies", STAFF, None, None),
    ("PUT", "/api/sla-policies/{category}/{target}", MANAGERS, None, None),
]
# Satisfaction (satisfaction/routes.py): a return visit's answers on a ticket in scope; batches and the month's
# figures for team leads and up (and their page); complaint flags for managers. Bodies left out: the handler's 400
# changes nothing.
SATISFACTION: list[Entry] = [
    ("POST", TICKETS + "/return-visit", STAFF_RECORD, "ticket", None),
    ("POST", "/api/chat/rating", ANYONE, None, {}),  # the chat's token in the body: the handler's 4xx
    ("POST", "/api/return-visits/batches", SUPERVISORS, None, None),
    ("GET", "/api/return-visits/batches/{batch_id:int}", SUPERVISORS, None, None),
    ("GET", "/api/satisfaction", SUPERVISORS, None, None),
    ("GET", "/api/agent-flags", MANAGERS, None, None),
    ("POST", "/api/agent-flags/{flag_id:int}/acknowledge", MANAGERS, None, None),
    ("GET", "/desk/satisfaction", SUPERVISORS_PAGE, None, None),
]
# Quality assurance (contactcenter/qa/routes.py): scorecards read by QA staff and team leads, built by QA staff
# (the handler lets only QA leads through), managers and admins; an evaluation started on a contact in scope
# (QA staff: a recorded one); an evaluation itself is checked by qa/access.py (the handler's 404); the agent's
# side is the agents'. Bodies left out: the handler's 400 changes nothing.
QA_EVALUATIONS = "/api/qa/evaluations/{evaluation_id:int}"
QA_BUILDERS = "401 403 403 ok 403 403 ok ok"
QA: list[Entry] = [
    ("GET", "/qa/scorecards", "303 403 403 ok 403 403 ok ok", None, None),
    ("GET", "/qa/evaluations/{evaluation_id:int}", PAGE, None, None),
    ("GET", "/api/qa/scorecards", WATCHERS, None, None),
    ("POST", "/api/qa/scorecards", QA_BUILDERS, None, None),
    ("GET", "/api/qa/scorecards/{scorecard_id:int}", WATCHERS, None, None),
    ("PUT", "/api/qa/scorecards/{scorecard_id:int}/draft", QA_BUILDERS, None, None),
    ("POST", "/api/qa/scorecards/{scorecard_id:int}/publish", QA_BUILDERS, None, None),
    ("POST", "/api/qa/scorecards/{scorecard_id:int}/archive", QA_BUILDERS, None, None),
    ("GET", "/api/qa/scorecard-versions/{version_id:int}", WATCHERS, None, None),
    ("POST", "/api/qa/scorecard-versions/{version_id:int}/preview", WATCHERS, None, None),
    (
        "POST",
        "/api/qa/contacts/{contact_id:int}/evaluations",
        "401 403 403 ok/404 ok/404 404/ok ok ok",
        "contact",
        None,
    ),
    ("GET", QA_EVALUATIONS, LOGGED_IN, None, None),
    ("PUT", QA_EVALUATIONS + "/draft", LOGGED_IN, None, None),
    ("POST", QA_EVALUATIONS + "/comments", LOGGED_IN, None, None),
    ("DELETE", QA_EVALUATIONS + "/comments/{comment_id:int}", LOGGED_IN, None, None),
    ("POST", QA_EVALUATIONS + "/submit", LOGGED_IN, None, None),
    ("GET", QA_EVALUATIONS + "/recordings/{recording_id:int}/media", LOGGED_IN, None, None),
    ("GET", QA_EVALUATIONS + "/recordings/{recording_id:int}/peaks", LOGGED_IN, None, None),
    ("POST", QA_EVALUATIONS + "/acknowledge", AGENTS, None, None),
    ("POST", QA_EVALUATIONS + "/disputes", AGENTS, None, None),
    ("POST", QA_EVALUATIONS + "/disputes/retract", AGENTS, None, None),
    ("POST", QA_EVALUATIONS + "/disputes/decision", LOGGED_IN, None, None),
    ("GET", "/api/agent/evaluations", AGENTS, None, None),
    ("GET", "/api/qa/reviews", LOGGED_IN, None, None),
    ("GET", "/qa/calibrations", WATCHERS_PAGE, None, None),
    ("GET", "/api/qa/calibrations", WATCHERS, None, None),
    ("POST", "/api/qa/calibrations", WATCHERS, None, None),
    ("GET", "/api/qa/calibrations/{calibration_id:int}", WATCHERS, None, None),
    ("POST", "/api/qa/calibrations/{calibration_id:int}/close", WATCHERS, None, None),
]
# QA figures (qa/figures_routes.py): QA staff, managers and admins everyone's, team leads their team's (narrowed by
# the handler); the agent's own; coaching notes of an agent of the team lead's team (QA staff: any agent; writing
# them: QA leads only, the handler's 403). Bodies left out: the handler's 400 changes nothing.
COACHING_NOTES = "/api/qa/agents/{agent_id:int}/coaching-notes"
QA_FIGURES: list[Entry] = [
    ("GET", "/qa/figures", WATCHERS_PAGE, None, None),
    ("GET", "/api/qa/figures", WATCHERS, None, None),
    ("GET", "/api/qa/figures.csv", WATCHERS, None, None),
    ("GET", "/api/qa/figures.xlsx", WATCHERS, None, None),
    ("GET", "/api/qa/figures/options", WATCHERS, None, None),
    ("GET", "/api/qa/my-figures", AGENTS, None, None),
    ("GET", COACHING_NOTES, AGENT_WATCHED, "agent", None),
    ("POST", COACHING_NOTES, AGENT_WATCHED, "agent", None),
]
# Tickets' attachments (a ticket's scope; QA staff read a recorded one's) and the customer file (staff who
# reach one of the customer's tickets or contacts): contactcenter/attachments/, contactcenter/customers/.
ATTACHMENTS_AND_CUSTOMERS: list[Entry] = [
    ("POST", "/api/tickets/{ticket_id:int}/attachments", STAFF_RECORD, "ticket", None),
    ("GET", "/api/tickets/{ticket_id:int}/attachments", TICKET, "ticket", None),
    ("GET", "/api/attachments/{attachment_id:int}", TICKET, "attachment", None),
    ("GET", "/api/customers/{customer_id:int}", STAFF_RECORD, "customer", None),
    ("PATCH", "/api/customers/{customer_id:int}", STAFF_RECORD, "customer", {}),
    ("POST", "/api/customers/{customer_id:int}/products", STAFF_RECORD, "customer", {}),
    ("DELETE", "/api/customers/{customer_id:int}/products/{product_id:int}", STAFF_RECORD, "customer", None),
]
# QA sampling and the work queue (qa/sampling_routes.py): policies, runs, skips and coverage for QA leads, managers
# and admins; the queue and claims for everyone who evaluates. Bodies left out: the handler's 400 changes nothing; a
# claim from the pool finds it empty (409), item and policy 999999 do not exist (404).
QA_POLICY = "/api/qa/sampling/policies/{policy_id:int}"
QA_SAMPLING: list[Entry] = [
    ("GET", "/qa/work", WATCHERS_PAGE, None, None),
    ("GET", "/api/qa/sampling/policies", QA_LEADS, None, None),
    ("POST", "/api/qa/sampling/policies", QA_LEADS, None, None),
    ("PATCH", QA_POLICY, QA_LEADS, None, None),
    ("DELETE", QA_POLICY, QA_LEADS, None, None),
    ("POST", QA_POLICY + "/run", QA_LEADS, None, None),
    ("GET", "/api/qa/sampling/runs", QA_LEADS, None, None),
    ("GET", "/api/qa/work", WATCHERS, None, None),
    ("POST", "/api/qa/work/claim", WATCHERS, None, None),
    ("POST", "/api/qa/work/{item_id:int}/claim", WATCHERS, None, None),
    ("POST", "/api/qa/work/{item_id:int}/skip", QA_LEADS, None, None),
    ("GET", "/api/qa/coverage", QA_LEADS, None, None),
]
# Retention and legal hold (contactcenter/retention/routes.py): managers and admins only, the page and every call.
# Bodies left out: the handler's 400 changes nothing.
RETENTION: list[Entry] = [
    ("GET", "/retention", MANAGERS_PAGE, None, None),
    ("GET", "/api/retention", MANAGERS, None, None),
    ("GET", "/api/retention/marks", MANAGERS, None, None),
    ("GET", "/api/retention/receipts", MANAGERS, None, None),
    ("GET", "/api/retention/receipts/verify", MANAGERS, None, None),
    ("GET", "/api/retention/holds", MANAGERS, None, None),
    ("POST", "/api/retention/holds", MANAGERS, None, None),
    ("POST", "/api/retention/holds/{hold_id:int}/release", MANAGERS, None, None),
]
TABLE: list[Entry] = [
    ("GET", "/", ANYONE, None, None),
    ("GET", "/healthz", ANYONE, None, None),
    ("GET", "/login", ANYONE, None, None),
    ("POST", "/login", ANYONE, None, {"username": "nobody", "password": "wrong"}),
    ("GET", "/logout", ANYONE, None, None),
    ("POST", "/logout", ANYONE, None, None),
    ("GET", "/api/me", LOGGED_IN, None, None),
    ("GET", "/password", PAGE, None, None),
    ("POST", "/password", LOGGED_IN, None, None),
    ("POST", "/api/me/password", LOGGED_IN, None, None),
    ("GET", "/admin/users", ADMINS_PAGE, None, None),
    ("GET", "/api/admin/users", ADMINS, None, None),
    ("POST", "/api/admin/users", ADMINS, None, None),
    ("PATCH", "/api/admin/users/{user_id:int}", ADMINS, None, None),
    ("POST", "/api/admin/users/{user_id:int}/password-reset", ADMINS, None, None),
    ("GET", "/api/admin/shifts", ADMINS, None, None),
    ("PUT", "/api/admin/shifts", ADMINS, None, None),
    ("DELETE", "/api/admin/shifts/{shift_id:int}", ADMINS, None, None),
    *[("POST", path, SIGNED, None, None) for path in TWILIO_PATHS],
    ("GET", "/ivr/hold-music.wav", ANYONE, None, None),
    ("GET", "/console", PAGE, None, None),
    *AGENT_ACTIONS,
    ("GET", "/api/agent/stats", AGENTS, None, None),
    ("GET", "/api/agent/options", AGENTS, None, None),
    ("GET", AGENT_CONTACTS + "/screen-pop", CONTACT, "contact", None),
    ("GET", "/api/voice/token", PHONE, None, None),
    ("GET", "/api/tickets/{ticket_id:int}", TICKET, "ticket", None),
    *DESK,
    *SATISFACTION,
    *QA,
    *QA_SAMPLING,
    *QA_FIGURES,
    *ATTACHMENTS_AND_CUSTOMERS,
    *RETENTION,
    ("GET", "/api/voicemails", STAFF_QUEUE, "queue", None),
    ("POST", "/api/voicemails/{voicemail_id:int}/{action:str}", STAFF_RECORD, "voicemail", None),
    ("GET", "/api/callbacks", STAFF, None, None),
    ("POST", "/api/callbacks/{callback_id:int}/cancel", SUPERVISED_RECORD, "callback", None),
    ("GET", "/chat", ANYONE, None, None),
    ("GET", "/canned-replies", SUPERVISORS_PAGE, None, None),
    ("GET", "/api/chat/availability", ANYONE, None, None),
    ("POST", "/api/chat/start", ANYONE, None, {}),
    ("POST", "/api/chat/leave-message", ANYONE, None, {}),
    ("GET", "/api/agent/chats/{contact_id:int}/messages", AGENT_CONTACT, "chat", None),
    ("POST", "/api/agent/chats/{contact_id:int}/messages", AGENT_CONTACT, "chat", {"body": ""}),
    ("POST", "/api/agent/chats/{contact_id:int}/typing", AGENT_CONTACT, "chat", None),
    ("POST", "/api/chat/verification", ANYONE, None, {}),  # the chat's token in the body: the handler's 4xx
    ("POST", "/api/chat/verification/check", ANYONE, None, {}),
    ("POST", "/api/agent/chats/{contact_id:int}/verification", AGENT_CONTACT, "chat", None),
    ("POST", "/api/agent/chats/{contact_id:int}/verify", AGENT_CONTACT, "chat", {"note": "x"}),
    ("GET", "/api/canned-replies", STAFF, None, None),
    ("POST", "/api/canned-replies", SUPERVISORS, None, {}),
    ("PUT", "/api/canned-replies/{reply_id:int}", SUPERVISORS, None, {}),
    ("DELETE", "/api/canned-replies/{reply_id:int}", SUPERVISORS, None, None),
    ("GET", "/api/openapi.json", ANYONE, None, None),
    ("POST", "/api/contacts/{contact_id:int}/reveal", CONTACT, "contact", {"reason": "checking the number"}),
    ("GET", "/recordings/{recording_id:int}/media", RECORDING, "recording", None),
    ("GET", "/api/recordings/{recording_id:int}/peaks", RECORDING, "recording", None),
    ("GET", "/api/recordings", WATCHERS, None, None),
    ("GET", "/qa", WATCHERS_PAGE, None, None),
    ("GET", "/audit", MANAGERS_PAGE, None, None),
    ("GET", "/api/audit", MANAGERS, None, None),
    ("GET", "/api/audit.csv", MANAGERS, None, None),
    ("GET", "/wallboard", WATCHERS_PAGE, None, None),
    ("GET", "/api/wallboard", WATCHERS, None, None),
    ("GET", "/api/wallboard/agents", WATCHERS, None, None),
    ("GET", "/api/wallboard/agents/{agent_id:int}", AGENT_WATCHED, "agent", None),
    ("GET", "/api/stats/queues/history", WATCHERS, None, None),
    ("POST", "/api/supervision/contacts/{contact_id:int}/monitor", LISTENERS, "contact", {"mode": "listen"}),
    ("DELETE", "/api/supervision/contacts/{contact_id:int}/monitor", LISTENERS, "contact", None),
    ("GET", "/api/queues", LOGGED_IN, None, None),
    ("PUT", "/api/queues/{name}", QUEUE_LED, "queue", {}),
    ("PATCH", "/api/queues/{name}", QUEUE_LED, "queue", {}),
    ("GET", "/api/stats/queues", SUPERVISORS, None, None),
    ("GET", "/api/stats/queues/{name}", QUEUE_LED, "queue", None),
    ("GET", "/api/contacts/{contact_id:int}/routing", SUPERVISED_CONTACT, "contact", None),
    ("POST", "/api/contacts/{contact_id:int}/requeue", SUPERVISED_CONTACT, "contact", {"priority": 1}),
    ("POST", "/api/agents/{agent_id:int}/state", AGENT_LED, "agent", {"state": "bogus"}),
    ("POST", "/api/announcements", ANNOUNCE, "queue", None),
]
# Websockets: the close code a refused socket gets (4401, 4403), or `ok` (it is served).
SOCKETS = {
    "/agents/ws": "4401 ok ok 4403 ok ok 4403 4403",
    "/supervisors/ws": "4401 4403 4403 ok ok ok ok ok",
}


def cells(row: str) -> list[tuple[str, str]]:
    """Each persona's (team 1's object, team 2's object) expectations."""
    return [(cell.split("/")[0], cell.split("/")[-1]) for cell in row.split()]
