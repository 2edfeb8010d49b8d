"""The waveform of a recording for the QA player (recordings/waveform.py, recordings/peaks.py): each channel's
peaks, the silences where every channel is quiet, mono files, files that cannot be drawn refused with words,
and the route: QA gets the peaks of a recording in scope, computed once and kept sealed, cacheable, not in the
access log; an agent is refused; a recording not stored yet or unreadable gets a clear 4xx, never a 500."""

from __future__ import annotations

import io
import math
import random
import wave
from array import array
from pathlib import Path

import pytest
from sqlalchemy import func, select

from contactcenter.audit.models import AccessEntry
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from recordings import peaks as kept_peaks
from recordings.models import Recording, RecordingStatus
from recordings.peaks import peaks_path
from recordings.storage import master_keys, store_encrypted
from recordings.waveform import AudioUnreadable, _extremes, channel_labels, compute, silences
from tests.conftest import System
from tests.desk import services_of

RATE = 8000


def tone(seconds: float, *, amplitude: int = 12000, hz: float = 440.0) -> array[int]:
    return array("h", (int(amplitude * math.sin(2 * math.pi * hz * i / RATE)) for i in range(int(seconds * RATE))))


def quiet(seconds: float) -> array[int]:
    return array("h", bytes(2 * int(seconds * RATE)))


def a_wav(*channels: array[int], width: int = 2) -> bytes:
    """A PCM WAV of these channels (of equal length), 8 kHz."""
    frames = array("h", bytes(2 * len(channels[0]) * len(channels)))
    for index, samples in enumerate(channels):
        frames[index :: len(channels)] = samples
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(len(channels))
        wav.setsampwidth(width)
        wav.setframerate(RATE)
        wav.writeframes(frames.tobytes())
    return out.getvalue()


# A customer speaking 3 s, then nobody for 3 s, the agent 1 s, nobody 1 s, the agent 2 s: 10 s.
CUSTOMER = tone(3) + quiet(7)
AGENT = quiet(6) + tone(1, hz=660) + quiet(1) + tone(2, hz=660)
CALL = a_wav(CUSTOMER, AGENT)


def test_a_tone_on_one_channel_and_silence_on_the_other_gives_each_its_own_peaks() -> None:
    waveform = compute(a_wav(tone(3), quiet(3)), buckets=300)
    assert waveform.duration_seconds == 3 and waveform.sample_rate == RATE and len(waveform.peaks) == 2
    speaking, silent = waveform.peaks
    assert len(speaking) == len(silent) == 2 * 300
    assert min(speaking) == 12000 * -1 // 256 and max(speaking) == 11999 // 256  # the tone's top bytes: -47, 46
    assert set(silent) == {0}


def test_silences_are_the_spans_where_every_channel_is_quiet_for_a_second_and_a_half() -> None:
    waveform = compute(CALL, buckets=1000)  # 10 ms buckets
    # 3-6 s: both quiet (found); 7-8 s: quiet, but 1 s only (kept, it is a pause within speech).
    assert silences(waveform) == [[3.0, 6.0]]
    assert silences(compute(a_wav(quiet(4)))) == [[0.0, 4.0]]
    assert silences(compute(a_wav(tone(4), quiet(4)))) == []  # one channel speaking is no silence


def test_noise_under_about_minus_36_dbfs_is_silence_and_a_louder_one_is_not() -> None:
    noise = random.Random(3)
    hum = array("h", (noise.randint(-500, 500) for _ in range(3 * RATE)))
    louder = array("h", (noise.randint(-900, 900) for _ in range(3 * RATE)))
    assert silences(compute(a_wav(hum, quiet(3)))) == [[0.0, 3.0]]
    assert silences(compute(a_wav(louder, quiet(3)))) == []


def test_a_mono_recording_has_one_channel() -> None:
    waveform = compute(a_wav(tone(2) + quiet(2)))
    assert len(waveform.peaks) == 1 and silences(waveform) == [[2.0, 4.0]]
    assert channel_labels(1, call_sid="CF1", direction="inbound") == ["mono"]


def test_an_8_bit_file_is_read_as_offset_binary() -> None:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(RATE)
        wav.writeframes(bytes([128] * RATE + [28, 228] * (RATE // 2)))  # 1 s of silence, 1 s at ±100
    waveform = compute(out.getvalue(), buckets=2)
    assert waveform.peaks == [[0, 0, -100, 100]] and silences(waveform) == []


@pytest.mark.parametrize("seed", range(20))
def test_each_buckets_extremes_are_exactly_its_lowest_and_highest_byte(seed: int) -> None:
    dice = random.Random(seed)
    spread = dice.choice([1, 4, 40, 128])
    top = bytes(max(0, min(255, 128 + int(dice.gauss(0, spread)))) for _ in range(dice.randint(1, 20_000)))
    size = dice.choice([1, 7, 16, 100, 2400])
    expected: list[int] = []
    for start in range(0, len(top), size):
        expected += (min(top[start : start + size]) - 128, max(top[start : start + size]) - 128)
    assert _extremes(top, size) == expected


@pytest.mark.parametrize(
    ("audio", "says"),
    [
        (CALL[: len(CALL) - 1001], "cut short"),  # the data chunk announces more than the file holds
        (CALL[:30], "not a readable PCM WAV"),  # cut within the header
        (b"ID3\x04" + bytes(400), "not a readable PCM WAV"),  # an MP3
        (b"", "not a readable PCM WAV"),
        (a_wav(quiet(1), quiet(1), quiet(1)), "3 channels"),
        (a_wav(array("h")), "no audio"),
    ],
)
def test_a_file_that_cannot_be_drawn_is_refused_with_words(audio: bytes, says: str) -> None:
    with pytest.raises(AudioUnreadable, match=says) as refused:
        compute(audio)
    assert refused.value.status == 422


def test_the_customer_is_on_the_first_channel_except_in_a_callbacks_room() -> None:
    assert channel_labels(2, call_sid="CF" + "1" * 32, direction="inbound") == ["customer", "agent"]
    assert channel_labels(2, call_sid="CA" + "1" * 32, direction="inbound") == ["customer", "agent"]  # a <Dial>'s
    assert channel_labels(2, call_sid="CF" + "1" * 32, direction="callback") == ["agent", "customer"]
    assert channel_labels(2, call_sid="CA" + "1" * 32, direction="callback") == ["customer", "agent"]


# ---- the route ------------------------------------------------------------------------------------------


def stored(services: Services, audio: bytes | None, *, direction: str = "inbound", status: str = "stored") -> int:
    """A recording of a room (dual channel unless `audio` says otherwise), stored sealed as the job stores it."""
    tag = random.Random().getrandbits(48)
    with services.db.session() as session:
        contact = Contact(
            provider_id=f"CA{tag:032x}",
            from_number="+8613900139000",
            to_number="+862180000000",
            status="ended",
            queue="general",
            direction=direction,
            conference_sid=f"CF{tag:032x}",
        )
        session.add(contact)
        session.flush()
        recording = Recording(provider_sid=f"RE{tag:032x}", call_sid=f"CF{tag:032x}", contact_id=contact.id)
        recording.status = status
        session.add(recording)
        session.flush()
        if audio is not None:
            root = services.settings.recordings_path
            target = root / "tests" / f"{recording.provider_sid}.wav.enc"
            store_encrypted(recording, audio, target=target, keys=master_keys(services.settings), root=root)
        return recording.id


def reads_logged(services: Services) -> int:
    with services.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(AccessEntry)) or 0)


def test_qa_gets_the_peaks_cacheable_for_good_and_no_read_is_logged(system: System) -> None:
    services, qa = services_of(system), system.login("qa")
    recording_id = stored(services, CALL)
    before = reads_logged(services)
    response = qa.get(f"/api/recordings/{recording_id}/peaks")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "private, max-age=31536000, immutable"
    body = response.json()
    assert (body["duration_seconds"], body["sample_rate"]) == (10, RATE)
    assert [c["label"] for c in body["channels"]] == ["customer", "agent"]
    customer, agent = (c["peaks"] for c in body["channels"])
    third = len(customer) * 3 // 10  # the first 3 s: the customer speaks, the agent is quiet
    assert max(customer[:third]) > 40 and set(agent[:third]) == {0}
    assert body["silences"] == [[3.0, 6.0]]
    assert reads_logged(services) == before  # peaks are no read of personal data: the play is what is logged


def test_a_callbacks_room_has_the_agent_on_the_first_channel(system: System) -> None:
    recording_id = stored(services_of(system), CALL, direction="callback")
    body = system.login("supervisor").get(f"/api/recordings/{recording_id}/peaks").json()
    assert [c["label"] for c in body["channels"]] == ["agent", "customer"]


def test_the_peaks_are_computed_once_and_kept_sealed_beside_the_recording(system: System) -> None:
    services, qa = services_of(system), system.login("qa")
    recording_id = stored(services, CALL)
    first = qa.get(f"/api/recordings/{recording_id}/peaks").content
    with services.db.reading() as session:
        path = Path(session.get_one(Recording, recording_id).path or "")
    kept = peaks_path(path)
    assert kept.name.endswith(".wav.peaks.enc") and kept.stat().st_mode & 0o777 == 0o600
    assert b"customer" not in kept.read_bytes()  # sealed, as the recording is
    path.write_bytes(b"")  # the audio is not read again: from memory, then from the kept file
    assert qa.get(f"/api/recordings/{recording_id}/peaks").content == first
    kept_peaks.forget_all()
    assert qa.get(f"/api/recordings/{recording_id}/peaks").content == first


def test_an_agent_is_refused_and_an_unknown_recording_is_not_found(system: System) -> None:
    recording_id = stored(services_of(system), CALL)
    refused = system.login("agent1").get(f"/api/recordings/{recording_id}/peaks")
    assert refused.status_code == 403 and refused.json()["policy"] is True
    assert system.login("qa").get("/api/recordings/987654/peaks").status_code == 404


def test_a_recording_not_stored_yet_or_that_cannot_be_drawn_gets_a_clear_refusal(system: System) -> None:
    services, qa = services_of(system), system.login("qa")
    pending = qa.get(f"/api/recordings/{stored(services, None, status=RecordingStatus.PENDING)}/peaks")
    assert pending.status_code == 409 and "not stored yet" in pending.json()["error"]
    failed = qa.get(f"/api/recordings/{stored(services, None, status=RecordingStatus.FAILED)}/peaks")
    assert failed.status_code == 404
    cut = qa.get(f"/api/recordings/{stored(services, CALL[:-1001])}/peaks")
    assert cut.status_code == 422 and "cut short" in cut.json()["error"]
    mono = qa.get(f"/api/recordings/{stored(services, a_wav(tone(1)))}/peaks").json()
    assert [c["label"] for c in mono["channels"]] == ["mono"]
