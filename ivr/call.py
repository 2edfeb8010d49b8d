"""One call in the IVR: its contact, flow and customer, and how to speak and listen on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Gather, VoiceResponse

from contactcenter.contacts.lifecycle import UnknownCall
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.customers.models import Customer
from ivr import twiml
from ivr.flow import Flow, Prompt

STARTED = "__started__"  # in the opening's URLs, replaced per call by Unix milliseconds


@dataclass
class FlowVoice:
    """How the IVR speaks and listens on a call of `flow`, before anything is known about the caller."""

    services: Services
    flow: Flow

    @property
    def customer(self) -> Customer | None:
        return None

    @property
    def language(self) -> str | None:
        return None

    @property
    def languages(self) -> list[str]:
        """The language the caller chose, else every language of the flow in turn."""
        chosen = self.language
        return [chosen] if chosen in self.flow.languages else list(self.flow.languages)

    def say(self, response: VoiceResponse | Gather, prompt: Prompt) -> None:
        """Speak a prompt, with the customer's name and the company's filled in."""
        customer = self.customer
        twiml.say(response, self.languages, prompt, name=(customer and customer.name) or "", company=self.flow.company)

    def goodbye(self, prompt: Prompt, response: VoiceResponse | None = None) -> str:
        """Say `prompt` (after whatever `response` holds already) and hang up."""
        response = response or VoiceResponse()
        self.say(response, prompt)
        response.hangup()
        return str(response)

    def url(self, path: str, **query: object) -> str:
        """Our public URL for a webhook: no contact yet (Twilio's CallSid tells calls apart), and a
        STARTED placeholder that the opening fills with the time the call reached us."""
        return url(self.services, path, started=STARTED, **query)

    def gather(
        self,
        response: VoiceResponse,
        action: str,
        *,
        num_digits: int | None = 1,
        timeout: int = 6,
        speech_hints: list[str] | None = None,
        finish_on_key: str | None = None,
    ) -> Gather:
        """A <Gather> posting to `action`, listening for speech too when hints are given."""
        options: dict[str, object] = {"action": action, "method": "POST", "timeout": timeout}
        if num_digits:
            options["num_digits"] = num_digits
        if finish_on_key is not None:
            options["finish_on_key"] = finish_on_key
        if speech_hints:
            options["input"] = "dtmf speech"
            options["hints"] = ", ".join(speech_hints)
            options["language"] = twiml.SPEECH_LANGUAGES.get(self.languages[0], self.languages[0])
            options["speech_timeout"] = "auto"
        return response.gather(**options)


@dataclass
class IvrCall(FlowVoice):
    """One registered call in the IVR: its contact and customer too."""

    session: Session
    contact: Contact

    @cached_property
    def customer(self) -> Customer | None:
        """The caller's customer record, read once per webhook (every prompt asks for the name)."""
        return self.session.get(Customer, self.contact.customer_id) if self.contact.customer_id else None

    @property
    def language(self) -> str | None:
        return self.contact.language

    def url(self, path: str, **query: object) -> str:
        """Our public URL for a webhook, with this contact in the query."""
        return url(self.services, path, contact=self.contact.id, **query)


def url(services: Services, path: str, **query: object) -> str:
    """Absolute public URL of one of our webhooks with its query."""
    return services.url(path + ("?" + urlencode(query) if query else ""))


@contextmanager
def open_call(services: Services, contact_id: int, *, call_sid: str | None = None) -> Iterator[IvrCall]:
    """The call of a contact, in one database transaction committed when the block ends."""
    with services.db.session() as session:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise UnknownCall(f"no contact {contact_id}")
        if call_sid is not None and contact.provider_id != call_sid:
            raise ValueError(f"contact {contact_id} is not call {call_sid}")
        yield IvrCall(services, services.flows.for_number(contact.to_number), session, contact)
        session.commit()
