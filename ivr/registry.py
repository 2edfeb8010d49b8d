"""The flows in use: one per dialled number, reloaded when their files change, the last good one kept."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ivr.calendar import Calendars
from ivr.calendar_file import load_calendars
from ivr.flow import Flow
from ivr.flow_file import Problem, read_flow

log = logging.getLogger(__name__)
RECHECK_SECONDS = 1.0
T = TypeVar("T")


@dataclass
class _Loaded:
    mtime_ns: int
    flow: Flow | None  # the last good version, kept while the file on disk is broken
    problems: list[Problem]


class FlowRegistry:
    """Maps the number a caller dialled (Twilio's `To`) to its flow.

    `path` is one flow file or a directory of them (`*.yaml`). A flow lists the numbers it
    answers; the flow that lists none answers every other number. Files are checked for changes
    at most once a second; a file that no longer passes the checks is refused (logged) and its
    last good version stays in use.
    """

    def __init__(
        self,
        path: Path,
        *,
        calendars_path: Path,
        timezone: str,
        queue_names: Callable[[], set[str] | None] | None = None,
    ) -> None:
        self.path = path
        self.calendars_path = calendars_path
        self.timezone = timezone
        self.queue_names = queue_names
        self._lock = threading.Lock()
        self._files: dict[Path, _Loaded] = {}
        self._calendars: tuple[int, Calendars] | None = None
        self._checked_at = 0.0
        self._derived: dict[tuple[int, str], tuple[Flow, object]] = {}
        self._by_number: dict[str, Flow] = {}  # rebuilt by refresh: the flow listing each number
        self._default: Flow | None = None  # the first flow that lists no numbers
        self.refresh(force=True)
        if not self.flows():
            raise ValueError("no usable IVR flow:\n" + "\n".join(str(p) for p in self.problems()))

    def _flow_files(self) -> list[Path]:
        return sorted(self.path.glob("*.yaml")) if self.path.is_dir() else [self.path]

    def refresh_due(self) -> bool:
        """Whether the next lookup will look at the files (callers on an event loop do that in a thread)."""
        return time.monotonic() - self._checked_at >= RECHECK_SECONDS

    def refresh(self, *, force: bool = False) -> None:
        """Reload changed files (at most once a second unless forced)."""
        now = time.monotonic()
        if not force and now - self._checked_at < RECHECK_SECONDS:
            return
        with self._lock:
            self._checked_at = now
            self._reload_calendars()
            for path in self._flow_files():
                try:
                    mtime = path.stat().st_mtime_ns
                except OSError:
                    continue
                known = self._files.get(path)
                if known and known.mtime_ns == mtime and not force:
                    continue
                queues = self.queue_names() if self.queue_names else None
                calendars = self.calendars.names() if self.calendars else None
                flow, problems = read_flow(path, queues=queues, calendars=calendars)
                if flow is None:
                    log.error(
                        "IVR flow %s refused, keeping the last good version:\n%s", path, "\n".join(map(str, problems))
                    )
                else:
                    log.info("IVR flow %s loaded", path)
                self._files[path] = _Loaded(mtime, flow or (known.flow if known else None), problems)
            for gone in set(self._files) - set(self._flow_files()):
                del self._files[gone]
            flows = self.flows()
            in_use = {id(flow) for flow in flows}
            self._derived = {key: value for key, value in self._derived.items() if key[0] in in_use}
            self._by_number = {number: flow for flow in reversed(flows) for number in flow.numbers}
            self._default = next((flow for flow in flows if not flow.numbers), None)

    def _reload_calendars(self) -> None:
        try:
            mtime = self.calendars_path.stat().st_mtime_ns
        except OSError:
            return
        if self._calendars and self._calendars[0] == mtime:
            return
        try:
            self._calendars = (mtime, load_calendars(self.calendars_path, self.timezone))
        except ValueError as exc:
            log.error("calendars %s refused, keeping the last good version: %s", self.calendars_path, exc)

    @property
    def calendars(self) -> Calendars | None:
        """Opening hours by name (None if the calendars file never loaded)."""
        return self._calendars[1] if self._calendars else None

    def flows(self) -> list[Flow]:
        """Every flow in use."""
        return [loaded.flow for loaded in self._files.values() if loaded.flow]

    def problems(self) -> list[Problem]:
        """What is wrong with the files on disk now (their last good versions may still be in use)."""
        return [problem for loaded in self._files.values() for problem in loaded.problems]

    def for_number(self, number: str) -> Flow:
        """The flow answering calls to `number`."""
        self.refresh()
        flow = self._by_number.get(number, self._default)
        if flow is None:
            raise LookupError(f"no IVR flow answers {number} and none is the default (a flow without numbers)")
        return flow

    def derived(self, flow: Flow, name: str, make: Callable[[Flow], T]) -> T:
        """`make(flow)`, computed once per loaded version of the flow (a changed file gets a new one)."""
        key = (id(flow), name)
        known = self._derived.get(key)
        if known is not None and known[0] is flow:
            return known[1]  # type: ignore[return-value]
        value = make(flow)
        self._derived[key] = (flow, value)
        return value
