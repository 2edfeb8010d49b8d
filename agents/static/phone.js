// The agent's browser phone: one interface whichever way calls reach this browser.
//   events:  registered, unregistered, incoming(from), connected, disconnected, muted(bool),
//            error(message), recovered (the trouble last reported has passed)
//   methods: start(), accept(), reject(), hangup(), mute(bool), stop()
// "twilio" mode drives the Voice SDK's Twilio.Device; "sandbox" mode the sandbox's client-device API.
// No DOM here: the browser's fetch, timers, ringer and SDK loader come in as `deps` (see phone-panel.js),
// so the same file runs under node in tests/test_voice_phone.py.
"use strict";

(function (root) {
  const TOKEN_URL = "/api/voice/token";
  const REGISTER_EVERY_MS = 30000; // the sandbox forgets a registration after 60 s
  const POLL_EVERY_MS = 1000;
  const SOUND_NAMES = ["incoming", "outgoing", "disconnect", "dtmf0", "dtmf1", "dtmf2", "dtmf3", "dtmf4",
    "dtmf5", "dtmf6", "dtmf7", "dtmf8", "dtmf9", "dtmfs", "dtmfh"];

  class PhoneUnavailable extends Error {}

  // The token endpoint's answer, or PhoneUnavailable with the server's reason (503: not configured).
  async function fetchConfig(fetchFn) {
    let response;
    try {
      response = await fetchFn(TOKEN_URL, { credentials: "same-origin", cache: "no-store" });
    } catch (error) {
      throw new PhoneUnavailable(`cannot reach the server (${error.message})`);
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new PhoneUnavailable(body.error || `HTTP ${response.status}`);
    return body;
  }

  class Phone {
    constructor(config, deps) {
      this.config = config;
      this.deps = deps;
      this.mode = config.mode;
      this.identity = config.identity;
      this.state = "starting"; // starting | registered | unregistered | ringing | in-call | stopped
      this.registered = false;
      this.from = null;
      this.muted = false;
      this.listeners = {};
    }

    on(event, listener) {
      (this.listeners[event] = this.listeners[event] || []).push(listener);
      return this;
    }

    emit(event, ...args) {
      for (const listener of this.listeners[event] || []) listener(...args);
    }

    // Transitions shared by both modes; the subclasses only translate their transport's news.
    _registered() {
      const first = !this.registered;
      this.registered = true;
      if (this.state === "starting" || this.state === "unregistered") this.state = "registered";
      if (first) this.emit("registered");
    }

    _unregistered() {
      if (!this.registered && this.state !== "starting") return;
      this.registered = false;
      if (this.state === "starting" || this.state === "registered") this.state = "unregistered";
      this.emit("unregistered");
    }

    _incoming(from) {
      this.state = "ringing";
      this.from = from || "";
      this.muted = false;
      if (this.deps.ringer) this.deps.ringer.start();
      this.emit("incoming", this.from);
    }

    // A call this phone is already in when it starts (the page was reloaded mid-call): its controls again.
    _resumed(from, muted) {
      this.from = from || "";
      this.muted = Boolean(muted);
      this._connected();
    }

    _connected() {
      this.state = "in-call";
      if (this.deps.ringer) this.deps.ringer.stop();
      this.emit("connected");
    }

    _disconnected() {
      this.state = this.registered ? "registered" : "unregistered";
      this.from = null;
      this.muted = false;
      if (this.deps.ringer) this.deps.ringer.stop();
      this.emit("disconnected");
    }

    _muted(on) {
      this.muted = on;
      this.emit("muted", on);
    }

    // The same trouble every second (a poll that keeps failing) is reported once.
    _error(message) {
      if (message === this.lastError) return;
      this.lastError = message;
      this.emit("error", message);
    }

    _ok() {
      if (!this.lastError) return;
      this.lastError = null;
      this.emit("recovered");
    }
  }

  class TwilioPhone extends Phone {
    async start() {
      const { expires_in: expiresIn, renew_after: renewAfter } = this.config;
      this.device = new this.deps.Device(this.config.token, {
        // tokenWillExpire fires this long before expiry: the server's renew_after, in the SDK's terms.
        tokenRefreshMs: (expiresIn - renewAfter) * 1000,
        closeProtection: true,
        // The SDK would fetch its sounds from Twilio's CDN; ours are made in the page (the ringer rings).
        sounds: Object.fromEntries(SOUND_NAMES.map((name) => [name, this.deps.silentUrl])),
      });
      this.device.on("registered", () => { this._ok(); this._registered(); });
      this.device.on("unregistered", () => this._unregistered());
      this.device.on("error", (error) => this._error(describe(error)));
      this.device.on("incoming", (call) => this._take(call));
      this.device.on("tokenWillExpire", () => this.renew());
      try {
        await this.device.register();
      } catch (error) {
        this._error(describe(error));
      }
    }

    _take(call) {
      if (this.call) { call.reject(); return; } // routing offers one call at a time; a second is a stray
      this.call = call;
      const ended = () => {
        if (this.call !== call) return;
        this.call = null;
        this._disconnected();
      };
      call.on("accept", () => this._connected());
      for (const event of ["disconnect", "cancel", "reject"]) call.on(event, ended);
      call.on("error", (error) => this._error(describe(error)));
      this._incoming(call.parameters && call.parameters.From);
    }

    async renew() {
      try {
        const config = await fetchConfig(this.deps.fetch);
        if (config.mode !== "twilio") throw new PhoneUnavailable(`the server switched to ${config.mode} mode; reload`);
        this.device.updateToken(config.token);
      } catch (error) {
        this._error(`could not renew the phone's token: ${error.message}`);
      }
    }

    accept() { if (this.call) this.call.accept(); }
    reject() { if (this.call) this.call.reject(); }
    hangup() { if (this.call) this.call.disconnect(); }

    mute(on) {
      if (!this.call) return;
      this.call.mute(Boolean(on));
      this._muted(Boolean(on));
    }

    stop() {
      this.state = "stopped";
      if (this.deps.ringer) this.deps.ringer.stop();
      if (this.device) this.device.destroy();
    }
  }

  class SandboxPhone extends Phone {
    constructor(config, deps) {
      super(config, deps);
      this.base = `${config.sandbox_url}/sandbox/clients/${encodeURIComponent(config.identity)}`;
      this.timers = [];
    }

    async start() {
      await this.register();
      await this.poll();
      this.timers.push(this.deps.setInterval(() => this.register(), REGISTER_EVERY_MS));
      this.timers.push(this.deps.setInterval(() => this.poll(), POLL_EVERY_MS));
    }

    async _send(method, path, body) {
      const options = { method, headers: body ? { "Content-Type": "application/json" } : {} };
      if (body) options.body = JSON.stringify(body);
      if (method === "DELETE") options.keepalive = true; // still sent while the page unloads
      const response = await this.deps.fetch(this.base + path, options);
      const data = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(data.error || `the sandbox answered HTTP ${response.status}`);
      return data;
    }

    async register() {
      try {
        await this._send("POST", "/register");
        this._ok();
        this._registered();
      } catch (error) {
        this._error(`cannot register with the sandbox at ${this.config.sandbox_url}: ${error.message}`);
        this._unregistered();
      }
    }

    // One look at the sandbox's list of this identity's calls; the timer calls it every second.
    async poll() {
      if (this.polling || this.state === "stopped") return;
      this.polling = true;
      try {
        const calls = await this._send("GET", "/calls");
        this._ok();
        this._apply(Array.isArray(calls) ? calls : []);
      } catch (error) {
        this._error(`cannot reach the sandbox at ${this.config.sandbox_url}: ${error.message}`);
      } finally {
        this.polling = false;
      }
    }

    _apply(calls) {
      const current = this.call && calls.find((c) => c.call_sid === this.call.call_sid);
      // The same caller ringing again while we talk to them: the call was put on hold and taken back.
      const rerung = current && current.status === "ringing" && this.state === "in-call";
      if (this.call && (!current || rerung)) {
        this.call = null;
        this._disconnected();
      } else if (current && current.status === "in-progress" && this.state !== "in-call") {
        this._connected();
      }
      if (this.call) return;
      const live = calls.find((c) => c.status === "in-progress"); // answered before a reload of the page
      const ringing = calls.find((c) => c.status === "ringing");
      if (live) {
        this.call = live;
        this._resumed(live.from, live.muted);
      } else if (ringing) {
        this.call = ringing;
        this._incoming(ringing.from);
      }
    }

    // Answering changes nothing here until the sandbox says so: the next poll is the one truth.
    async _act(action, body) {
      if (!this.call) return;
      try {
        await this._send("POST", `/calls/${encodeURIComponent(this.call.call_sid)}/${action}`, body);
      } catch (error) {
        this._error(`${action} failed: ${error.message}`);
        return false;
      }
      await this.poll();
      return true;
    }

    accept() { return this._act("answer"); }
    reject() { return this._act("reject"); }
    hangup() { return this._act("hangup"); }

    async mute(on) {
      if (await this._act("mute", { muted: Boolean(on) })) this._muted(Boolean(on));
    }

    stop() {
      this.state = "stopped";
      for (const timer of this.timers) this.deps.clearInterval(timer);
      this.timers = [];
      if (this.deps.ringer) this.deps.ringer.stop();
      return this._send("DELETE", "/register").catch(() => {});
    }
  }

  function describe(error) {
    if (!error) return "unknown error";
    const message = String(error.message || error);
    // The SDK's TwilioErrors name their code in the message already ("ConnectionError (31005): …").
    return error.code && !message.includes(String(error.code)) ? `${error.code}: ${message}` : message;
  }

  // The phone the server's answer calls for; deps.loadDevice() fetches the SDK only in twilio mode.
  async function createPhone(deps) {
    const config = await fetchConfig(deps.fetch);
    if (config.mode === "twilio") return new TwilioPhone(config, { ...deps, Device: await deps.loadDevice() });
    if (config.mode === "sandbox") return new SandboxPhone(config, deps);
    throw new PhoneUnavailable(`unknown phone mode ${JSON.stringify(config.mode)}`);
  }

  const api = { createPhone, fetchConfig, PhoneUnavailable, TwilioPhone, SandboxPhone };
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.BrowserPhone = api;
})(typeof window !== "undefined" ? window : globalThis);
