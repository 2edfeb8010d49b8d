"""SMS: Twilio's Messages resource (send, fetch, list) and a page listing what was sent.

Nothing is delivered anywhere: a message is kept, shown at /sandbox/sms (and as JSON at
/sandbox/messages) so whoever runs the demo can read, for example, a verification code.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .config import E164_RE
from .ids import API_VERSION, iso8601, new_sid, rfc2822, utcnow
from .rest_api import RestApi, list_page, not_found, twilio_error
from .sandbox import Sandbox

MAX_BODY = 1600  # Twilio's limit for a concatenated message
KEPT = 500  # the newest messages kept; a long demo does not grow without end


@dataclass
class Message:
    """One SMS the app sent."""

    sid: str
    from_: str
    to: str
    body: str
    created_at: datetime = field(default_factory=utcnow)
    status: str = "delivered"  # nothing can fail to arrive in the sandbox

    def segments(self) -> int:
        """How many SMS parts the body takes (UCS-2 when it is not plain ASCII, as Chinese text is)."""
        single, part = (160, 153) if self.body.isascii() else (70, 67)
        return 1 if len(self.body) <= single else -(-len(self.body) // part)


def message_resource(account_sid: str, message: Message) -> dict[str, Any]:
    """Twilio-shaped JSON of a message resource."""
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{message.sid}"
    return {
        "sid": message.sid,
        "account_sid": account_sid,
        "messaging_service_sid": None,
        "from": message.from_,
        "to": message.to,
        "body": message.body,
        "status": message.status,
        "direction": "outbound-api",
        "num_segments": str(message.segments()),
        "num_media": "0",
        "error_code": None,
        "error_message": None,
        "price": None,
        "price_unit": "USD",
        "api_version": API_VERSION,
        "date_created": rfc2822(message.created_at),
        "date_updated": rfc2822(message.created_at),
        "date_sent": rfc2822(message.created_at),
        "uri": uri + ".json",
        "subresource_uris": {"media": uri + "/Media.json"},
    }


class MessagesApi:
    """The Messages REST resource and the sandbox's own listing, bound to one sandbox."""

    def __init__(self, sandbox: Sandbox, rest: RestApi) -> None:
        self.sandbox, self.rest = sandbox, rest
        self.sent: list[Message] = []  # oldest first

    def routes(self) -> list[Route]:
        """Starlette routes: Twilio's Messages.json and the sandbox's /sandbox/messages and /sandbox/sms."""
        base = f"/{API_VERSION}/Accounts/{{account_sid}}"
        return [
            Route(f"{base}/Messages.json", self.create, methods=["POST"]),
            Route(f"{base}/Messages.json", self.list_messages, methods=["GET"]),
            Route(f"{base}/Messages/{{sid}}.json", self.fetch, methods=["GET"]),
            Route("/sandbox/messages", self.listing, methods=["GET"]),
            Route("/sandbox/sms", self.page, methods=["GET"]),
        ]

    async def create(self, request: Request) -> Response:
        """POST Messages.json: To, From (a sandbox number) and Body, as Twilio checks them; 201 with the message."""
        if (denied := self.rest.authorize(request)) is not None:
            return denied
        form = dict(parse_qsl((await request.body()).decode(errors="replace"), keep_blank_values=True))
        to, from_, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not to:
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        if not E164_RE.match(to):
            return twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not from_:
            return twilio_error(400, 21603, "A 'From' phone number is required.")
        if from_ not in self.sandbox.config.numbers:
            return twilio_error(
                400, 21606, f"The From phone number {from_} is not a valid, SMS-capable phone number of your account."
            )
        if not body.strip():
            return twilio_error(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY:
            return twilio_error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        message = Message(sid=new_sid("SM"), from_=from_, to=to, body=body)
        self.sent = [*self.sent[-(KEPT - 1) :], message]
        return JSONResponse(message_resource(self.sandbox.config.account_sid, message), status_code=201)

    async def list_messages(self, request: Request) -> Response:
        """GET Messages.json: the messages sent, newest first (To filters, as Twilio's does)."""
        if (denied := self.rest.authorize(request)) is not None:
            return denied
        account = self.sandbox.config.account_sid
        items = [message_resource(account, m) for m in self._newest_first(request.query_params.get("To"))]
        return JSONResponse(list_page("messages", items, request.url.path))

    async def fetch(self, request: Request) -> Response:
        """GET Messages/{sid}.json."""
        if (denied := self.rest.authorize(request)) is not None:
            return denied
        for message in self.sent:
            if message.sid == request.path_params["sid"]:
                return JSONResponse(message_resource(self.sandbox.config.account_sid, message))
        return not_found(request.url.path)

    async def listing(self, request: Request) -> Response:
        """GET /sandbox/messages: what was sent, newest first (?to= filters), without Twilio's credentials."""
        found = self._newest_first(request.query_params.get("to"))
        return JSONResponse(
            {
                "messages": [
                    {
                        "sid": m.sid,
                        "from": m.from_,
                        "to": m.to,
                        "body": m.body,
                        "status": m.status,
                        "created_at": iso8601(m.created_at),
                    }
                    for m in found
                ]
            }
        )

    async def page(self, request: Request) -> Response:
        """GET /sandbox/sms: the messages sent, newest first, as a page anyone running the demo can read."""
        rows = "".join(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
                html.escape(iso8601(m.created_at) or ""), html.escape(m.from_), html.escape(m.to), html.escape(m.body)
            )
            for m in self._newest_first(None)
        )
        empty = '<tr><td colspan="4">还没有短信 No messages yet</td></tr>'
        return HTMLResponse(
            "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
            "<meta http-equiv='refresh' content='5'>"
            "<title>沙盒短信 Sandbox SMS</title></head><body>"
            "<h1>沙盒短信 Sandbox SMS</h1>"
            "<p>应用通过 Twilio 短信接口发出的短信(每 5 秒刷新)。"
            " Text messages the app sent through Twilio's Messages API (refreshed every 5 s).</p>"
            "<table border='1' cellpadding='4'><thead><tr><th>时间 Time (UTC)</th><th>发件 From</th>"
            f"<th>收件 To</th><th>内容 Body</th></tr></thead><tbody>{rows or empty}</tbody></table>"
            "</body></html>"
        )

    def _newest_first(self, to: str | None) -> list[Message]:
        return [m for m in reversed(self.sent) if to is None or m.to == to]
