"""A recording's waveform for the QA player: per channel, the lowest and highest sample of each of about
2,000 buckets, scaled to int8 (a sample's most significant byte), and the spans where every channel is
silent, so the player can skip them.

Computed with the standard library only (numpy is not a dependency): a channel's most significant bytes
are one strided slice of the frames, and each bucket's extremes are found mostly in C (`_extremes`). Taking the top byte
is exact at int8 scale: `sample >> 8` is monotonic, so the top byte of the bucket's highest sample is the
highest top byte.

Which party is on which channel (Twilio): a two-channel recording of a `<Dial>` has the parent call (the
caller) on channel 1 and the dialled party on channel 2; a two-channel recording of a conference has the
first participant to join on channel 1 and all other audio mixed on channel 2. In this product's rooms the
caller joins first on an inbound call (they wait in the room while the agent's phone rings) and the
agent's phone joins first on a callback (the customer is dialled once it is in). So channel 1 is the
customer, except for a room's recording of a callback, where it is the agent; a warm transfer's colleague
is on the agent's channel."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from functools import lru_cache

from contactcenter.errors import APIError

BUCKETS = 2000  # at most; a recording shorter than that many frames gets one bucket per frame
# A bucket is silent when every channel's samples stay within ±512 (top byte -2…1: about -36 dBFS). Judged on
# peaks, not energy: a click in a pause keeps the pause, which is the safe way round (skipping never drops
# speech, it may skip less).
SILENT_LEVEL = 1
MIN_SILENCE_SECONDS = 1.5
AGENT, CUSTOMER, MONO = "agent", "customer", "mono"

_OFFSET = bytes((i + 128) & 0xFF for i in range(256))  # two's complement top byte → offset binary (orders as bytes)


class AudioUnreadable(APIError):
    """The stored audio cannot be drawn: not a PCM WAV file, more than two channels, or cut short."""

    status = 422


@dataclass(frozen=True)
class Waveform:
    sample_rate: int
    frames: int
    bucket_frames: int  # frames per bucket (the last bucket may hold fewer)
    peaks: list[list[int]]  # per channel: min, max, min, max, … one pair per bucket, -128…127

    @property
    def duration_seconds(self) -> float:
        return self.frames / self.sample_rate

    @property
    def bucket_seconds(self) -> float:
        return self.bucket_frames / self.sample_rate


def compute(audio: bytes, *, buckets: int = BUCKETS) -> Waveform:
    """The peaks of every channel of a PCM WAV file; AudioUnreadable if it is not one, or is cut short."""
    try:
        with wave.open(io.BytesIO(audio), "rb") as wav:
            channels, width, rate, frames = wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.getnframes()
            data = wav.readframes(frames)
    except (wave.Error, EOFError) as error:
        raise AudioUnreadable(f"The recording is not a readable PCM WAV file ({error}).") from None
    if channels not in (1, 2):
        raise AudioUnreadable(f"The recording has {channels} channels; the player draws one or two.")
    if rate <= 0 or frames <= 0:
        raise AudioUnreadable("The recording holds no audio.")
    if len(data) < frames * channels * width:
        have = len(data) // (channels * width)
        raise AudioUnreadable(f"The recording is cut short: its header announces {frames} frames, it holds {have}.")
    size = -(-frames // buckets)
    stride = channels * width
    peaks = []
    for channel in range(channels):
        top = data[channel * width + width - 1 :: stride]  # the most significant byte of each sample
        if width > 1:
            top = top.translate(_OFFSET)  # 8-bit WAV is offset binary already
        peaks.append(_extremes(top, size))
    return Waveform(rate, frames, size, peaks)


def _extremes(top: bytes, size: int) -> list[int]:
    """Each bucket's lowest and highest byte (offset binary) as int8. A bucket's every 16th byte gives bounds
    near its extremes; translate() drops, in C, every byte within them, and only the few left are compared
    in Python's min()/max(): ten times faster on speech than min()/max() over the whole bucket."""
    pairs: list[int] = []
    for start in range(0, len(top), size):
        part = top[start : start + size]
        sample = part[::16]
        low, high = min(sample), max(sample)
        rest = part.translate(None, _between(low, high))
        if rest:
            low, high = min(low, min(rest)), max(high, max(rest))
        pairs += (low - 128, high - 128)
    return pairs


@lru_cache(maxsize=4096)
def _between(low: int, high: int) -> bytes:
    return bytes(range(low, high + 1))


def _level(top: int) -> int:
    # The magnitude of a top byte, rounded towards zero: -1 (samples -256…-1) is as quiet as 0 (0…255).
    return top if top >= 0 else ~top


def silences(waveform: Waveform, *, min_seconds: float = MIN_SILENCE_SECONDS) -> list[list[float]]:
    """The spans [start, end] in seconds, at least `min_seconds` long, where every channel is silent."""
    count = len(waveform.peaks[0]) // 2
    loud = [[max(_level(low), _level(high)) for low, high in zip(p[::2], p[1::2], strict=True)] for p in waveform.peaks]
    quiet = [all(levels[i] <= SILENT_LEVEL for levels in loud) for i in range(count)]
    spans: list[list[float]] = []
    start: int | None = None
    for index, silent in enumerate([*quiet, False]):
        if silent and start is None:
            start = index
        elif not silent and start is not None:
            begin = start * waveform.bucket_seconds
            end = min(index * waveform.bucket_seconds, waveform.duration_seconds)
            if end - begin >= min_seconds:
                spans.append([round(begin, 2), round(end, 2)])
            start = None
    return spans


def channel_labels(channels: int, *, call_sid: str, direction: str | None) -> list[str]:
    """Who is on each channel (see the module's docstring): a room's recording is named by its ConferenceSid
    (CF…), a call's by its CallSid (CA…)."""
    if channels == 1:
        return [MONO]
    agent_first = call_sid.startswith("CF") and direction == "callback"
    return [AGENT, CUSTOMER] if agent_first else [CUSTOMER, AGENT]


def document(waveform: Waveform, labels: list[str]) -> dict[str, object]:
    """The JSON the peaks route answers."""
    return {
        "duration_seconds": round(waveform.duration_seconds, 3),
        "sample_rate": waveform.sample_rate,
        "bucket_seconds": waveform.bucket_seconds,
        "channels": [{"label": label, "peaks": pairs} for label, pairs in zip(labels, waveform.peaks, strict=True)],
        "silences": silences(waveform),
    }
