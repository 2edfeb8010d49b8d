"""A caller driven by hand through the IVR's webhooks, with the parameter sets Twilio documents.

Each step posts what Twilio would post (signed over our public URL) to the URL the last TwiML
named, and keeps the TwiML that came back.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import text

from tests import twilio_params as tw
from tests.conftest import HOTLINE, System
from tests.webhooks import new_mobile, signed_post, twiml

Params = dict[str, str]


class Caller:
    def __init__(self, system: System, *, from_: str | None = None, to: str = HOTLINE) -> None:
        self.system = system
        self.call = tw.incoming_call(
            account_sid=system.credentials[0], call_sid=tw.new_sid("CA"), from_=from_ or new_mobile(), to=to
        )
        self.root: ET.Element = ET.Element("Response")

    @property
    def sid(self) -> str:
        return self.call["CallSid"]

    def _post(self, url: str, params: Params) -> ET.Element:
        self.root = twiml(self.post(url, params))
        return self.root

    def post(self, url: str, params: Params) -> httpx.Response:
        """Post to one of our absolute URLs (as TwiML names them)."""
        return signed_post(self.system, url.removeprefix(self.system.base_url), params)

    def dial(self) -> ET.Element:
        return self._post(self.system.base_url + "/twilio/voice", self.call)

    def gather_url(self) -> str:
        gather = self.root.find(".//Gather")
        assert gather is not None, f"no <Gather> in {ET.tostring(self.root, encoding='unicode')}"
        return gather.attrib["action"]

    def press(self, digits: str) -> ET.Element:
        return self._post(self.gather_url(), tw.gather_action(call=self.call, digits=digits))

    def say(self, words: str) -> ET.Element:
        return self._post(self.gather_url(), tw.gather_action(call=self.call, speech_result=words, confidence=0.91))

    def stay_silent(self) -> ET.Element:
        """Let the Gather time out: Twilio goes on to the <Redirect> after it."""
        redirect = self.root.find("Redirect")
        assert redirect is not None and redirect.text
        return self._post(redirect.text, tw.call_request(call=self.call))

    def enqueue_url(self, kind: str) -> str:
        enqueue = self.root.find("Enqueue")
        assert enqueue is not None, f"not queued: {ET.tostring(self.root, encoding='unicode')}"
        return enqueue.attrib["waitUrl" if kind == "wait" else "action"]

    def wait_round(self, wait_url: str, queue_time: int = 0) -> ET.Element:
        params = tw.enqueue_wait(
            call=self.call,
            queue_sid=tw.new_sid("QU"),
            queue_position=1,
            queue_time=queue_time,
            avg_queue_time=30,
            current_queue_size=1,
        )
        return self._post(wait_url, params)

    def queue_result(self, action_url: str, result: str) -> ET.Element:
        """Twilio's Enqueue action; QueueSid and QueueTime come only when the call was in the queue."""
        if result in tw.ENQUEUED_RESULTS:
            params = tw.enqueue_action(call=self.call, queue_result=result, queue_sid=tw.new_sid("QU"), queue_time=12)
        else:
            params = tw.enqueue_action(call=self.call, queue_result=result)
        return self._post(action_url, params)

    def record_done(self, digits: str = "#") -> ET.Element:
        record = self.root.find("Record")
        assert record is not None
        params = tw.record_action(call=self.call, recording_sid=tw.new_sid("RE"), recording_duration=7, digits=digits)
        return self._post(record.attrib["action"], params)

    def status(self, call_status: str) -> httpx.Response:
        duration = 42 if call_status == "completed" else None
        params = tw.call_status_callback(
            call=self.call, call_status=call_status, timestamp=datetime.now(UTC), call_duration=duration
        )
        return self.post(self.system.base_url + "/twilio/voice/status", params)

    def said(self, root: ET.Element | None = None) -> list[tuple[str, str]]:
        """(language, text) of every <Say>, in order."""
        return [(say.attrib.get("language", ""), say.text or "") for say in (root or self.root).iter("Say")]

    def heard(self) -> str:
        return " ".join(text for _, text in self.said())

    def contact(self) -> dict[str, Any]:
        engine = self.system.sql()
        try:
            with engine.connect() as conn:
                row = conn.execute(text("select * from contacts where provider_id = :sid"), {"sid": self.sid})
                return dict(row.mappings().one())
        finally:
            engine.dispose()
