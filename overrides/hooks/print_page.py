"""MkDocs hook: the one-page print version's base, and its assets on the other pages.

The print-site plugin renders its page outside MkDocs' page loop, where the
theme takes its base from the path of ``site_url`` (``/book/``) instead of the
relative ``.`` of every other page. Served from anywhere but that path, or
opened from disk, the page would then fetch ``/book/search/search_index.json``
and ``/book/sitemap.xml`` in vain, and keep its light/dark choice apart from the
rest of the site. This hook rewrites the two places to the relative base.

The plugin also adds its stylesheets and script to every page, where they do
nothing (their rules and functions concern the print page alone) but cost
three requests, two of them render-blocking. The hook drops them there.

On the print page every figure of the book loads at once (the plugin drops
``loading="lazy"`` so that a printout has them all), and the browser would give
the first few the same priority as the text at the top of the page. They sit far
below it, so the hook marks them ``fetchpriority="low"``.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from mkdocs.plugins import event_priority


def relative_base(html: str, site_url: str) -> str:
    """Replace the absolute base that the theme derived from ``site_url`` by ``.``."""
    base = urlsplit(site_url or "").path or "/"
    return html.replace(f'new URL("{base}",location)', 'new URL(".",location)').replace(
        f'"base": "{base}"', '"base": "."'
    )


# The print-site plugin's assets, as the theme writes them into the page.
_PRINT_ASSETS = re.compile(
    r'\s*<link rel="stylesheet" href="[^"]*?css/print-site(?:-[a-z]+)?\.css">'
    r'|\s*<script src="[^"]*?js/print-site\.js"></script>'
)


def drop_print_assets(html: str) -> str:
    """Remove the print-site plugin's stylesheets and script from a page."""
    return _PRINT_ASSETS.sub("", html)


def figures_low_priority(html: str) -> str:
    """Mark every image of the page ``fetchpriority="low"``."""
    return re.sub(r"<img (?![^>]*fetchpriority)", '<img fetchpriority="low" ', html)


def on_post_page(output: str, page, config) -> str:
    """MkDocs event for every page but the print page, which the plugin writes
    after the page loop (on_post_build): drop the print-only assets."""
    return drop_print_assets(output)


@event_priority(-90)  # after the print-site plugin has written its page
def on_post_build(config) -> None:
    page = Path(config["site_dir"]) / "print_page.html"
    if page.is_file():
        html = page.read_text(encoding="utf-8")
        html = figures_low_priority(relative_base(html, config["site_url"]))
        page.write_text(html, encoding="utf-8")
    # The 404 page is rendered outside the page loop too, with absolute links.
    not_found = Path(config["site_dir"]) / "404.html"
    if not_found.is_file():
        html = not_found.read_text(encoding="utf-8")
        not_found.write_text(drop_print_assets(html), encoding="utf-8")
