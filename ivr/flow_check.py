"""Checks that need the whole flow: references, reachability, prompts, loops, identity first."""

from __future__ import annotations

import string
from collections import deque
from collections.abc import Iterable

from ivr.flow import PHONE_KEYS, PLACEHOLDERS, TERMINAL, WAITING, Flow

# (location as dotted path, message)
Finding = tuple[str, str]


def check_flow(
    flow: Flow, *, queues: Iterable[str] | None = None, calendars: Iterable[str] | None = None
) -> list[Finding]:
    """Every problem of a parsed flow; queues and calendars are checked when their names are given."""
    findings = _references(flow)
    if findings:
        return findings  # the graph checks below need every reference to resolve
    findings += _prompts(flow)
    findings += _keys(flow)
    if queues is not None:
        known = set(queues)
        findings += [
            (f"nodes.{name}.{node.kind}.queue", f"unknown queue {node.queue()!r} (known: {', '.join(sorted(known))})")
            for name, node in flow.nodes.items()
            if node.queue() and node.queue() not in known
        ]
    if calendars is not None:
        known = set(calendars)
        findings += [
            (
                f"nodes.{name}.hours.calendar",
                f"unknown calendar {node.hours.calendar!r} (known: {', '.join(sorted(known))})",
            )
            for name, node in flow.nodes.items()
            if node.hours and node.hours.calendar not in known
        ]
    findings += _unreachable(flow)
    findings += _silent_loops(flow)
    findings += _no_way_out(flow)
    findings += _unverified_account_data(flow)
    return findings


def _references(flow: Flow) -> list[Finding]:
    findings = [] if flow.start in flow.nodes else [("start", f"unknown node {flow.start!r}")]
    if flow.fallback and flow.fallback not in flow.nodes:
        findings.append(("fallback", f"unknown node {flow.fallback!r}"))
    for name, node in flow.nodes.items():
        findings += [
            (f"nodes.{name}.{field}", f"unknown node {target!r}")
            for field, target in node.targets()
            if target not in flow.nodes
        ]
        if node.menu and not flow.menu_fallback(node):
            findings.append(
                (
                    f"nodes.{name}.menu",
                    "no fallback for a caller who never chooses (set menu.fallback or the flow's fallback)",
                )
            )
    return findings


def _prompts(flow: Flow) -> list[Finding]:
    findings: list[Finding] = []
    for name, node in flow.nodes.items():
        for field, prompt in node.prompts():
            for language in flow.languages:
                if not (prompt.get(language) or "").strip():
                    findings.append((f"nodes.{name}.{field}", f"no {language} text"))
            for language, text in prompt.items():
                if language not in flow.languages:
                    findings.append(
                        (f"nodes.{name}.{field}.{language}", f"language {language!r} is not in the flow's languages")
                    )
                unknown = {f for _, f, _, _ in string.Formatter().parse(text) if f} - PLACEHOLDERS
                if unknown:
                    findings.append(
                        (
                            f"nodes.{name}.{field}.{language}",
                            f"unknown placeholder {{{sorted(unknown)[0]}}} (known: name, company)",
                        )
                    )
    return findings


def _keys(flow: Flow) -> list[Finding]:
    findings: list[Finding] = []
    for name, node in flow.nodes.items():
        keys = list(node.menu.options) if node.menu else list(node.language.options) if node.language else []
        field = "menu.options" if node.menu else "language.options"
        findings += [
            (f"nodes.{name}.{field}.{key}", f"{key!r} is not a single phone key")
            for key in keys
            if len(key) != 1 or key not in PHONE_KEYS
        ]
        if node.language:
            findings += [
                (f"nodes.{name}.language.options.{key}", f"{lang!r} is not one of the flow's languages")
                for key, lang in node.language.options.items()
                if lang not in flow.languages
            ]
    return findings


def _labelled_edges(flow: Flow, name: str) -> list[tuple[str, str]]:
    """Where a node leads, by field; a menu without its own fallback leads to the flow's."""
    node = flow.nodes[name]
    edges = node.targets()
    if node.menu and not node.menu.fallback and flow.fallback:
        edges.append(("fallback", flow.fallback))
    return edges


def _edges(flow: Flow, name: str) -> list[str]:
    return [target for _, target in _labelled_edges(flow, name)]


def _reachable(flow: Flow, start: str, *, skip: set[tuple[str, str]] | None = None) -> dict[str, str | None]:
    """Nodes reachable from `start`, each with the node it was first reached from."""
    parent: dict[str, str | None] = {start: None}
    todo = deque([start])
    while todo:
        name = todo.popleft()
        for field, target in _labelled_edges(flow, name):
            if (name, field) in (skip or set()) or target in parent:
                continue
            parent[target] = name
            todo.append(target)
    return parent


def _path(parent: dict[str, str | None], end: str) -> str:
    names = [end]
    while (previous := parent[names[-1]]) is not None:
        names.append(previous)
    return " → ".join(reversed(names))


def _unreachable(flow: Flow) -> list[Finding]:
    reached = _reachable(flow, flow.start)
    return [(f"nodes.{name}", "unreachable from start") for name in flow.nodes if name not in reached]


def _silent_loops(flow: Flow) -> list[Finding]:
    """Cycles through nodes that never wait for the caller: the call would spin forever."""
    findings, reported = [], set()
    for start in flow.nodes:
        if flow.nodes[start].kind in WAITING:
            continue
        stack = [(start, [start])]
        while stack:
            name, path = stack.pop()
            for target in _edges(flow, name):
                if target == start and frozenset(path) not in reported:
                    reported.add(frozenset(path))
                    findings.append(
                        (
                            f"nodes.{start}",
                            f"loops back to itself ({' → '.join([*path, start])}) without waiting for the caller",
                        )
                    )
                elif target not in path and flow.nodes[target].kind not in WAITING:
                    stack.append((target, [*path, target]))
    return findings


def _no_way_out(flow: Flow) -> list[Finding]:
    """Nodes from which no path ends the flow (queue, voicemail, transfer, hang-up): a loop with no exit."""
    exits = {name for name, node in flow.nodes.items() if node.kind in TERMINAL}
    can_exit = set(exits)
    changed = True
    while changed:
        changed = False
        for name in flow.nodes:
            if name not in can_exit and any(t in can_exit for t in _edges(flow, name)):
                can_exit.add(name)
                changed = True
    findings = []
    for name, node in flow.nodes.items():
        if name in can_exit:
            continue
        what = "menu has no way out" if node.menu else "loop with no exit"
        findings.append((f"nodes.{name}", f"{what}: no path from here reaches a queue, voicemail, transfer or hang-up"))
    return findings


def _unverified_account_data(flow: Flow) -> list[Finding]:
    """Self-service reads account data, so every path to it must pass an identity check."""
    skip = {(name, "identify.verified") for name, node in flow.nodes.items() if node.identify}
    reached = _reachable(flow, flow.start, skip=skip)
    return [
        (f"nodes.{name}", f"reads account data but is reachable without an identity check ({_path(reached, name)})")
        for name, node in flow.nodes.items()
        if node.self_service and name in reached
    ]
