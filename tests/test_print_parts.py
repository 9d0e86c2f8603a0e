"""overrides/hooks/print_parts.py: the print page's first page in its HTML, the rest in parts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import load_hook

print_parts = load_hook("print_parts")


def paragraph(n: int, words: int = 20) -> str:
    return f"<p>Paragraph {n}: " + "word " * words + "<math><mi>x</mi></math></p>\n"


NESTED = (
    "\n<section class='print-page md-section' id='section-2'>\n<h1>Chapters</h1>\n"
    '<section class="print-page" id="a">'
    + "".join(paragraph(n) for n in range(12))
    + '<div class="highlight"><pre><code>'
    + "x = 1\n" * 80
    + "</code></pre></div>\n<details><summary>Solution</summary>"
    + "".join(paragraph(n) for n in range(6))
    + "</details><br><img src='a.svg' alt='A'/>\n</section>\n</section>\n"
)


def test_steps_rebuild_the_markup_exactly_and_stay_under_the_limit():
    steps = print_parts.assembly_steps(NESTED, limit=400)
    assert print_parts.apply_steps(steps) == NESTED
    appended = [step[1] for step in steps if step[0] == "append"]
    code = next(a for a in appended if "<pre>" in a)
    assert len(code) > 400  # a code block goes whole, however long
    assert all(len(a) <= 400 for a in appended if a is not code)
    # Only the sections, divisions and details too large for one step are
    # entered, and each is left again.
    entered = [step[1] for step in steps if step[0] == "enter"]
    assert entered == [
        "<section class='print-page md-section' id='section-2'></section>",
        '<section class="print-page" id="a"></section>',
        '<div class="highlight"></div>',
        "<details></details>",
    ]
    assert sum(step == ["leave"] for step in steps) == len(entered)


def test_a_small_run_is_one_step():
    html = "<p>one</p>\n<p>two</p>\n"
    assert print_parts.assembly_steps(html, limit=400) == [["append", html]]


def test_a_script_in_the_book_is_an_error():
    with pytest.raises(ValueError, match="<script> in the book would not run"):
        print_parts.assembly_steps("<p>a</p><script>alert(1)</script>")


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("<div><p>a</p>", "<div> is never closed"),
        ("<div><p>a</div>", "</div> closes <p>, at '<div><p>a</div>'"),
        ("<p>a</p></section>", "</section> closes nothing, at '<p>a</p></section>'"),
    ],
)
def test_unbalanced_markup_is_an_error_that_says_where(html, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        print_parts.assembly_steps(html)


# Markup as the book's pages hold it: elements, some void, some self-closed (in
# MathML and SVG), text with entities and newlines, nested to any depth.
_TAGS = st.sampled_from(["section", "div", "details", "p", "ul", "li", "math", "mi", "span"])
_TEXT = st.text(alphabet="ab &;\n<>é", max_size=12).map(
    lambda t: t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
)


def _elements(children):
    return st.builds(
        lambda tag, cls, inner: f'<{tag} class="{cls}">{inner}</{tag}>',
        _TAGS,
        st.sampled_from(["a", "print-page", "x y"]),
        children,
    )


_MARKUP = st.recursive(
    st.one_of(_TEXT, st.just("<br>"), st.just('<img src="f.svg" alt="F">'), st.just("<mspace/>")),
    lambda children: st.lists(st.one_of(_elements(children), children), max_size=5).map("".join),
    max_leaves=40,
)


@given(html=_MARKUP, limit=st.integers(min_value=1, max_value=200))
def test_any_markup_is_rebuilt_exactly_at_any_limit(html, limit):
    steps = print_parts.assembly_steps(html, limit)
    assert print_parts.apply_steps(steps) == html
    assert all(step[0] in ("append", "enter", "leave") for step in steps)


def test_the_empty_run_has_no_steps():
    assert print_parts.assembly_steps("") == []


PAGE = (
    "<html><body><div class='md-content'>"
    '<div id="print-site-page" class="print-site-enumerate-headings">'
    '<section class="print-page"><div id="print-page-toc"><h1>Contents</h1></div></section>'
    '<section class="print-page" id="index"><h1>Home</h1><p>Start here.</p></section>'
    + NESTED
    + '<section class="print-page" id="references"><h1>References</h1></section>'
    "</div><style>#index h1:before { content: '1 ' }</style></div>"
    '<script src="assets/javascripts/page.js"></script></body></html>'
)


def unpack(part) -> list:
    assert part.text.startswith("bookPrintPart(") and part.text.endswith(");\n")
    return json.loads(part.text[len("bookPrintPart(") : -len(");\n")])


def test_the_page_keeps_its_first_page_and_the_parts_bring_the_rest():
    page, parts = print_parts.split_book(PAGE, limit=400, part_chars=600)
    assert len(parts) > 2
    start = PAGE.index("\n<section class='print-page md-section'")
    rest = PAGE[start : PAGE.index("</div><style>")]
    assert print_parts.apply_steps([s for part in parts for s in unpack(part)]) == rest
    # The page: everything up to the end of the first page, then the note.
    assert "Start here.</p></section><noscript>" in page
    assert "</noscript></div><style>#index" in page and "Chapters" not in page
    paths = re.search(r'<div id="print-site-page" [^>]*data-parts="([^"]+)">', page)[1].split()
    assert paths == [part.path for part in parts]
    assert all(re.fullmatch(r"print_page/\d\d\.[0-9a-f]{10}\.js", path) for path in paths)
    assert page.endswith(
        '<script src="assets/javascripts/print-page.js" defer></script>\n</body></html>'
    )


def test_a_part_gets_a_new_name_when_it_changes():
    _, before = print_parts.split_book(PAGE, limit=400, part_chars=600)
    _, after = print_parts.split_book(PAGE.replace("Paragraph 11", "Paragraph eleven"), 400, 600)
    changed = [a.path != b.path for a, b in zip(before, after, strict=True)]
    assert changed.count(True) == 1


def test_a_print_page_without_its_pages_is_an_error():
    with pytest.raises(ValueError, match="no #print-site-page"):
        print_parts.split_book("<html><body><p>nothing</p></body></html>")


def test_whole_page_reads_the_parts_back(tmp_path: Path):
    page, parts = print_parts.split_book(PAGE, limit=400, part_chars=600)
    (tmp_path / "print_page").mkdir()
    for part in parts:
        (tmp_path / part.path).write_text(part.text, encoding="utf-8")
    (tmp_path / "print_page.html").write_text(page, encoding="utf-8")
    whole = print_parts.whole_page(tmp_path / "print_page.html")
    assert (
        re.sub(r' data-parts="[^"]*"', "", whole).replace(
            '<script src="assets/javascripts/print-page.js" defer></script>\n', ""
        )
        == PAGE
    )


def test_the_built_print_page_holds_its_first_page_and_loads_the_rest(built_site):
    path = built_site.site / "print_page.html"
    page = path.read_text(encoding="utf-8")
    assert '<section class="print-page" id="index"' in page
    assert '<section class="print-page" id="tensors"' not in page
    assert (built_site.site / print_parts.SCRIPT).is_file()
    paths = re.search(r'data-parts="([^"]+)"', page)[1].split()
    # Only this build's parts: mkdocs serve keeps the folder from build to build.
    assert sorted(paths) == sorted(
        f"print_page/{p.name}" for p in (built_site.site / "print_page").iterdir()
    )
    whole = print_parts.whole_page(path)
    for chapter in ("tensors", "einsum", "autodiff", "low-rank", "lab-strides", "references"):
        assert f'<section class="print-page" id="{chapter}"' in whole
    assert len(whole) > 5 * len(page)
