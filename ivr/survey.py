"""The satisfaction survey after a call: when the agent ends the call and the caller is still on the line,
they are asked to key 1-5 (IVR_SURVEY); the answer is recorded on the call's ticket like a return visit's
(contactcenter/satisfaction/service.py), and a low one reopens a resolved ticket. No key: a plain goodbye."""

from __future__ import annotations

import logging

from sqlalchemy import select
from twilio.twiml.voice_response import VoiceResponse

from contactcenter.context import Services
from contactcenter.satisfaction import service as satisfaction
from contactcenter.satisfaction.models import Survey
from contactcenter.tickets.linking import live_ticket
from ivr import prompts
from ivr.call import IvrCall, open_call

log = logging.getLogger(__name__)
SURVEY_PATH = "/twilio/voice/survey"
SURVEY_OFFER_PATH = "/twilio/voice/survey-offer"  # where the agent's End sends the caller (agents/service.py)


def offer(call: IvrCall, *, ended_by: int | None = None) -> str | None:
    """TwiML asking the caller to rate the call they just had, or None when there is nothing to rate (the
    survey is off, nobody answered them, or they rated already). `ended_by`: the agent whose End sent them here
    (they answered the call, whether or not SQL has recorded it yet)."""
    contact = call.contact
    # Whoever an agent answered is asked, whatever step of ending the call SQL has reached by now.
    answered_by = contact.agent_id or ended_by
    if not call.services.settings.ivr_survey or answered_by is None or contact.ticket_id is None:
        log.info("no survey for contact %s (agent %s, ticket %s)", contact.id, answered_by, contact.ticket_id)
        return None
    response = VoiceResponse()
    gather = call.gather(response, call.url(SURVEY_PATH, agent=answered_by), num_digits=1, timeout=6)
    call.say(gather, prompts.SURVEY)
    call.say(response, prompts.THANKS)
    response.hangup()
    return str(response)


def offered(services: Services, *, contact_id: int, ended_by: int | None = None) -> str:
    """The caller, out of the room the agent ended: the survey, or goodbye."""
    with open_call(services, contact_id) as call:
        return offer(call, ended_by=ended_by) or call.goodbye(prompts.THANKS)


def answer(services: Services, *, contact_id: int, digits: str | None, answered_by: int | None = None) -> str:
    """The caller keyed their score: kept (once per call), thanked, hung up. Anything but 1-5: goodbye."""
    with open_call(services, contact_id) as call:
        contact = call.contact
        score = int(digits) if digits and digits.isdigit() and len(digits) == 1 and 1 <= int(digits) <= 5 else None
        rated = select(Survey.id).where(Survey.contact_id == contact.id, Survey.source == "ivr").limit(1)
        already = call.session.scalar(rated)
        if score is None or contact.ticket_id is None or already is not None:
            return call.goodbye(prompts.THANKS)
        ticket = live_ticket(call.session, contact.ticket_id)
        satisfaction.record(
            services,
            call.session,
            ticket=ticket,
            source="ivr",
            actor="ivr",
            satisfaction=score,
            resolved=None,
            contact_id=contact.id,
            agent_id=contact.agent_id or answered_by,
        )
        return call.goodbye(prompts.SURVEY_THANKS)
