"""Signed webhook requests, made exactly the way Twilio makes them."""

from __future__ import annotations

import asyncio
import secrets
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
import phonenumbers
from twilio.request_validator import RequestValidator

from .calls import Call
from .config import SandboxConfig
from .ids import API_VERSION
from .overrides import Overrides, failure_of, split_overrides

STALE_CONNECTION_PAUSE = 0.05  # lets the connection pool see the app's close before the request goes again


class WebhookError(Exception):
    """The webhook could not be delivered (connection refused, timeout...), after `attempts` tries."""

    def __init__(self, message: str, attempts: int = 1) -> None:
        super().__init__(message)
        self.attempts = attempts


def tries(outcome: httpx.Response | WebhookError) -> dict[str, int]:
    """`attempts` for a log entry when a delivery took more than one try."""
    attempts = outcome.attempts if isinstance(outcome, WebhookError) else outcome.extensions.get("attempts", 1)
    return {"attempts": attempts} if attempts > 1 else {}


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
        """Deliver one webhook as its URL's connection overrides say (Twilio's defaults without them):
        the answer that ended it, its number of tries in `extensions["attempts"]`; WebhookError if the
        last try got no HTTP answer."""
        target, overrides = split_overrides(url, self._http.timeout)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + overrides.total_seconds
        # The same on every try of one delivery: the app can tell a retry from new news.
        token = secrets.token_hex(16)
        headers = {"User-Agent": "TwilioProxy/1.1", "Accept": "*/*", "I-Twilio-Idempotency-Token": token}
        attempt = 0
        while True:
            attempt += 1
            outcome = await self._attempt(target, method, params, headers, overrides, deadline - loop.time())
            failure = failure_of(outcome)
            pause = overrides.backoff(attempt)
            if failure in overrides.policy and attempt <= overrides.retries and loop.time() + pause < deadline:
                await asyncio.sleep(pause)
                continue
            if isinstance(outcome, httpx.Response):
                outcome.extensions["attempts"] = attempt
                return outcome
            raise WebhookError(f"{type(outcome).__name__}: {outcome}".rstrip(": "), attempt) from outcome

    async def _attempt(
        self,
        url: str,
        method: str,
        params: dict[str, str],
        headers: dict[str, str],
        overrides: Overrides,
        budget: float,
    ) -> httpx.Response | Exception:
        """One try, within what is left of the total time; its answer, or the error that stopped it."""
        budget = max(budget, 0.1)
        connect, read = min(overrides.connect_timeout, budget), min(overrides.read_timeout, budget)
        timeout = httpx.Timeout(read, connect=connect, pool=connect)
        if method.upper() == "GET":
            # Twilio puts GET parameters in the query string and signs the full URL.
            url = _with_query(url, params)
            headers = {**headers, "X-Twilio-Signature": self.sign(url, {})}
            content = None
        else:
            headers = {
                **headers,
                "X-Twilio-Signature": self.sign(url, params),
                "Content-Type": "application/x-www-form-urlencoded",
            }
            content = urlencode(params)
        for fresh in (False, True):
            try:
                return await self._http.request(method.upper(), url, content=content, headers=headers, timeout=timeout)
            except (httpx.ReadError, httpx.RemoteProtocolError) as exc:
                # Dropped before any answer: most likely a kept-alive connection the app closed as it
                # answered the previous request (as uvicorn does after an error). Twilio's proxies would
                # not be on that connection; a new one is.
                if fresh:
                    return exc
                await asyncio.sleep(STALE_CONNECTION_PAUSE)
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                return exc
        raise AssertionError("unreachable")
