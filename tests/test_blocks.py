"""book_build/blocks.py: fences, programs, declared setup lines, notebook cells."""

from __future__ import annotations

import pytest

from book_build import blocks

from conftest import REPO, expand

PAGES = sorted((REPO / "docs").glob("*.md"))


def test_fences_nest_close_on_a_longer_run_and_know_outputs():
    text = "\n".join(
        [
            '=== "NumPy"',
            "    ````python",
            "    print('```')",
            "    ```",
            "    ````",
            "",
            "    <!--pytest-codeblocks:expected-output-->",
            "",
            "    ```text",
            "    ```",
        ]
    )
    first, output = blocks.fences(text)
    assert (first.start, first.end, first.indent, first.language) == (1, 4, "    ", "python")
    assert first.body == ["print('```')", "```"]
    assert output.is_output and output.body == [] and not first.is_output


def test_lines_above_the_marker_are_setup_and_the_marker_is_dropped():
    program = blocks.program_of("import numpy as np\nx = np.ones(3)\n# /setup\n\nprint(x.sum())\n")
    assert program.code == "import numpy as np\nx = np.ones(3)\nprint(x.sum())"
    assert program.hidden == ["import numpy as np", "x = np.ones(3)"]
    assert program.shown == ["print(x.sum())"]


def test_a_block_without_the_marker_shows_everything():
    program = blocks.program_of("x = 1\nprint(x)\n")
    assert program.setup == 0 and program.shown == ["x = 1", "print(x)"]


# The rule CONTRIBUTING states: a block folds only lines that a block above it showed.
def new_setup_lines(programs: list[blocks.Program]) -> list[tuple[blocks.Program, str]]:
    """Each folded line that no block above it showed in view: folding it would hide news."""
    seen: set[str] = set()
    found = []
    for program in programs:
        found += [(program, line) for line in program.hidden if line.strip() and line not in seen]
        seen.update(program.shown)
    return found


def test_a_folded_line_new_to_the_page_is_found():
    first = blocks.program_of("import numpy as np\nprint(np.pi)")
    second = blocks.program_of("import numpy as np\nimport torch\n# /setup\nprint(torch.pi)")
    assert [line for _, line in new_setup_lines([first, second])] == ["import torch"]
    # A line folded in every block so far was never shown: still news.
    third = blocks.program_of("import torch\n# /setup\nprint(1)")
    assert [line for _, line in new_setup_lines([first, third])] == ["import torch"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_folded_line_of_a_chapter_was_shown_earlier_on_its_page(page):
    programs = blocks.page_programs(page.read_text(encoding="utf-8"), expand)
    new = [(p.fence.start + 1, line) for p, line in new_setup_lines(programs)]
    assert not new, f"{page.name}: folded lines the page has not shown: {new[:3]}"


def test_page_programs_expand_includes_and_find_outputs_and_marks():
    page = (
        '<!--pytest.mark.raises("ValueError")-->\n```python\n'
        '--8<-- "snippets/tensors.py:broadcast_shapes"\n# /setup\nprint(1)\n```\n\n'
        "<!--pytest-codeblocks:expected-output-->\n\n```text\n1\n```\n"
    )
    (program,) = blocks.page_programs(page, expand)
    assert "def broadcast_shapes(" in program.code and "# /setup" not in program.code
    assert program.shown == ["print(1)"]
    assert program.output.body == ["1"] and program.marks == ['pytest.mark.raises("ValueError")']


def test_a_missing_section_names_its_line():
    page = 'Text.\n\n```python\n--8<-- "snippets/tensors.py:no_such_section"\n```\n'
    with pytest.raises(blocks.BlockError, match=r"line 3: .*no_such_section"):
        blocks.page_programs(page, expand)


def test_notebook_cells_skip_folded_definitions_but_rerun_folded_data():
    code = "import numpy as np\n\ndef f(x):\n    return x\n\nx = np.ones(2)\n# /setup\nprint(f(x))"
    assert blocks.notebook_code(blocks.program_of(code)) == "x = np.ones(2)\nprint(f(x))"


def test_console_copies_drop_prompts_and_output():
    body = ["$ pip install \\", "    numpy", "Collecting numpy", "$ pytest -q", "3 passed"]
    assert blocks.console_commands(body) == "pip install \\\n    numpy\npytest -q"
