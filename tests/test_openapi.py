"""The OpenAPI document the app serves: every domain's api.yml in one, every path in it is a route the
app really has (with the methods it documents), every route of the app is in it, and every operation
declares the parameters of its path."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from starlette.routing import Mount, Route, WebSocketRoute

from contactcenter import openapi
from contactcenter.app import create_app
from contactcenter.settings import load_settings
from tests.environment import clear_settings

METHODS = ("get", "post", "put", "patch", "delete")


def app_routes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, set[str]]:
    """The app's routes as OpenAPI writes them ({id}, not {id:int}) and their methods: a websocket is a
    `get`, a folder of static files one `get` of `/folder/{path}`; HEAD comes with every GET."""
    clear_settings(monkeypatch, tmp_path)
    app = create_app(load_settings(SECRET_KEY="test"))
    found: dict[str, set[str]] = {}
    for route in app.routes:
        if isinstance(route, Route):
            path, methods = route.path, {m.lower() for m in route.methods or ()} - {"head"}
        elif isinstance(route, WebSocketRoute):
            path, methods = route.path, {"get"}
        elif isinstance(route, Mount):
            path, methods = route.path + "/{path}", {"get"}
        else:
            raise AssertionError(f"a route of an unknown kind: {route!r}")
        found.setdefault(re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", path), set()).update(methods)
    return found


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], list[Any]]]:
    """(path, method, operation, parameters of the path item and the operation) of every operation."""
    return [
        (path, method, operation, [*item.get("parameters", []), *operation.get("parameters", [])])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def resolved(document: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    """A `$ref` within the document, followed; anything else as it is."""
    if "$ref" not in value:
        return value
    found: Any = document
    for part in value["$ref"].removeprefix("#/").split("/"):
        found = found[part.replace("~1", "/").replace("~0", "~")]
    return found


def test_every_documented_path_is_a_route_with_those_methods(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    routes = app_routes(tmp_path, monkeypatch)
    documented = openapi.document()["paths"]
    assert "/api/agent/contacts/{contact_id}/wrap-up" in documented and "/api/chat/start" in documented
    for path, item in documented.items():
        assert path in routes, f"{path} is documented but the app has no such route"
        methods = {m for m in item if m in METHODS}
        assert methods <= routes[path], f"{path}: documented {sorted(methods)}, served {sorted(routes[path])}"


def test_every_route_is_documented_with_its_methods(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    documented = openapi.document()["paths"]
    undocumented = [
        f"{method.upper()} {path}"
        for path, methods in app_routes(tmp_path, monkeypatch).items()
        for method in sorted(methods)
        if method not in documented.get(path, {})
    ]
    assert not undocumented, "routes missing from the api.yml files: " + ", ".join(undocumented)


def test_every_path_parameter_is_declared_by_its_operations() -> None:
    document = openapi.document()
    undeclared = []
    for path, method, _, parameters in operations(document):
        declared = {p["name"] for p in (resolved(document, p) for p in parameters) if p["in"] == "path"}
        in_path = set(re.findall(r"\{(\w+)\}", path))
        undeclared += [f"{method.upper()} {path}: {{{name}}}" for name in sorted(in_path - declared)]
    assert not undeclared, "path parameters without a declaration: " + ", ".join(undeclared)


def test_pages_websockets_and_webhooks_say_what_they_are() -> None:
    """The kinds that are no JSON operation are marked, so clients and the schema test can tell them apart."""
    document = openapi.document()
    kinds = {
        (path, method): [k for k in ("x-page", "x-websocket", "x-static", "x-twilio-webhook") if operation.get(k)]
        for path, method, operation, _ in operations(document)
    }
    assert kinds[("/console", "get")] == ["x-page"] and kinds[("/chat/ws", "get")] == ["x-websocket"]
    assert kinds[("/twilio/voice", "post")] == ["x-twilio-webhook"]
    assert kinds[("/static/agents/{path}", "get")] == ["x-static"] and kinds[("/api/me", "get")] == []
    for path, method, operation, _ in operations(document):
        if operation.get("x-websocket"):
            assert operation["externalDocs"]["url"].endswith("events.md"), f"{path}: where are its messages?"
            assert (Path(openapi.ROOT) / operation["externalDocs"]["url"]).exists(), f"{path}: no such events.md"
        if operation.get("x-page"):
            answers = [resolved(document, r) for r in operation["responses"].values()]
            pages = [a for a in answers if "text/html" in a.get("content", {})]
            assert pages or path == "/", f"{method.upper()} {path} is a page without an HTML response"


def test_the_app_serves_the_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette.testclient import TestClient

    clear_settings(monkeypatch, tmp_path)
    client = TestClient(create_app(load_settings(SECRET_KEY="test")))
    served = client.get("/api/openapi.json")
    assert served.status_code == 200
    assert served.json()["openapi"] == "3.1.0" and served.json()["paths"] == openapi.document()["paths"]


# The desk's bodies: the component of api.yml and the pydantic model of tickets/schemas.py that reads it.
DESK_BODIES = (
    "StatusChange",
    "Assignment",
    "NewNote",
    "FieldChanges",
    "Escalation",
    "MergeInto",
    "ViewToSave",
    "PolicyChange",
    "CallbackRequest",
)
BOUNDS = ("maxLength", "minLength", "minimum", "maximum", "enum")


def bounds(schema: dict[str, Any]) -> dict[str, Any]:
    """A property's limits, wherever a JSON Schema puts them (pydantic's `X | None` is an anyOf)."""
    found = {key: schema[key] for key in BOUNDS if key in schema}
    for member in schema.get("anyOf", []):
        found.update(bounds(member))
    return found


@pytest.mark.parametrize("name", DESK_BODIES)
def test_each_desk_body_is_documented_as_pydantic_reads_it(name: str) -> None:
    from contactcenter.tickets import schemas

    documented = openapi.document()["components"]["schemas"][name]
    model = getattr(schemas, name).model_json_schema()
    assert documented.get("additionalProperties") is False  # an unknown field is a 400 (extra="forbid")
    assert set(documented.get("required", [])) == set(model.get("required", []))
    assert set(documented["properties"]) == set(model["properties"])
    for field, schema in model["properties"].items():
        if "additionalProperties" in schema:  # a map (a saved view's filters): its values' limits
            schema, documented_field = (
                schema["additionalProperties"],
                documented["properties"][field]["additionalProperties"],
            )
        else:
            documented_field = documented["properties"][field]
        assert bounds(documented_field) == bounds(schema), f"{name}.{field}"


def test_every_desk_operation_with_a_body_names_one_of_the_desk_bodies() -> None:
    document = openapi.document()
    named = [
        operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        for path, _, operation, _ in operations(document)
        if (path.startswith(("/api/tickets", "/api/desk", "/api/sla-policies")) or path.endswith("/split"))
        and not path.endswith(("/return-visit", "/attachments"))  # satisfaction's and attachments' own bodies
        and "requestBody" in operation
    ]
    assert sorted(named) == sorted(DESK_BODIES)
