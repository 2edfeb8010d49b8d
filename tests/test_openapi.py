"""The OpenAPI document the app serves: every domain's api.yml in one, and every path in it is a
route the app really has (with the methods it documents)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.routing import Route

from contactcenter import openapi
from contactcenter.app import create_app
from contactcenter.settings import load_settings
from tests.environment import clear_settings


def app_routes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, set[str]]:
    """The app's HTTP routes as OpenAPI writes them ({id}, not {id:int}) and their methods."""
    clear_settings(monkeypatch, tmp_path)
    app = create_app(load_settings(SECRET_KEY="test"))
    found: dict[str, set[str]] = {}
    for route in app.routes:
        if isinstance(route, Route):
            path = re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", route.path)
            found.setdefault(path, set()).update(m.lower() for m in route.methods or ())
    return found


def test_every_documented_path_is_a_route_with_those_methods(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    routes = app_routes(tmp_path, monkeypatch)
    documented = openapi.document()["paths"]
    assert "/api/agent/contacts/{contact_id}/wrap-up" in documented and "/api/chat/start" in documented
    for path, operations in documented.items():
        assert path in routes, f"{path} is documented but the app has no such route"
        methods = {m for m in operations if m in ("get", "post", "put", "patch", "delete")}
        assert methods <= routes[path], f"{path}: documented {sorted(methods)}, served {sorted(routes[path])}"


def test_the_app_serves_the_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette.testclient import TestClient

    clear_settings(monkeypatch, tmp_path)
    client = TestClient(create_app(load_settings(SECRET_KEY="test")))
    served = client.get("/api/openapi.json")
    assert served.status_code == 200
    assert served.json()["openapi"] == "3.1.0" and served.json()["paths"] == openapi.document()["paths"]
