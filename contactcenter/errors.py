"""Refusals of the JSON API: each carries its HTTP status and a code, and one exception handler (registered
by create_app) answers them all as {"error": message, "code": code, …}.

Domain errors subclass APIError (agents' AgentActionError, the chat's ChatError, …), so services raise
what the client should hear and routes do not catch and translate. The Twilio webhooks answer their own
refusals in plain text (ivr/webhook.py): TwiML clients never get this JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from contactcenter.responses import JSONResponse

# The code of a refusal that names none, by status.
CODES = {
    400: "invalid",
    401: "not_logged_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    429: "too_many_requests",
    502: "bad_gateway",
    503: "unavailable",
}

MAX_ID = 2**31 - 1  # ids are SQL integers (PostgreSQL's `integer`)


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


def path_id(request: Request, name: str) -> int:
    """An id from the path (routed as {name:int}); NotFound past the largest SQL integer, which no row has."""
    value = int(request.path_params[name])
    if value > MAX_ID:
        raise NotFound(f"There is no {name.removesuffix('_id')} {value}.")
    return value


def parsed(model: type[Model], body: bytes, *, problem: str = "Bad request") -> Model:
    """A JSON body read into a pydantic model; Invalid, naming each problem's field, when it does not fit."""
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
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such route, method not allowed, no such static file) in the same shape."""
    assert isinstance(exc, HTTPException)
    body = {"error": exc.detail, "code": CODES.get(exc.status_code, "error")}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


EXCEPTION_HANDLERS = {APIError: api_error, HTTPException: http_error}
