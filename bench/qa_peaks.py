"""The QA player's waveform (recordings/waveform.py, recordings/peaks.py) for a 10-minute two-channel recording
(8 kHz, 16-bit, 19.2 MB): computing the peaks alone (call-like audio, and random full-scale noise, the worst
case of the extremes' shortcut), a cold read (decrypt, compute, render, seal and keep), a read from the kept
file, and the cached answer served over HTTP by the real route `GET /api/recordings/{id}/peaks` in process
(logged in as QA: session, policy and scope checked on every request). Prints a table, then one JSON line
(the last line).

    python bench/qa_peaks.py            # 7 cold rounds, 1,000 requests (about half a minute)
    python bench/qa_peaks.py --quick    # 3 cold rounds, 200 requests

See docs/performance.md for what is measured and the latest figures.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from array import array
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root
from starlette.testclient import TestClient  # noqa: E402

from contactcenter.app import create_app  # noqa: E402
from contactcenter.contacts.models import Contact  # noqa: E402
from contactcenter.context import Services  # noqa: E402
from contactcenter.db import Database  # noqa: E402
from contactcenter.demo import create_demo_data  # noqa: E402
from contactcenter.embedded_redis import EmbeddedRedis  # noqa: E402
from contactcenter.settings import Settings, load_settings, new_master_key  # noqa: E402
from recordings import peaks  # noqa: E402
from recordings.models import Recording, RecordingStatus  # noqa: E402
from recordings.storage import master_keys, store_encrypted  # noqa: E402
from recordings.waveform import compute, silences  # noqa: E402

MINUTES = 10
RATE = 8000
PASSWORD = "bench-peaks-password"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark the QA player's peaks.")
    parser.add_argument("--quick", action="store_true", help="3 cold rounds, 200 requests")
    args = parser.parse_args(argv)
    args.rounds, args.requests = (3, 200) if args.quick else (7, 1000)
    return args


def code_version() -> str:
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"], capture_output=True, text=True)
    return done.stdout.strip() or "not a git checkout"


def _syllables(seed: int, hz: float) -> list[array[int]]:
    """Quarter seconds of a tone shaped like talk: each a syllable of its own loudness."""
    dice = random.Random(seed)
    quarter = RATE // 4
    out = []
    for _ in range(16):
        loud = dice.uniform(1500, 14000)
        out.append(
            array(
                "h",
                (
                    int(loud * math.sin(math.pi * i / quarter) * math.sin(2 * math.pi * hz * i / RATE))
                    + dice.randint(-60, 60)  # line noise
                    for i in range(quarter)
                ),
            )
        )
    return out


def call_wav(minutes: int = MINUTES) -> bytes:
    """A call: the customer and the agent take turns of 2-12 s, with pauses of 0.5-4 s between them."""
    dice = random.Random(17)
    voices = [_syllables(1, 220.0), _syllables(2, 330.0)]
    hush = array("h", bytes(2 * RATE // 4))
    lanes: list[array[int]] = [array("h"), array("h")]
    frames, speaker = minutes * 60 * RATE, 0
    while len(lanes[0]) < frames:
        for _ in range(dice.randint(8, 48)):  # a turn, in quarter seconds
            lanes[speaker] += dice.choice(voices[speaker])
            lanes[1 - speaker] += hush
        for _ in range(dice.randint(2, 16)):  # a pause
            lanes[0] += hush
            lanes[1] += hush
        speaker = 1 - speaker
    return _wav(lanes[0][:frames], lanes[1][:frames])


def noise_wav(minutes: int = MINUTES) -> bytes:
    """Random full-scale samples on both channels: no sample of a bucket bounds the others."""
    dice = random.Random(5)
    frames = minutes * 60 * RATE
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(dice.randbytes(frames * 4))
    return out.getvalue()


def _wav(left: array[int], right: array[int]) -> bytes:
    frames = array("h", bytes(4 * len(left)))
    frames[0::2], frames[1::2] = left, right
    if sys.byteorder == "big":
        frames.byteswap()
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(frames.tobytes())
    return out.getvalue()


def timed(work: object, rounds: int) -> list[float]:
    seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()  # type: ignore[operator]
        seconds.append(time.perf_counter() - start)
    return seconds


def seed(settings: Settings, audio: bytes) -> int:
    """The demo users, and a call's room recording stored encrypted as the job stores it."""
    db = Database(settings.sqlalchemy_url)
    db.upgrade()
    root = settings.recordings_path
    with db.session() as session:
        create_demo_data(session, password=PASSWORD)
        contact = Contact(provider_id="CAbench", from_number="+8613900139000", to_number="+862180000000")
        contact.status, contact.conference_sid, contact.queue = "ended", "CFbench", "general"  # a queue QA reviews
        session.add(contact)
        session.flush()
        recording = Recording(provider_sid="REbench", call_sid="CFbench", contact_id=contact.id)
        recording.status = RecordingStatus.STORED
        session.add(recording)
        session.flush()
        store_encrypted(recording, audio, target=root / "REbench.wav.enc", keys=master_keys(settings), root=root)
        recording_id = recording.id
    db.dispose()
    return recording_id


def measure(settings: Settings, recording_id: int, args: argparse.Namespace) -> dict[str, list[float]]:
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        services: Services = client.app.state.services  # type: ignore[attr-defined]
        kept = peaks.peaks_path(settings.recordings_path / "REbench.wav.enc")

        def cold() -> None:
            peaks.forget_all()
            kept.unlink(missing_ok=True)
            peaks.recording_peaks(services, recording_id=recording_id)

        def from_file() -> None:
            peaks.forget_all()
            peaks.recording_peaks(services, recording_id=recording_id)

        result = {"cold": timed(cold, args.rounds), "file": timed(from_file, args.rounds * 5)}
        origin = {"Origin": "http://127.0.0.1:8000"}
        client.post("/login", json={"username": "qa", "password": PASSWORD}, headers=origin).raise_for_status()
        url = f"/api/recordings/{recording_id}/peaks"
        size = len(client.get(url).content)
        served = []
        for _ in range(args.requests):
            start = time.perf_counter()
            answer = client.get(url)
            served.append(time.perf_counter() - start)
            if answer.status_code != 200:
                raise RuntimeError(f"{answer.status_code} {answer.text[:200]}")
        floor = []  # any logged-in request: the session read, the user's check (GET /api/me)
        for _ in range(args.requests):
            start = time.perf_counter()
            client.get("/api/me").raise_for_status()
            floor.append(time.perf_counter() - start)
        result["http"], result["floor"], result["size"] = served, floor, [float(size)]
        return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    print("setup: a 10-minute call and a 10-minute noise WAV ...", file=sys.stderr, flush=True)
    call, noise = call_wav(), noise_wav()
    computing = {
        "call": timed(lambda: silences(compute(call)), args.rounds),
        "noise": timed(lambda: silences(compute(noise)), args.rounds),
    }
    with tempfile.TemporaryDirectory(prefix="bench-peaks-") as workdir:
        work = Path(workdir)
        redis = EmbeddedRedis(work / "redis")
        settings = load_settings(
            VAR_DIR=work / "var",
            DATABASE_URL=f"sqlite:///{work / 'var' / 'contactcenter.db'}",
            REDIS_URL=redis.start(),
            SECRET_KEY="bench-secret",
            RECORDINGS_MASTER_KEY=new_master_key(),
            PUBLIC_BASE_URL="http://127.0.0.1:8000",
            _env_file=None,
        )
        try:
            print("measuring ...", file=sys.stderr, flush=True)
            served = measure(settings, seed(settings, call), args)
        finally:
            redis.stop()
    ms = sorted(s * 1000 for s in served["http"])
    result = {
        "cold_ms": round(statistics.median(served["cold"]) * 1000, 1),
        "compute_ms": round(statistics.median(computing["call"]) * 1000, 1),
        "compute_noise_ms": round(statistics.median(computing["noise"]) * 1000, 1),
        "from_file_ms": round(statistics.median(served["file"]) * 1000, 2),
        "http_p50_ms": round(statistics.median(ms), 2),
        "http_p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 2),
        "me_p50_ms": round(statistics.median(served["floor"]) * 1000, 2),
        "body_kb": round(served["size"][0] / 1000, 1),
    }
    print(table(result, args, code_version(), time.monotonic() - started))
    print(json.dumps(result))
    return 0


def table(result: dict[str, float], args: argparse.Namespace, version: str, seconds: float) -> str:
    cold, p50 = result["cold_ms"], result["http_p50_ms"]
    return "\n".join(
        [
            f"QA player peaks ({version}; {MINUTES} min, 2 channels, 8 kHz 16-bit; {args.rounds} cold rounds,"
            f" {args.requests} requests)",
            "",
            f"{'compute, call-like audio (ms, median)':<46}{result['compute_ms']:>10}",
            f"{'compute, random full-scale noise (ms, median)':<46}{result['compute_noise_ms']:>10}",
            f"{'cold: decrypt, compute, seal, keep (ms)':<46}{cold:>10}",
            f"{'from the kept file (ms, median)':<46}{result['from_file_ms']:>10}",
            f"{'served cached over HTTP, p50 (ms)':<46}{p50:>10}",
            f"{'served cached over HTTP, p99 (ms)':<46}{result['http_p99_ms']:>10}",
            f"{'GET /api/me for comparison, p50 (ms)':<46}{result['me_p50_ms']:>10}",
            f"{'body (kB)':<46}{result['body_kb']:>10}",
            "",
            "Targets (reported, not asserted)",
            f"  cold <= 300 ms: {cold} ms  {'MET' if cold <= 300 else 'MISSED'}",
            f"  served cached <= 5 ms (p50): {p50} ms  {'MET' if p50 <= 5 else 'MISSED'}",
            f"  finished in {seconds:.0f} s",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
