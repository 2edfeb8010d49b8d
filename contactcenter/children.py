"""Child processes that never outlive the process that started them, and stop signals that stop it in order.

On Linux each child asks the kernel for SIGTERM when its parent dies (`prctl(PR_SET_PDEATHSIG)`), so
even a parent killed with SIGKILL takes its children with it. The kernel sends it when the *thread*
that started the child ends, so only children started from the main thread ask for it. Where prctl is
missing (macOS) the parent's handlers are what stops them: `StopSignals` below.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
DEATH_SIGNAL = signal.SIGTERM  # an orderly stop: Redis writes its file, the worker finishes its job
_PR_SET_PDEATHSIG = 1


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


_PRCTL = _load_prctl()  # looked up now: a child between fork and exec only calls it


def die_with_parent(death_signal: signal.Signals = DEATH_SIGNAL) -> None:
    """In a child: ask the kernel for `death_signal` when the parent (the thread that forked it) ends;
    nothing where prctl is missing."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, death_signal)


def child_process(command: Sequence[str], **options: Any) -> subprocess.Popen[bytes]:
    """`subprocess.Popen(command, **options)` for a child that dies with this process. Call it inside
    `starting_children()` and keep the result there, so a stop signal cannot come between the two."""
    parent = os.getpid()
    on_main_thread = threading.current_thread() is threading.main_thread()

    def in_the_child() -> None:
        for number in STOP_SIGNALS:  # this process's handlers are the parent's until exec: not its own
            signal.signal(number, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        if _PRCTL is not None and on_main_thread:
            die_with_parent()
            if os.getppid() != parent:  # the parent died before the request was made
                os.kill(os.getpid(), DEATH_SIGNAL)

    return subprocess.Popen(command, preexec_fn=in_the_child, **options)


@contextlib.contextmanager
def starting_children() -> Iterator[None]:
    """Stop signals wait until the block ends (the parent's handlers would otherwise run between the
    fork and the Popen being kept, and the stop would not know the child)."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


class StopRequested(BaseException):
    """A stop signal arrived while starting. A BaseException, as KeyboardInterrupt is, so no
    `except Exception` on its way swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class StopSignals:
    """SIGINT (Ctrl-C), SIGTERM and SIGHUP (the terminal closed) ask for an orderly stop. Until `hold()`
    the first one raises StopRequested wherever the start is; from then on they are only noted in
    `received`, so the supervising loop and the stop itself run to their end."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._raising = True
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        for number in STOP_SIGNALS:
            self._previous[number] = signal.signal(number, self._on_signal)
        return self

    def __exit__(self, *_exc: object) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def hold(self) -> None:
        """From now on a stop signal is noted, never raised."""
        self._raising = False

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signum
        if self._raising:
            self._raising = False  # raised once: the stop that follows must not be cut short
            raise StopRequested(signum)
