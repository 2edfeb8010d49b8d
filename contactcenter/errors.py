"""Refusals of the JSON API: each carries its HTTP status and a code, and one exception handler (registered
by create_app) answers them all as {"error": message, "code": code, …}.

Domain errors subclass APIError (agents' AgentActionError, the chat's ChatError, …), so services raise
what the client should hear and routes do not catch and translate. The Twilio webhooks answer their own
refusals in plain text (ivr/webhook.py): TwiML clients never get this JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from starlette.convertors import IntegerConvertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

# The code of a refusal that names none, by status.
CODES = {
    400: "invalid",
    401: "not_logged_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "too_many_requests",
    502: "bad_gateway",
    503: "unavailable",
}

MAX_ID = 2**31 - 1  # ids are SQL integers (PostgreSQL's `integer`)
# No body the app takes nests deeper than a few levels; Python's parser recurses, and a body of 100,000 `[`
# would end in RecursionError (a 500) rather than a refusal.
MAX_JSON_DEPTH = 32


class APIError(Exception):
    """A request refused: `status` for HTTP, `code` for programs, the message for people; `fields` are
    more members of the JSON body and `headers` more headers of the response."""

    status: int = 400  # each subclass's; an instance may say another

    def __init__(
        self,
        message: str,
        status: int | None = None,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(message)
        self.status = status or self.status
        self.code = code or CODES.get(self.status, "error")
        self.headers = dict(headers or {})
        self.fields = fields


class Invalid(APIError, ValueError):
    status = 400


class NotLoggedIn(APIError):
    status = 401


class Forbidden(APIError):
    status = 403


class NotFound(APIError, LookupError):
    status = 404


class Conflict(APIError):
    status = 409


class TooManyRequests(APIError):
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)}, retry_after=retry_after)


class Unavailable(APIError):
    status = 503


Model = TypeVar("Model", bound=BaseModel)


def _at_most(limit: int) -> str:
    """A regex of the decimal numbers from 0 to `limit` (leading zeros allowed): no lookup, no overflow."""
    digits = str(limit)
    shorter = [f"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    below = []  # as many digits: the same first i digits, a smaller next one, then any
    for i, digit in enumerate(digits):
        rest = len(digits) - i - 1
        if digit != "0":
            below.append(digits[:i] + f"[0-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    return "0*(?:" + "|".join([*shorter, *below, digits]) + ")"


class IdConvertor(IntegerConvertor):
    """`{name:int}` in every route: an id from 0 to MAX_ID; a longer number matches no route (404), so no
    handler can forget to check it and no database sees a number past its integers."""

    regex = _at_most(MAX_ID)


# Once, before any route is built: every module that routes `{…:int}` imports this one (path_id), and
# tests/test_input_limits.py checks that the app's routes all use it.
register_url_convertor("int", IdConvertor())


def path_id(request: Request, name: str) -> int:
    """An id from the path (routed as {name:int}); NotFound past the largest SQL integer, which no row has."""
    value = int(request.path_params[name])
    if value > MAX_ID:
        raise NotFound(f"There is no {name.removesuffix('_id')} {value}.")
    return value


def json_value(body: bytes) -> Any:
    """A JSON body as Python values: the one reader of every JSON body (`parsed` checks the same before
    pydantic reads it), so each is UTF-8 and nested MAX_JSON_DEPTH deep at most; Invalid, saying which,
    otherwise."""
    _check_readable(body)
    try:
        value = json.loads(body)
    except ValueError as exc:
        raise Invalid(f"The body is not JSON: {exc}") from exc
    if _SURROGATE_ESCAPE.search(body):  # rare: checked only when the body spells one
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:  # half a pair ("\ud800" alone): no database or encoder takes it
            raise Invalid("The body's JSON text is not UTF-8 (half a UTF-16 surrogate pair).") from exc
    return value


def json_object(body: bytes) -> dict[str, Any]:
    """A JSON body that must be an object."""
    value = json_value(body)
    if not isinstance(value, dict):
        raise Invalid("The body must be a JSON object.")
    return value


def utf8(body: bytes) -> str:
    """A body as text; Invalid when it is not UTF-8 (a form's fields would be read as Latin-1)."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Invalid(f"The body is not UTF-8 ({exc.reason} at byte {exc.start}).") from exc


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKETS_AS_PARENTHESES = bytes.maketrans(b"[{]}", b"(())")
_ALL_BUT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


def _check_readable(body: bytes) -> None:
    """Invalid when the body is no UTF-8 or nests deeper than MAX_JSON_DEPTH."""
    utf8(body)
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and _depth_past_cap(body):
        raise Invalid(f"The body's JSON is nested too deep (more than {MAX_JSON_DEPTH} levels).")


def _depth_past_cap(body: bytes) -> bool:
    """Whether the brackets outside strings nest past MAX_JSON_DEPTH; in C-speed passes (no loop over the
    body in Python): each pass takes away the innermost pairs, and what never closes nests too."""
    nesting = _STRINGS.sub(b"", body).translate(_BRACKETS_AS_PARENTHESES, _ALL_BUT_BRACKETS)
    for depth in range(MAX_JSON_DEPTH + 1):
        if b"()" not in nesting:
            return depth + nesting.count(b"(") > MAX_JSON_DEPTH
        nesting = nesting.replace(b"()", b"")
    return True


def parsed(model: type[Model], body: bytes, *, problem: str = "Bad request") -> Model:
    """A JSON body read into a pydantic model; Invalid, naming each problem's field, when it does not fit."""
    _check_readable(body)
    try:
        return model.model_validate_json(body or b"null")
    except ValidationError as exc:
        raise Invalid(f"{problem}: " + "; ".join(_described(error) for error in exc.errors())) from exc


def _described(error: ErrorDetails) -> str:
    """`field: what is wrong` (a validator's own message without pydantic's "Value error, ")."""
    where = ".".join(map(str, error["loc"])) or "body"
    return f"{where}: {error['ctx']['error'] if error['type'] == 'value_error' else error['msg']}"


async def api_error(request: Request, exc: Exception) -> Response:
    """The one answer to every refusal of the JSON API."""
    assert isinstance(exc, APIError)
    body = {"error": str(exc), "code": exc.code, **exc.fields}
    return _json(body, status_code=exc.status, headers=exc.headers)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such route, method not allowed, no such static file) in the same shape."""
    assert isinstance(exc, HTTPException)
    body = {"error": exc.detail, "code": CODES.get(exc.status_code, "error")}
    return _json(body, status_code=exc.status_code, headers=exc.headers)


def _json(body: dict[str, Any], *, status_code: int, headers: Mapping[str, str] | None) -> Response:
    # Imported here, not at the top: responses imports contactcenter.access, whose policies import this
    # module; a process whose first import is this module (`contactcenter users add`: users/service.py)
    # would otherwise meet it half-initialised.
    from contactcenter.responses import JSONResponse

    return JSONResponse(body, status_code=status_code, headers=headers)


EXCEPTION_HANDLERS = {APIError: api_error, HTTPException: http_error}
