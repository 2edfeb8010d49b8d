"""What every Twilio webhook goes through: the form parsed, the signature checked, the handler run,
its refusals answered 400/403/404, and a store that cannot be reached answered without losing the
caller (hold music, then the same webhook again); and the number's fallback URL, asked by Twilio when
one of our voice webhooks gave no TwiML, answered the same way without Redis or the database."""

from __future__ import annotations

import binascii
import functools
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from redis import exceptions as redis_errors
from sqlalchemy import exc as sql_errors
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

from contactcenter.context import Services
from contactcenter.errors import MAX_ID
from contactcenter.telephony import VOICE_FALLBACK_PATH
from ivr.call import url

log = logging.getLogger(__name__)
Params = dict[str, str]  # Twilio's form fields, one value each
Handler = Callable[[Services, Request, Params], str]
# Runs on the event loop before the handler: an answer that needs no database, or None.
QuickHandler = Callable[[Services, Request, Params], Awaitable[str | None]]


# Redis or the database cannot be reached (down, restarting, failing over, its pool used up): nothing was
# decided, so the caller waits and asks again. Script and SQL errors are bugs and are not among these.
STORE_FAILURES: tuple[type[Exception], ...] = (
    redis_errors.ConnectionError,  # BusyLoadingError (an AOF being loaded) is one
    redis_errors.TimeoutError,
    redis_errors.ReadOnlyError,  # a replica being promoted
    redis_errors.ClusterDownError,
    redis_errors.TryAgainError,
    sql_errors.OperationalError,
    sql_errors.InterfaceError,
    sql_errors.TimeoutError,
    sql_errors.DisconnectionError,
)
STORE_RETRY_SECONDS = 5  # the music a caller hears before the webhook is asked again
# A webhook the fallback asked again this many times, failing each time (Twilio sent too little to answer
# it, or it is broken): the call starts over at the voice URL rather than hear music forever.
FALLBACK_ROUNDS = 3
# Fields Twilio sends about the verb that asked for a document, beyond the call's own. A <Redirect> posts
# only the call's own, so a Redirect asking a webhook again (keep_waiting, the fallback) carries these in
# the query, and a webhook takes them from there when its form has none (the query is signed as the form
# is). Without them a queue's or a Dial's result would be refused 400 once the store is back.
VERB_FIELDS = ("Digits", "SpeechResult", "Confidence", "QueueResult", "QueueSid", "QueueTime", "DialCallStatus")


class BadWebhook(Exception):
    """A webhook we cannot act on: answered 400 with this message, nothing changed."""


def twiml_response(body: str) -> Response:
    return Response(body, media_type="application/xml")


def signed_url(services: Services, request: Request) -> str:
    """The URL Twilio signed: our public base URL, not whatever host the proxy forwarded to."""
    query = request.url.query
    return services.settings.public_base_url + request.url.path + (f"?{query}" if query else "")


def require(params: Params, *names: str) -> list[str]:
    missing = [n for n in names if not params.get(n)]
    if missing:
        raise BadWebhook(f"missing Twilio parameter(s): {', '.join(missing)}")
    return [params[n] for n in names]


def query_int(request: Request, name: str) -> int:
    value = request.query_params.get(name, "")
    if not (value.isascii() and value.isdigit()):  # "²" is a digit too, and no number int() reads
        raise BadWebhook(f"query parameter {name!r} must be a whole number")
    return int(value)


def query_id(request: Request, name: str) -> int:
    """An id from the query; one past the largest SQL integer names nothing (LookupError: 404)."""
    value = query_int(request, name)
    if value > MAX_ID:
        raise LookupError(f"no {name} {value}")
    return value


@dataclass(frozen=True)
class Form:
    """Twilio's form fields, and the text its signature covers after the URL: each field's name and
    value in name order (https://www.twilio.com/docs/usage/webhooks/webhooks-security)."""

    params: Params
    signed: str

    @classmethod
    def of(cls, params: Params) -> Form:
        return cls(params, "".join([name + params[name] for name in sorted(params)]))


async def read_form(request: Request) -> Form:
    """The request's form; url-encoded bodies (Twilio's) are read directly, the multipart parser costs more."""
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return parse_form(await request.body())
    form = await request.form()
    return Form.of({k: str(v) for k, v in form.multi_items()})


def parse_form(body: bytes) -> Form:
    """An url-encoded form, read as `dict(parse_qsl(text, keep_blank_values=True))` reads it (a body
    that is no UTF-8 raises UnicodeDecodeError).

    Every webhook starts here. Twilio's forms have one `=` per field and no escape but `%2B` (the `+`
    of phone numbers), so such a form is decoded whole and split with string methods, no loop over
    the fields in Python; anything else is read by the standard library.
    """
    text = body.decode("utf-8")
    separators = body.translate(None, _ALL_BUT_SEPARATORS)  # "=&=&…=" when each field has one "="
    if text.count("%") == text.count("%2B") and separators == (b"=&" * len(separators))[: len(separators) | 1]:
        pairs = sorted(text.replace("+", " ").replace("%2B", "+").split("&"))
        fields = "=".join(pairs).split("=")  # name, value, name, value, ...
        params = dict(zip(fields[::2], fields[1::2], strict=False))  # odd: one field, no "="
        if len(params) == len(pairs):  # no repeated name (parse_qsl keeps the last one)
            # Pairs sorted as `name=value` are in name order unless a name is a prefix of another
            # followed by a character before '='; the signature check then asks RequestValidator.
            return Form(params, "".join(fields))
    return Form.of(dict(parse_qsl(text, keep_blank_values=True)))


_ALL_BUT_SEPARATORS = bytes(c for c in range(256) if c not in b"&=")


def signature_ok(services: Services, url: str, form: Form, signature: str) -> bool:
    """Twilio's signature over our public URL: one HMAC when it matches as signed, else every form
    Twilio's RequestValidator accepts (with or without the port)."""
    if not signature or not signature.isascii():  # base64 is ASCII; compare_digest raises on other text
        return False
    token = services.settings.twilio_auth_token or ""
    return hmac.compare_digest(form_signature(token, url, form), signature) or RequestValidator(token).validate(
        url, form.params, signature
    )


def form_signature(token: str, url: str, form: Form) -> str:
    """HMAC-SHA1 of the URL and the form's signed text, base64: RequestValidator.compute_signature's
    result for one value per name, at a fraction of its cost."""
    mac = _url_mac(token, url).copy()
    mac.update(form.signed.encode())
    return binascii.b2a_base64(mac.digest(), newline=False).decode()


@functools.lru_cache(maxsize=256)
def _url_mac(token: str, url: str) -> hmac.HMAC:
    """The HMAC state after the URL: every webhook to one URL starts from here (we sign few URLs)."""
    return hmac.new(token.encode(), url.encode(), "sha1")


def keep_waiting(services: Services, request: Request, params: Params) -> Response:
    """The caller hears a few seconds of hold music, then Twilio asks this webhook again: a Redirect posts
    the call's own parameters, the verb's (a key pressed, a queue's result) go in its query."""
    return twiml_response(hold_then(services, with_fields(signed_url(services, request), params)))


def with_fields(target: str, params: Params) -> str:
    """`target` with the VERB_FIELDS of `params` its query does not hold yet."""
    asked = dict(parse_qsl(urlsplit(target).query))
    carried = {name: params[name] for name in VERB_FIELDS if params.get(name) and name not in asked}
    return target + (("&" if "?" in target else "?") + urlencode(carried) if carried else "")


def hold_then(services: Services, target: str) -> str:
    """TwiML: a few seconds of our hold music, then Twilio asks `target` (POST) for what comes next."""
    response = VoiceResponse()
    response.play(url(services, "/ivr/hold-music.wav", seconds=STORE_RETRY_SECONDS))
    response.redirect(target, method="POST")
    return str(response)


def voice_fallback(services: Services, request: Request, params: Params) -> str:
    """The number's VoiceFallbackUrl: Twilio got no TwiML from `ErrorUrl` (a 5xx, no answer, not TwiML).
    The caller hears hold music, then that webhook is asked again with the fields its verb had sent, its
    round counted in the query (a URL not ours, or the FALLBACK_ROUNDS-th round: the call starts over at
    the voice URL). Needs neither Redis nor the database."""
    require(params, "CallSid")
    failed = params.get("ErrorUrl", "").partition("#")[0]
    log.warning("Twilio fell back after error %s on %s", params.get("ErrorCode", "?"), failed or "?")
    path = failed.removeprefix(services.settings.public_base_url)  # unchanged: not our URL
    ours = path != failed and path.startswith("/twilio/voice") and not path.startswith(VOICE_FALLBACK_PATH)
    parts = urlsplit(failed)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    rounds = int(query.get("fallback_round", "0")) if query.get("fallback_round", "").isdigit() else 0
    if not ours or rounds >= FALLBACK_ROUNDS:
        return hold_then(services, services.url("/twilio/voice"))
    again = parts._replace(query=urlencode({**query, "fallback_round": rounds + 1})).geturl()
    return hold_then(services, with_fields(again, params))


def at_once(handler: Handler) -> QuickHandler:
    """A handler that needs no store, run on the event loop (a full thread pool does not delay it)."""

    async def quick(services: Services, request: Request, params: Params) -> str | None:
        return handler(services, request, params)

    return quick


def with_verb_fields(request: Request, params: Params) -> Params:
    """The form's fields, and those of VERB_FIELDS a Redirect asking again (keep_waiting, the fallback) carried."""
    query = request.query_params
    carried = {name: query[name] for name in VERB_FIELDS if name in query and name not in params}
    return {**params, **carried} if carried else params


def webhook(
    handler: Handler, *, quick: QuickHandler | None = None, status_callback: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler: 403 on a bad signature, 400 on bad parameters, else its TwiML.

    Handlers touch the database, so they run in the thread pool; `quick` answers first when it can.
    With Redis or the database out of reach a call's webhook keeps the caller waiting (`keep_waiting`);
    a `status_callback` (nobody listens to its TwiML) is answered 503, saying why.
    """

    async def endpoint(request: Request) -> Response:
        services: Services = request.app.state.services
        try:
            form = await read_form(request)
        except UnicodeDecodeError:
            return PlainTextResponse("The form body is not UTF-8.", status_code=400)
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature_ok(services, signed_url(services, request), form, signature):
            return PlainTextResponse("Invalid or missing X-Twilio-Signature.", status_code=403)
        params = with_verb_fields(request, form.params)
        try:
            body = await quick(services, request, params) if quick else None
            if body is None:
                body = await run_in_threadpool(handler, services, request, params)
        except (BadWebhook, ValueError) as exc:
            return PlainTextResponse(str(exc), status_code=400)
        except LookupError as exc:  # an unknown call, contact or callback
            return PlainTextResponse(str(exc), status_code=404)
        except STORE_FAILURES as exc:
            log.warning("%s: a store is out of reach (%s: %s)", request.url.path, type(exc).__name__, exc)
            if status_callback:
                return PlainTextResponse("Redis or the database is out of reach; try again.", status_code=503)
            return keep_waiting(services, request, params)
        return twiml_response(body)

    # What a route's `twilio` policy asks for (contactcenter/access/policy.py): this checks the signature.
    endpoint.checks_twilio_signature = True  # type: ignore[attr-defined]
    return endpoint
