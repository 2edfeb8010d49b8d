"""The sandbox ASGI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .config import SandboxConfig
from .control_api import ControlApi
from .rest_api import RestApi
from .sandbox import Sandbox


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
                    "/sandbox/calls",
                    "/sandbox/queues",
                    "/sandbox/faults",
                    "/2010-04-01/Accounts/{AccountSid}/...",
                ],
            }
        )

    app = Starlette(
        routes=[*ControlApi(sandbox).routes(), *RestApi(sandbox).routes()],
        lifespan=lifespan,
    )
    app.add_route("/", index, methods=["GET"])
    app.state.sandbox = sandbox  # for in-process inspection (tests, the demo CLI)
    return app
