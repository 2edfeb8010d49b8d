"""ASGI entry point for servers that import the app by name (`uvicorn contactcenter.asgi:app --factory`)."""

from __future__ import annotations

from starlette.applications import Starlette

from contactcenter.app import create_app
from contactcenter.settings import load_settings


def app() -> Starlette:
    """The app configured from the environment, as the only thing its process serves."""
    return create_app(load_settings(), own_process=True)
