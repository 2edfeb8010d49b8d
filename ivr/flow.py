"""IVR flows: a YAML file of named nodes (say, menu, enqueue, hangup), validated on load."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Prompt = dict[str, str]
PHONE_KEYS = "0123456789*#"


class FlowError(ValueError):
    """The flow file cannot be used; the message names the file and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Menu(_Strict):
    prompt: Prompt
    invalid: Prompt = Field(default_factory=dict)
    options: dict[str, str]
    retries: int = Field(default=3, ge=1, le=10)
    fallback: str


class Enqueue(_Strict):
    queue: str
    category: str | None = None
    priority: int = Field(default=0, ge=0, le=9)
    label: Prompt


class Node(_Strict):
    say: Prompt | None = None
    next: str | None = None
    menu: Menu | None = None
    enqueue: Enqueue | None = None
    hangup: bool = False

    @model_validator(mode="after")
    def _one_action(self) -> Node:
        actions = [a for a in ("menu", "enqueue") if getattr(self, a) is not None] + (["hangup"] if self.hangup else [])
        if len(actions) > 1:
            raise ValueError(f"a node does one thing, this one has {' and '.join(actions)}")
        if not actions and not self.next and not self.say:
            raise ValueError("a node needs say, menu, enqueue or hangup")
        if actions and self.next:
            raise ValueError(f"'next' makes no sense after {actions[0]}")
        return self


class Flow(_Strict):
    company: str
    languages: list[str] = Field(min_length=1)
    start: str
    nodes: dict[str, Node]

    @model_validator(mode="after")
    def _references(self) -> Flow:
        problems: list[str] = []

        def check_target(where: str, target: str) -> None:
            if target not in self.nodes:
                problems.append(f"{where}: unknown node {target!r}")

        check_target("start", self.start)
        for name, node in self.nodes.items():
            if node.next:
                check_target(f"nodes.{name}.next", node.next)
            prompts = [("say", node.say)]
            if node.menu:
                for digit, target in node.menu.options.items():
                    if len(digit) != 1 or digit not in PHONE_KEYS:
                        problems.append(f"nodes.{name}.menu.options: {digit!r} is not a single key")
                    check_target(f"nodes.{name}.menu.options.{digit}", target)
                check_target(f"nodes.{name}.menu.fallback", node.menu.fallback)
                prompts.append(("menu.prompt", node.menu.prompt))
                if node.menu.invalid:
                    prompts.append(("menu.invalid", node.menu.invalid))
            if node.enqueue:
                prompts.append(("enqueue.label", node.enqueue.label))
            for field, prompt in prompts:
                for language in self.languages:
                    if prompt is not None and not prompt.get(language):
                        problems.append(f"nodes.{name}.{field}: no {language} text")
        if not problems:
            problems += self._silent_loops()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _silent_loops(self) -> list[str]:
        """Chains of `next` that come back to themselves without waiting for the caller."""
        problems, reported = [], set()
        for start in self.nodes:
            path, name = [], start
            while name and self.nodes[name].next and name not in path:
                path.append(name)
                name = self.nodes[name].next or ""
            if name in path and name == start and frozenset(path) not in reported:
                reported.add(frozenset(path))
                problems.append(f"nodes.{start}: loops back to itself ({' → '.join([*path, name])}) without a menu")
        return problems

    def queues(self) -> set[str]:
        """Every queue the flow can put a caller into."""
        return {n.enqueue.queue for n in self.nodes.values() if n.enqueue}


def load_flow(path: Path) -> Flow:
    """Read and validate a flow file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FlowError(f"{path}: cannot read the flow file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise FlowError(f"{path}: the flow file must be saved as UTF-8 ({exc.reason} at byte {exc.start})") from exc
    except yaml.YAMLError as exc:
        raise FlowError(f"{path}: not valid YAML ({exc})") from exc
    try:
        return Flow.model_validate(data)
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'flow'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise FlowError(f"{path}: {details}") from exc
