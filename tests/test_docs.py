"""Run every code block of every page as the copy button gives it, and check what it prints.

The program of a block is what ``book_build/blocks.py`` puts behind the block's
copy button: its ``--8<-- "snippets/..."`` includes expanded as pymdownx.snippets
expands them for the site, the ``# /setup`` marker dropped. Each block runs once,
in a fresh namespace of this process, as a script would. Each page also goes
through pytest-codeblocks' own extractor, whose markers and expected-output
blocks are honoured, and the two must agree block for block.

``pytest --update-outputs`` rewrites every expected-output block that differs
from what its block now prints (review the diff before you commit it).

Every error names the page and the line of the block: a missing include
section, an unknown marker, a block that fails, an output that differs from
the page. One broken page never stops the other pages' blocks from running.

Markers, on the line above a block:

* ``<!--pytest.mark.raises("RuntimeError")-->``: the block raises that
  exception on purpose (for example ``view`` on a non-contiguous tensor). The
  test fails unless it raises exactly that type; an expected-output block then
  ends with the last line of the traceback, ``RuntimeError: message``.
* ``<!--pytest.mark.skipif(condition, reason="...")-->``: pytest's own.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import re
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_codeblocks import extract_from_buffer

from book_build import blocks

from conftest import REPO, UPDATES, expand

DOCS = REPO / "docs"
SHELLS = {"sh", "bash"}
# The markers a block may carry. Others (a typo, a plain skip that would hide a
# failure) are reported as errors of their page.
ALLOWED_MARKS = {"raises", "skipif"}
# Info strings that mean Python to a reader but that pytest-codeblocks would
# pass over without running: only a fence whose info string is exactly
# "python" is collected.
PYTHON_NAMES = {"py", "py3", "python", "python3", "pycon", "ipython"}
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_CODEBLOCKS_MARKER = re.compile(r"^\s*<!--[-\s]*pytest-codeblocks:(?P<keyword>.*?)[-\s]*-->")
_MARK = re.compile(r"^\s*<!--[-\s]*pytest\.mark\.(?P<name>\w+)")
KNOWN_KEYWORDS = {"expected-output", "expected-output-ignore-whitespace"}


def pages() -> list[Path]:
    """Every Markdown page of the site."""
    return sorted(DOCS.rglob("*.md"))


@dataclass
class Case:
    """One block to run, or one error of a page that stops its blocks from being collected."""

    page: str
    line: int
    syntax: str = "python"
    code: str = ""
    expected: str | None = None
    ignore_whitespace: bool = False
    error: str | None = None
    output: blocks.Fence | None = None  # where the expected output stands in the page


def marker_errors(text: str) -> list[str]:
    """``line N: ...`` for each marker that the tests would not understand."""
    errors = []
    for number, line in enumerate(text.split("\n"), start=1):
        codeblocks = _CODEBLOCKS_MARKER.match(line)
        if codeblocks and codeblocks["keyword"].strip() not in KNOWN_KEYWORDS:
            errors.append(f"line {number}: unknown marker {line.strip()!r}")
        mark = _MARK.match(line)
        if mark and mark["name"] not in ALLOWED_MARKS:
            errors.append(
                f"line {number}: marker {line.strip()!r} is not one of "
                f"{sorted(ALLOWED_MARKS)} (a skipped block would hide a failure)"
            )
    return errors


def non_blank(code: str) -> list[str]:
    return [line for line in code.split("\n") if line.strip()]


def cases_of(page: Path) -> list[tuple[Case, list[str]]]:
    """The blocks of one page with their marks, or a single failing case naming the error."""
    name = page.relative_to(REPO).as_posix()
    text = page.read_text(encoding="utf-8")
    errors = marker_errors(text)
    if errors:
        return [(Case(name, int(errors[0].split()[1].rstrip(":")), error="; ".join(errors)), [])]
    try:
        programs = blocks.page_programs(text, expand)
        extracted = extract_from_buffer(io.StringIO(expand(text)), max_num_lines=10**6)
    except blocks.BlockError as error:
        line = int(str(error).split()[1].rstrip(":"))
        return [(Case(name, line, error=f"{name}, {error}"), [])]
    python = [block for block in extracted if block.syntax == "python"]
    if len(python) != len(programs):
        message = f"{name}: {len(programs)} python blocks on the site, {len(python)} extracted"
        return [(Case(name, 1, error=message), [])]
    found = []
    for program, block in zip(programs, python, strict=True):
        line = program.fence.start + 1
        # pytest-codeblocks drops the blank lines of an indented block (in a tab or
        # an admonition): the two must agree on every other line.
        extracted_code = [x for x in non_blank(block.code) if x.strip() != blocks.SETUP_MARKER]
        if extracted_code != non_blank(program.code):
            error = f"{name}:{line}: the copied program differs from the extracted block"
            found.append((Case(name, line, error=error), []))
            continue
        case = Case(name, line, "python", program.code, block.expected_output)
        case.output = program.output
        case.ignore_whitespace = block.expected_output_ignore_whitespace
        found.append((case, block.marks))
    for block in extracted:
        if block.syntax in SHELLS:
            found.append(
                (
                    Case(name, block.lineno, block.syntax, block.code, block.expected_output),
                    block.marks,
                )
            )
    return found


def collect():
    params = []
    for page in pages():
        for case, marks in cases_of(page):
            evaluated = [eval(mark, {"pytest": pytest, "sys": sys}) for mark in marks]
            params.append(pytest.param(case, id=f"{case.page}:{case.line}", marks=evaluated))
    return params


def run_python(code: str, origin: str) -> tuple[str, BaseException | None]:
    """Run ``code`` as a fresh script would; return what it printed and what it raised."""
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    buffer = io.StringIO()
    raised = None
    with contextlib.redirect_stdout(buffer):
        try:
            # dont_inherit: this module's "from __future__ import annotations" must not
            # leak into the block, which a reader runs without it. The file name makes a
            # traceback name the page and the block's first line.
            exec(compile(code, origin, "exec", dont_inherit=True), namespace)
        except Exception as error:
            raised = error
    return buffer.getvalue(), raised


def output_diff(expected: str, output: str, origin: str) -> str:
    """A diff of the expected output (``page``) against what the block printed (``ran``)."""
    diff = difflib.unified_diff(
        expected.splitlines(keepends=True),
        output.splitlines(keepends=True),
        fromfile=f"page ({origin}, the expected output)",
        tofile="ran (what the block printed)",
    )
    return "".join(diff)


@pytest.mark.parametrize("case", collect())
def test_code_block(case: Case, request):
    if case.error:
        pytest.fail(case.error, pytrace=False)
    origin = f"{case.page}:{case.line}"
    raises = request.node.get_closest_marker("raises")
    if case.syntax == "python":
        output, raised = run_python(case.code, origin)
        if raises is not None:
            wanted = raises.args[0]
            if raised is None:
                pytest.fail(
                    f"{origin}: the block should raise {wanted} and raised nothing", pytrace=False
                )
            kind = type(raised)
            if wanted not in {kind.__name__, f"{kind.__module__}.{kind.__qualname__}"}:
                raise AssertionError(f"{origin}: the block should raise {wanted}") from raised
            output += traceback.format_exception_only(raised)[-1]
        elif raised is not None:
            raise AssertionError(f"{origin}: the block raised") from raised
    else:
        shell = "/bin/bash" if case.syntax == "bash" else "/bin/sh"
        result = subprocess.run(
            [shell, "-c", case.code], cwd=REPO, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"{origin}: {result.stderr}"
        output = result.stdout
    if case.expected is not None:
        expected, got = case.expected, output
        if case.ignore_whitespace:
            expected, got = re.sub(r"\s+", "", expected), re.sub(r"\s+", "", got)
        if got != expected and request.config.getoption("update_outputs") and case.output:
            UPDATES.append((case.page, case.output, output))
        elif got != expected:
            pytest.fail(
                f"{origin}: the output differs\n{output_diff(case.expected, output, origin)}",
                pytrace=False,
            )


def python_fences_that_would_be_skipped(text: str) -> list[tuple[int, str]]:
    """Return ``(line, opener)`` for Python fences that pytest-codeblocks would not collect."""
    found = []
    open_fence = None
    for lineno, line in enumerate(text.split("\n"), start=1):
        match = FENCE.match(line)
        if open_fence is not None:
            # A fence closes with at least as many of the same character.
            closes = (
                match is not None
                and match["fence"][0] == open_fence[0]
                and len(match["fence"]) >= len(open_fence)
                and not match["info"].strip()
            )
            if closes:
                open_fence = None
            continue
        if match is None:
            continue
        open_fence = match["fence"]
        info = match["info"].strip()
        first_word = info.lstrip("{.").split(maxsplit=1)[0].rstrip("}") if info else ""
        if first_word.lower() in PYTHON_NAMES and (info != "python" or open_fence[0] == "~"):
            found.append((lineno, line.strip()))
    return found


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_no_python_fence_escapes_the_tests(page):
    escaped = python_fences_that_would_be_skipped(page.read_text(encoding="utf-8"))
    assert not escaped, (
        f"{page.name}: these fences would not be run by the tests; "
        f"open Python blocks with exactly ```python: {escaped}"
    )


def test_the_fence_check_finds_every_disguise():
    text = "\n".join(
        [
            "```python",
            "x = 1",
            "```",
            "```py",
            "```",
            '```python title="a.py"',
            "```",
            "~~~python",
            "~~~",
            "    ```{.python}",
            "    ```",
            "```text",
            "```python",  # inside a text fence: not an opener
            "```",
        ]
    )
    assert [line for line, _ in python_fences_that_would_be_skipped(text)] == [4, 6, 8, 10]


def test_includes_are_expanded_from_the_snippets_package():
    expanded = expand('--8<-- "snippets/tensors.py:broadcast_shapes"')
    assert "def broadcast_shapes(" in expanded
    assert "--8<--" not in expanded


def test_a_missing_include_names_the_page_and_line(tmp_path):
    page = tmp_path / "broken.md"
    page.write_text(
        '# Broken\n\nText.\n\n```python\n--8<-- "snippets/tensors.py:no_such_section"\n```\n'
    )
    ((case, _),) = cases_of_outside(page)
    assert case.error is not None
    assert "line 5" in case.error and "no_such_section" in case.error


def test_an_unknown_marker_names_the_page_and_line(tmp_path):
    page = tmp_path / "typo.md"
    page.write_text(
        "# Typo\n\n<!--pytest-codeblocks:expected-outptu-->\n\n<!--pytest.mark.skip-->\n"
    )
    ((case, _),) = cases_of_outside(page)
    assert case.line == 3
    assert "line 3: unknown marker" in case.error and "line 5: marker" in case.error


def test_a_failed_output_is_labelled_page_and_ran():
    diff = output_diff("5.0001\n", "5.0000\n", "docs/x.md:7")
    assert "--- page (docs/x.md:7, the expected output)" in diff
    assert "+++ ran (what the block printed)" in diff
    assert "-5.0001" in diff and "+5.0000" in diff


def test_a_raised_exception_names_the_page_and_block():
    _, raised = run_python("x = 1\nraise ValueError('on purpose')\n", "docs/x.md:12")
    assert isinstance(raised, ValueError)
    frames = traceback.extract_tb(raised.__traceback__)
    assert (frames[-1].filename, frames[-1].lineno) == ("docs/x.md:12", 2)


def cases_of_outside(page: Path) -> list[tuple[Case, list[str]]]:
    """``cases_of`` for a page outside docs/ (a test's temporary page)."""
    original = REPO
    try:
        globals()["REPO"] = page.parent
        return cases_of(page)
    finally:
        globals()["REPO"] = original


def test_the_collector_finds_the_chapters_blocks():
    # A guard against the collector silently finding nothing.
    params = collect()
    assert len(params) >= 80
