/* The recording player for QA (docs/qa-player.md): both channels' waveforms on a canvas, a playhead,
 * click to seek, play/pause, speed, skipping silences, keyboard control, and time-stamped markers.
 *
 *   const player = new RecordingPlayer(element, {mediaUrl, peaksUrl, lang});  // lang: "zh-CN", "en", "both"
 *   player.currentTime; player.seek(7); player.play(); player.pause();
 *   player.addMarker(7, "greeting"); player.setMarkers([{seconds: 7, label: "greeting"}]);
 *   element.addEventListener("timechange", (e) => e.detail.currentTime);
 *   element.addEventListener("markerclick", (e) => e.detail.marker);
 *
 * Plain script, no build step; the page's CSP allows no inline style, so geometry is set through the CSSOM. */
(function () {
  "use strict";

  const WORDS = {
    agent: ["坐席", "Agent"],
    customer: ["客户", "Customer"],
    mono: ["通话(双方)", "Call (both parties)"],
    play: ["播放", "Play"],
    pause: ["暂停", "Pause"],
    speed: ["倍速", "Speed"],
    skip: ["跳过静音", "Skip silence"],
    loading: ["正在载入波形…", "Loading the waveform…"],
    noWave: ["波形不可用", "No waveform"],
    waveform: ["录音波形,点击跳转", "Recording waveform; click to jump"],
    keys: ["空格 播放/暂停 · ←/→ 5 秒 · [ ] 倍速 · J/K/L", "Space play/pause · ←/→ 5 s · [ ] speed · J/K/L"],
    player: ["录音播放器", "Recording player"],
  };
  const SPEEDS = [0.75, 1, 1.25, 1.5, 2];
  const STEP = 5; // seconds, ← →
  const JUMP = 10; // seconds, J L
  const EDGE = 0.25; // seconds of a silence kept on each side when skipping it
  const COLOURS = { agent: "#2f6fb0", customer: "#2e8b57", mono: "#5b6770" };
  let active = null; // the player the keyboard drives: the last one used

  function words(lang, key) {
    const [zh, en] = WORDS[key];
    return lang === "zh-CN" ? zh : lang === "en" ? en : `${zh} ${en}`;
  }

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds || 0));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  function make(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function typing(target) {
    if (!target || !target.tagName) return false;
    const tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  class RecordingPlayer {
    constructor(element, options) {
      this.element = element;
      this.options = options || {};
      this.lang = this.options.lang || "both";
      this.peaks = null;
      this.markers = [];
      this.nextMarker = 1;
      this.frame = 0;
      this.build();
      element.recordingPlayer = this;
      active = this;
      this.loadPeaks();
    }

    build() {
      const w = (key) => words(this.lang, key);
      const root = this.element;
      root.classList.add("rp");
      root.setAttribute("role", "group");
      root.setAttribute("aria-label", w("player"));
      root.textContent = "";
      this.wave = make("div", "rp-wave");
      this.canvas = make("canvas", "rp-canvas");
      this.canvas.setAttribute("role", "img");
      this.canvas.setAttribute("aria-label", w("waveform"));
      this.markerLayer = make("div", "rp-markers");
      this.status = make("div", "rp-status", w("loading"));
      this.wave.append(this.canvas, this.markerLayer, this.status);

      const controls = make("div", "rp-controls");
      this.playButton = make("button", "rp-play", `▶ ${w("play")}`);
      this.playButton.type = "button";
      this.time = make("span", "rp-time", "0:00 / 0:00");
      const speedLabel = make("label", "rp-speed-label", `${w("speed")} `);
      this.speedSelect = make("select", "rp-speed");
      for (const speed of SPEEDS) {
        const option = make("option", "", `${speed}×`);
        option.value = String(speed);
        option.selected = speed === 1;
        this.speedSelect.append(option);
      }
      speedLabel.append(this.speedSelect);
      const skipLabel = make("label", "rp-skip-label");
      this.skipBox = make("input", "rp-skip");
      this.skipBox.type = "checkbox";
      skipLabel.append(this.skipBox, ` ${w("skip")}`);
      const keys = make("span", "rp-keys", w("keys"));
      controls.append(this.playButton, this.time, speedLabel, skipLabel, keys);

      this.audio = make("audio", "rp-audio");
      this.audio.preload = "none"; // the media is fetched (and the play logged) when it is played or sought
      this.audio.src = this.options.mediaUrl;
      root.append(this.wave, controls, this.audio);

      this.playButton.addEventListener("click", () => this.toggle());
      this.speedSelect.addEventListener("change", () => this.setSpeed(Number(this.speedSelect.value)));
      this.canvas.addEventListener("click", (event) => {
        const box = this.canvas.getBoundingClientRect();
        this.seek(((event.clientX - box.left) / box.width) * this.duration);
      });
      root.addEventListener("pointerdown", () => (active = this));
      root.addEventListener("focusin", () => (active = this));
      for (const name of ["play", "pause", "ended"]) this.audio.addEventListener(name, () => this.playing());
      for (const name of ["timeupdate", "seeked", "loadedmetadata"]) this.audio.addEventListener(name, () => this.tick());
      this.audio.addEventListener("error", () => this.say(this.audio.error ? `audio: ${this.audio.error.message || this.audio.error.code}` : ""));
      if (window.ResizeObserver) {
        this.resizer = new ResizeObserver(() => this.draw());
        this.resizer.observe(this.wave);
      }
    }

    async loadPeaks() {
      if (!this.options.peaksUrl) return;
      try {
        const response = await fetch(this.options.peaksUrl, { credentials: "same-origin" });
        const body = await response.json().catch(() => ({}));
        if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
        this.peaks = body;
        this.status.hidden = true;
        this.element.dataset.channels = body.channels.map((c) => c.label).join(" ");
        this.draw();
        this.tick();
      } catch (error) {
        this.say(`${words(this.lang, "noWave")}: ${error.message}`);
      }
    }

    say(text) {
      this.status.textContent = text;
      this.status.hidden = !text;
      this.status.classList.add("rp-error");
    }

    get duration() {
      const known = this.audio.duration;
      if (Number.isFinite(known) && known > 0) return known;
      return this.peaks ? this.peaks.duration_seconds : 0;
    }

    get currentTime() {
      return this.audio.currentTime;
    }

    set currentTime(seconds) {
      this.seek(seconds);
    }

    get speed() {
      return this.audio.playbackRate;
    }

    wake() {
      if (this.audio.preload !== "auto") this.audio.preload = "auto";
    }

    seek(seconds) {
      const end = this.duration || Infinity;
      this.wake();
      this.audio.currentTime = Math.min(Math.max(0, Number(seconds) || 0), end);
      this.tick();
    }

    play() {
      this.wake();
      return this.audio.play();
    }

    pause() {
      this.audio.pause();
    }

    toggle() {
      if (this.audio.paused) this.play().catch((error) => this.say(error.message));
      else this.pause();
    }

    setSpeed(speed) {
      const chosen = SPEEDS.includes(speed) ? speed : 1;
      this.audio.playbackRate = chosen;
      this.audio.defaultPlaybackRate = chosen;
      this.speedSelect.value = String(chosen);
      this.element.dataset.speed = String(chosen);
    }

    stepSpeed(direction) {
      const at = SPEEDS.indexOf(this.audio.playbackRate);
      const next = SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, (at < 0 ? 1 : at) + direction))];
      this.setSpeed(next);
    }

    get skipSilence() {
      return this.skipBox.checked;
    }

    set skipSilence(on) {
      this.skipBox.checked = Boolean(on);
    }

    addMarker(seconds, label) {
      const marker = { id: this.nextMarker++, seconds: Number(seconds), label: String(label || "") };
      this.markers.push(marker);
      this.placeMarkers();
      return marker.id;
    }

    setMarkers(list) {
      this.markers = [];
      for (const item of list || []) this.addMarker(item.seconds, item.label);
    }

    removeMarker(id) {
      this.markers = this.markers.filter((marker) => marker.id !== id);
      this.placeMarkers();
    }

    placeMarkers() {
      this.markerLayer.textContent = "";
      const duration = this.duration;
      for (const marker of this.markers) {
        const button = make("button", "rp-marker");
        button.type = "button";
        button.dataset.seconds = String(marker.seconds);
        button.title = `${clock(marker.seconds)} ${marker.label}`;
        button.setAttribute("aria-label", button.title);
        button.style.left = duration ? `${Math.min(100, (marker.seconds / duration) * 100)}%` : "0";
        button.addEventListener("click", (event) => {
          event.stopPropagation();
          this.seek(marker.seconds);
          this.element.dispatchEvent(new CustomEvent("markerclick", { detail: { marker: { ...marker } } }));
        });
        this.markerLayer.append(button);
      }
    }

    playing() {
      const w = (key) => words(this.lang, key);
      this.playButton.textContent = this.audio.paused ? `▶ ${w("play")}` : `❚❚ ${w("pause")}`;
      this.element.dataset.state = this.audio.paused ? "paused" : "playing";
      cancelAnimationFrame(this.frame);
      if (!this.audio.paused) this.frame = requestAnimationFrame(() => this.follow());
      this.tick();
    }

    follow() {
      this.tick();
      if (!this.audio.paused) this.frame = requestAnimationFrame(() => this.follow());
    }

    tick() {
      const now = this.audio.currentTime;
      if (this.skipSilence && !this.audio.paused && this.peaks) {
        const span = this.peaks.silences.find(([start, end]) => now >= start + EDGE && now < end - EDGE);
        if (span) {
          this.audio.currentTime = span[1] - EDGE;
          return;
        }
      }
      this.time.textContent = `${clock(now)} / ${clock(this.duration)}`;
      this.drawPlayhead(now);
      if (now !== this.lastTime) {
        this.lastTime = now;
        this.element.dispatchEvent(new CustomEvent("timechange", { detail: { currentTime: now } }));
      }
    }

    draw() {
      const box = this.wave.getBoundingClientRect();
      const ratio = window.devicePixelRatio || 1;
      this.width = Math.max(1, Math.floor(box.width));
      this.height = Math.max(1, Math.floor(box.height));
      this.canvas.width = this.width * ratio;
      this.canvas.height = this.height * ratio;
      this.canvas.style.width = `${this.width}px`;
      this.canvas.style.height = `${this.height}px`;
      this.base = null;
      this.placeMarkers();
      if (!this.peaks) return;
      const context = this.canvas.getContext("2d");
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.clearRect(0, 0, this.width, this.height);
      const duration = this.peaks.duration_seconds || 1;
      context.fillStyle = "#eef1f4"; // silences, shaded: what skipping passes over
      for (const [start, end] of this.peaks.silences) {
        context.fillRect((start / duration) * this.width, 0, ((end - start) / duration) * this.width, this.height);
      }
      const lanes = this.peaks.channels;
      const lane = this.height / lanes.length;
      // Scaled to the loudest peak of the call (phone recordings are often quiet), both lanes alike.
      let loudest = 16;
      for (const channel of lanes) for (const value of channel.peaks) loudest = Math.max(loudest, Math.abs(value));
      lanes.forEach((channel, index) => this.drawLane(context, channel, index * lane, lane, loudest));
      this.base = context.getImageData(0, 0, this.canvas.width, this.canvas.height);
      this.element.dataset.drawn = String(lanes.length);
      this.drawPlayhead(this.audio.currentTime);
    }

    drawLane(context, channel, top, height, loudest) {
      const pairs = channel.peaks;
      const buckets = pairs.length / 2;
      const middle = top + height / 2;
      const scale = (height / 2 - 4) / loudest;
      context.fillStyle = COLOURS[channel.label] || COLOURS.mono;
      for (let x = 0; x < this.width; x++) {
        const first = Math.floor((x * buckets) / this.width);
        const last = Math.max(first + 1, Math.floor(((x + 1) * buckets) / this.width));
        let low = 0;
        let high = 0;
        for (let b = first; b < last && b < buckets; b++) {
          low = Math.min(low, pairs[2 * b]);
          high = Math.max(high, pairs[2 * b + 1]);
        }
        context.fillRect(x, middle - high * scale, 1, Math.max(1, (high - low) * scale));
      }
      const name = words(this.lang, channel.label in WORDS ? channel.label : "mono");
      context.font = "12px sans-serif";
      context.fillStyle = "rgba(255, 255, 255, 0.85)"; // the name stays legible over a loud stretch
      context.fillRect(2, top + 2, context.measureText(name).width + 8, 16);
      context.fillStyle = "#1f2a33";
      context.fillText(name, 6, top + 14);
      if (top > 0) {
        context.fillStyle = "#c9d1d8";
        context.fillRect(0, top, this.width, 1);
      }
    }

    drawPlayhead(seconds) {
      if (!this.base) return;
      const context = this.canvas.getContext("2d");
      context.putImageData(this.base, 0, 0);
      const ratio = window.devicePixelRatio || 1;
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      const x = this.duration ? (seconds / this.duration) * this.width : 0;
      context.fillStyle = "rgba(31, 42, 51, 0.12)"; // what was played
      context.fillRect(0, 0, x, this.height);
      context.fillStyle = "#d9480f";
      context.fillRect(Math.min(x, this.width - 2), 0, 2, this.height);
    }

    key(event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      const onButton = event.target && event.target.tagName === "BUTTON";
      const actions = {
        " ": () => !onButton && this.toggle(), // a focused button already answers Space with a click
        k: () => this.toggle(),
        ArrowLeft: () => this.seek(this.currentTime - STEP),
        ArrowRight: () => this.seek(this.currentTime + STEP),
        j: () => this.seek(this.currentTime - JUMP),
        l: () => this.seek(this.currentTime + JUMP),
        "[": () => this.stepSpeed(-1),
        "]": () => this.stepSpeed(1),
        Home: () => this.seek(0),
      };
      const action = actions[event.key.length === 1 ? event.key.toLowerCase() : event.key];
      if (!action || (event.key === " " && onButton)) return;
      event.preventDefault();
      action();
    }

    destroy() {
      this.pause();
      cancelAnimationFrame(this.frame);
      if (this.resizer) this.resizer.disconnect();
      this.audio.removeAttribute("src");
      this.audio.load();
      if (active === this) active = null;
      delete this.element.recordingPlayer;
      this.element.textContent = "";
    }
  }

  document.addEventListener("keydown", (event) => {
    if (active && active.element.isConnected) active.key(event);
  });

  window.RecordingPlayer = RecordingPlayer;
})();
