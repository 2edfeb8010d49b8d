// The console's phone card: starts the browser phone (phone.js) and shows its state.
// Kept apart from console.js: routing state (offers, contacts) and the phone's audio are separate
// things, and the console cannot break when the phone is unavailable.
"use strict";

(function () {
  const SDK_URL = "/static/agents/vendor/twilio-voice-sdk/twilio.min.js";
  const byId = (id) => document.getElementById(id);
  const LABELS = {
    starting: "连接中 Connecting",
    registered: "已注册 Registered",
    unregistered: "未注册 Not registered",
    ringing: "振铃 Ringing",
    "in-call": "通话中 In call",
    unavailable: "不可用 Unavailable",
  };
  const MODES = { twilio: "Twilio", sandbox: "沙盒 Sandbox" };

  // A mono 16-bit WAV made in the page, so no sound is fetched from anywhere.
  function wavUrl(seconds, sample) {
    const rate = 8000, count = Math.round(seconds * rate);
    const view = new DataView(new ArrayBuffer(44 + count * 2));
    const ascii = (at, text) => [...text].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)));
    ascii(0, "RIFF"); view.setUint32(4, 36 + count * 2, true); ascii(8, "WAVEfmt ");
    view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
    view.setUint32(24, rate, true); view.setUint32(28, rate * 2, true); view.setUint16(32, 2, true);
    view.setUint16(34, 16, true); ascii(36, "data"); view.setUint32(40, count * 2, true);
    for (let i = 0; i < count; i++) view.setInt16(44 + i * 2, Math.round(sample(i / rate) * 12000), true);
    return URL.createObjectURL(new Blob([view.buffer], { type: "audio/wav" }));
  }

  // One second of 450 Hz, two of silence, looped: China's ringing tone, a little quicker.
  function makeRinger() {
    let audio = null;
    const url = wavUrl(3, (t) => (t < 1 ? Math.sin(2 * Math.PI * 450 * t) : 0));
    return {
      start() {
        if (audio) return;
        audio = new Audio(url);
        audio.loop = true;
        audio.play().catch(() => {}); // a page nobody has clicked yet may not play sound; the card still rings
      },
      stop() {
        if (audio) { audio.pause(); audio = null; }
      },
    };
  }

  function loadDevice() {
    return new Promise((resolve, reject) => {
      if (window.Twilio && window.Twilio.Device) { resolve(window.Twilio.Device); return; }
      const script = document.createElement("script");
      script.src = SDK_URL;
      script.onload = () => (window.Twilio && window.Twilio.Device
        ? resolve(window.Twilio.Device) : reject(new Error("the Voice SDK did not load")));
      script.onerror = () => reject(new Error(`cannot load ${SDK_URL}`));
      document.head.appendChild(script);
    });
  }

  function render(phone, problem) {
    const state = problem ? "unavailable" : phone.state;
    byId("phone-state").textContent = LABELS[state] || state;
    byId("phone-state").className = `badge phone-${state}`;
    byId("phone-mode").textContent = phone ? `${MODES[phone.mode] || phone.mode} · ${phone.identity}` : "";
    byId("phone-problem").textContent = problem || "";
    byId("phone-problem").hidden = !problem;
    byId("phone").classList.toggle("ringing", state === "ringing");
    byId("phone-ringing").hidden = state !== "ringing";
    byId("phone-in-call").hidden = state !== "in-call";
    // The caller as the console shows them (masked for agents); the leg's own From is the hotline's number then.
    byId("phone-from").textContent = document.body.dataset.caller || (phone && phone.from) || "—";
    byId("phone-mute").textContent = phone && phone.muted ? "取消静音 Unmute" : "静音 Mute";
  }

  async function start() {
    const unavailable = (reason) => render(null, `浏览器话机不可用 Browser phone unavailable: ${reason}`);
    let phone;
    try {
      phone = await BrowserPhone.createPhone({
        fetch: window.fetch.bind(window),
        setInterval: window.setInterval.bind(window),
        clearInterval: window.clearInterval.bind(window),
        loadDevice,
        ringer: makeRinger(),
        silentUrl: wavUrl(0.05, () => 0),
      });
    } catch (error) {
      unavailable(error.message);
      return;
    }
    const update = () => render(phone, "");
    for (const event of ["registered", "unregistered", "incoming", "connected", "disconnected", "muted"]) {
      phone.on(event, update);
    }
    // Trouble is shown under the card until it passes; the phone keeps trying (re-registering, polling, renewing).
    phone.on("error", (message) => {
      byId("phone-error").textContent = message;
      byId("phone-error").hidden = false;
    });
    phone.on("recovered", () => { byId("phone-error").hidden = true; });
    // One action to answer: after the console accepts a call (console.js sends console:accepted), the
    // leg that rings next is the caller's room calling; answer it unless the hotline turned that off.
    let expectUntil = 0;
    document.addEventListener("console:accepted", (event) => {
      if (!event.detail.autoAnswer) return;
      expectUntil = Date.now() + event.detail.ringMs;
      if (phone.state === "ringing") { expectUntil = 0; phone.accept(); }
    });
    phone.on("incoming", () => {
      if (Date.now() < expectUntil) { expectUntil = 0; phone.accept(); }
    });
    byId("phone-answer").addEventListener("click", () => phone.accept());
    byId("phone-reject").addEventListener("click", () => phone.reject());
    byId("phone-hangup").addEventListener("click", () => phone.hangup());
    byId("phone-mute").addEventListener("click", () => phone.mute(!phone.muted));
    window.addEventListener("pagehide", () => phone.stop());
    update();
    await phone.start();
    update();
  }

  start();
})();
