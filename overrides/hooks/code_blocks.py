"""MkDocs hook: each code block shows what it adds, hides its setup, and copies as a whole program.

Every ``python`` block of a page runs on its own, so it carries its imports,
the snippet sections it uses (``--8<-- "snippets/x.py:name"``) and its seeded
data. On the page a reader needs to see each of those once. This module
decides, for every block, which of its leading lines repeat code that the page
has already shown; the site hides them behind a "setup" button inside the
block (as mdBook and rustdoc hide a Rust example's setup lines), while the
copy button still copies the complete program, which is exactly what the docs
test runs.

The rule, in ``setup_runs``: a block's setup is its run of top-level
statements up to the first one that is neither an import nor a repeat. In it,
each statement whose lines appear, contiguous and identical, in code visible
earlier on the page is hidden; a new import stays in view. Everything after
the setup is shown, except that a class shown in pieces (each block adding
methods to the class the block before showed) hides the part already shown.
So a hidden line is always a repeat, and a block always shows at least part
of its last statement.

Everything here is a plain function of Markdown or HTML text; the MkDocs
events at the end only wire them to the build. ``tests/test_docs.py`` and the
notebook hook use ``page_programs`` too, so the tests run, and the notebooks
execute, what the copy button gives.
"""

from __future__ import annotations

import ast
import functools
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

import markdown
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

# A fence opener or closer, at any indentation (blocks nest in tabs and admonitions).
_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_EXPECTED_OUTPUT = re.compile(
    r"^\s*<!--\s*pytest-codeblocks:expected-output(?:-ignore-whitespace)?\s*-->"
)
# Material's code annotation markers: "# (1)!" or "# (1)" at the end of a line.
_ANNOTATION = re.compile(r"\s*#\s*\(\d+\)!?\s*$")
# A console line that the reader types; the rest of a console block is output.
_PROMPT = re.compile(r"^\$ ")

ID_PREFIX = "la-code-"


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


@dataclass
class Program:
    """A runnable block: the whole program, and which of its lines are setup shown before."""

    fence: Fence
    code: str  # includes expanded, annotation markers removed: what the copy button gives
    runs: list[tuple[int, int]] = field(default_factory=list)  # hidden lines [start, end)
    output: Fence | None = None  # the expected-output block under it, if any
    marks: list[str] = field(default_factory=list)  # <!--pytest.mark.*--> lines above it

    @property
    def lines(self) -> list[str]:
        return self.code.split("\n")

    def is_hidden(self, k: int) -> bool:
        return any(start <= k < end for start, end in self.runs)

    @property
    def shown(self) -> list[str]:
        return [line for k, line in enumerate(self.lines) if not self.is_hidden(k)]

    @property
    def hidden(self) -> list[str]:
        return [line for k, line in enumerate(self.lines) if self.is_hidden(k)]


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
            if (
                closer is not None
                and closer["fence"][0] == fence[0]
                and len(closer["fence"]) >= len(fence)
                and not closer["info"].strip()
            ):
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


def strip_annotations(code: str) -> str:
    """Remove Material's ``# (1)!`` annotation markers, which are not part of the program."""
    return "\n".join(_ANNOTATION.sub("", line) for line in code.split("\n"))


def _first_line(node: ast.stmt) -> int:
    return min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])


# Parsing is most of this hook's time, and the notebooks hook asks for the same
# blocks again: each block's code is parsed once per process (mkdocs serve keeps
# one for all its rebuilds). The statements are only read, never changed.
@functools.lru_cache(maxsize=4096)
def _statements(code: str) -> tuple[ast.stmt, ...]:
    try:
        return tuple(ast.parse(code).body)
    except SyntaxError:
        return ()


def _class_prefix(node: ast.stmt, lines: list[str], shown: list[str]) -> int:
    """For a class shown in pieces: the last line of the longest run of its first
    methods (header included) that ``shown`` holds, or 0."""
    if not isinstance(node, ast.ClassDef):
        return 0
    first, found = _first_line(node), 0
    for member in node.body:
        end = member.end_lineno or member.lineno
        if not _shown_before(lines[first - 1 : end], shown):
            break
        found = end
    return found


def _shown_before(segment: list[str], shown: list[str]) -> bool:
    """Whether ``segment`` appears, line for line and contiguous, in one of the ``shown`` texts."""
    needle = "\n" + "\n".join(segment) + "\n"
    return any(needle in "\n" + text + "\n" for text in shown)


def setup_runs(code: str, shown: list[str]) -> list[tuple[int, int]]:
    """The runs ``[start, end)`` of lines of ``code`` to hide: its setup that ``shown`` holds."""
    lines = code.split("\n")
    shown_lines = {line for text in shown for line in text.split("\n")}
    runs: list[tuple[int, int]] = []
    done = 0  # lines before this index are decided
    statements = _statements(code)
    for k, node in enumerate(statements):
        first, last = _first_line(node), node.end_lineno or node.lineno
        between = lines[done : first - 1]  # blank lines and comments before the statement
        if any(line.strip() and line not in shown_lines for line in between):
            break
        is_last = k == len(statements) - 1  # the last statement always stays in view
        if not is_last and _shown_before(lines[first - 1 : last], shown):
            start = runs.pop()[0] if runs and runs[-1][1] == done else done
            runs.append((start, last))
        elif isinstance(node, ast.Import | ast.ImportFrom) and not is_last:
            pass  # a new import stays in view, and the setup goes on
        else:
            # The first new statement ends the setup; when it is a class that an
            # earlier block showed the first part of, that part is hidden.
            prefix = _class_prefix(node, lines, shown)
            if prefix:
                start = runs.pop()[0] if runs and runs[-1][1] == done else done
                runs.append((start, prefix))
            break
        done = last
    # A button that hides one import would take the line it hides: show it.
    runs = [
        (start, end)
        for start, end in runs
        if not (
            sum(1 for line in lines[start:end] if line.strip()) == 1
            and lines[start:end][0].startswith(("import ", "from "))
        )
    ]
    # A run takes the blank lines after it along.
    widened = []
    for start, end in runs:
        while end < len(lines) and not lines[end].strip():
            end += 1
        widened.append((start, end))
    return widened


def page_programs(text: str, expand: Callable[[str], str]) -> list[Program]:
    """Every ``python`` block of a page as the program a reader copies, with its setup length."""
    programs: list[Program] = []
    shown: list[str] = []
    all_fences = fences(text)
    lines = text.split("\n")
    for k, fence in enumerate(all_fences):
        if fence.is_output or fence.language != "python":
            continue
        try:
            code = strip_annotations(expand("\n".join(fence.body))).rstrip("\n")
            # A section's trailing blank lines and the page's own would stack up.
            code = re.sub(r"\n{4,}", "\n\n\n", code)
        except Exception as error:  # pymdownx.snippets raises several types
            raise BlockError(f"line {fence.start + 1}: {error}") from error
        program = Program(fence, code)
        program.runs = setup_runs(code, shown)
        # All of a block counts as shown from here on: its hidden lines are
        # repeats, and a class shown in pieces spans several blocks.
        shown.append(code)
        following = all_fences[k + 1] if k + 1 < len(all_fences) else None
        if following is not None and following.is_output:
            program.output = following
        # Marker comments sit on the non-blank lines right above the fence.
        above = fence.start - 1
        while above >= 0 and (not lines[above].strip() or lines[above].strip().startswith("<!--")):
            mark = re.match(r"^\s*<!--[-\s]*(pytest\.mark\..*?)\s*-->\s*$", lines[above])
            if mark:
                program.marks.insert(0, mark[1])
            above -= 1
        programs.append(program)
    return programs


# Statements that a notebook has already run when an earlier cell showed them:
# defining them again changes nothing. Any other hidden statement (a seeded
# generator, data) runs again, so that each cell prints what its block prints.
_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def notebook_code(program: Program) -> str:
    """The code cell of a block in a notebook that runs the page's blocks in order."""
    drop: set[int] = set()
    for node in _statements(program.code):
        lines = range(_first_line(node) - 1, node.end_lineno or node.lineno)
        if isinstance(node, _DEFINITIONS) and all(program.is_hidden(k) for k in lines):
            drop.update(lines)
    kept = [line for k, line in enumerate(program.lines) if k not in drop]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")


def console_commands(body: list[str]) -> str:
    """What a reader runs from a ``console`` block: its ``$ `` lines without the prompt."""
    commands, continued = [], False
    for line in body:
        if _PROMPT.match(line) or continued:  # a line ending in \ goes on below
            commands.append(_PROMPT.sub("", line))
        continued = (
            bool(commands)
            and commands[-1].endswith("\\")
            and (_PROMPT.match(line) is not None or continued)
        )
    return "\n".join(commands)


def snippet_expander(config) -> Callable[[str], str]:
    """Expand ``--8<--`` includes as the site's pymdownx.snippets does (without auto-appends)."""
    options = dict(config["mdx_configs"].get("pymdownx.snippets", {}))
    options["auto_append"] = []
    md = markdown.Markdown(
        extensions=["pymdownx.snippets"], extension_configs={"pymdownx.snippets": options}
    )
    snippets = md.preprocessors["snippet"]
    return lambda body: "\n".join(snippets.run(body.split("\n")))


def mark_blocks(text: str, programs: list[Program]) -> str:
    """Rewrite the page's Markdown: expanded programs with ids, labelled output, console ids.

    Each python block gets the id ``la-code-N`` (N its index among the page's
    programs) and its expanded code, so that ``render_setup`` can find it in
    the HTML; the expected-output block under it gets the title "Output".
    """
    lines = text.split("\n")
    by_start = {program.fence.start: (n, program) for n, program in enumerate(programs)}
    out, k = [], 0
    for fence in fences(text):
        out += lines[k : fence.start]
        indent, mark = fence.indent, fence.fence
        if fence.start in by_start:
            n, program = by_start[fence.start]
            out.append(f"{indent}{mark}{{.python #{ID_PREFIX}{n}}}")
            out += [indent + line if line else "" for line in program.lines]
        elif fence.is_output:
            out.append(f'{indent}{mark}{{.{fence.language or "text"} .la-output title="Output"}}')
            out += [indent + line if line else "" for line in fence.body]
        elif fence.language == "console":
            out.append(f"{indent}{mark}{{.console .la-console}}")
            out += [indent + line if line else "" for line in fence.body]
        else:
            out += lines[fence.start : fence.end]
        out.append(indent + mark)
        k = fence.end + 1
    out += lines[k:]
    return "\n".join(out)


# The HTML that pymdownx.highlight writes for a block with an id: the wrapper
# div, then <pre>, Pygments' empty span, and <code>.
_BLOCK_HTML = re.compile(
    r'<div id="' + ID_PREFIX + r'(?P<n>\d+)" class="(?P<cls>[^"]*)">'
    r"(?P<head>.*?<code[^>]*>)(?P<code>.*?)(?P<tail></code></pre>)",
    re.S,
)
_CONSOLE_HTML = re.compile(
    r'<div class="(?P<cls>[^"]*\bla-console\b[^"]*)">(?P<rest>.*?</code></pre>)', re.S
)
_TAG_OR_TEXT = re.compile(r"(<[^>]+>)|([^<]+)")


def split_lines(code_html: str, cuts: list[int]) -> list[str]:
    """Cut highlighted code after each of the line counts ``cuts`` (ascending), closing
    the spans open at a cut and reopening them after it, so each piece is valid HTML."""
    pieces: list[str] = []
    current: list[str] = []
    open_tags: list[str] = []
    line = 0  # newlines passed so far
    pending = iter(cuts)
    cut = next(pending, None)
    for match in _TAG_OR_TEXT.finditer(code_html):
        tag, text = match.groups()
        if tag is not None:
            current.append(tag)
            if tag.startswith("</"):
                open_tags.pop()
            elif not tag.endswith("/>"):
                open_tags.append(tag)
            continue
        start = 0
        while cut is not None:
            end = start
            for _ in range(cut - line):
                found = text.find("\n", end)
                if found < 0:
                    break
                end = found + 1
            else:
                current.append(text[start:end])
                pieces.append("".join(current) + "</span>" * len(open_tags))
                current = ["".join(open_tags)]
                line, start, cut = cut, end, next(pending, None)
                continue
            break
        line += text.count("\n", start)
        current.append(text[start:])
    pieces.append("".join(current))
    return pieces


def setup_button(count: int) -> str:
    noun = "line" if count == 1 else "lines"
    return (
        '<button type="button" class="la-setup-toggle" aria-expanded="false">'
        f"{count} setup {noun} shown above</button>"
    )


def render_setup(page_html: str, programs: list[Program]) -> str:
    """Hide each block's setup behind buttons, and give the block its whole program to copy."""

    def replace(match: re.Match[str]) -> str:
        program = programs[int(match["n"])]
        attributes = f' data-copy="{html.escape(program.code, quote=True)}"'
        code = match["code"]
        if program.runs:
            cuts = sorted({k for run in program.runs for k in run if 0 < k < len(program.lines)})
            pieces = split_lines(code, cuts)
            bounds = [0, *cuts, len(program.lines)]
            code = ""
            for (start, end), piece in zip(pairwise(bounds), pieces, strict=True):
                if program.is_hidden(start):
                    count = sum(1 for line in program.lines[start:end] if line.strip())
                    # A <template> keeps the highlighted lines out of the page's DOM
                    # (Lighthouse counted them against its size) until the reader
                    # opens them: code-setup.js then puts them in a span.
                    code += setup_button(count) + f'<template class="la-setup">{piece}</template>'
                else:
                    code += piece
        # lean_code.py reserves each block's height from its line count: count what shows.
        lines = len(program.shown) + len(program.runs)
        head = re.sub(r"--lines: \d+", f"--lines: {lines}", match["head"])
        return f'<div class="{match["cls"]} la-program"{attributes}>{head}{code}{match["tail"]}'

    page_html = _BLOCK_HTML.sub(replace, page_html)

    def console(match: re.Match[str]) -> str:
        text = html.unescape(
            re.sub(r"<[^>]+>", "", match["rest"].split("<code", 1)[1].split(">", 1)[1])
        )
        commands = console_commands(text.split("\n"))
        copy = html.escape(commands, quote=True)
        return f'<div class="{match["cls"]}" data-copy="{copy}">{match["rest"]}'

    return _CONSOLE_HTML.sub(console, page_html)


# Every highlighted block's opening, as Pygments writes it (the empty span is its anchor).
_PRE_OPENING = "<pre><span></span><code"
# The copy button, as the theme's own script would add it, but in the page from
# the start: the theme's bundle no longer runs on load (overrides/main.html), and
# assets/javascripts/page.js copies the block's data-copy, else its text.
COPY_BUTTON = (
    '<nav class="md-code__nav"><button type="button" class="md-code__button" '
    'title="Copy to clipboard" aria-label="Copy to clipboard" data-md-type="copy">'
    "</button></nav>"
)


def add_copy_buttons(page_html: str) -> str:
    """Give every highlighted code block of a page its copy button."""
    return page_html.replace(_PRE_OPENING, "<pre><span></span>" + COPY_BUTTON + "<code")


# The build's state: each page's programs between its Markdown and its HTML.
_programs: dict[str, list[Program]] = {}
_expanders: dict[int, Callable[[str], str]] = {}


def _expander(config) -> Callable[[str], str]:
    key = id(config)
    if key not in _expanders:
        _expanders.clear()
        _expanders[key] = snippet_expander(config)
    return _expanders[key]


def on_page_markdown(text: str, page, config, files) -> str:
    """MkDocs event: expand each block, find its setup, label outputs."""
    try:
        programs = page_programs(text, _expander(config))
    except BlockError as error:
        # A short message that names the page and line, rather than a traceback from the hook.
        raise PluginError(f"docs/{page.file.src_uri}, {error}") from None
    _programs[page.file.src_uri] = programs
    return mark_blocks(text, programs)


@event_priority(40)  # after lean_code.py has counted lines, before print-site keeps the page
def on_page_content(page_html: str, page, config, files) -> str:
    """MkDocs event: hide the setup lines, attach the programs to copy, add the buttons."""
    return add_copy_buttons(render_setup(page_html, _programs.get(page.file.src_uri, [])))
