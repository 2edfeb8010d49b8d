// The sandbox softphone: places an interactive call, follows its log over Server-Sent Events, speaks
// the prompts with the browser's speech synthesis, and sends key presses and typed "speech".
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const phone = $("phone");
  const { labels, describe } = window.PhoneText;
  const KEYS = [["1", ""], ["2", "ABC"], ["3", "DEF"], ["4", "GHI"], ["5", "JKL"], ["6", "MNO"],
    ["7", "PQRS"], ["8", "TUV"], ["9", "WXYZ"], ["*", ""], ["0", "+"], ["#", ""]];

  let lang = localStorage.getItem("softphone.lang") || (navigator.language.startsWith("zh") ? "zh-CN" : "en");
  let voiceOn = localStorage.getItem("softphone.voice") !== "off";
  let callSid = null;
  let stream = null;
  let startedAt = 0;
  let timer = null;

  const text = (key) => labels[lang][key] || key;

  const applyLabels = () => {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = text(el.dataset.i18n); });
    document.querySelectorAll("[data-i18n-title]").forEach((el) => { el.title = text(el.dataset.i18nTitle); });
    document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = text(el.dataset.i18nPlaceholder); });
    $("lang").textContent = lang === "zh-CN" ? "EN" : "中文";
    $("voice").textContent = text("voice");
    $("status").textContent = text(phone.dataset.state);
  };

  const setState = (state) => {
    phone.dataset.state = state;
    $("status").textContent = text(state);
    const live = state !== "idle" && state !== "ended";
    $("dial").disabled = live;
    $("hangup").disabled = !live;
  };

  const addLine = (kind, content, detail) => {
    const li = document.createElement("li");
    li.className = kind;
    li.textContent = content;
    if (detail) {
      const small = document.createElement("small");
      small.textContent = detail;
      li.prepend(small);
    }
    $("transcript").append(li);
    li.scrollIntoView({ block: "end", behavior: "smooth" });
  };

  // Speak in the prompt's own language, with a matching voice where the browser has one.
  const speak = (words, language) => {
    if (!voiceOn || !("speechSynthesis" in window)) return;
    const utterance = new SpeechSynthesisUtterance(words);
    utterance.lang = language || "en-US";
    const prefix = utterance.lang.toLowerCase().slice(0, 2);
    const voice = speechSynthesis.getVoices().find((v) => v.lang.toLowerCase().startsWith(prefix));
    if (voice) utterance.voice = voice;
    speechSynthesis.speak(utterance);
  };

  const tick = () => {
    const seconds = Math.floor((Date.now() - startedAt) / 1000);
    $("timer").textContent = `${String(Math.floor(seconds / 60)).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;
  };

  const stopCall = () => {
    if (stream) stream.close();
    stream = null;
    callSid = null;
    clearInterval(timer);
    if ("speechSynthesis" in window) speechSynthesis.cancel();
  };

  const onEntry = (entry) => {
    const shown = describe(entry, lang);
    if (!shown) return;
    const current = phone.dataset.state;
    if (shown.state && current !== "ended" && (!shown.soft || current === "calling")) setState(shown.state);
    if (shown.kind === "say") {
      addLine("say", shown.text, shown.lang);
      speak(shown.text, shown.lang);
    } else {
      addLine(shown.kind, shown.text);
    }
  };

  const follow = (sid) => {
    stream = new EventSource(`/sandbox/calls/${encodeURIComponent(sid)}/events`);
    stream.addEventListener("log", (message) => onEntry(JSON.parse(message.data)));
    stream.addEventListener("end", () => {
      setState("ended");
      stopCall();
    });
  };

  const post = async (path, body) => {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
    return data;
  };

  const dial = async () => {
    stopCall();
    $("transcript").replaceChildren();
    setState("calling");
    try {
      const placed = await post("/sandbox/calls", { from: $("from").value.trim(), to: $("to").value, interactive: true });
      callSid = placed.call_sid;
      startedAt = Date.now();
      tick();
      timer = setInterval(tick, 1000);
      follow(callSid);
    } catch (error) {
      addLine("bad", error.message);
      setState("idle");
    }
  };

  const hangUp = async () => {
    if (!callSid) return;
    try {
      await post(`/sandbox/calls/${callSid}/hangup`, { side: "caller" });
    } catch (error) {
      addLine("note", error.message);
    }
  };

  const send = async (body) => {
    if (!callSid) return;
    try {
      await post(`/sandbox/calls/${callSid}/input`, body);
    } catch (error) {
      addLine("note", error.message);
    }
  };

  const press = (key) => {
    const button = document.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (button) {
      button.classList.add("pressed");
      setTimeout(() => button.classList.remove("pressed"), 120);
    }
    send({ digits: key });
  };

  const buildKeypad = () => {
    for (const [key, letters] of KEYS) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "key";
      button.dataset.key = key;
      button.innerHTML = `<span>${key}</span><small>${letters || "&nbsp;"}</small>`;
      button.addEventListener("click", () => press(key));
      $("keypad").append(button);
    }
  };

  const loadNumbers = async () => {
    const response = await fetch("/sandbox/numbers");
    const { numbers } = await response.json();
    $("to").replaceChildren(...numbers.map((n) => new Option(n, n)));
    if (!numbers.length) addLine("bad", text("noNumbers"));
  };

  buildKeypad();
  $("dial").addEventListener("click", dial);
  $("hangup").addEventListener("click", hangUp);
  $("speak").addEventListener("submit", (event) => {
    event.preventDefault();
    const words = $("speech").value.trim();
    if (words) send({ speech: words });
    $("speech").value = "";
  });
  $("lang").addEventListener("click", () => {
    lang = lang === "zh-CN" ? "en" : "zh-CN";
    localStorage.setItem("softphone.lang", lang);
    applyLabels();
  });
  $("voice").addEventListener("click", () => {
    voiceOn = !voiceOn;
    localStorage.setItem("softphone.voice", voiceOn ? "on" : "off");
    $("voice").setAttribute("aria-pressed", String(voiceOn));
    if (!voiceOn && "speechSynthesis" in window) speechSynthesis.cancel();
  });
  // The keyboard's digits work as the keypad while a call is up (not while typing in a field).
  document.addEventListener("keydown", (event) => {
    if (!callSid || event.target.closest("input, select")) return;
    if (/^[0-9*#]$/.test(event.key)) press(event.key);
  });
  $("voice").setAttribute("aria-pressed", String(voiceOn));
  applyLabels();
  setState("idle");
  loadNumbers().catch((error) => addLine("bad", error.message));
})();
