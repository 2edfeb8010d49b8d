"""The browser phone as `contactcenter run --demo` serves it: sandbox mode out of the box, and the Voice
SDK served by the app itself, the very version frontend/package.json pins."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from tests.conftest import HOTLINE, System
from tests.console import AgentConsole
from tests.rooms import joined_labels, rooms_of
from twilio_sandbox import place_call, wait_for_call

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
SDK = "@twilio/voice-sdk"
SDK_URL = "/static/agents/vendor/twilio-voice-sdk/twilio.min.js"
PHONE_JS = Path(__file__).resolve().parent.parent / "agents" / "static" / "phone.js"

# phone.js under node with the console's session cookie: it asks the app for its mode, registers with
# the sandbox, answers the first call that rings, mutes, hangs up, and says each step on a line.
PHONE_SCRIPT = r"""
const { createPhone } = require(process.argv[1]);
const [base, cookie] = process.argv.slice(2);
const say = (line) => process.stdout.write(line + "\n");
const fetchAs = (url, options = {}) => url.startsWith("/")
  ? fetch(base + url, { ...options, headers: { ...(options.headers || {}), Cookie: cookie } })
  : fetch(url, options);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(phone, state) {
  const deadline = Date.now() + 30000;
  while (phone.state !== state) {
    if (Date.now() > deadline) throw new Error(`still ${phone.state}, never ${state}`);
    await sleep(100);
    await phone.poll();
  }
}
(async () => {
  const phone = await createPhone({ fetch: fetchAs, setInterval: () => 0, clearInterval: () => {} });
  for (const event of ["incoming", "connected", "disconnected", "error"]) {
    phone.on(event, (...args) => say([event, ...args].join(" ")));
  }
  await phone.start();
  say(`${phone.state} ${phone.mode} ${phone.identity}`);
  await until(phone, "ringing");
  await phone.accept();
  await until(phone, "in-call");
  await phone.mute(true);
  say(`muted ${phone.muted}`);
  await phone.hangup();
  await until(phone, "registered");
  await phone.stop();
})().catch((error) => { say(`failed ${error.message}`); process.exit(1); });
"""


def pinned_sdk_version() -> str:
    return json.loads((FRONTEND / "package.json").read_text())["dependencies"][SDK]


class Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.sources.append(dict(attrs).get("src") or "")


def test_the_sdk_is_pinned_to_one_exact_version_in_package_json_and_the_lockfile() -> None:
    version = pinned_sdk_version()
    lock = json.loads((FRONTEND / "package-lock.json").read_text())

    assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{SDK} must be pinned exactly, not {version!r}"
    assert lock["packages"][""]["dependencies"][SDK] == version
    assert lock["packages"][f"node_modules/{SDK}"]["version"] == version


def test_the_app_serves_the_pinned_sdk_build_and_its_licence(system: System) -> None:
    bundle = httpx.get(system.base_url + SDK_URL, timeout=15)
    licence = httpx.get(system.base_url + SDK_URL.replace("twilio.min.js", "LICENSE.md"), timeout=15)

    assert bundle.status_code == 200
    assert "javascript" in bundle.headers["content-type"]
    assert re.findall(r'RELEASE_VERSION="([^"]+)"', bundle.text) == [pinned_sdk_version()]
    assert "Twilio.Device=" in bundle.text  # the browser build: it defines window.Twilio.Device
    assert licence.status_code == 200 and "Twilio" in licence.text


def test_the_console_loads_its_phone_from_the_app_and_nothing_from_other_sites(system: System) -> None:
    agent = system.login("agent1")
    page = agent.get("/console")
    scripts = Scripts()
    scripts.feed(page.text)

    assert page.status_code == 200
    assert "/static/agents/phone.js" in scripts.sources
    assert "/static/agents/phone-panel.js" in scripts.sources
    assert all(src.startswith("/static/") for src in scripts.sources), scripts.sources
    for src in scripts.sources:
        assert agent.get(src).status_code == 200, src
    assert SDK_URL in agent.get("/static/agents/phone-panel.js").text


def test_the_demo_sends_an_agents_phone_to_the_sandbox_it_started(system: System) -> None:
    agent = system.login("agent1")
    me = agent.get("/api/me").json()

    response = agent.get("/api/voice/token")

    assert response.status_code == 200, response.text
    assert response.json() == {"mode": "sandbox", "identity": f"agent-{me['id']}", "sandbox_url": system.sandbox_url}


def test_in_the_demo_qa_staff_get_a_sandbox_phone_to_listen_in_and_a_manager_none(system: System) -> None:
    qa = system.login("qa").get("/api/voice/token")
    assert qa.status_code == 200 and qa.json()["mode"] == "sandbox"  # to listen in from the wallboard

    manager = system.login("manager").get("/api/voice/token")
    assert manager.status_code == 403 and "manager" in manager.json()["error"]


def test_the_console_phone_rings_answers_and_hangs_up_an_accepted_call_through_the_sandbox(system: System) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("running the browser phone needs node on PATH")
    console = AgentConsole(system, "agent2")
    cookie = "; ".join(f"{name}={value}" for name, value in console.http.cookies.items())
    phone = subprocess.Popen(
        [node, "-e", PHONE_SCRIPT, str(PHONE_JS), system.base_url, cookie], stdout=subprocess.PIPE, text=True
    )
    try:
        assert phone.stdout is not None
        assert phone.stdout.readline().strip() == f"registered sandbox agent-{console.id}"
        console.go("available")
        call_sid = place_call(system.sandbox_url, from_="+8613900139000", to=HOTLINE, digits=["1"])
        offer = console.next_event("offer.created")
        assert console.accept(offer["contact"]).status_code == 200

        said, _ = phone.communicate(timeout=60)

        # Rung from the hotline's number: an agent's phone never gets the caller's whole number.
        assert said.splitlines() == [f"incoming {HOTLINE}", "connected", "muted true", "disconnected"]
        assert phone.returncode == 0
        call = wait_for_call(system.sandbox_url, call_sid, timeout=30)
        assert call["status"] == "completed"
        # Either may be in the room first: the phone answers as the caller's redirect lands. The phone hangs
        # up at once: the caller may meet an empty room, or (under load) be sent their goodbye before their
        # move into the room lands, and never enter it.
        rooms = rooms_of(system.sandbox_url, offer["contact"])
        joined = {label for room in rooms for label in joined_labels(room)}
        assert f"agent-{console.id}" in joined and joined <= {f"agent-{console.id}", "caller"}
        console.next_event("contact.ended", contact=offer["contact"])
    finally:
        if phone.poll() is None:
            phone.kill()
        console.post("/api/agent/state", {"state": "offline"})
        console.close()
