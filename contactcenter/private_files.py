"""Owner-only files and directories: what the app keeps under var/ (recordings, the SQLite database, the
embedded Redis, generated keys) is readable by the account that runs it and nobody else."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
# For children that write under var/ themselves (redis-server): what they create is owner-only too.
UMASK = 0o077


def private_dir(path: Path, *, below: Path | None = None) -> Path:
    """Create `path` and any missing parent 0700; `path` and the existing ones up to `below` (included)
    are made 0700 too, other parents are left as they are."""
    _create_missing(path)
    for directory in (path, *path.parents):
        if directory != path and (below is None or not directory.is_relative_to(below)):
            break
        _chmod(directory, DIR_MODE)
    return path


def _chmod(path: Path, mode: int) -> None:
    # Another account's file or directory (a mounted volume, a shared path) is theirs to protect: the
    # app must still start.
    with contextlib.suppress(PermissionError):
        os.chmod(path, mode)


def _create_missing(path: Path) -> None:
    for directory in reversed((path, *path.parents)):
        if not directory.exists():
            directory.mkdir(mode=DIR_MODE, exist_ok=True)
            os.chmod(directory, DIR_MODE)  # mkdir's mode is filtered by the umask


def private_file(path: Path) -> Path:
    """Create `path` empty if missing, 0600 either way (SQLite gives its -wal and -shm files this mode);
    missing directories are made 0700, existing ones left as they are."""
    _create_missing(path.parent)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    for item in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        if item.exists():  # left readable to all by an older version
            _chmod(item, FILE_MODE)
    return path


def write_private(path: Path, data: bytes, *, below: Path | None = None) -> Path:
    """Write `data` to `path` whole or not at all: a 0600 file beside it, synced, then renamed over it
    (directories as `private_dir` makes them)."""
    private_dir(path.parent, below=below)
    partial = path.with_name(path.name + ".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # a .part left by a crash keeps its old mode through O_CREAT
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(partial, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename too survives a crash of the machine before the row naming it
    finally:
        os.close(directory)
    return path


def private_tree(path: Path) -> None:
    """Make a directory and everything in it owner-only (what an older version left readable to all)."""
    private_dir(path)
    for item in path.rglob("*"):
        if item.is_symlink() or not (item.is_dir() or item.is_file()):
            continue  # a socket is guarded by its directory
        _chmod(item, DIR_MODE if item.is_dir() else FILE_MODE)
