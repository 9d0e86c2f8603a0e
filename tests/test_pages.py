"""book_build/pages.py: pinned versions, the glossary table, off-screen blocks and the
one-page print version."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from book_build import pages

from conftest import REPO

REQUIREMENTS = """\
# The site
mkdocs==1.6.1
PyYAML==6.0.4  # a comment after the pin
numpy>=2  # no pin: left out
torch==2.13.0
"""


def test_pinned_versions_reads_each_exact_pin():
    assert pages.pinned_versions(REQUIREMENTS) == {
        "mkdocs": "1.6.1",
        "pyyaml": "6.0.4",
        "torch": "2.13.0",
    }


def test_a_page_gets_the_pinned_versions():
    text = "Tested with PyTorch {pin:torch} and PyYAML {pin:PyYAML}."
    filled = pages.fill_pins(text, pages.pinned_versions(REQUIREMENTS))
    assert filled == "Tested with PyTorch 2.13.0 and PyYAML 6.0.4."


def test_an_unpinned_name_stops_the_build_naming_the_page():
    with pytest.raises(pages.PageError, match=r"docs/index.md: \{pin:numpy\} names no package"):
        pages.fill_pins("NumPy {pin:numpy}", pages.pinned_versions(REQUIREMENTS), "docs/index.md")


ABBREVIATIONS = REPO / "docs" / "includes" / "abbreviations.md"
DEFINED_IN = REPO / "docs" / "includes" / "defined-in.txt"


def test_every_line_of_the_abbreviations_file_is_an_entry():
    lines = [line for line in ABBREVIATIONS.read_text(encoding="utf-8").splitlines() if line]
    assert lines and all(re.match(r"^\*\[[^\]]+\]: \S", line) for line in lines)


PAGE = """# Autodiff

## The `tape` and the $u^\\top J$ product

```python
## not a heading
```

### Forward mode {#forward}

## Exercises

## Exercises
"""


def glossary(tmp_path, abbreviations: str, defined_in: str) -> list[str]:
    """The glossary table of these files, with one page, autodiff.md, to link to."""
    (tmp_path / "abbreviations.md").write_text(abbreviations)
    (tmp_path / "defined-in.txt").write_text(defined_in)
    (tmp_path / "autodiff.md").write_text(PAGE)
    table = pages.glossary_table(
        tmp_path / "abbreviations.md", tmp_path / "defined-in.txt", tmp_path
    )
    return table.splitlines()


def test_glossary_table_lists_each_definition_once_alphabetically_linked_to_its_section(
    tmp_path,
):
    abbreviations = "*[VJP]: vector-Jacobian product\n*[AD]: autodiff\n*[ADs]: autodiff\n"
    defined_in = (
        "# a comment\nVJP: autodiff.md#the-tape-and-the-utop-j-product\n"
        "AD: autodiff.md#exercises_1\n"
    )
    table = glossary(tmp_path, abbreviations, defined_in)
    assert table[:2] == ["| Term | Meaning |", "| --- | --- |"]
    assert table[2:] == [
        '| [AD](autodiff.md#exercises_1 "Autodiff: Exercises") | autodiff |',
        '| [VJP](autodiff.md#the-tape-and-the-utop-j-product "Autodiff: The tape and the u^top J'
        ' product") | vector-Jacobian product |',
    ]


@pytest.mark.parametrize(
    ("defined_in", "message"),
    [
        ("AD: autodiff.md#forward\n", "say where 'VJP' is defined"),
        ("AD: autodiff.md#forward\nVJP: autodiff.md#not-a-heading\n", "no heading #not-a-heading"),
        ("AD: autodiff.md#forward\nVJP: autodiff.md#exercises_2\n", "no heading #exercises_2"),
        ("AD: autodiff.md#forward\nVJP: autodiff.md#forward\nJVP: autodiff.md#forward\n", "JVP"),
    ],
)
def test_every_glossary_term_links_to_a_heading_that_exists(tmp_path, defined_in, message):
    with pytest.raises(pages.PageError, match=re.escape(message)):
        glossary(tmp_path, "*[VJP]: vector-Jacobian product\n*[AD]: autodiff\n", defined_in)


def test_built_glossary_and_tooltips(built_site):
    page = (built_site.site / "print_page.html").read_text(encoding="utf-8")
    assert "<!-- glossary -->" not in page and "Jacobian-vector product" in page
    chapter = (built_site.site / "autodiff.html").read_text(encoding="utf-8")
    assert re.search(r'<abbr title="Jacobian-vector product[^"]*">JVP</abbr>', chapter)
    # Each term of the glossary links to the heading of the section that defines it.
    glossary = (built_site.site / "glossary.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>", glossary, re.S)
    links = [
        re.fullmatch(r'<a href="([\w-]+\.html)#([\w-]+)" title="[^"]+">.+</a>', r) for r in rows
    ]
    unlinked = [row for row, link in zip(rows, links, strict=True) if not link]
    assert len(rows) >= 40 and not unlinked, unlinked
    for link in links:
        target = (built_site.site / link[1]).read_text(encoding="utf-8")
        assert re.search(rf'<h[1-6] id="{link[2]}"', target), link[0]


def test_a_plural_or_a_capital_gets_a_tooltip_but_no_row_of_its_own(tmp_path):
    source = tmp_path / "abbreviations.md"
    source.write_text(
        "*[subnormal]: a number below the smallest normal one\n"
        "*[subnormals]: numbers below the smallest normal one\n"
        "*[batch normalization]: normalizing over the batch\n"
        "*[Batch normalization]: Normalizing over the batch\n"
        "*[bias]: the added term\n"
    )
    (tmp_path / "defined-in.txt").write_text(
        "".join(f"{t}: autodiff.md#forward\n" for t in ("subnormal", "batch normalization", "bias"))
    )
    (tmp_path / "autodiff.md").write_text(PAGE)
    table = pages.glossary_table(source, tmp_path / "defined-in.txt", tmp_path).splitlines()[2:]
    assert [row.split("](")[0] + " | " + row.split(" | ")[1] for row in table] == [
        "| [batch normalization | normalizing over the batch |",
        "| [bias | the added term |",
        "| [subnormal | a number below the smallest normal one |",
    ]


def test_the_glossary_covers_at_least_40_terms_each_once():
    table = pages.glossary_table(ABBREVIATIONS, DEFINED_IN, REPO / "docs").splitlines()[2:]
    terms = [row.split("](")[0].removeprefix("| [") for row in table]
    assert len(terms) >= 40
    keys = [t.lower().removesuffix("s") for t in terms]
    assert len(set(keys)) == len(keys)


def test_jvp_and_vjp_tooltips_say_what_the_autodiff_chapter_says():
    # A VJP is the gradient of u^T f(x) with respect to the inputs, not "a
    # weighted gradient of the outputs"; a JVP is a derivative
    # along one input direction.
    terms = dict(
        re.match(r"^\*\[([^\]]+)\]: (.*)$", line).groups()
        for line in ABBREVIATIONS.read_text(encoding="utf-8").splitlines()
        if line
    )
    assert "gradient of uᵀ f(x) with respect to the inputs" in terms["VJP"]
    assert "of the outputs" not in terms["VJP"]
    assert "along one input direction" in terms["JVP"]
    chapter = (REPO / "docs" / "autodiff.md").read_text(encoding="utf-8")
    assert "the gradient of $u^\\top f(x)$ with respect to $x$" in chapter


def test_every_reference_in_the_chapters_names_an_equation_of_its_page():
    import re

    for page in sorted((REPO / "docs").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        ids = set(re.findall(r'<div class="equation" id="(eq-[\w-]+)"', text))
        for target in re.findall(r"\]\(#(eq-[\w-]+)\)", text):
            assert target in ids, f"{page.name}: #{target}"


def test_absolute_base_becomes_relative_in_the_scripts_only():
    soup = BeautifulSoup(
        '<script>__md_scope=new URL("/book/",location)</script><p>"base": "/book/"</p>'
        '<script id="__config" type="application/json">{"base": "/book/", "x": 1}</script>',
        "html.parser",
    )
    pages.relative_base(soup, "https://example.org/book/")
    assert str(soup) == (
        '<script>__md_scope=new URL(".",location)</script><p>"base": "/book/"</p>'
        '<script id="__config" type="application/json">{"base": ".", "x": 1}</script>'
    )


def test_built_print_page_has_every_chapter_and_a_relative_base(built_site):
    page = (built_site.site / "print_page.html").read_text(encoding="utf-8")
    assert '"base": "."' in page and 'new URL(".",location)' in page
    for title in [
        "Tensors and broadcasting",
        "Einstein notation and einsum",
        "Automatic differentiation",
        "Matrix calculus",
        "Norms, the SVD and low rank",
    ]:
        assert title in page
    assert "<math" in page and 'class="arithmatex"' not in page
    images = re.findall(r"<img [^>]*>", page)
    assert len(images) > 5 and all('fetchpriority="low"' in i for i in images)
    assert all("loading=" not in i for i in images)  # a printout needs them all


def test_the_print_page_does_its_work_at_build_time(built_site):
    html = (built_site.site / "print_page.html").read_text(encoding="utf-8")
    assert "css/print-site.css" in html
    assert "js/print-site.js" not in html  # the static page needs no script


PRINT_PAGE = """<head><script type="text/javascript">
        document.addEventListener('DOMContentLoaded', function () {
            remove_material_navigation();remove_mkdocs_theme_navigation();generate_toc();
        })
        </script></head>
<div class="md-search" data-md-component="search"><div class="md-search__inner"></div></div>
<div class="md-sidebar md-sidebar--primary" data-md-type="navigation"><ul><li>nav</li></ul></div>
<div class="md-sidebar md-sidebar--secondary" data-md-type="toc"><nav>
<ul class="md-nav__list" data-md-component="toc"><li><a href="#a">A</a><ul><li>A.1</li></ul>\
</li></ul>
</nav></div>
<div id="print-page-toc"><nav role='navigation' class='print-page-toc-nav'><h1>Contents</h1>\
</nav></div>
<div class="tabbed-set tabbed-alternate" data-tabs="1:2"><input checked="checked" \
id="__tabbed_1_1" name="__tabbed_1" type="radio" />\
<input id="__tabbed_1_2" name="__tabbed_1" type="radio" />\
<div class="tabbed-labels"><label for="__tabbed_1_1">NumPy</label>\
<label for="__tabbed_1_2">PyTorch</label></div>
<div class="tabbed-content">
<div class="tabbed-block"><div class="highlight">np</div></div>
<div class="tabbed-block"><p>torch</p></div>
</div>
</div>
<script src="js/print-site.js"></script>"""


def test_print_page_is_made_static_at_build_time():
    out = pages.static_print_page(PRINT_PAGE, "https://example.org/book/")
    assert "generate_toc" not in out and "print-site.js" not in out
    # The table of contents, copied into the book, nested list and all.
    toc = out[out.index("print-page-toc-nav") :]
    nested = '<ul class="md-nav__list"><li><a href="#a">A</a><ul><li>A.1</li></ul></li></ul></nav>'
    assert nested in toc
    assert '<div class="md-search" data-md-component="search" style="display: none">' in out
    assert '<div class="md-search__inner">' in out  # the first match only
    assert 'data-md-type="navigation" style="display: none"' in out
    assert 'data-md-type="toc">' in out
    assert "tabbed" not in out and "data-tabs" not in out
    assert (
        '<div class="print-tabs"><p class="print-tab"><strong>NumPy</strong></p>'
        '<div class="highlight">np</div><p class="print-tab"><strong>PyTorch</strong></p>'
        "<p>torch</p></div>"
    ) in out


def test_a_print_page_without_its_table_of_contents_is_an_error():
    with pytest.raises(pages.PageError, match="table of contents"):
        pages.static_print_page("<html><body>no sidebar</body></html>", "")


def test_a_tab_set_with_more_labels_than_tabs_is_an_error():
    with pytest.raises(pages.PageError, match="2 labels and 1 tabs"):
        pages.static_print_page(
            PRINT_PAGE.replace('<div class="tabbed-block"><p>torch</p></div>', ""), ""
        )


def test_built_print_page_is_static(built_site):
    page = (built_site.site / "print_page.html").read_text(encoding="utf-8")
    toc = page[page.index("print-page-toc-nav") :]
    toc = toc[: toc.index("</div>")]
    for chapter in ("#tensors", "#einsum", "#autodiff", "#normalization", "#references"):
        assert f'href="{chapter}"' in toc
    assert "data-tabs" not in page and page.count('<p class="print-tab">') >= 8
    assert '"content.tooltips"' not in page
    assert "generate_toc" not in page


def test_print_page_drops_copy_tools_and_folded_setup_opens_solutions_and_loads_images():
    code = (
        '<div class="highlight" data-copy="import numpy as np&#10;x = 1">'
        '<pre><span></span><nav class="md-code__nav"><button type="button" '
        'class="md-code__button" data-md-type="copy"></button></nav><code>'
        '<button type="button" class="la-setup-toggle" aria-expanded="false">'
        '1 setup line shown above</button><template class="la-setup">'
        '<span class="kn">import</span> numpy as np\n</template>x = 1\n</code></pre></div>'
        '<details class="success"><summary>Solution</summary><p>42</p></details>'
        '<img width="2" loading="lazy" src="figures/a.svg#only-light" alt="A">'
        '<img fetchpriority="high" src="b.png" alt="B">'
    )
    out = pages.static_print_page(PRINT_PAGE + code, "")
    assert '<div class="highlight"><pre><span></span><code>x = 1\n</code></pre></div>' in out
    assert '<details class="success" open>' in out
    assert '<img width="2" src="figures/a.svg#only-light" alt="A" fetchpriority="low" />' in out
    assert '<img fetchpriority="high" src="b.png" alt="B" />' in out


def test_the_built_print_page_is_one_document_ready_to_print(built_site):
    html = (built_site.site / "print_page.html").read_text(encoding="utf-8")
    for left in ("data-copy=", "md-code__nav", "<template", "la-setup", "print_page/", "loading="):
        assert left not in html, left
    assert "<details" in html
    assert all(re.search(r"\bopen\b", tag) for tag in re.findall(r"<details[^>]*>", html))
    assert "Figure 1:" not in html  # one caption per figure: the page's own numbering
    assert html.count('class="figure-number">Figure 1.</span>') >= 5
