"""Recordings encrypted at rest, against plain files: storing a 10-minute stereo recording (encrypt + write
against a plain write, both whole-or-nothing and synced), and playing it through the real app route
`GET /recordings/{id}/media` in process (logged in as QA, audited as every play is): whole plays, seeks
(random ranges of 256 KiB) and a player's opening request (the first 64 KiB), each measured for an
encrypted recording and a plain one alternately in the same run. Prints a table, then one JSON line
(the last line).

    python bench/recordings_crypto.py            # 5 rounds (about 1-2 minutes)
    python bench/recordings_crypto.py --quick    # 2 rounds (under a minute)

See docs/performance.md for what is measured and the latest figures.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root
from starlette.testclient import TestClient  # noqa: E402

from contactcenter.app import create_app  # noqa: E402
from contactcenter.db import Database  # noqa: E402
from contactcenter.demo import create_demo_data  # noqa: E402
from contactcenter.embedded_redis import EmbeddedRedis  # noqa: E402
from contactcenter.private_files import write_private  # noqa: E402
from contactcenter.settings import Settings, load_settings, new_master_key  # noqa: E402
from recordings.crypto import EncryptedReader, MasterKeys  # noqa: E402
from recordings.models import Recording, RecordingStatus  # noqa: E402
from recordings.storage import encrypted_path, store_encrypted, stored_media  # noqa: E402

MINUTES = 10
RATE, CHANNELS, WIDTH = 8000, 2, 2  # what Twilio records: 8 kHz, 16-bit; two channels (caller, agent)
SEEK = 256 * 1024
OPENING = 64 * 1024
PASSWORD = "bench-recordings-password"
MB = 1_000_000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark encrypted recordings against plain files.")
    parser.add_argument("--quick", action="store_true", help="2 rounds, fewer requests (under a minute)")
    parser.add_argument("--rounds", type=int, help="rounds per side (default 5; 2 quick)")
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (2 if args.quick else 5)
    args.plays = 2 if args.quick else 4  # whole plays per side per round
    args.seeks = 40 if args.quick else 150  # seeks per side per round
    args.openings = 40 if args.quick else 150  # opening requests per side per round
    return args


def code_version() -> str:
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"], capture_output=True, text=True)
    return done.stdout.strip() or "not a git checkout"


def recording_wav(minutes: int = MINUTES) -> bytes:
    """A stereo call-like WAV: noise-ish samples, so nothing compresses or repeats in a page."""
    frames = minutes * 60 * RATE
    rng = random.Random(15)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(CHANNELS)
        w.setsampwidth(WIDTH)
        w.setframerate(RATE)
        w.writeframes(rng.randbytes(frames * CHANNELS * WIDTH))
    return out.getvalue()


def measure_storing(audio: bytes, root: Path, keys: MasterKeys, rounds: int) -> dict[str, list[float]]:
    """Seconds per store: encrypt + write (owner-only, synced, renamed) against writing the plain bytes so."""
    seconds: dict[str, list[float]] = {"encrypted": [], "plain": []}
    for index in range(rounds * 2):
        row = Recording(id=10_000 + index, provider_sid=f"RE{index}", call_sid="CA")
        target = root / "store" / f"RE{index}.wav"
        start = time.perf_counter()
        store_encrypted(row, audio, target=encrypted_path(target), keys=keys, root=root)
        seconds["encrypted"].append(time.perf_counter() - start)
        start = time.perf_counter()
        write_private(target, audio, below=root)
        seconds["plain"].append(time.perf_counter() - start)
    return seconds


def measure_beneath(audio: bytes, root: Path, keys: MasterKeys, rounds: int) -> dict[str, list[float]]:
    """The same work without HTTP: the whole audio decrypted against the plain file read (both from the page
    cache), and a play's opening (unwrap the data key, open, the first 64 KiB) against opening a plain file."""
    row = Recording(id=20_000, provider_sid="REbeneath", call_sid="CA", status=RecordingStatus.STORED)
    store_encrypted(row, audio, target=root / "REbeneath.wav.enc", keys=keys, root=root)
    plain = write_private(root / "REbeneath.wav", audio, below=root)
    seconds: dict[str, list[float]] = {"decrypt": [], "read": [], "open_encrypted": [], "open_plain": []}

    def opened() -> EncryptedReader:  # what the route does per play: unwrap the data key, open, check
        media = stored_media(row, keys)
        assert media is not None
        return media.reader()

    for _ in range(rounds * 3):
        start = time.perf_counter()
        with opened() as reader:
            reader.read_all()
        seconds["decrypt"].append(time.perf_counter() - start)
        start = time.perf_counter()
        plain.read_bytes()
        seconds["read"].append(time.perf_counter() - start)
    for _ in range(rounds * 200):
        start = time.perf_counter()
        with opened() as reader:
            b"".join(reader.read(0, OPENING))
        seconds["open_encrypted"].append(time.perf_counter() - start)
        start = time.perf_counter()
        with plain.open("rb") as file:
            file.read(OPENING)
        seconds["open_plain"].append(time.perf_counter() - start)
    return seconds


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    audio = recording_wav()
    with tempfile.TemporaryDirectory(prefix="bench-recordings-") as workdir:
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
            print("setup: SQLite with the demo data, a 10-minute stereo WAV ...", file=sys.stderr, flush=True)
            keys = MasterKeys([base64.b64decode(settings.recordings_master_key or "")])
            root = settings.recordings_path
            storing = measure_storing(audio, root, keys, args.rounds)
            beneath = measure_beneath(audio, root, keys, args.rounds)
            ids = seed(settings.sqlalchemy_url, audio, keys, root)
            print("measuring ...", file=sys.stderr, flush=True)
            serving = measure_serving(settings, ids, len(audio), args)
        finally:
            redis.stop()
    result = figures(len(audio), storing, serving, beneath)
    print(table(result, args, code_version(), time.monotonic() - started))
    print(json.dumps(result))
    return 0


def seed(url: str, audio: bytes, keys: MasterKeys, root: Path) -> dict[str, int]:
    """The demo users, and the recording twice: stored encrypted, and plain as older versions stored it."""
    db = Database(url)
    db.upgrade()
    with db.session() as session:
        create_demo_data(session, password=PASSWORD)
        encrypted = Recording(provider_sid="REencrypted", call_sid="CA1", status=RecordingStatus.STORED)
        plain = Recording(provider_sid="REplain", call_sid="CA2", status=RecordingStatus.STORED)
        session.add_all([encrypted, plain])
        session.flush()
        store_encrypted(encrypted, audio, target=root / "REencrypted.wav.enc", keys=keys, root=root)
        plain.path = str(write_private(root / "REplain.wav", audio, below=root))
        plain.size_bytes = len(audio)
        ids = {"encrypted": encrypted.id, "plain": plain.id}
    db.dispose()
    return ids


def measure_serving(settings: Settings, ids: dict[str, int], size: int, args: argparse.Namespace) -> dict[str, object]:
    """Alternate rounds per side: whole plays, seeks, openings, through the app's route."""
    plays: dict[str, list[float]] = {"encrypted": [], "plain": []}
    seeks: dict[str, list[float]] = {"encrypted": [], "plain": []}
    openings: dict[str, list[float]] = {"encrypted": [], "plain": []}
    rng = random.Random(9)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        origin = {"Origin": "http://127.0.0.1:8000"}
        response = client.post("/login", json={"username": "qa", "password": PASSWORD}, headers=origin)
        response.raise_for_status()

        def get(side: str, header: str | None = None) -> float:
            start = time.perf_counter()
            answer = client.get(f"/recordings/{ids[side]}/media", headers={"Range": header} if header else {})
            took = time.perf_counter() - start
            if answer.status_code not in (200, 206):
                raise RuntimeError(f"{side}: {answer.status_code} {answer.text[:200]}")
            return took

        for side in ("encrypted", "plain"):  # warm up
            get(side)
            get(side, f"bytes=0-{OPENING - 1}")
        for _ in range(args.rounds):
            for side in ("encrypted", "plain"):
                plays[side] += [get(side) for _ in range(args.plays)]
                offsets = [rng.randrange(0, size - SEEK) for _ in range(args.seeks)]
                seeks[side] += [get(side, f"bytes={o}-{o + SEEK - 1}") for o in offsets]
                openings[side] += [get(side, f"bytes=0-{OPENING - 1}") for _ in range(args.openings)]
    return {"plays": plays, "seeks": seeks, "openings": openings}


def figures(
    size: int, storing: dict[str, list[float]], serving: dict[str, object], beneath: dict[str, list[float]]
) -> dict[str, object]:
    plays, seeks, openings = (serving[k] for k in ("plays", "seeks", "openings"))
    assert isinstance(plays, dict) and isinstance(seeks, dict) and isinstance(openings, dict)

    def mb_s(side: dict[str, list[float]], name: str, each: int) -> float:
        return each * len(side[name]) / sum(side[name]) / MB

    play = {name: mb_s(plays, name, size) for name in plays}
    seek = {name: mb_s(seeks, name, SEEK) for name in seeks}
    opening = {name: statistics.median(openings[name]) * 1000 for name in openings}
    ratios = {"play": play["encrypted"] / play["plain"], "seek": seek["encrypted"] / seek["plain"]}
    return {
        "encrypt_mb_s": round(size / statistics.median(storing["encrypted"]) / MB, 1),
        "plain_mb_s": round(size / statistics.median(storing["plain"]) / MB, 1),
        "serve_ratio": round(min(ratios.values()), 2),  # the lower of whole plays and seeks
        "play_overhead_ms": round(opening["encrypted"] - opening["plain"], 2),
        "play_ratio": round(ratios["play"], 2),
        "seek_ratio": round(ratios["seek"], 2),
        "play_mb_s": round(play["encrypted"], 1),
        "plain_play_mb_s": round(play["plain"], 1),
        "seek_mb_s": round(seek["encrypted"], 1),
        "plain_seek_mb_s": round(seek["plain"], 1),
        "opening_ms": round(opening["encrypted"], 2),
        "plain_opening_ms": round(opening["plain"], 2),
        "decrypt_mb_s": round(size / statistics.median(beneath["decrypt"]) / MB, 1),
        "read_mb_s": round(size / statistics.median(beneath["read"]) / MB, 1),
        "open_encrypted_ms": round(statistics.median(beneath["open_encrypted"]) * 1000, 3),
        "open_plain_ms": round(statistics.median(beneath["open_plain"]) * 1000, 3),
        "size_mb": round(size / MB, 1),
    }


def table(result: dict[str, object], args: argparse.Namespace, version: str, seconds: float) -> str:
    ratio, overhead = result["serve_ratio"], result["play_overhead_ms"]
    assert isinstance(ratio, float) and isinstance(overhead, float)
    lines = [
        f"Recordings at rest ({version}; {args.rounds} rounds per side; a {result['size_mb']} MB recording,"
        f" {MINUTES} min stereo 8 kHz 16-bit)",
        "",
        f"{'':<34}{'encrypted':>12}{'plain':>12}{'ratio':>8}",
        f"{'store (MB/s, median)':<34}{result['encrypt_mb_s']:>12}{result['plain_mb_s']:>12}",
        f"{'whole play through the route (MB/s)':<34}{result['play_mb_s']:>12}{result['plain_play_mb_s']:>12}"
        f"{result['play_ratio']:>8}",
        f"{'seeks of 256 KiB (MB/s)':<34}{result['seek_mb_s']:>12}{result['plain_seek_mb_s']:>12}"
        f"{result['seek_ratio']:>8}",
        f"{'opening 64 KiB (ms, median)':<34}{result['opening_ms']:>12}{result['plain_opening_ms']:>12}",
        "without HTTP:",
        f"{'  whole audio from the page cache':<34}{result['decrypt_mb_s']:>12}{result['read_mb_s']:>12}  MB/s",
        f"{'  opening 64 KiB (key, open, read)':<34}{result['open_encrypted_ms']:>12}{result['open_plain_ms']:>12}  ms",
        "",
        "Targets (reported, not asserted)",
        f"  encrypted serving >= 50% of plain (lower of plays and seeks): {ratio:.2f}"
        f"  {'MET' if ratio >= 0.5 else 'MISSED'}",
        f"  overhead per play <= 5 ms (opening, encrypted - plain): {overhead:.2f} ms"
        f"  {'MET' if overhead <= 5 else 'MISSED'}",
        f"  finished in {seconds:.0f} s",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
