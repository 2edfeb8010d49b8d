"""IVR flows: a YAML file of named nodes, each doing one thing, validated on load.

The node kinds and their fields are documented in `ivr/flows.md`; the checks that need the
whole graph (reachability, loops, identity before account data) live in `ivr/flow_check.py`.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Prompt = dict[str, str]
PHONE_KEYS = "0123456789*#"
# What a prompt may fill in: the customer's name (after a lookup) and the company's.
PLACEHOLDERS = {"name", "company"}
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Strict):
    """A menu choice: where it leads, and words a caller may say instead of pressing the key."""

    to: str
    words: dict[str, list[str]] = Field(default_factory=dict)


class Menu(_Strict):
    prompt: Prompt
    invalid: Prompt = Field(default_factory=dict)
    options: dict[str, Option] = Field(min_length=1)
    retries: int = Field(default=3, ge=1, le=10)
    timeout: int = Field(default=6, ge=1, le=60)
    fallback: str | None = None

    @field_validator("options", mode="before")
    @classmethod
    def _short_form(cls, value: object) -> object:
        """`"1": consult` is short for `"1": {to: consult}`."""
        if isinstance(value, dict):
            return {str(k): {"to": v} if isinstance(v, str) else v for k, v in value.items()}
        return value


class LanguageChoice(_Strict):
    """Which language the rest of the call is in; no answer keeps the flow's first language."""

    prompt: Prompt
    options: dict[str, str] = Field(min_length=1)

    @field_validator("options", mode="before")
    @classmethod
    def _keys_as_text(cls, value: object) -> object:
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value


class Hours(_Strict):
    calendar: str
    open: str
    closed: str


class Lookup(_Strict):
    """Find the customer by caller ID: a known customer is greeted by name, their grade sets priority."""

    known: str
    unknown: str


class Identify(_Strict):
    """Ask for an order number or the last 4 digits of the registered ID before account data."""

    prompt: Prompt
    invalid: Prompt
    retries: int = Field(default=3, ge=1, le=10)
    verified: str
    failed: str


class SelfService(_Strict):
    """Read something out to an identified caller."""

    read: Literal["latest_ticket", "latest_order"] = "latest_ticket"


class Enqueue(_Strict):
    queue: str
    category: str | None = None
    priority: int = Field(default=0, ge=0, le=9)
    skills: dict[str, int] = Field(default_factory=dict)
    label: Prompt


class Callback(_Strict):
    """Offer to call the caller back: confirm the number, then keep their request in the queue."""

    queue: str
    category: str | None = None
    label: Prompt


class Voicemail(_Strict):
    queue: str
    category: str | None = None
    label: Prompt
    prompt: Prompt
    max_seconds: int = Field(default=120, ge=5, le=600)


class Transfer(_Strict):
    """Send the caller to an outside number (a partner, a service centre)."""

    number: str
    timeout: int = Field(default=30, ge=5, le=120)
    failed: str | None = None

    @field_validator("number")
    @classmethod
    def _e164(cls, value: str) -> str:
        if not E164.match(value):
            raise ValueError(f"{value!r} is not a phone number in E.164 form (+8610…)")
        return value


ACTIONS: tuple[str, ...] = ("language", "menu", "hours", "lookup", "identify", "self_service", "enqueue", "callback")
ACTIONS += ("voicemail", "transfer")
# Kinds after which the call ends or leaves the flow (queue, voicemail, outside number).
TERMINAL = {"enqueue", "callback", "voicemail", "transfer", "hangup"}
# Kinds that wait for the caller; a loop through none of these would spin without end.
WAITING = {"language", "menu", "identify"}


class Node(_Strict):
    say: Prompt | None = None
    play: str | None = None
    next: str | None = None
    language: LanguageChoice | None = None
    menu: Menu | None = None
    hours: Hours | None = None
    lookup: Lookup | None = None
    identify: Identify | None = None
    self_service: SelfService | None = None
    enqueue: Enqueue | None = None
    callback: Callback | None = None
    voicemail: Voicemail | None = None
    transfer: Transfer | None = None
    hangup: bool = False

    @model_validator(mode="after")
    def _one_action(self) -> Node:
        actions = [a for a in ACTIONS if getattr(self, a) is not None] + (["hangup"] if self.hangup else [])
        if len(actions) > 1:
            raise ValueError(f"a node does one thing, this one has {' and '.join(actions)}")
        kind = actions[0] if actions else None
        if kind in ("language", "self_service") or (kind is None and (self.say or self.play)):
            if not self.next:
                raise ValueError(f"{kind or 'a say/play node'} needs 'next' (or add hangup: true)")
        elif kind is None:
            raise ValueError(f"a node needs say, play or one of: {', '.join(ACTIONS)}, hangup")
        elif self.next:
            raise ValueError(f"'next' makes no sense after {kind}")
        return self

    @property
    def kind(self) -> str:
        """The node's action, or 'say' for a node that only speaks and moves on."""
        for action in ACTIONS:
            if getattr(self, action) is not None:
                return action
        return "hangup" if self.hangup else "say"

    def targets(self) -> list[tuple[str, str]]:
        """Every (field, node name) this node can lead to."""
        found: list[tuple[str, str]] = [("next", self.next)] if self.next else []
        if self.menu:
            found += [(f"menu.options.{key}", option.to) for key, option in self.menu.options.items()]
            found += [("menu.fallback", self.menu.fallback)] if self.menu.fallback else []
        for action, fields in (("hours", ("open", "closed")), ("lookup", ("known", "unknown"))):
            part = getattr(self, action)
            found += [(f"{action}.{f}", getattr(part, f)) for f in fields] if part else []
        if self.identify:
            found += [("identify.verified", self.identify.verified), ("identify.failed", self.identify.failed)]
        if self.transfer and self.transfer.failed:
            found.append(("transfer.failed", self.transfer.failed))
        return found

    def prompts(self) -> list[tuple[str, Prompt]]:
        """Every (field, prompt) this node speaks, each needing a text in every language."""
        found: list[tuple[str, Prompt]] = [("say", self.say)] if self.say is not None else []
        if self.menu:
            found += [("menu.prompt", self.menu.prompt)] + (
                [("menu.invalid", self.menu.invalid)] * bool(self.menu.invalid)
            )
        if self.language:
            found.append(("language.prompt", self.language.prompt))
        if self.identify:
            found += [("identify.prompt", self.identify.prompt), ("identify.invalid", self.identify.invalid)]
        for action in ("enqueue", "callback", "voicemail"):
            part = getattr(self, action)
            found += [(f"{action}.label", part.label)] if part else []
        if self.voicemail:
            found.append(("voicemail.prompt", self.voicemail.prompt))
        return found

    def queue(self) -> str | None:
        """The queue this node puts a contact into, if any."""
        part = self.enqueue or self.callback or self.voicemail
        return part.queue if part else None


class Flow(_Strict):
    company: str
    languages: list[str] = Field(min_length=1)
    numbers: list[str] = Field(default_factory=list)
    start: str
    fallback: str | None = None
    nodes: dict[str, Node] = Field(min_length=1)

    @field_validator("numbers")
    @classmethod
    def _numbers(cls, value: list[str]) -> list[str]:
        bad = [n for n in value if not E164.match(n)]
        if bad:
            raise ValueError(f"not phone numbers in E.164 form: {', '.join(map(repr, bad))}")
        return value

    def queues(self) -> set[str]:
        """Every queue the flow can put a contact into."""
        return {q for n in self.nodes.values() if (q := n.queue())}

    def calendars(self) -> set[str]:
        """Every calendar the flow's business-hours branches name."""
        return {n.hours.calendar for n in self.nodes.values() if n.hours}

    def menu_fallback(self, node: Node) -> str | None:
        """Where a menu goes after its retries: its own fallback, else the flow's."""
        return (node.menu.fallback if node.menu else None) or self.fallback
