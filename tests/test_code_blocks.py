"""overrides/hooks/code_blocks.py: blocks show what they add, hide only repeats, copy whole."""

from __future__ import annotations

import html
import re

import pytest
from bs4 import BeautifulSoup
from mkdocs.config import load_config

from conftest import REPO, load_hook

code_blocks = load_hook("code_blocks")
EXPAND = code_blocks.snippet_expander(load_config(str(REPO / "mkdocs.yml")))
PAGES = sorted((REPO / "docs").glob("*.md"))


def program(code: str, shown: list[str]):
    result = code_blocks.Program(None, code)
    result.runs = code_blocks.setup_runs(code, shown)
    return result


def test_setup_that_repeats_is_hidden_and_what_is_new_is_shown():
    shown = ["import numpy as np\n\ndef f(x):\n    return 2 * x\n\nrng = np.random.default_rng(0)"]
    code = "\n".join(
        [
            "import numpy as np",
            "import torch",  # new import: stays in view
            "",
            "def f(x):",
            "    return 2 * x",
            "",
            "rng = np.random.default_rng(0)",
            "print(f(rng.normal()))",
            "rng = np.random.default_rng(0)",  # after the setup: shown although a repeat
        ]
    )
    result = program(code, shown)
    # A lone repeated import stays in view: a button would take its line.
    assert result.shown == [
        "import numpy as np",
        "import torch",
        "print(f(rng.normal()))",
        "rng = np.random.default_rng(0)",
    ]
    assert result.runs == [(2, 7)]


def test_a_statement_is_hidden_only_when_all_its_lines_were_shown_together():
    shown = ["def f(x):\n    return 2 * x", "def g(x):\n    return x"]
    code = "def f(x):\n    return x\n\nprint(f(1))"  # every line seen, not as one function
    assert program(code, shown).runs == []


def test_the_last_statement_always_shows():
    shown = ["print(1)"]
    assert program("print(1)", shown).shown == ["print(1)"]


def test_a_class_shown_in_pieces_hides_the_piece_shown_before():
    first = "class A:\n    x = 1\n\n    def f(self):\n        return 1"
    code = first + "\n\n    def g(self):\n        return 2\n\nprint(A().g())"
    result = program(code, [first])
    assert result.shown == ["    def g(self):", "        return 2", "", "print(A().g())"]


def test_notebook_cells_skip_hidden_definitions_but_rerun_hidden_data():
    shown = ["import numpy as np\n\ndef f(x):\n    return x\n\nrng = np.random.default_rng(0)"]
    code = shown[0] + "\nprint(f(rng.normal()))"
    cell = code_blocks.notebook_code(program(code, shown))
    assert cell == "rng = np.random.default_rng(0)\nprint(f(rng.normal()))"


def test_highlighted_code_splits_into_valid_pieces():
    code = '<span class="k">def</span> f():\n    <span class="s">"""a\nb"""</span>\nx = 1\n'
    assert code_blocks.split_lines(code, [1, 3]) == [
        '<span class="k">def</span> f():\n',
        '    <span class="s">"""a\nb"""</span>\n',
        "x = 1\n",
    ]
    # A cut inside a multi-line token closes the span and reopens it.
    assert code_blocks.split_lines(code, [2])[0].endswith('"""a\n</span>')


def test_console_copies_drop_prompts_and_output():
    body = ["$ python3 -m venv .venv", "created", "$ .venv/bin/python -m pytest"]
    assert code_blocks.console_commands(body) == "python3 -m venv .venv\n.venv/bin/python -m pytest"
    body = ["$ pip install \\", "    -r requirements.txt", "done", "$ pytest"]
    assert code_blocks.console_commands(body) == "pip install \\\n    -r requirements.txt\npytest"


def test_annotation_markers_are_not_part_of_the_program():
    assert code_blocks.strip_annotations("x = 1  # (1)!\ny = 2 # (2)") == "x = 1\ny = 2"


def test_expected_output_blocks_are_labelled_and_blocks_get_ids():
    page = (
        "```python\nprint(1)\n```\n\n<!--pytest-codeblocks:expected-output-->\n\n```text\n1\n```\n"
    )
    programs = code_blocks.page_programs(page, EXPAND)
    marked = code_blocks.mark_blocks(page, programs)
    assert "```{.python #la-code-0}" in marked
    assert '```{.text .la-output title="Output"}' in marked
    assert programs[0].output is not None and programs[0].output.body == ["1"]


def test_a_missing_section_names_its_line():
    page = 'Text.\n\n```python\n--8<-- "snippets/tensors.py:no_such_section"\n```\n'
    with pytest.raises(code_blocks.BlockError, match=r"line 3: .*no_such_section"):
        code_blocks.page_programs(page, EXPAND)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_hidden_line_repeats_a_line_shown_earlier_on_the_page(page):
    shown: set[str] = set()
    for block in code_blocks.page_programs(page.read_text(encoding="utf-8"), EXPAND):
        new = [line for line in block.hidden if line.strip() and line not in shown]
        assert not new, f"{page.name}:{block.fence.start + 1} hides new lines: {new[:3]}"
        shown.update(block.shown)


def test_built_pages_hide_only_repeats_and_carry_the_whole_program(built_site):
    checked = 0
    for page in sorted(built_site.site.glob("*.html")):
        if page.name == "print_page.html":
            continue
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        shown: set[str] = set()
        for block in soup.select("article .la-program"):
            code = block.select_one("code")
            hidden = [span.extract() for span in code.select(".la-setup")]
            for button in code.select(".la-setup-toggle"):
                button.extract()
            for span in hidden:
                for line in span.get_text().split("\n"):
                    assert not line.strip() or line in shown, f"{page.name}: hides {line!r}"
            visible = code.get_text()
            shown.update(visible.split("\n"))
            # The copy holds the hidden lines and the shown ones, in order.
            program = block["data-copy"]
            assert all(line in program.split("\n") for line in visible.split("\n") if line)
            checked += 1
    assert checked >= 80


def test_built_console_blocks_copy_without_prompts(built_site):
    index = (built_site.site / "index.html").read_text(encoding="utf-8")
    copies = re.findall(r'class="[^"]*la-console[^"]*" data-copy="([^"]*)"', index)
    assert copies, "the home page's console block"
    for copy in map(html.unescape, copies):
        assert copy and not any(line.startswith("$") for line in copy.split("\n"))


def test_built_expected_outputs_are_labelled_output(built_site):
    page = (built_site.site / "tensors.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(page, "html.parser")
    outputs = soup.select("article .la-output")
    assert len(outputs) >= 5
    assert {o.select_one(".filename").get_text() for o in outputs} == {"Output"}
    # Code blocks carry no such label: a reader tells code and output apart.
    assert not soup.select("article .la-program .filename")


def test_every_highlighted_block_gets_one_copy_button():
    html = (
        '<div class="highlight"><pre><span></span><code>x = 1\n</code></pre></div>'
        "<p><code>inline</code></p>"
        '<div class="la-output highlight"><span class="filename">Output</span>'
        "<pre><span></span><code>1\n</code></pre></div>"
    )
    out = code_blocks.add_copy_buttons(html)
    assert out.count(code_blocks.COPY_BUTTON) == 2
    assert "<pre><span></span>" + code_blocks.COPY_BUTTON + "<code>x = 1" in out
    assert "<p><code>inline</code></p>" in out
    assert 'aria-label="Copy to clipboard"' in code_blocks.COPY_BUTTON


def test_every_block_of_the_built_site_has_its_copy_button(built_site):
    for page in built_site.site.glob("*.html"):
        if page.name == "print_page.html":  # print_page.py drops them there
            continue
        html = page.read_text(encoding="utf-8")
        assert html.count("<pre><span></span>") == html.count(code_blocks.COPY_BUTTON), page.name
