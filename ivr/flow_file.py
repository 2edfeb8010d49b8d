"""Reading a flow file: YAML → validated Flow, every problem reported with its file and line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from ivr.flow import Flow
from ivr.flow_check import check_flow
from ivr.yaml_loader import parse


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a flow file, located as precisely as the file allows."""

    file: Path
    line: int | None
    where: str
    message: str

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{place}: {self.where}: {self.message}" if self.where else f"{place}: {self.message}"


class FlowError(ValueError):
    """The flow file cannot be used; the message names the file, line and problem of each finding."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


def _line_map(
    node: yaml.Node, path: tuple[str, ...] = (), lines: dict[tuple[str, ...], int] | None = None
) -> dict[tuple[str, ...], int]:
    """Line number (1-based) of every mapping key and sequence item, by its dotted path."""
    lines = {} if lines is None else lines
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            lines[child] = key.start_mark.line + 1
            _line_map(value, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, (*path, str(index)), lines)
    return lines


def _line_of(lines: dict[tuple[str, ...], int], where: str) -> int | None:
    """The line of the longest prefix of `where` that the file has."""
    parts = tuple(where.split(".")) if where else ()
    while parts and parts not in lines:
        parts = parts[:-1]
    return lines.get(parts)


def read_flow(
    path: Path, *, queues: Iterable[str] | None = None, calendars: Iterable[str] | None = None
) -> tuple[Flow | None, list[Problem]]:
    """Parse and check a flow file: the flow if it has no problems, and the problems."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [Problem(path, None, "", f"cannot read the flow file ({exc.strerror})")]
    except UnicodeDecodeError as exc:
        return None, [
            Problem(path, None, "", f"the flow file must be saved as UTF-8 ({exc.reason} at byte {exc.start})")
        ]
    try:
        document, data = parse(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [Problem(path, mark.line + 1 if mark else None, "", f"not valid YAML ({exc})")]
    lines = _line_map(document) if document is not None else {}
    try:
        flow = Flow.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            problems.append(
                Problem(path, _line_of(lines, where), where or "flow", error["msg"].removeprefix("Value error, "))
            )
        return None, problems
    findings = check_flow(flow, queues=queues, calendars=calendars)
    problems = [Problem(path, _line_of(lines, where), where, message) for where, message in findings]
    return (None if problems else flow), problems


def load_flow(path: Path, *, queues: Iterable[str] | None = None, calendars: Iterable[str] | None = None) -> Flow:
    """Read a flow file, or raise FlowError listing every problem."""
    flow, problems = read_flow(path, queues=queues, calendars=calendars)
    if flow is None:
        raise FlowError(problems)
    return flow
