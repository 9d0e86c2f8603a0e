"""overrides/hooks/print_page.py: the print page's relative base, its assets on no other page."""

from __future__ import annotations

import re

import pytest

from conftest import load_hook

print_page = load_hook("print_page")
# The built page holds its first page; print_parts.py moved the rest into scripts.
whole_page = load_hook("print_parts").whole_page


def test_absolute_base_becomes_relative():
    html = '__md_scope=new URL("/book/",location) ... {"annotate": null, "base": "/book/", "x": 1}'
    out = print_page.relative_base(html, "https://example.org/book/")
    assert out == '__md_scope=new URL(".",location) ... {"annotate": null, "base": ".", "x": 1}'


def test_built_print_page_has_every_chapter_and_a_relative_base(built_site):
    page = whole_page(built_site.site / "print_page.html")
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


def test_print_images_load_at_once_wherever_lazy_stood():
    html = '<img width="2" loading="lazy" src="figures/a.svg#only-light" alt="A">'
    assert print_page.figures_low_priority(html) == (
        '<img fetchpriority="low" width="2" src="figures/a.svg#only-light" alt="A">'
    )


def test_images_get_low_priority_once():
    html = '<p><img src="a.svg" alt="A"><img fetchpriority="high" src="b.png" alt="B"></p>'
    assert print_page.figures_low_priority(html) == (
        '<p><img fetchpriority="low" src="a.svg" alt="A">'
        '<img fetchpriority="high" src="b.png" alt="B"></p>'
    )


def test_print_assets_are_dropped_and_nothing_else():
    html = (
        '<link rel="stylesheet" href="assets/stylesheets/extra.css">\n'
        '      <link rel="stylesheet" href="css/print-site.css">\n'
        '      <link rel="stylesheet" href="../css/print-site-material.css">\n'
        '<script src="assets/javascripts/bundle.js"></script>\n'
        '        <script src="js/print-site.js"></script>\n'
        '<link rel="stylesheet" href="/book/css/print-site.css">\n'
    )
    assert print_page.drop_print_assets(html) == (
        '<link rel="stylesheet" href="assets/stylesheets/extra.css">\n'
        '<script src="assets/javascripts/bundle.js"></script>\n'
    )


def test_only_the_print_page_loads_the_print_assets(built_site):
    pages = {p.name: p.read_text(encoding="utf-8") for p in built_site.site.glob("*.html")}
    assert len(pages) > 10
    for name, html in pages.items():
        if name == "print_page.html":
            assert "css/print-site.css" in html
            assert "js/print-site.js" not in html  # its work is done at build time
        else:
            assert "print-site" not in html.replace("print_page.html", ""), name


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
    out = print_page.static_print_page(PRINT_PAGE)
    assert "generate_toc" not in out and "print-site.js" not in out
    # The table of contents, copied into the book, nested list and all.
    toc = out[out.index("print-page-toc-nav") :]
    nested = '<ul class="md-nav__list"><li><a href="#a">A</a><ul><li>A.1</li></ul></li></ul></nav>'
    assert nested in toc
    assert '<div class="md-search" style="display: none" data-md-component="search">' in out
    assert '<div class="md-search__inner">' in out  # the first match only
    assert 'class="md-sidebar md-sidebar--primary" style="display: none"' in out
    assert 'class="md-sidebar md-sidebar--secondary" data-md-type' in out
    assert "tabbed" not in out and "data-tabs" not in out
    assert (
        '<div class="print-tabs">\n<p class="print-tab"><strong>NumPy</strong></p>\n'
        '<div class="highlight">np</div><p class="print-tab"><strong>PyTorch</strong></p>\n'
        "<p>torch</p></div>"
    ) in out


def test_a_print_page_without_its_table_of_contents_is_an_error():
    with pytest.raises(ValueError, match="table of contents"):
        print_page.static_print_page("<html><body>no sidebar</body></html>")


def test_unbalanced_markup_is_an_error():
    with pytest.raises(ValueError, match="unbalanced <div>"):
        print_page.unroll_tabs('<div class="tabbed-set"><div>never closed</div>')


def test_built_print_page_is_static(built_site):
    page = whole_page(built_site.site / "print_page.html")
    toc = page[page.index("print-page-toc-nav") :]
    toc = toc[: toc.index("</div>")]
    for chapter in ("#tensors", "#einsum", "#autodiff", "#normalization", "#references"):
        assert f'href="{chapter}"' in toc
    assert "data-tabs" not in page and page.count('<p class="print-tab">') >= 8
    assert '"content.tooltips"' not in page
    assert "generate_toc" not in page


def test_print_page_drops_copy_tools_and_hidden_setup_but_keeps_the_note():
    html = (
        '<div class="highlight la-program" data-copy="import numpy as np&#10;x = 1">'
        '<pre><span></span><nav class="md-code__nav"><button type="button" '
        'class="md-code__button" data-md-type="copy"></button></nav><code>'
        '<button type="button" class="la-setup-toggle" aria-expanded="false">'
        '1 setup line shown above</button><template class="la-setup">'
        '<span class="kn">import</span> numpy as np\n</template>x = 1\n</code></pre></div>'
    )
    assert print_page.without_screen_code_tools(html) == (
        '<div class="highlight la-program"><pre><span></span><code>'
        '<span class="la-setup-note">1 setup line shown above</span>x = 1\n</code></pre></div>'
    )


def test_the_built_print_page_has_no_copy_tools_or_hidden_setup(built_site):
    html = whole_page(built_site.site / "print_page.html")
    assert "la-setup-note" in html
    for left in ("data-copy=", "md-code__nav", "<template", "la-setup-toggle"):
        assert left not in html, left


def test_a_tab_set_marked_data_later_is_unrolled_too():
    html = (
        '<div data-later class="tabbed-set tabbed-alternate" data-tabs="2:2">'
        '<input checked="checked" id="t_1" name="t" type="radio" />'
        '<div class="tabbed-labels"><label for="t_1">NumPy</label></div>\n'
        '<div class="tabbed-content">\n<div class="tabbed-block"><p>np</p></div>\n</div>\n</div>'
    )
    out = print_page.unroll_tabs(html)
    tab = '<p class="print-tab"><strong>NumPy</strong></p>\n<p>np</p>'
    assert out == f'<div class="print-tabs">\n{tab}</div>'
