"""Every route of the app declares its access policy, and docs/access-matrix.md is the matrix of today's routes."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount

from contactcenter.access.matrix import render
from contactcenter.access.policy import Policy
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
    from starlette.routing import Route

    assert [path for path, item in _walk([*APP.routes, Route("/new", lambda r: None)]) if not hasattr(item, "policy")]


def test_the_access_matrix_in_the_docs_is_the_one_of_todays_routes() -> None:
    written = (ROOT / "docs" / "access-matrix.md").read_text(encoding="utf-8")
    assert written == render(APP.routes), "stale: python -m contactcenter.access.matrix > docs/access-matrix.md"
