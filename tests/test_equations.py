"""overrides/hooks/equations.py: equations the text refers to by number are numbered."""

from __future__ import annotations

import pytest
from mkdocs.exceptions import PluginError

from conftest import REPO, load_hook

equations = load_hook("equations")


def equation(name: str) -> str:
    return f'<div class="equation" id="eq-{name}">\n<div class="arithmatex">\\[x\\]</div>\n</div>'


def test_equations_are_numbered_in_page_order_and_links_filled():
    html = (
        f'<p>See <a href="#eq-b"></a>.</p>{equation("a")}<p>x</p>{equation("b")}'
        '<p>By <a href="#eq-a">(1)</a> and <a href="#eq-b"></a>.</p>'
    )
    out = equations.number_equations(html)
    assert out.count('<span class="equation__number">') == 2
    assert '<div class="equation" id="eq-a"><span class="equation__number">(1)</span>' in out
    assert '<div class="equation" id="eq-b"><span class="equation__number">(2)</span>' in out
    assert out.count('<a href="#eq-b">(2)</a>') == 2 and '<a href="#eq-a">(1)</a>' in out


def test_a_page_without_numbered_equations_is_left_alone():
    html = '<div class="arithmatex">\\[x\\]</div><p><a href="#intro">intro</a></p>'
    assert equations.number_equations(html) == html


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ('<a href="#eq-missing"></a>', "no equation has"),
        (equation("a") + '<a href="#eq-a">(2)</a>', r"should read \(1\)"),
        (equation("a") + equation("a"), "two equations"),
    ],
)
def test_a_wrong_reference_stops_the_build(html, message):
    with pytest.raises(PluginError, match=message):
        equations.number_equations(html)


def test_every_reference_in_the_chapters_names_an_equation_of_its_page():
    import re

    for page in sorted((REPO / "docs").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        ids = set(re.findall(r'<div class="equation" id="(eq-[\w-]+)"', text))
        for target in re.findall(r"\]\(#(eq-[\w-]+)\)", text):
            assert target in ids, f"{page.name}: #{target}"
