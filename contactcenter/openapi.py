"""The HTTP API's OpenAPI document, served at /api/openapi.json: one document made of the `api.yml`
each domain keeps beside its code (paths and components merged; a clash is a bug, reported as such)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from starlette.requests import Request
from starlette.responses import Response

from contactcenter.access import route
from contactcenter.access.rules import PUBLIC
from contactcenter.responses import JSONResponse

ROOT = Path(__file__).resolve().parent.parent
# The shared components (Error, Page, …) are in contactcenter/api.yml; every other file refers to them. A folder
# may keep its contract in several files: api.yml, then any *_api.yml (qa/figures_api.yml).
SOURCES = tuple(
    path
    for folder in (
        "contactcenter",
        "contactcenter/users",
        "agents",
        "contactcenter/chats",
        "contactcenter/tickets",
        "contactcenter/satisfaction",
        "contactcenter/qa",
        "contactcenter/attachments",
        "contactcenter/customers",
        "contactcenter/audit",
        "contactcenter/retention",
        "contactcenter/callbacks",
        "contactcenter/contacts",
        "contactcenter/voicemails",
        "queues",
        "recordings",
        "ivr",
    )
    # A folder's api.yml first, then any part of its contract kept beside it (qa: sampling_api.yml)
    for path in (ROOT / folder / "api.yml", *sorted((ROOT / folder).glob("?*_api.yml")))
)


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    """Every domain's paths and components in one OpenAPI 3.1 document."""
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Contact center HTTP API", "version": "1"},
        "paths": {},
        "components": {},
    }
    for source in SOURCES:
        part = yaml.safe_load(source.read_text(encoding="utf-8"))
        for path, operations in part.get("paths", {}).items():
            if path in merged["paths"]:
                raise ValueError(f"{source}: {path} is documented twice")
            merged["paths"][path] = operations
        for section, entries in part.get("components", {}).items():
            into = merged["components"].setdefault(section, {})
            for name, value in entries.items():
                if into.get(name, value) != value:
                    raise ValueError(f"{source}: components.{section}.{name} differs from another api.yml")
                into[name] = value
    return merged


async def openapi_json(request: Request) -> Response:
    return JSONResponse(document(), whole=True)  # no personal data: its examples stay as written


routes = [route("/api/openapi.json", openapi_json, methods=["GET"], policy=PUBLIC)]
