"""The console's browser phone (agents/static/phone.js), run under node with a scripted server, sandbox
and Voice SDK: what it asks of each, and what it tells the page. Timers never fire on their own here;
a scenario calls `phone.poll()` where the one-second timer would."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

PHONE_JS = Path(__file__).resolve().parent.parent / "agents" / "static" / "phone.js"
SANDBOX = "http://127.0.0.1:8001"
CLIENT = f"{SANDBOX}/sandbox/clients/agent-7"
SANDBOX_CONFIG = {"mode": "sandbox", "identity": "agent-7", "sandbox_url": SANDBOX}
TWILIO_CONFIG = {"mode": "twilio", "identity": "agent-7", "token": "jwt-1", "expires_in": 600, "renew_after": 540}
RINGING = {"call_sid": "CA1", "from": "+8613800138000", "status": "ringing", "since": 0}
IN_PROGRESS = {**RINGING, "status": "in-progress"}
# What the page hears of a call answered, muted and ended: the same in both modes.
ANSWERED_MUTED_AND_ENDED = [
    ["registered"],
    ["incoming", "+8613800138000"],
    ["connected"],
    ["muted", True],
    ["disconnected"],
]

# `answer(method, url, ...replies)` scripts the server and sandbox: each request takes the next reply, the last
# one repeats. `log` collects requests, phone events, ringer and SDK calls in the order they happened.
HARNESS = r"""
const { createPhone, PhoneUnavailable } = require(process.argv[1]);
const log = [];
const replies = {};
const answer = (method, url, ...list) => { replies[`${method} ${url}`] = list; };
const fetch = async (url, options = {}) => {
  const key = `${options.method || "GET"} ${url}`;
  log.push({ request: key, ...(options.body ? { body: JSON.parse(options.body) } : {}) });
  const list = replies[key];
  if (!list) throw new Error(`connection refused (${key})`);
  const [status, body] = list.length > 1 ? list.shift() : list[0];
  return { ok: status < 400, status, json: async () => body };
};
const timers = [];
class Emitter {
  on(event, fn) { ((this.handlers = this.handlers || {})[event] = this.handlers[event] || []).push(fn); }
  fire(event, ...args) { for (const fn of (this.handlers || {})[event] || []) fn(...args); }
}
class Device extends Emitter {
  constructor(token, options) { super(); Device.made = this; log.push({ device: "new", token, options }); }
  async register() { log.push({ device: "register" }); }
  updateToken(token) { log.push({ device: "updateToken", token }); }
  destroy() { log.push({ device: "destroy" }); }
}
class Call extends Emitter {
  constructor(from) { super(); this.parameters = { From: from }; }
  accept() { log.push({ call: "accept" }); }
  reject() { log.push({ call: "reject" }); }
  disconnect() { log.push({ call: "disconnect" }); }
  mute(on) { log.push({ call: "mute", on }); }
}
const deps = {
  fetch,
  setInterval: (fn, ms) => timers.push({ fn, ms, cleared: false }),
  clearInterval: (id) => { timers[id - 1].cleared = true; },
  loadDevice: async () => { log.push({ loaded: "sdk" }); return Device; },
  ringer: { start: () => log.push({ ringer: "start" }), stop: () => log.push({ ringer: "stop" }) },
  silentUrl: "blob:silence",
};
const EVENTS = ["registered", "unregistered", "incoming", "connected", "disconnected", "muted", "error", "recovered"];
async function started() {
  const phone = await createPhone(deps);
  for (const event of EVENTS) phone.on(event, (...args) => log.push({ event, args }));
  await phone.start();
  return phone;
}
const result = {};
(async () => {
/*SCENARIO*/
})().then(
  () => process.stdout.write(JSON.stringify({ log, result })),
  (error) => { process.stderr.write(String(error.stack || error)); process.exit(1); },
);
"""


def run_phone(scenario: str, **replies: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run a scenario against phone.js; `replies` are JSON values the scenario reads as `replies_<name>`."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("the browser phone's tests need node on PATH")
    constants = "".join(f"const {name} = {json.dumps(value)};\n" for name, value in replies.items())
    script = HARNESS.replace("/*SCENARIO*/", constants + scenario)
    done = subprocess.run([node, "-e", script, str(PHONE_JS)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    return output["log"], output["result"]


def requests(log: list[dict[str, Any]]) -> list[str]:
    return [entry["request"] for entry in log if "request" in entry]


def events(log: list[dict[str, Any]]) -> list[Any]:
    return [[entry["event"], *entry["args"]] for entry in log if "event" in entry]


def test_in_sandbox_mode_a_ringing_call_is_answered_muted_and_ended_through_the_sandbox() -> None:
    log, result = run_phone(
        f"""
        answer("GET", "/api/voice/token", [200, config]);
        answer("POST", "{CLIENT}/register", [200, {{identity: "agent-7", expires_in: 60}}]);
        answer("GET", "{CLIENT}/calls", [200, []], [200, [ringing]], [200, [inProgress]]);
        answer("POST", "{CLIENT}/calls/CA1/answer", [200, {{}}]);
        answer("POST", "{CLIENT}/calls/CA1/mute", [200, {{}}]);
        const phone = await started();
        await phone.poll();
        result.ringing = phone.state;
        await phone.accept();
        result.answered = phone.state;
        await phone.mute(true);
        answer("GET", "{CLIENT}/calls", [200, []]);
        await phone.poll();
        result.after = phone.state;
        """,
        config=SANDBOX_CONFIG,
        ringing=RINGING,
        inProgress=IN_PROGRESS,
    )

    assert requests(log) == [
        "GET /api/voice/token",
        f"POST {CLIENT}/register",
        f"GET {CLIENT}/calls",
        f"GET {CLIENT}/calls",
        f"POST {CLIENT}/calls/CA1/answer",
        f"GET {CLIENT}/calls",
        f"POST {CLIENT}/calls/CA1/mute",
        f"GET {CLIENT}/calls",
        f"GET {CLIENT}/calls",
    ]
    assert {"request": f"POST {CLIENT}/calls/CA1/mute", "body": {"muted": True}} in log
    assert events(log) == ANSWERED_MUTED_AND_ENDED
    assert result == {"ringing": "ringing", "answered": "in-call", "after": "registered"}
    assert [e["ringer"] for e in log if "ringer" in e] == ["start", "stop", "stop"]


def test_in_sandbox_mode_a_caller_taken_back_from_hold_rings_again() -> None:
    """Hold releases the agent's leg and taking the caller back dials it again: the sandbox reports the
    same caller's CallSid ringing while the phone still thinks it is talking to them."""
    log, result = run_phone(
        f"""
        answer("GET", "/api/voice/token", [200, config]);
        answer("POST", "{CLIENT}/register", [200, {{identity: "agent-7", expires_in: 60}}]);
        answer("GET", "{CLIENT}/calls", [200, [ringing]], [200, [inProgress]]);
        answer("POST", "{CLIENT}/calls/CA1/answer", [200, {{}}]);
        const phone = await started();
        await phone.poll();
        await phone.accept();
        result.talking = phone.state;
        answer("GET", "{CLIENT}/calls", [200, [ringing]]);
        await phone.poll();
        result.taken_back = phone.state;
        """,
        config=SANDBOX_CONFIG,
        ringing=RINGING,
        inProgress=IN_PROGRESS,
    )

    assert result == {"talking": "in-call", "taken_back": "ringing"}
    assert events(log)[-2:] == [["disconnected"], ["incoming", "+8613800138000"]]


def test_in_sandbox_mode_a_declined_call_is_rejected_at_the_sandbox() -> None:
    log, result = run_phone(
        f"""
        answer("GET", "/api/voice/token", [200, config]);
        answer("POST", "{CLIENT}/register", [200, {{}}]);
        answer("GET", "{CLIENT}/calls", [200, [ringing]], [200, []]);
        answer("POST", "{CLIENT}/calls/CA1/reject", [200, {{}}]);
        const phone = await started();
        await phone.reject();
        result.state = phone.state;
        """,
        config=SANDBOX_CONFIG,
        ringing=RINGING,
    )

    assert f"POST {CLIENT}/calls/CA1/reject" in requests(log)
    assert events(log) == [["registered"], ["incoming", "+8613800138000"], ["disconnected"]]
    assert result == {"state": "registered"}


def test_in_sandbox_mode_a_phone_started_mid_call_takes_up_the_call_with_its_mute_and_hangs_it_up() -> None:
    """The console reloaded mid-call: the sandbox still has the answered call on this identity. Before, the
    phone only took up ringing calls, so the card lost Mute and Hang up while the call went on."""
    log, result = run_phone(
        f"""
        answer("GET", "/api/voice/token", [200, config]);
        answer("POST", "{CLIENT}/register", [200, {{}}]);
        answer("GET", "{CLIENT}/calls", [200, [mutedCall]]);
        answer("POST", "{CLIENT}/calls/CA1/mute", [200, {{}}]);
        answer("POST", "{CLIENT}/calls/CA1/hangup", [200, {{}}]);
        const phone = await started();
        result.started = [phone.state, phone.from, phone.muted];
        await phone.mute(false);
        result.unmuted = phone.muted;
        answer("GET", "{CLIENT}/calls", [200, []]);
        await phone.hangup();
        result.after = phone.state;
        """,
        config=SANDBOX_CONFIG,
        mutedCall={**IN_PROGRESS, "muted": True},
    )

    assert result == {"started": ["in-call", "+8613800138000", True], "unmuted": False, "after": "registered"}
    assert events(log) == [["registered"], ["connected"], ["muted", False], ["disconnected"]]
    assert {"request": f"POST {CLIENT}/calls/CA1/mute", "body": {"muted": False}} in log
    assert f"POST {CLIENT}/calls/CA1/hangup" in requests(log)
    assert not [e for e in log if "ringer" in e and e["ringer"] == "start"]  # nothing rings: it was answered


def test_in_sandbox_mode_the_phone_re_registers_every_30_s_polls_every_second_and_unregisters_on_stop() -> None:
    log, result = run_phone(
        f"""
        answer("GET", "/api/voice/token", [200, config]);
        answer("POST", "{CLIENT}/register", [200, {{}}]);
        answer("DELETE", "{CLIENT}/register", [204, {{}}]);
        answer("GET", "{CLIENT}/calls", [200, []]);
        const phone = await started();
        result.timers = timers.map((t) => t.ms);
        timers[0].fn();
        await phone.stop();
        result.cleared = timers.map((t) => t.cleared);
        """,
        config=SANDBOX_CONFIG,
    )

    assert result == {"timers": [30000, 1000], "cleared": [True, True]}
    assert requests(log)[-2:] == [f"POST {CLIENT}/register", f"DELETE {CLIENT}/register"]


def test_a_sandbox_that_cannot_be_reached_is_reported_once_and_the_phone_recovers_when_it_answers() -> None:
    log, result = run_phone(
        f"""
        answer("GET", "/api/voice/token", [200, config]);
        const phone = await started();
        await phone.poll();
        await phone.poll();
        result.down = phone.state;
        answer("POST", "{CLIENT}/register", [200, {{}}]);
        answer("GET", "{CLIENT}/calls", [200, []]);
        await phone.register();
        result.up = phone.state;
        """,
        config=SANDBOX_CONFIG,
    )

    reported = events(log)
    assert reported[0][0] == "error" and SANDBOX in reported[0][1]
    assert [e[0] for e in reported] == ["error", "unregistered", "error", "recovered", "registered"]
    assert result == {"down": "unregistered", "up": "registered"}


def test_in_twilio_mode_the_sdk_device_registers_with_the_token_and_fetches_no_sounds_from_a_cdn() -> None:
    log, _ = run_phone(
        """
        answer("GET", "/api/voice/token", [200, config]);
        await started();
        """,
        config=TWILIO_CONFIG,
    )

    made = next(entry for entry in log if entry.get("device") == "new")
    assert made["token"] == "jwt-1"
    assert made["options"]["tokenRefreshMs"] == 60_000  # expires_in - renew_after, in ms
    assert set(made["options"]["sounds"].values()) == {"blob:silence"}
    assert {"incoming", "outgoing", "disconnect"} <= set(made["options"]["sounds"])
    assert {"device": "register"} in log


def test_in_twilio_mode_token_will_expire_fetches_a_new_token_for_the_device() -> None:
    log, _ = run_phone(
        """
        answer("GET", "/api/voice/token", [200, config], [200, {...config, token: "jwt-2"}]);
        await started();
        Device.made.fire("tokenWillExpire");
        await new Promise((resolve) => setImmediate(resolve));
        """,
        config=TWILIO_CONFIG,
    )

    assert requests(log) == ["GET /api/voice/token", "GET /api/voice/token"]
    assert log[-1] == {"device": "updateToken", "token": "jwt-2"}


def test_in_twilio_mode_a_renewal_the_server_refuses_is_reported_and_the_old_token_kept() -> None:
    log, _ = run_phone(
        """
        answer("GET", "/api/voice/token", [200, config], [503, {error: "set TWILIO_API_KEY"}]);
        await started();
        Device.made.fire("tokenWillExpire");
        await new Promise((resolve) => setImmediate(resolve));
        """,
        config=TWILIO_CONFIG,
    )

    assert events(log) == [["error", "could not renew the phone's token: set TWILIO_API_KEY"]]
    assert not any(entry.get("device") == "updateToken" for entry in log)


def test_in_twilio_mode_an_incoming_call_is_answered_muted_and_hung_up_through_the_sdk() -> None:
    log, result = run_phone(
        """
        answer("GET", "/api/voice/token", [200, config]);
        const phone = await started();
        Device.made.fire("registered");
        const call = new Call("+8613800138000");
        Device.made.fire("incoming", call);
        phone.accept();
        call.fire("accept");
        phone.mute(true);
        result.inCall = phone.state;
        phone.hangup();
        call.fire("disconnect");
        result.after = phone.state;
        """,
        config=TWILIO_CONFIG,
    )

    assert [entry for entry in log if "call" in entry] == [
        {"call": "accept"},
        {"call": "mute", "on": True},
        {"call": "disconnect"},
    ]
    assert events(log) == ANSWERED_MUTED_AND_ENDED
    assert result == {"inCall": "in-call", "after": "registered"}


def test_when_the_server_has_no_phone_for_the_agent_its_reason_is_given_and_no_sdk_is_loaded() -> None:
    log, result = run_phone(
        """
        answer("GET", "/api/voice/token", [503, {error: "Twilio settings missing or wrong: set TWILIO_API_KEY."}]);
        try { await createPhone(deps); } catch (error) {
          result.unavailable = error instanceof PhoneUnavailable;
          result.reason = error.message;
        }
        """
    )

    assert result == {"unavailable": True, "reason": "Twilio settings missing or wrong: set TWILIO_API_KEY."}
    assert {"loaded": "sdk"} not in log
