"""overrides/hooks/print_page.py: the print page's relative base, its assets on no other page."""

from __future__ import annotations

import re

from conftest import load_hook

print_page = load_hook("print_page")


def test_absolute_base_becomes_relative():
    html = '__md_scope=new URL("/book/",location) ... {"annotate": null, "base": "/book/", "x": 1}'
    out = print_page.relative_base(html, "https://example.org/book/")
    assert out == '__md_scope=new URL(".",location) ... {"annotate": null, "base": ".", "x": 1}'


def test_built_print_page_has_every_chapter_and_a_relative_base(built_site):
    page = (built_site.site / "print_page.html").read_text(encoding="utf-8")
    assert '"base": "."' in page and 'new URL(".",location)' in page
    for title in [
        "Tensors and broadcasting",
        "Einstein notation and einsum",
        "Automatic differentiation",
    ]:
        assert title in page
    assert "<math" in page and 'class="arithmatex"' not in page
    images = re.findall(r"<img [^>]*>", page)
    assert len(images) > 5 and all('fetchpriority="low"' in i for i in images)
    assert all("loading=" not in i for i in images)  # a printout needs them all


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
            assert "css/print-site.css" in html and "js/print-site.js" in html
        else:
            assert "print-site" not in html.replace("print_page.html", ""), name
