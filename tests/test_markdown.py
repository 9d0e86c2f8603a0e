"""book_build/markdown.py: the Python-Markdown extension, run on small pages."""

from __future__ import annotations

import markdown
import pytest

from book_build import pages
from book_build.markdown import BookExtension

from conftest import REPO

TIP = '<abbr title="Jacobian-vector product">JVP</abbr>'


def convert(text: str) -> str:
    extensions = ["abbr", "md_in_html", "toc", BookExtension()]
    return markdown.markdown(text + "\n\n*[JVP]: Jacobian-vector product\n", extensions=extensions)


def test_the_home_page_gets_the_versions_that_requirements_txt_pins():
    text = (REPO / "docs" / "index.md").read_text(encoding="utf-8")
    md = markdown.Markdown(extensions=[BookExtension(requirements=str(REPO / "requirements.txt"))])
    filled = "\n".join(md.preprocessors["book"].run(text.split("\n")))
    assert "{pin:" in text and "{pin:" not in filled
    versions = pages.pinned_versions((REPO / "requirements.txt").read_text(encoding="utf-8"))
    assert f"PyTorch {versions['torch']}" in " ".join(filled.split())


def test_tooltips_stay_in_running_text_only():
    html = convert("# The JVP\n\nA JVP in text, [a JVP link](#y), `JVP.py`.\n\n## A JVP again")
    assert html == (
        '<h1 id="the-jvp">The JVP</h1>\n'
        f'<p>A {TIP} in text, <a href="#y">a JVP link</a>, <code>JVP.py</code>.</p>\n'
        '<h2 id="a-jvp-again">A JVP again</h2>'
    )


def test_a_page_can_do_without_tooltips():
    assert convert("<!-- no tooltips -->\n\nA JVP, and JVP.") == "<p>A JVP, and JVP.</p>"


def equation(name: str) -> str:
    return f'<div class="equation" id="eq-{name}" markdown>\n\n$$x$$\n\n</div>\n\n'


def test_equations_are_numbered_in_page_order_and_links_read_their_number():
    html = convert(
        f"See [](#eq-b).\n\n{equation('a')}x\n\n{equation('b')}By [(1)](#eq-a) and [](#eq-b)."
    )
    assert html.count('<span class="equation__number">') == 2
    assert '<div class="equation" id="eq-a">\n<span class="equation__number">(1)</span>' in html
    assert '<div class="equation" id="eq-b">\n<span class="equation__number">(2)</span>' in html
    assert html.count('<a href="#eq-b">(2)</a>') == 2 and '<a href="#eq-a">(1)</a>' in html


def test_a_page_without_numbered_equations_is_left_alone():
    assert convert("$$x$$\n\n[intro](#intro)") == '<p>$$x$$</p>\n<p><a href="#intro">intro</a></p>'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[](#eq-missing)", "no equation has"),
        (equation("a") + "[(2)](#eq-a)", r"should read \(1\)"),
        (equation("a") + equation("a"), "two equations"),
    ],
)
def test_a_wrong_reference_stops_the_build(text, message):
    with pytest.raises(pages.PageError, match=message):
        convert(text)
