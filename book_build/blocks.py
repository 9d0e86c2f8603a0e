"""The code blocks of a page: the one fence parser, and each block as the program a reader copies.

Every ``python`` block of a page runs on its own, so it carries its imports, the
snippet sections it uses and its seeded data. A block declares the leading lines
that repeat what the page has shown already by ending them with a line that
reads exactly ``# /setup`` (as mdBook's hidden lines are declared in the source).
The site folds those lines behind a button; the copy button, the docs test and
the notebooks get the whole program, without the marker.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import markdown
import yaml

SETUP_MARKER = "# /setup"

# A fence opener or closer, at any indentation (blocks nest in tabs and admonitions).
_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_EXPECTED_OUTPUT = re.compile(
    r"^\s*<!--\s*pytest-codeblocks:expected-output(?:-ignore-whitespace)?\s*-->"
)
_MARK = re.compile(r"^\s*<!--[-\s]*(pytest\.mark\..*?)\s*-->\s*$")


class BlockError(Exception):
    """A block that cannot be made into a program: the message names its line in the page."""


@dataclass
class Fence:
    """One fenced block of a Markdown page, as written in the source."""

    start: int  # index of the opening fence line in the page's lines
    end: int  # index of the closing fence line
    indent: str
    fence: str
    info: str
    body: list[str]  # the lines between the fences, the block's indentation removed
    is_output: bool = False  # the expected-output block of the code block above it

    @property
    def language(self) -> str:
        return self.info.strip()


def fences(text: str) -> list[Fence]:
    """Every fenced block of ``text``, in page order (the contents of a fence are not searched)."""
    lines = text.split("\n")
    found, k, output_next = [], 0, False
    while k < len(lines):
        if _EXPECTED_OUTPUT.match(lines[k]):
            output_next = True
        opener = _FENCE.match(lines[k])
        if opener is None:
            k += 1
            continue
        indent, fence = opener["indent"], opener["fence"]
        end = k + 1
        while end < len(lines):
            closer = _FENCE.match(lines[end])
            same = closer and closer["fence"][0] == fence[0] and not closer["info"].strip()
            if same and len(closer["fence"]) >= len(fence):
                break
            end += 1
        body = [
            line[len(indent) :] if line.startswith(indent) else line.lstrip(" ")
            for line in lines[k + 1 : end]
        ]
        found.append(Fence(k, end, indent, fence, opener["info"], body, is_output=output_next))
        output_next = False
        k = end + 1
    return found


@dataclass
class Program:
    """A runnable block: the whole program, of which the first ``setup`` lines are folded."""

    fence: Fence
    code: str  # includes expanded, marker removed: what the copy button gives
    setup: int = 0
    output: Fence | None = None  # the expected-output block under it, if any
    marks: list[str] = field(default_factory=list)  # <!--pytest.mark.*--> lines above it

    @property
    def lines(self) -> list[str]:
        return self.code.split("\n")

    @property
    def hidden(self) -> list[str]:
        return self.lines[: self.setup]

    @property
    def shown(self) -> list[str]:
        return self.lines[self.setup :]


def program_of(code: str, fence: Fence | None = None) -> Program:
    """A block's expanded code as a program: the ``# /setup`` line dropped, the lines
    above it setup (none without one), blank lines right below it dropped too."""
    # A section's trailing blank lines and the page's own would stack up.
    lines = re.sub(r"\n{4,}", "\n\n\n", code.rstrip("\n")).split("\n")
    at = next((k for k, line in enumerate(lines) if line.strip() == SETUP_MARKER), None)
    if at is None:
        return Program(fence, "\n".join(lines))
    shown = lines[at + 1 :]
    while shown and not shown[0].strip():
        shown.pop(0)
    return Program(fence, "\n".join(lines[:at] + shown), setup=at)


def page_programs(text: str, expand: Callable[[str], str]) -> list[Program]:
    """Every ``python`` block of a page as the program a reader copies."""
    programs: list[Program] = []
    all_fences = fences(text)
    lines = text.split("\n")
    for k, fence in enumerate(all_fences):
        if fence.is_output or fence.language != "python":
            continue
        try:
            program = program_of(expand("\n".join(fence.body)), fence)
        except Exception as error:  # pymdownx.snippets raises several types
            raise BlockError(f"line {fence.start + 1}: {error}") from error
        following = all_fences[k + 1] if k + 1 < len(all_fences) else None
        if following is not None and following.is_output:
            program.output = following
        # Marker comments sit on the non-blank lines right above the fence.
        above = fence.start - 1
        while above >= 0 and (not lines[above].strip() or lines[above].strip().startswith("<!--")):
            if mark := _MARK.match(lines[above]):
                program.marks.insert(0, mark[1])
            above -= 1
        programs.append(program)
    return programs


# Statements that a notebook has already run when an earlier cell showed them:
# defining them again changes nothing. Any other folded statement (a seeded
# generator, data) runs again, so that each cell prints what its block prints.
_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def notebook_code(program: Program) -> str:
    """The code cell of a block in a notebook that runs the page's blocks in order."""
    try:
        statements = ast.parse(program.code).body
    except SyntaxError:
        statements = []
    drop: set[int] = set()
    for node in statements:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        span = range(first - 1, node.end_lineno or node.lineno)
        if isinstance(node, _DEFINITIONS) and span.stop <= program.setup:
            drop.update(span)
    kept = [line for k, line in enumerate(program.lines) if k not in drop]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")


def console_commands(body: list[str]) -> str:
    """What a reader runs from a ``console`` block: its ``$ `` lines without the prompt."""
    commands, continued = [], False
    for line in body:
        if line.startswith("$ ") or continued:  # a line ending in \ goes on below
            commands.append(line.removeprefix("$ "))
        continued = bool(commands) and commands[-1].endswith("\\")
    return "\n".join(commands)


def mkdocs_config(path: Path) -> dict:
    """mkdocs.yml as plain data, its python and !ENV tags read as None: MkDocs' own
    loader imports every plugin, which costs a process seconds."""
    loader = type("Loader", (yaml.SafeLoader,), {})
    loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda *_: None)
    loader.add_constructor("!ENV", lambda *_: None)
    return yaml.load(path.read_text(encoding="utf-8"), loader)


def snippet_options(config: dict) -> dict:
    """pymdownx.snippets' options in a ``mkdocs_config``."""
    found = [e for e in config["markdown_extensions"] if isinstance(e, dict)]
    return next(e["pymdownx.snippets"] for e in found if "pymdownx.snippets" in e)


def snippet_expander(snippet_options: dict) -> Callable[[str], str]:
    """Expand ``--8<--`` includes as the site's pymdownx.snippets does (without auto-appends)."""
    options = {**snippet_options, "auto_append": []}
    md = markdown.Markdown(
        extensions=["pymdownx.snippets"], extension_configs={"pymdownx.snippets": options}
    )
    snippets = md.preprocessors["snippet"]
    return lambda body: "\n".join(snippets.run(body.split("\n")))
