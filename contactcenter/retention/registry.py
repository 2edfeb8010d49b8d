"""The data classes retention knows: each says where its objects are, when one has expired, what holds are
matched against, and how one is destroyed and what its receipt records.

Another package adds a class with one call at import of one of its modules, e.g. the QA package's evaluations:

    register(DataClass(name="evaluations", label=("质检评估", "QA evaluations"), subject_type="evaluation",
                       days_setting="retention_evaluations_days", candidates=..., destroy=...))

A module named in OPTIONAL_MODULES is imported when the registry is first used, if it exists, so the worker and
the command line see the class as the web app does (`contactcenter.qa.retention` for the evaluations).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from contactcenter.settings import Settings

BUILTIN_MODULE = "contactcenter.retention.builtin"
OPTIONAL_MODULES = ("contactcenter.qa.retention",)


@dataclass(frozen=True)
class Candidate:
    """An expired object, with what a hold is matched against: its customer, ticket, agent and own time."""

    object_id: int
    at: datetime
    customer_id: int | None = None
    ticket_id: int | None = None
    agent_id: int | None = None


@dataclass(frozen=True)
class Destroyed:
    """One object destroyed, as its receipt records it; `files` are unlinked once the transaction commits."""

    object_type: str
    object_id: int
    checksum: str  # SHA-256 of the content removed ("" when there was none)
    size: int
    key_id: str = ""  # master key id : data key fingerprint, for a sealed file
    files: tuple[str, ...] = ()
    parts: tuple[Destroyed, ...] = ()  # destroyed with it, each with a receipt of its own (a ticket's attachments)

    def receipts(self) -> list[Destroyed]:
        """It, then its parts: one receipt each."""
        return [self, *self.parts]

    def all_files(self) -> list[str]:
        """Its files and its parts'."""
        return [path for item in self.receipts() for path in item.files]


# candidates(session, before=…, after_id=…, limit=…): objects older than `before` not yet marked, by id.
Candidates = Callable[..., Sequence[Candidate]]
# destroy(session, ids=…): destroy these objects (those still there) in the session's transaction; what each
# receipt records, one Destroyed per object destroyed (an id of `ids` gone already has none).
Destroy = Callable[..., Sequence[Destroyed]]


@dataclass(frozen=True)
class DataClass:
    """One kind of data under a retention policy."""

    name: str  # e.g. "recordings"
    label: tuple[str, str]  # zh-CN, en
    subject_type: str  # its objects' kind in the audit trail and on receipts: "recording"
    days_setting: str  # the Settings attribute holding its retention in days
    candidates: Candidates
    destroy: Destroy
    # Destroying it audits each object (retention_destroyed on the object); the audit trail's own entries
    # are summarised per batch instead, so destroying old entries does not write as many new ones.
    audit_each: bool = True
    order: int = field(default=50, compare=False)  # the page's order

    def days(self, settings: Settings) -> int:
        """Its retention in days under these settings."""
        return int(getattr(settings, self.days_setting))

    def policy(self, settings: Settings) -> str:
        """How a receipt names the policy: "recordings 365 d"."""
        return f"{self.name} {self.days(settings)} d"


# Classes the hotline keeps under a policy before their package registers a handler (shown as such).
PLANNED = {"evaluations": (("质检评估", "QA evaluations"), "retention_evaluations_days")}
_registry: dict[str, DataClass] = {}
_loaded = False


def register(data_class: DataClass) -> None:
    """Add (or replace) a data class; a replaced one's marks are destroyed by the new handler."""
    if data_class.days_setting not in Settings.model_fields:
        raise ValueError(f"{data_class.name}: no setting {data_class.days_setting!r} in contactcenter/settings.py")
    _registry[data_class.name] = data_class


def classes() -> list[DataClass]:
    """Every registered class, in the page's order (the built-in ones and those of OPTIONAL_MODULES loaded)."""
    global _loaded
    if not _loaded:
        _loaded = True
        importlib.import_module(BUILTIN_MODULE)
        for name in OPTIONAL_MODULES:
            if _module_exists(name):
                importlib.import_module(name)
    return sorted(_registry.values(), key=lambda c: (c.order, c.name))


def by_name(name: str) -> DataClass | None:
    """The registered class of this name."""
    return {c.name: c for c in classes()}.get(name)


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # its package is not there
        return False
