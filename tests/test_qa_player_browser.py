"""The recording player (recordings/static/player.js) on the QA page in a real browser (Debian's chromium, driven
by Playwright), on the in-process system: a dual-channel recording opens in the player, both channels are drawn
(the customer's lane green, the agent's blue), Space plays and pauses, ] and the menu change the speed, ← → move
5 s, skipping silence jumps over the pause, and a marker added at 0:07 seeks there when clicked. The page is saved
as docs/screenshots/qa-player.png."""

from __future__ import annotations

import math
import random
from array import array
from typing import Any

from tests.browser import browser as opened_browser
from tests.browser import log_in, screenshot, system_in_process, wait_for
from tests.conftest import DEMO_PASSWORD
from tests.desk import services_of
from tests.inprocess import InProcessSystem
from tests.test_recording_peaks import RATE, a_wav, quiet, stored, tone


def speech(seconds: float, *, hz: float, seed: int) -> array[int]:
    """A tone shaped like talk: syllables of uneven loudness, about four a second (it draws like a voice)."""
    dice = random.Random(seed)
    loudness = [dice.uniform(0.2, 1.0) for _ in range(int(seconds * 4) + 1)]
    samples = tone(seconds, hz=hz)
    for i in range(len(samples)):
        t = i / RATE
        samples[i] = int(samples[i] * loudness[int(t * 4)] * abs(math.sin(math.pi * 4 * t)))
    return samples


# 20 s: the customer speaks 0-4 s, nobody 4-9 s, the agent 9-14 s, the customer again 14-20 s.
CUSTOMER = speech(4, hz=440, seed=1) + quiet(10) + speech(6, hz=440, seed=2)
AGENT = quiet(9) + speech(5, hz=660, seed=3) + quiet(6)


# The browser fixtures (tests/browser.py): this module's own system built in this process, and chromium.
system = system_in_process
browser = opened_browser


def wait_until(page: Any, condition: str, arg: Any = None) -> None:
    page.wait_for_function(f"() => {condition}", arg=arg, timeout=15_000)  # a function: the CSP allows no eval


def lane_colours(page: Any) -> dict[str, int]:
    """How many pixels of each lane are drawn in its channel's colour (green: customer, blue: agent)."""
    return page.evaluate(
        """() => {
        const canvas = document.querySelector('#player canvas');
        const context = canvas.getContext('2d');
        const count = (top, bottom, [r, g, b]) => {
          const data = context.getImageData(0, top, canvas.width, bottom - top).data;
          let n = 0;
          for (let i = 0; i < data.length; i += 4)
            if (Math.abs(data[i] - r) < 40 && Math.abs(data[i + 1] - g) < 40 && Math.abs(data[i + 2] - b) < 40) n++;
          return n;
        };
        const half = canvas.height / 2;
        return {
          customer_top: count(0, half, [46, 139, 87]),
          agent_top: count(0, half, [47, 111, 176]),
          customer_bottom: count(half, canvas.height, [46, 139, 87]),
          agent_bottom: count(half, canvas.height, [47, 111, 176]),
        };
      }"""
    )


def test_the_qa_page_plays_a_recording_in_the_player(system: InProcessSystem, browser: Any) -> None:
    recording_id = stored(services_of(system), a_wav(CUSTOMER, AGENT))
    page = browser.new_page()
    log_in(page, system.base_url, "qa", DEMO_PASSWORD, "/qa")
    page.click(f'button.listen[data-recording="{recording_id}"]')
    wait_for(page, '#player[data-drawn="2"]')
    assert page.get_attribute("#player", "data-channels") == "customer agent"
    drawn = lane_colours(page)
    assert drawn["customer_top"] > 200 and drawn["agent_bottom"] > 200, drawn
    assert drawn["customer_bottom"] == 0 and drawn["agent_top"] == 0, drawn
    player = "document.querySelector('#player').recordingPlayer"

    page.evaluate("document.activeElement.blur()")  # the keyboard drives the player from anywhere but a field
    page.keyboard.press("Space")
    wait_until(page, f"{player}.currentTime > 0.3 && !{player}.audio.paused")
    page.keyboard.press("]")
    assert page.evaluate(f"{player}.audio.playbackRate") == 1.25
    page.select_option("#player select.rp-speed", "2")
    assert page.evaluate(f"{player}.audio.playbackRate") == 2
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("Space")
    wait_for(page, '#player[data-state="paused"]')

    page.evaluate(f"{player}.seek(2)")
    page.keyboard.press("ArrowRight")
    wait_until(page, f"Math.abs({player}.currentTime - 7) < 0.05")
    page.keyboard.press("ArrowLeft")
    wait_until(page, f"Math.abs({player}.currentTime - 2) < 0.05")

    page.evaluate(f"{player}.addMarker(7, '问候不规范 Greeting missing')")
    marker = page.locator("#player button.rp-marker")
    assert marker.count() == 1 and "0:07" in (marker.get_attribute("title") or "")
    seen = page.evaluate(
        """() => new Promise((done) => {
          const element = document.querySelector('#player');
          element.addEventListener('markerclick', (e) => done(e.detail.marker.seconds), {once: true});
          element.querySelector('button.rp-marker').click();
        })"""
    )
    assert seen == 7
    wait_until(page, f"Math.abs({player}.currentTime - 7) < 0.05")

    # Skipping silence: from 4.5 s (in the 4-9 s pause) playing jumps to the agent's turn, never passing 5-8.5 s.
    page.check("#player input.rp-skip")
    page.select_option("#player select.rp-speed", "1")
    page.evaluate(f"{player}.seek(4.5)")
    page.evaluate(
        """() => { window.heard = [];
          const player = document.querySelector('#player');
          player.addEventListener('timechange', (e) => heard.push(e.detail.currentTime)); }"""
    )
    page.evaluate(f"{player}.play()")
    wait_until(page, f"{player}.currentTime >= 8.9")
    page.evaluate(f"{player}.pause()")
    heard = page.evaluate("window.heard")
    assert heard and not [t for t in heard if 5.0 < t < 8.5], heard
    page.evaluate(f"{player}.seek(7)")
    wait_until(page, f"Math.abs({player}.currentTime - 7) < 0.05")
    screenshot(page, "qa-player.png")
    page.context.close()
