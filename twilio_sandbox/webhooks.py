"""Signed webhook requests, made exactly the way Twilio makes them."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
import phonenumbers
from twilio.request_validator import RequestValidator

from .calls import Call
from .config import SandboxConfig
from .ids import API_VERSION


class WebhookError(Exception):
    """The webhook could not be delivered (connection refused, timeout...)."""


def _country(number: str) -> str | None:
    """ISO country of an E.164 number, for the From/To*Country parameters."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return None
    return region if region and region != "ZZ" else None


def standard_params(config: SandboxConfig, call: Call) -> dict[str, str]:
    """The request parameters Twilio sends with every voice webhook."""
    params = {
        "AccountSid": config.account_sid,
        "ApiVersion": API_VERSION,
        "CallSid": call.sid,
        "CallStatus": call.webhook_status,
        "Called": call.to,
        "Caller": call.from_,
        "Direction": call.direction,
        "From": call.from_,
        "To": call.to,
    }
    for prefix, number in (("From", call.from_), ("Caller", call.from_), ("To", call.to), ("Called", call.to)):
        country = _country(number)
        if country:
            params[f"{prefix}Country"] = country
    return params


def _with_query(url: str, params: dict[str, str]) -> str:
    """Append parameters to a URL's query string (for GET webhooks)."""
    if not params:
        return url
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


class WebhookSender:
    """Sends form-encoded, X-Twilio-Signature-signed requests to the app."""

    def __init__(self, http: httpx.AsyncClient, auth_token: str) -> None:
        self._http = http
        self._validator = RequestValidator(auth_token)

    def sign(self, url: str, params: dict[str, str]) -> str:
        """Signature of a request to `url` carrying POST `params`."""
        return str(self._validator.compute_signature(url, params))

    async def send(self, url: str, method: str, params: dict[str, str]) -> httpx.Response:
        """Deliver one webhook; raise WebhookError if no HTTP answer came back."""
        headers = {"User-Agent": "TwilioProxy/1.1", "Accept": "*/*"}
        try:
            if method.upper() == "GET":
                # Twilio puts GET parameters in the query string and signs the full URL.
                full_url = _with_query(url, params)
                headers["X-Twilio-Signature"] = self.sign(full_url, {})
                return await self._http.get(full_url, headers=headers)
            headers["X-Twilio-Signature"] = self.sign(url, params)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            return await self._http.post(url, content=urlencode(params), headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise WebhookError(f"{type(exc).__name__}: {exc}".rstrip(": ")) from exc
