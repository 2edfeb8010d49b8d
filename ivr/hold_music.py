"""Hold music made on the fly: a calm arpeggio, exactly as long as the wait loop needs."""

from __future__ import annotations

import io
import math
import struct
import wave
from functools import lru_cache

RATE = 8000  # telephone audio; Twilio plays 8 kHz WAV as is
# A-minor / F / C / G, one note every 0.5 s, softly.
NOTES = [
    220.0,
    261.63,
    329.63,
    261.63,
    174.61,
    220.0,
    261.63,
    220.0,
    261.63,
    329.63,
    392.0,
    329.63,
    196.0,
    246.94,
    293.66,
    246.94,
]
NOTE_SECONDS = 0.5
MAX_SECONDS = 600


@lru_cache(maxsize=8)
def hold_music(seconds: int) -> bytes:
    """A mono 16-bit WAV of `seconds` (1–600) of music."""
    if not 1 <= seconds <= MAX_SECONDS:
        raise ValueError(f"hold music lasts 1 to {MAX_SECONDS} seconds")
    per_note = int(RATE * NOTE_SECONDS)
    samples = bytearray()
    for index in range(int(seconds / NOTE_SECONDS)):
        frequency = NOTES[index % len(NOTES)]
        for n in range(per_note):
            envelope = min(1.0, n / 200) * (1 - n / per_note) ** 2  # soft attack, gentle decay
            value = 0.25 * envelope * math.sin(2 * math.pi * frequency * n / RATE)
            samples += struct.pack("<h", int(value * 32767))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(bytes(samples))
    return out.getvalue()
