"""Synthetic call audio: small, valid WAV files a browser can play."""

from __future__ import annotations

import io
import math
import sys
import wave
from array import array
from pathlib import Path

SAMPLE_RATE = 8000
SAMPLE_WIDTH = 2  # bytes: 16-bit PCM, like Twilio's WAV recordings
MAX_SECONDS = 30  # keeps demo files small whatever the call length
_AMPLITUDE = 0.2 * 32767  # quiet: these files get played in people's headphones
_RAMP = SAMPLE_RATE // 100  # 10 ms fade so tone edges do not click
_CALLER_HZ = 440.0
_AGENT_HZ = 660.0


def _tone_second(frequency: float) -> array[int]:
    """One second of a faded sine tone."""
    samples = array("h")
    for i in range(SAMPLE_RATE):
        fade = min(1.0, i / _RAMP, (SAMPLE_RATE - 1 - i) / _RAMP)
        samples.append(int(_AMPLITUDE * fade * math.sin(2 * math.pi * frequency * i / SAMPLE_RATE)))
    return samples


def _interleave(left: array[int], right: array[int]) -> array[int]:
    """Interleave two mono buffers into one stereo buffer."""
    stereo = array("h", bytes(2 * len(left) * SAMPLE_WIDTH))
    stereo[0::2] = left
    stereo[1::2] = right
    return stereo


def clamp_duration(seconds: float) -> int:
    """Whole seconds a recording of `seconds` gets: at least 1, at most MAX_SECONDS."""
    return max(1, min(MAX_SECONDS, math.ceil(seconds)))


def write_conversation_wav(path: Path, seconds: int, channels: int) -> None:
    """Write `seconds` of alternating tones; dual files put each party on its own channel."""
    caller = _tone_second(_CALLER_HZ)
    agent = _tone_second(_AGENT_HZ)
    silence = array("h", bytes(SAMPLE_RATE * SAMPLE_WIDTH))
    # Parties take turns, as in a conversation. Dual files put the caller on channel 1 and the
    # agent on channel 2, like Twilio's layout (parent call first).
    turns = [_interleave(caller, silence), _interleave(silence, agent)] if channels == 2 else [caller, agent]
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(SAMPLE_WIDTH)
        wav.setframerate(SAMPLE_RATE)
        for second in range(seconds):
            chunk = turns[second % 2]
            if sys.byteorder == "big":
                # WAV is little-endian; array() writes native order.
                chunk = array("h", chunk)
                chunk.byteswap()
            wav.writeframes(chunk.tobytes())


def mono_mix(path: Path) -> bytes:
    """A two-channel 16-bit WAV mixed down to one channel (the sum, clipped), as Twilio's default download."""
    with wave.open(str(path), "rb") as wav:
        rate, frames = wav.getframerate(), wav.readframes(wav.getnframes())
    samples = array("h", frames)
    if sys.byteorder == "big":
        samples.byteswap()
    mixed = array("h", (max(-32768, min(32767, a + b)) for a, b in zip(samples[0::2], samples[1::2], strict=True)))
    if sys.byteorder == "big":
        mixed.byteswap()
    out = io.BytesIO()
    with wave.open(out, "wb") as mono:
        mono.setnchannels(1)
        mono.setsampwidth(SAMPLE_WIDTH)
        mono.setframerate(rate)
        mono.writeframes(mixed.tobytes())
    return out.getvalue()
