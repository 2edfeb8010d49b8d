"""The sandbox ASGI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .config import SandboxConfig
from .control_api import ControlApi
from .device_api import DeviceApi
from .messages import MessagesApi
from .phone_api import PhoneApi
from .rest_api import RestApi
from .rest_conferences import ConferenceRestApi
from .sandbox import Sandbox


class SandboxCors:
    """CORS for /sandbox/* only: the agent console (another origin) drives client devices from the browser.

    The Twilio REST copy stays same-origin, like the real API, which browsers never call directly.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cors = CORSMiddleware(app, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"], max_age=600)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Route /sandbox/* requests through the CORS middleware."""
        if scope["type"] == "http" and scope["path"].startswith("/sandbox/"):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def create_sandbox_app(config: SandboxConfig) -> Starlette:
    """Build a sandbox app; its calls run while the app's lifespan is active."""
    sandbox = Sandbox(config)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        """Run the sandbox's calls for as long as the app is served."""
        async with sandbox.running():
            yield

    async def index(request: Request) -> Response:
        """A tiny landing page pointing at the useful endpoints."""
        return JSONResponse(
            {
                "sandbox": "Twilio sandbox",
                "account_sid": config.account_sid,
                "numbers": sorted(config.numbers),
                "endpoints": [
                    "/sandbox/phone",
                    "/sandbox/calls",
                    "/sandbox/queues",
                    "/sandbox/conferences",
                    "/sandbox/phones",
                    "/sandbox/clients/{identity}/calls",
                    "/sandbox/faults",
                    "/sandbox/messages",
                    "/sandbox/sms",
                    "/2010-04-01/Accounts/{AccountSid}/...",
                ],
            }
        )

    rest = RestApi(sandbox)
    app = Starlette(
        routes=[
            *ControlApi(sandbox).routes(),
            *DeviceApi(sandbox).routes(),
            *PhoneApi(sandbox).routes(),
            *rest.routes(),
            *MessagesApi(sandbox, rest).routes(),
            *ConferenceRestApi(sandbox).routes(),
        ],
        lifespan=lifespan,
    )
    app.add_route("/", index, methods=["GET"])
    app.add_middleware(SandboxCors)
    app.state.sandbox = sandbox  # for in-process inspection (tests, the demo CLI)
    return app
