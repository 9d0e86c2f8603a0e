"""MkDocs hook: the one-page print version made light, and its assets off the other pages.

The print-site plugin renders its page outside MkDocs' page loop, where the
theme takes its base from the path of ``site_url`` (``/book/``) instead of the
relative ``.`` of every other page. Served from anywhere but that path, or
opened from disk, the page would then fetch ``/book/search/search_index.json``
and ``/book/sitemap.xml`` in vain, and keep its light/dark choice apart from the
rest of the site. This hook rewrites the two places to the relative base.

The plugin also adds its stylesheets and script to every page, where they do
nothing (their rules and functions concern the print page alone) but cost
three requests, two of them render-blocking. The hook drops them there.

On the print page itself, the plugin's script waits for the page to load, then
hides the navigation sidebar and the search box and copies the sidebar's table
of contents to the top of the book. Each of those steps makes the browser lay out
the whole book again, about a tenth of a second of blocked page on a phone. The
hook does the same when the site is built and drops the script. And it lays
out each set of content tabs (NumPy | PyTorch) as the theme prints them, one tab
after the other under its name, so that the page shows, and a printout holds,
both versions of each example.

The print page leaves out what only a reader at a screen, on a chapter's own
page, can use: each code block's copy button and the whole program it copies,
and the setup lines that a block hides behind a button (a printout cannot open
them; the note "N setup lines shown above" stays). They were two thirds of its
HTML (2.0 MB of 3.0; 170 KB of 343 compressed), which a browser must fetch and
parse before it shows the first chapter.

Last, once ``mathml.py`` has rendered the page's math, ``print_parts.py`` moves
the book after its first page into scripts that the page loads once drawn.

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
_PRINT_SCRIPT = r'\s*<script src="[^"]*?js/print-site\.js"></script>'
_PRINT_ASSETS = re.compile(
    r'\s*<link rel="stylesheet" href="[^"]*?css/print-site(?:-[a-z]+)?\.css">|' + _PRINT_SCRIPT
)


def drop_print_assets(html: str) -> str:
    """Remove the print-site plugin's stylesheets and script from a page."""
    return _PRINT_ASSETS.sub("", html)


def figures_low_priority(html: str) -> str:
    """Mark every image of the page ``fetchpriority="low"``, and load each at once.

    The print-site plugin drops ``loading="lazy"`` only where it opens the tag;
    the figures hook writes it after the image's size, so it is dropped here.
    """
    html = re.sub(r'(<img\b[^>]*?) loading="lazy"', r"\1", html)
    return re.sub(r"<img (?![^>]*fetchpriority)", '<img fetchpriority="low" ', html)


def _balanced(html: str, start: int, tag: str) -> str:
    """The element ``<tag ...>...</tag>`` that opens at ``start``, nested ones included."""
    tags = re.compile(rf"<{tag}[\s>]|</{tag}>")
    depth = 0
    for match in tags.finditer(html, start):
        depth += -1 if match.group(0).startswith("</") else 1
        if depth == 0:
            return html[start : match.end()]
    raise ValueError(f"unbalanced <{tag}> from offset {start}")


# A tab set's opening tag; lean_code.py may have put data-later before its class.
_TAB_SET = re.compile(r'<div(?: [\w-]+)* class="tabbed-set')


def unroll_tabs(html: str) -> str:
    """Replace each pymdownx.tabbed set by its tabs in order, each under its name."""
    out, at = [], 0
    while found := _TAB_SET.search(html, at):
        start = found.start()
        tab_set = _balanced(html, start, "div")
        labels = re.findall(r'<label for="[^"]*">(.*?)</label>', tab_set.split("</div>", 1)[0])
        blocks, cursor = [], 0
        while (block := tab_set.find('<div class="tabbed-block">', cursor)) >= 0:
            whole = _balanced(tab_set, block, "div")
            blocks.append(whole[len('<div class="tabbed-block">') : -len("</div>")])
            cursor = block + len(whole)
        if len(labels) != len(blocks):
            raise ValueError(f"tab set with {len(labels)} labels and {len(blocks)} tabs")
        tabs = "".join(
            f'<p class="print-tab"><strong>{label}</strong></p>\n{block}'
            for label, block in zip(labels, blocks, strict=True)
        )
        out += [html[at:start], f'<div class="print-tabs">\n{tabs}</div>']
        at = start + len(tab_set)
    return "".join(out) + html[at:]


def _hide_first(html: str, class_name: str) -> str:
    """Add ``style="display: none"`` to the first element with the class."""
    pattern = rf'(<[a-z]+ (?:[^>]*? )?class="(?:[^"]*\s)?{class_name}(?:\s[^"]*)?")'
    return re.sub(pattern, r'\1 style="display: none"', html, count=1)


def static_print_page(html: str) -> str:
    """Do at build time what the print-site plugin's script does when the page
    loads (hide the navigation and search, copy the table of contents into the
    book), drop the script and unroll the tabs."""
    sidebar = html.find("md-sidebar--secondary")
    toc_at = html.find("<nav role='navigation' class='print-page-toc-nav'>")
    if sidebar < 0 or toc_at < 0:
        raise ValueError("print page: no table of contents to copy (print-site changed?)")
    toc = _balanced(html, html.index("<ul", sidebar), "ul")
    toc = toc.replace(' data-md-component="toc"', "", 1)
    end_of_nav = html.index("</nav>", toc_at)
    html = html[:end_of_nav] + toc + html[end_of_nav:]
    for class_name in ("md-sidebar--primary", "md-tabs", "md-search"):
        html = _hide_first(html, class_name)
    html = re.sub(
        r'\s*<script type="text/javascript">\s*document\.addEventListener\(\s*'
        r"'DOMContentLoaded'.*?generate_toc\(\);\s*\}\)\s*</script>",
        "",
        html,
        count=1,
        flags=re.S,
    )
    html = re.sub(_PRINT_SCRIPT, "", html)
    return unroll_tabs(html)


def on_post_page(output: str, page, config) -> str:
    """MkDocs event for every page but the print page, which the plugin writes
    after the page loop (on_post_build): drop the print-only assets."""
    return drop_print_assets(output)


_COPY_DATA = re.compile(r' data-copy="[^"]*"')
_COPY_NAV = re.compile(r'<nav class="md-code__nav">.*?</nav>', re.S)
_HIDDEN_SETUP = re.compile(
    r'<button type="button" class="la-setup-toggle"[^>]*>(?P<note>[^<]*)</button>'
    r'<template class="la-setup">.*?</template>',
    re.S,
)


def without_screen_code_tools(html: str) -> str:
    """Drop the copy buttons and their programs, and each block's hidden setup
    lines, keeping the note that says how many there are."""
    html = _COPY_NAV.sub("", _COPY_DATA.sub("", html))
    return _HIDDEN_SETUP.sub(r'<span class="la-setup-note">\g<note></span>', html)


@event_priority(-90)  # after the print-site plugin has written its page
def on_post_build(config) -> None:
    page = Path(config["site_dir"]) / "print_page.html"
    if page.is_file():
        html = page.read_text(encoding="utf-8")
        html = static_print_page(relative_base(html, config["site_url"]))
        html = figures_low_priority(without_screen_code_tools(html))
        page.write_text(html, encoding="utf-8")
    # The 404 page is rendered outside the page loop too, with absolute links.
    not_found = Path(config["site_dir"]) / "404.html"
    if not_found.is_file():
        html = not_found.read_text(encoding="utf-8")
        not_found.write_text(drop_print_assets(html), encoding="utf-8")
