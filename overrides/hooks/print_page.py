"""MkDocs hook: give the one-page print version the same base as every other page.

The print-site plugin renders its page outside MkDocs' page loop, where the
theme takes its base from the path of ``site_url`` (``/book/``) instead of the
relative ``.`` of every other page. Served from anywhere but that path, or
opened from disk, the page would then fetch ``/book/search/search_index.json``
and ``/book/sitemap.xml`` in vain, and keep its light/dark choice apart from the
rest of the site. This hook rewrites the two places to the relative base.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from mkdocs.plugins import event_priority


def relative_base(html: str, site_url: str) -> str:
    """Replace the absolute base that the theme derived from ``site_url`` by ``.``."""
    base = urlsplit(site_url or "").path or "/"
    return html.replace(f'new URL("{base}",location)', 'new URL(".",location)').replace(
        f'"base": "{base}"', '"base": "."'
    )


@event_priority(-90)  # after the print-site plugin has written its page
def on_post_build(config) -> None:
    page = Path(config["site_dir"]) / "print_page.html"
    if page.is_file():
        html = page.read_text(encoding="utf-8")
        page.write_text(relative_base(html, config["site_url"]), encoding="utf-8")
