"""The documentation names only what exists: every repository path the Markdown files mention is
there, nothing in the repository points outside it, and the README stays a short front page whose
quick start is two commands."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README_MAX_LINES = 120
# Third-party files copied verbatim (their own licences): not ours to keep in step.
THIRD_PARTY = ("agents/static/vendor/",)
# A mention ending in one of these names a file, wherever it is.
FILE_EXTENSION = re.compile(r"[\w-]\.(css|html|ini|js|json|lua|mako|md|mjs|png|py|sh|toml|txt|wav|ya?ml)$")
FILE_NAMES = {"Dockerfile", "LICENSE"}
# Made at run time or by tools, never committed: naming one is not a stale name.
GENERATED = ("var/", ".venv/", "node_modules/", "frontend/node_modules/", "test-artifacts/")
# Characters a path in this repository never has (URLs, placeholders, globs, commands have them).
NOT_IN_A_PATH = re.compile(r"[^\w.\-/]")
FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
CODE_TOKEN_SEPARATORS = re.compile(r"[\s\"'`()\[\]{}<>,;=|&]+")


def repository_files(*, new_too: bool = False) -> list[str]:
    """The files git tracks (paths relative to the root); with `new_too`, also new files not ignored,
    so a page being written is checked before it is committed."""
    command = ["git", "ls-files", "-z", "--cached", *(["--others", "--exclude-standard"] if new_too else [])]
    listing = subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
    return sorted({name for name in listing.stdout.decode().split("\0") if name and (ROOT / name).is_file()})


def markdown_files() -> list[Path]:
    """README.md, docs/*.md and every Markdown file kept beside the code, vendored ones left out."""
    return [
        ROOT / name
        for name in repository_files(new_too=True)
        if name.endswith(".md") and not name.startswith(THIRD_PARTY)
    ]


def mentions(text: str) -> Iterator[tuple[int, str, bool]]:
    """(line number, text, is a link) for every inline code span, link target and code-block word."""
    in_fence = False
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            for token in CODE_TOKEN_SEPARATORS.split(line):
                yield number, token, False
            continue
        for match in INLINE_CODE.finditer(line):
            yield number, match.group(1).strip(), False
        for match in LINK.finditer(INLINE_CODE.sub("", line)):
            yield number, match.group(1), True


def as_path(text: str, *, base: Path, root: Path, link: bool) -> str | None:
    """The repository path `text` names, or None when it is something else (URL, command, MIME type)."""
    if link:
        if re.match(r"^[a-z][a-z0-9+.-]*:", text) or text.startswith("#"):
            return None  # a URL or an anchor in the same page
        text = text.split("#", 1)[0]
    text = text.rstrip(".,:;").removeprefix("./")
    if not text or text.startswith(("/", "-")) or "//" in text or NOT_IN_A_PATH.search(text):
        return None
    name = text.rstrip("/").rsplit("/", 1)[-1]
    if FILE_EXTENSION.search(name) or name in FILE_NAMES or link:
        return text
    first = text.split("/", 1)[0]
    if "/" in text and first not in ("", ".", "..") and ((base / first).exists() or (root / first).exists()):
        return text  # a folder, or a file without an extension, under a folder that exists
    return None


def resolves(path: str, *, base: Path, root: Path, link: bool, names: set[str]) -> bool:
    """Whether the path exists: a link from the file's folder (as a Markdown viewer reads it); a
    code mention from the file's folder or the repository root; a bare file name anywhere."""
    inside = [candidate.resolve() for candidate in ((base / path,) if link else (base / path, root / path))]
    if any(c.exists() and c.is_relative_to(root.resolve()) for c in inside):
        return True
    return not link and "/" not in path.rstrip("/") and path.rstrip("/") in names


def missing_paths(markdown: Path, *, root: Path, names: set[str]) -> list[str]:
    """`file:line: path` for each path the Markdown file names that does not exist."""
    base = markdown.parent
    missing = []
    for number, text, link in mentions(markdown.read_text(encoding="utf-8")):
        path = as_path(text, base=base, root=root, link=link)
        if path is None or path.startswith(GENERATED) or path.rstrip("/") in ("var", ".venv"):
            continue
        if not resolves(path, base=base, root=root, link=link, names=names):
            missing.append(f"{markdown.relative_to(root)}:{number}: {path}")
    return list(dict.fromkeys(missing))  # a path both shown and linked on one line is reported once


def test_every_path_the_documentation_names_exists() -> None:
    names = {Path(name).name for name in repository_files(new_too=True)}
    missing = [line for markdown in markdown_files() for line in missing_paths(markdown, root=ROOT, names=names)]
    assert not missing, "paths named in the documentation that do not exist:\n" + "\n".join(missing)


def test_a_stale_path_a_missing_screenshot_and_a_path_outside_are_reported(tmp_path: Path) -> None:
    (tmp_path / "queues" / "lua" / "lib").mkdir(parents=True)
    (tmp_path / "queues" / "lua" / "lib" / "1_base.lua").write_text("")
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "page.md"
    page.write_text(
        "Keys in `queues/lua/lib/1_base.lua` (`1_base.lua`), not `queues/lua/common.lua`.\n"
        "![shot](screenshots/missing.png) [home](../README.md) [up](../../elsewhere.md)\n"
        "`POST /api/queues/{name}`, `audio/wav`, `redis://host:6379/0`, [site](https://example.com/a.md)\n"
        "```sh\n"
        ".venv/bin/contactcenter ivr check queues/lua/lib/\n"
        "python bench/gone.py\n"
        "```\n"
    )
    (tmp_path / "README.md").write_text("")

    found = missing_paths(page, root=tmp_path, names={"1_base.lua", "README.md"})

    assert found == [
        "docs/page.md:1: queues/lua/common.lua",
        "docs/page.md:2: screenshots/missing.png",
        "docs/page.md:2: ../../elsewhere.md",
        "docs/page.md:6: bench/gone.py",
    ]


def test_no_tracked_file_points_at_the_shared_folder_outside_the_repository() -> None:
    outside = ("..", "shared")  # joined here, so this file does not name it itself
    needle = "/".join(outside).encode()
    pointing = [name for name in repository_files() if needle in (ROOT / name).read_bytes()]
    assert not pointing, f"files pointing outside the repository: {pointing}"


def test_the_readme_is_a_short_front_page() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; keep it to {README_MAX_LINES}"


def test_the_quick_start_is_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```\w*\n(.*?)```", section, re.S)
    assert block, "the Quick start section has no code block"
    commands = [line for line in block.group(1).splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert len(commands) == 2, commands
