"""The headers every answer carries (contactcenter/web_guard.py): a Content-Security-Policy without inline
script, no framing but the web chat's by the company sites named, no referrer to other sites, no type
sniffing; HSTS and Secure cookies when the app is reached over HTTPS. Pages hold no inline script."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from contactcenter.settings import load_settings
from tests.conftest import StartInProcess
from tests.inprocess import InProcessSystem

SHOP = "https://shop.example.com"
PAGES = {  # path: who opens it
    "/login": None,
    "/console": "agent1",
    "/wallboard": "supervisor",
    "/canned-replies": "supervisor",
    "/qa": "qa",
    "/chat": None,
}


@pytest.fixture(scope="module")
def system(start_in_process: StartInProcess) -> Iterator[InProcessSystem]:
    with start_in_process({"CHAT_ALLOWED_ORIGINS": f"{SHOP},https://www.example.com"}) as running:
        yield running


@pytest.fixture(scope="module")
def pages(system: InProcessSystem) -> dict[str, httpx.Response]:
    clients = {name: system.login(name) for name in {"agent1", "supervisor", "qa"}}
    anonymous = httpx.Client(base_url=system.base_url, timeout=15)
    return {path: (clients[user] if user else anonymous).get(path) for path, user in PAGES.items()}


def directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


def test_every_page_forbids_inline_script_and_framing_and_sniffing(pages: dict[str, httpx.Response]) -> None:
    for path, response in pages.items():
        assert response.status_code == 200, (path, response.status_code)
        policy = directives(response)
        assert policy["script-src"] == "script-src 'self'", path
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"], path
        assert policy["object-src"] == "object-src 'none'" and policy["base-uri"] == "base-uri 'none'", path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "same-origin", path
        assert "Strict-Transport-Security" not in response.headers, path  # plain http here
        if path != "/chat":
            assert policy["frame-ancestors"] == "frame-ancestors 'none'", path
            assert response.headers["X-Frame-Options"] == "DENY", path


def test_only_the_chat_page_may_be_framed_and_only_by_the_company_sites(pages: dict[str, httpx.Response]) -> None:
    chat = pages["/chat"]
    assert directives(chat)["frame-ancestors"] == f"frame-ancestors 'self' {SHOP} https://www.example.com"
    assert "X-Frame-Options" not in chat.headers  # it cannot name a list; frame-ancestors rules


def test_pages_hold_no_inline_script_event_handler_or_style(pages: dict[str, httpx.Response]) -> None:
    for path, response in pages.items():
        html = response.text
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [], path
        assert re.findall(r"\son[a-z]+\s*=", html) == [], path
        assert re.findall(r"\sstyle\s*=|<style", html) == [], path
        assert "javascript:" not in html, path


def test_api_answers_static_files_and_refusals_carry_the_headers_too(system: InProcessSystem) -> None:
    with httpx.Client(base_url=system.base_url, timeout=15) as client:
        for path in ("/api/me", "/static/agents/console.js", "/no-such-page", "/healthz"):
            answer = client.get(path)
            assert answer.headers["X-Content-Type-Options"] == "nosniff", path
            assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"], path


def _tiny_app(public_base_url: str) -> TestClient:
    from contactcenter.web_guard import WebGuard

    async def page(request: Request) -> Response:
        response = PlainTextResponse("hi")
        response.set_cookie("cc_session", "x", secure=request.url.scheme == "https")
        return response

    settings = load_settings(_env_file=None, PUBLIC_BASE_URL=public_base_url)
    return TestClient(WebGuard(Starlette(routes=[Route("/", page)]), settings), base_url=public_base_url)


def test_over_https_browsers_are_told_to_stay_on_https() -> None:
    secure = _tiny_app("https://hotline.example.com").get("/")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "upgrade-insecure-requests" in secure.headers["Content-Security-Policy"]
    plain = _tiny_app("http://127.0.0.1:8000").get("/")
    assert "Strict-Transport-Security" not in plain.headers
    assert "upgrade-insecure-requests" not in plain.headers["Content-Security-Policy"]


def test_the_session_cookie_is_secure_only_when_the_public_address_is_https(system: InProcessSystem) -> None:
    # The in-process system is plain http: its cookie must not be Secure (the browser would drop it);
    # over https it is (SessionMiddleware's https_only follows PUBLIC_BASE_URL: contactcenter/app.py).
    with httpx.Client(base_url=system.base_url, timeout=15) as client:
        login = client.post("/login", json={"username": "agent1", "password": "demo-password-for-tests"})
        assert "secure" not in login.headers["set-cookie"].lower()
