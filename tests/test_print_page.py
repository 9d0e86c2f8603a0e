"""overrides/hooks/print_page.py: the print page uses the site's relative base."""

from __future__ import annotations

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
