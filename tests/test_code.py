"""book_build/code.py: a block's HTML: folded setup, the program to copy, the copy button."""

from __future__ import annotations

import html

import markdown
from bs4 import BeautifulSoup

from book_build import code

FENCES = {"custom_fences": [{"name": "*", "class": "highlight", "format": code.format_fence}]}


def render(text: str) -> BeautifulSoup:
    md = markdown.Markdown(
        extensions=["pymdownx.superfences", "attr_list", "book_build.markdown"],
        extension_configs={"pymdownx.superfences": FENCES},
    )
    return BeautifulSoup(md.convert(text), "html.parser")


def test_a_python_block_folds_its_setup_and_copies_the_whole_program():
    soup = render("```python\nimport numpy as np\n# /setup\nprint(np.pi)\n```\n")
    block = soup.select_one("div.highlight")
    assert block["data-copy"] == "import numpy as np\nprint(np.pi)"
    button = block.select_one("button.la-setup-toggle")
    assert button.get_text() == "1 setup line shown above"
    assert block.select_one("template.la-setup").decode_contents().count("import") == 1
    code_element = block.select_one("code")
    code_element.select_one("template").extract()
    assert code_element.get_text() == "1 setup line shown above" + "print(np.pi)\n"


def test_every_block_gets_one_copy_button():
    soup = render("```text\na\nb\n```\n\n```python\nx = 1\n```\n\nSome `inline` code.\n")
    assert len(soup.select("div.highlight")) == 2
    assert len(soup.select("nav.md-code__nav button[data-md-type=copy]")) == 2
    assert len(soup.select("pre > code")) == 2
    assert soup.select_one("p code").get_text() == "inline"


def test_a_console_block_copies_its_commands_only():
    soup = render("```console\n$ pytest -q\n3 passed\n```\n")
    assert soup.select_one("div.highlight")["data-copy"] == "pytest -q"


def test_an_expected_output_is_marked_for_its_label():
    soup = render(
        "```python\nprint(1)\n```\n\n<!--pytest-codeblocks:expected-output-->\n\n```text\n1\n```\n"
    )
    output = soup.select("div.highlight")[1]
    assert "la-output" in output["class"] and "data-copy" not in output.attrs
    assert "Output" not in soup.get_text()  # the stylesheet draws the label


def test_only_spans_with_a_colour_of_their_own_are_kept():
    spans = code.highlight("x = len(y)  # why\n", "python")
    assert spans == 'x = <span class="nb">len</span>(y)  <span class="c1"># why</span>\n'
    assert (
        html.unescape(BeautifulSoup(code.highlight("a < b\n", "python"), "html.parser").get_text())
        == "a < b\n"
    )


def test_an_unknown_language_is_plain_text():
    assert code.highlight("<x>\n", "no-such-language") == "&lt;x&gt;\n"
