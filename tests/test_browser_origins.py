"""Another site's page in a real browser (Debian's chromium) where an agent is logged in: it cannot change
the agent's state nor read the console's websocket (contactcenter/web_guard.py). The page is served from
another port of the same host: another origin but the same site, so the browser does send the agent's
SameSite=Lax cookie with its requests: only the Origin check stands in the way. The app's own pages
meanwhile break none of the Content-Security-Policy's rules."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests import browser as browsers
from tests.browser import log_in, page_log, wait_for
from tests.conftest import DEMO_PASSWORD, StartInProcess
from tests.inprocess import InProcessSystem

pytestmark = pytest.mark.system  # a browser (chromium); the product itself runs in this process

EVIL_PAGE = """<!doctype html><html><body><p>Win a prize!</p><script>
const app = "%(app)s";
window.outcome = {posted: null, opened: false, received: null, closed: null};
fetch(app + "/api/agent/state", {method: "POST", mode: "no-cors", credentials: "include",
  headers: {"Content-Type": "text/plain"}, body: JSON.stringify({state: "available"})})
  .then((r) => { window.outcome.posted = "sent"; }, (e) => { window.outcome.posted = "failed"; });
const ws = new WebSocket(app.replace("http", "ws") + "/agents/ws");
ws.onopen = () => { window.outcome.opened = true; ws.send(JSON.stringify({type: "hello", last_seq: null})); };
ws.onmessage = (event) => { window.outcome.received = event.data; };
ws.onclose = (event) => { window.outcome.closed = event.code; };
</script></body></html>"""


@pytest.fixture(scope="module")
def system(start_in_process: StartInProcess) -> Iterator[InProcessSystem]:
    browsers.require_browser()
    with start_in_process() as running:
        yield running


@pytest.fixture(scope="module")
def browser(system: InProcessSystem) -> Iterator[Any]:
    with browsers.chromium() as opened:
        yield opened


@pytest.fixture(scope="module")
def evil_site(system: InProcessSystem) -> Iterator[str]:
    """http://127.0.0.1:<another port>/ serving the page above."""
    page = (EVIL_PAGE % {"app": system.base_url}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def agent_state(system: InProcessSystem, username: str) -> str:
    services = system.client.app.state.services  # type: ignore[attr-defined]
    agent_id = system.login(username).get("/api/me").json()["id"]
    return str(services.routing.snapshot(agent_id=str(agent_id)).agent.get("state", "offline"))


def test_another_sites_page_cannot_change_the_agents_state_nor_read_the_console_socket(
    system: InProcessSystem, browser: Any, evil_site: str
) -> None:
    page = browser.new_page()
    log_in(page, system.base_url, "agent1", DEMO_PASSWORD, "/console")
    wait_for(page, "#conn.on")  # the console's own socket and requests work under the policy
    before = agent_state(system, "agent1")
    assert before != "available"
    evil = page.context.new_page()
    evil.goto(evil_site)
    evil.wait_for_function(
        "window.outcome.posted !== null && (window.outcome.closed !== null || window.outcome.received !== null)",
        timeout=15_000,
    )
    outcome = evil.evaluate("window.outcome")
    assert outcome["opened"] is False and outcome["received"] is None, outcome
    assert agent_state(system, "agent1") == before, outcome
    csp = [line for line in page_log(page).splitlines() if "Content Security Policy" in line]
    assert csp == [], page_log(page)
    evil.close()
    page.close()


def test_the_apps_own_pages_break_no_rule_of_their_policy(system: InProcessSystem, browser: Any) -> None:
    for username, path, ready in (("supervisor", "/wallboard", "#conn.on"), ("supervisor", "/canned-replies", "form")):
        page = browser.new_page()
        log_in(page, system.base_url, username, DEMO_PASSWORD, path)
        wait_for(page, ready)
        page.wait_for_timeout(500)
        assert "Content Security Policy" not in page_log(page), page_log(page)
        page.close()
    customer = browser.new_page(width=420, height=760)
    customer.goto(f"{system.base_url}/chat")
    wait_for(customer, "#prechat:not([hidden])")
    assert "Content Security Policy" not in page_log(customer), page_log(customer)
    customer.close()
