"""The encrypted recording format (recordings/crypto.py): any range opens to exactly the audio's bytes, and
a wrong key, another recording's id, a changed, moved or cut-off chunk are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from recordings.crypto import (
    CHUNK,
    EncryptedReader,
    MasterKeys,
    RecordingCryptoError,
    WrappedKey,
    encrypt,
    key_id,
    new_data_key,
)
from recordings.playback import byte_range

AUDIO = bytes((i * 31 + i // 7) % 256 for i in range(100))
SMALL = 16  # bytes per chunk in these tests: 100 bytes are 7 chunks, the last one short


def written(tmp_path: Path, audio: bytes, *, data_key: bytes, recording_id: int = 7, chunk: int = SMALL) -> Path:
    path = tmp_path / f"r{recording_id}-{len(audio)}.wav.enc"
    path.write_bytes(encrypt(audio, data_key=data_key, recording_id=recording_id, chunk_size=chunk))
    return path


def opened(path: Path, data_key: bytes, recording_id: int = 7) -> bytes:
    with EncryptedReader(path, data_key=data_key, recording_id=recording_id) as reader:
        return reader.read_all()


def test_every_range_opens_to_exactly_those_bytes_of_the_audio(tmp_path: Path) -> None:
    data_key = new_data_key()
    with EncryptedReader(written(tmp_path, AUDIO, data_key=data_key), data_key=data_key, recording_id=7) as reader:
        assert (reader.size, reader.chunks) == (100, 7)
        for start in range(100):
            for stop in range(start + 1, 101):
                assert b"".join(reader.read(start, stop, most=20)) == AUDIO[start:stop], (start, stop)
    for audio in (b"", b"x", AUDIO[:SMALL], AUDIO[: SMALL + 1], AUDIO[: 2 * SMALL]):
        assert opened(written(tmp_path, audio, data_key=data_key), data_key) == audio


def test_the_file_is_the_audio_sealed_chunk_by_chunk_and_shows_none_of_it(tmp_path: Path) -> None:
    audio = AUDIO * 2000  # 200,000 bytes: 4 chunks of 64 KiB
    data_key = new_data_key()
    sealed = encrypt(audio, data_key=data_key, recording_id=1)
    assert len(sealed) == 12 + len(audio) + 4 * 16 and audio[:32] not in sealed
    assert sealed != encrypt(audio, data_key=new_data_key(), recording_id=1)
    assert opened(written(tmp_path, audio, data_key=data_key, chunk=CHUNK), data_key) == audio


def test_a_wrong_data_key_or_another_recordings_id_does_not_open(tmp_path: Path) -> None:
    data_key = new_data_key()
    path = written(tmp_path, AUDIO, data_key=data_key)
    with pytest.raises(RecordingCryptoError):
        opened(path, new_data_key())
    with pytest.raises(RecordingCryptoError):
        opened(path, data_key, recording_id=8)


def refused(path: Path, data: bytes, data_key: bytes) -> bool:
    path.write_bytes(data)
    try:
        opened(path, data_key)
    except RecordingCryptoError:
        return True
    return False


def test_a_changed_moved_or_cut_chunk_is_refused(tmp_path: Path) -> None:
    data_key = new_data_key()
    path = written(tmp_path, AUDIO, data_key=data_key)
    sealed, stride = path.read_bytes(), SMALL + 16
    chunk = [sealed[12 + i * stride : 12 + (i + 1) * stride] for i in range(7)]
    flipped = bytearray(sealed)
    flipped[12 + stride + 3] ^= 1
    assert refused(path, bytes(flipped), data_key)
    assert refused(path, sealed[:12] + chunk[1] + chunk[0] + b"".join(chunk[2:]), data_key)  # reordered
    assert refused(path, sealed[: 12 + 6 * stride], data_key)  # the last chunk cut off at a border
    assert refused(path, sealed[:-1], data_key)  # cut inside the last chunk
    assert refused(path, sealed[:20], data_key)  # shorter than one tag
    header = bytearray(sealed)
    header[11] ^= 1  # another chunk size
    assert refused(path, bytes(header), data_key)
    other = encrypt(AUDIO, data_key=data_key, recording_id=8, chunk_size=SMALL)
    assert refused(path, sealed[: 12 + stride] + other[12 + stride :], data_key)  # spliced from another recording
    assert not refused(path, sealed, data_key)


def test_a_data_key_opens_only_for_its_recording_and_under_a_configured_master_key() -> None:
    old, new = new_data_key(), new_data_key()
    data_key = new_data_key()
    wrapped = MasterKeys([old]).wrap(data_key, recording_id=5)
    assert wrapped.key_id == key_id(old) != key_id(new) and len(wrapped.wrapped) <= 128
    assert MasterKeys([new, old]).unwrap(wrapped, recording_id=5) == data_key
    for keys, recording_id in ((MasterKeys([new]), 5), (MasterKeys([old]), 6)):
        with pytest.raises(RecordingCryptoError):
            keys.unwrap(wrapped, recording_id=recording_id)
    impostor = WrappedKey(key_id(old), MasterKeys([new]).wrap(data_key, recording_id=5).wrapped)
    with pytest.raises(RecordingCryptoError):
        MasterKeys([old]).unwrap(impostor, recording_id=5)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-0", (0, 1)),
        ("bytes=0-", (0, 1000)),
        ("bytes=999-", (999, 1000)),
        ("bytes=10-2000", (10, 1000)),
        ("bytes=-1", (999, 1000)),
        ("bytes=-5000", (0, 1000)),
        ("bytes=1000-", "unsatisfiable"),
        ("bytes=5-4", "unsatisfiable"),
        ("bytes=-0", "unsatisfiable"),
        ("bytes=0-1,5-6", None),  # several ranges: the whole, as RFC 9110 allows
        ("items=0-1", None),
        ("bytes=-", None),
    ],
)
def test_a_range_header_names_the_bytes_it_asks_for(header: str | None, expected: object) -> None:
    assert byte_range(header, 1000) == expected
