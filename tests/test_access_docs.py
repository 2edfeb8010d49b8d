"""Every route of the app declares its access policy, and docs/access-matrix.md is the matrix of today's routes."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from contactcenter import errors
from contactcenter.access import mount, route, websocket_route
from contactcenter.access.matrix import render
from contactcenter.access.policy import Policy
from contactcenter.access.rules import AGENT_SELF, CHAT_CUSTOMER, LOGGED_IN, TWILIO
from contactcenter.app import create_app
from contactcenter.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
APP = create_app(load_settings(_env_file=None, SECRET_KEY="access-docs"))  # no lifespan: nothing connects


def _walk(routes: list, prefix: str = "") -> list[tuple[str, object]]:
    """Every route of the table, Mounts walked into (a Mount of static files is a route of its own)."""
    found = []
    for item in routes:
        found.append((prefix + getattr(item, "path", ""), item))
        if isinstance(item, Mount) and item.routes:
            found.extend(_walk(list(item.routes), prefix + item.path))
    return found


def test_every_route_websocket_and_mount_of_the_app_declares_an_access_policy() -> None:
    table = _walk(APP.routes)
    assert len(table) >= 88
    missing = [path for path, item in table if not isinstance(getattr(item, "policy", None), Policy)]
    assert not missing, f"routes without an access policy (declare one: contactcenter/access): {missing}"


def test_a_route_added_without_a_policy_is_found() -> None:
    assert [path for path, item in _walk([*APP.routes, Route("/new", lambda r: None)]) if not hasattr(item, "policy")]


def test_the_access_matrix_in_the_docs_is_the_one_of_todays_routes() -> None:
    written = (ROOT / "docs" / "access-matrix.md").read_text(encoding="utf-8")
    assert written == render(APP.routes), "stale: python -m contactcenter.access.matrix > docs/access-matrix.md"


def test_a_twilio_policy_takes_only_a_webhook_that_checks_signatures_and_mounts_are_public() -> None:
    async def endpoint(request: object) -> None: ...

    with pytest.raises(TypeError, match="checks signatures"):
        route("/twilio/voice/new", endpoint, methods=["POST"], policy=TWILIO)
    with pytest.raises(TypeError, match="chat's token"):
        websocket_route("/chat/new", endpoint, policy=CHAT_CUSTOMER)
    with pytest.raises(ValueError, match="mounts are public"):
        mount("/static/secret", APP, policy=LOGGED_IN)


def test_an_agents_action_whose_endpoint_never_checked_its_policy_fails_loudly() -> None:
    """`in_hop` policies are checked in as_user's hop: an endpoint that skipped it is a bug, not a pass."""

    async def forgetful(request: Request) -> Response:
        return PlainTextResponse("done without as_user")

    async def log_in(request: Request) -> Response:
        request.session["user_id"] = 1
        return PlainTextResponse("in")

    app = Starlette(
        routes=[route("/act", forgetful, methods=["POST"], policy=AGENT_SELF), Route("/in", log_in)],
        middleware=[Middleware(SessionMiddleware, secret_key="test")],
        exception_handlers=errors.EXCEPTION_HANDLERS,
    )
    with TestClient(app, raise_server_exceptions=True) as client:
        assert client.post("/act").status_code == 401  # the anonymous: refused before the endpoint
        client.get("/in")
        with pytest.raises(RuntimeError, match="as_user's hop, which never ran"):
            client.post("/act")
