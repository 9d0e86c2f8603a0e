"""Run every code block of every page exactly as the site renders it.

The Markdown source cannot be run as it is: a block's ``--8<-- "snippets/..."``
line is valid Python that fails at run time. So each page goes through
pymdownx.snippets' own preprocessor, configured from ``mkdocs.yml``, and the
expanded text goes through pytest-codeblocks' extractor, whose markers
(skip, skipif, xfail, importorskip, expected-output, ...) are honoured.
"""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import markdown
import pytest
from mkdocs.config import load_config
from pytest_codeblocks import extract_from_buffer

from conftest import REPO

DOCS = REPO / "docs"
RUNNABLE = {"python", "sh", "bash"}
# Info strings that mean Python to a reader but that pytest-codeblocks would
# pass over without running: only a fence whose info string is exactly
# "python" is collected.
PYTHON_NAMES = {"py", "py3", "python", "python3", "pycon", "ipython"}
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


def pages() -> list[Path]:
    """Every Markdown page of the site."""
    return sorted(DOCS.rglob("*.md"))


@cache
def snippet_preprocessor():
    """pymdownx.snippets' preprocessor, with the options that mkdocs.yml gives it."""
    config = load_config(str(REPO / "mkdocs.yml"))
    md = markdown.Markdown(
        extensions=config["markdown_extensions"],
        extension_configs=config["mdx_configs"],
    )
    return md.preprocessors["snippet"]


def expand(text: str) -> str:
    """Return ``text`` with every ``--8<--`` include replaced by what it includes."""
    return "\n".join(snippet_preprocessor().run(text.split("\n")))


def blocks_of(page: Path):
    """Yield ``(line in the .md source, CodeBlock)`` for each runnable block of a page."""
    source = page.read_text(encoding="utf-8")
    # Includes add lines, so the line numbers of the expanded blocks are not
    # the source's. Includes only ever sit inside a fence, so the blocks of the
    # raw and the expanded text correspond one to one, in order.
    raw = extract_from_buffer(io.StringIO(source), max_num_lines=10**6)
    expanded = extract_from_buffer(io.StringIO(expand(source)), max_num_lines=10**6)
    assert len(raw) == len(expanded), f"{page}: an include changed the number of code blocks"
    for raw_block, block in zip(raw, expanded, strict=True):
        if block.syntax in RUNNABLE:
            yield raw_block.lineno, block


def collect():
    params = []
    for page in pages():
        name = page.relative_to(REPO).as_posix()
        for lineno, block in blocks_of(page):
            marks = [eval(mark, {"pytest": pytest, "sys": sys}) for mark in block.marks]
            params.append(pytest.param(block, id=f"{name}:{lineno}", marks=marks))
    return params


def run_python(code: str) -> str:
    """Run ``code`` as a fresh script would run, and return what it printed."""
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        # dont_inherit: this module's "from __future__ import annotations" must not
        # leak into the block, which a reader runs without it.
        exec(compile(code, "<code block>", "exec", dont_inherit=True), namespace)
    return buffer.getvalue()


@pytest.mark.parametrize("block", collect())
def test_code_block(block):
    if block.importorskip is not None:
        pytest.importorskip(block.importorskip)
    if block.syntax == "python":
        output = run_python(block.code)
    else:
        shell = "/bin/bash" if block.syntax == "bash" else "/bin/sh"
        result = subprocess.run(
            [shell, "-c", block.code], cwd=REPO, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        output = result.stdout
    if block.expected_output is not None:
        expected = block.expected_output
        if block.expected_output_ignore_whitespace:
            expected, output = re.sub(r"\s+", "", expected), re.sub(r"\s+", "", output)
        assert output == expected


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
    expanded = expand('```python\n--8<-- "snippets/tensors.py:broadcast_shapes"\n```\n')
    assert "def broadcast_shapes(" in expanded
    assert "--8<--" not in expanded


def test_a_missing_include_is_an_error():
    with pytest.raises(Exception, match="could not be found"):
        expand('```python\n--8<-- "snippets/no_such_module.py"\n```\n')


def test_the_collector_finds_the_chapters_blocks():
    # A guard against the collector silently finding nothing.
    assert len(collect()) >= 10
