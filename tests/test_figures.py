"""overrides/hooks/figures.py: every figure is drawn, and loads lazily."""

from __future__ import annotations

import re

from conftest import load_hook

figures = load_hook("figures")


def test_only_figure_images_become_lazy():
    html = (
        '<img alt="a" src="figures/tensors-strides.svg" />'
        '<img alt="b" src="../figures/x.svg" loading="eager" />'
        '<img alt="c" src="assets/images/logo.png" />'
    )
    assert figures.lazy_figures(html) == (
        '<img loading="lazy" alt="a" src="figures/tensors-strides.svg" />'
        '<img alt="b" src="../figures/x.svg" loading="eager" />'
        '<img alt="c" src="assets/images/logo.png" />'
    )


def test_every_drawn_figure_is_on_a_page_and_lazy(built_site):
    drawn = {p.name for p in (built_site.site / "figures").glob("*.svg")}
    shown = set()
    for page in built_site.site.glob("*.html"):
        for tag in re.findall(r'<img [^>]*src="figures/[^"]+"[^>]*>', page.read_text("utf-8")):
            # The print-site plugin drops lazy loading on the print page, so
            # that every figure is there when the reader prints it.
            lazy = page.name != "print_page.html"
            assert ('loading="lazy"' in tag) == lazy, f"{page.name}: {tag}"
            shown.add(re.search(r'src="figures/([^"]+)"', tag)[1])
    assert drawn and drawn <= shown
