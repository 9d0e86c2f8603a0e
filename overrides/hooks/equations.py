"""MkDocs hook: number the display equations that the text refers to by number.

Only an equation that the text refers to gets a number. In Markdown it is
wrapped in a div with an id that starts with ``eq-`` (md_in_html):

    <div class="equation" id="eq-batchnorm-backward" markdown>

    $$
    ...
    $$

    </div>

and the text refers to it by a link, ``[(1)](#eq-batchnorm-backward)``.
Equations are numbered in the order of the page, from 1 on each page, and the
number is written next to the equation. A link may be left empty,
``[](#eq-...)``, for the hook to fill; a link with a number other than its
equation's, or to an ``eq-`` id that no equation on the page has, stops the
build (the notebooks made from the chapters show the link text as written).
"""

from __future__ import annotations

import re

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

_EQUATION = re.compile(r'<div class="equation" id="(?P<id>eq-[\w-]+)">')
_REFERENCE = re.compile(r'<a href="#(?P<id>eq-[\w-]+)">(?P<text>[^<]*)</a>')


def number_equations(html: str, where: str = "page") -> str:
    """Number the ``div.equation`` elements of ``html`` and fill the links to them."""
    numbers: dict[str, int] = {}

    def label(match: re.Match[str]) -> str:
        if match["id"] in numbers:
            raise PluginError(f"{where}: two equations with the id {match['id']!r}")
        numbers[match["id"]] = number = len(numbers) + 1
        return f'{match[0]}<span class="equation__number">({number})</span>'

    def refer(match: re.Match[str]) -> str:
        if match["id"] not in numbers:
            raise PluginError(f"{where}: a link to #{match['id']}, which no equation has")
        text = f"({numbers[match['id']]})"
        if match["text"].strip() not in ("", text):
            raise PluginError(f"{where}: the link to #{match['id']} should read {text}")
        return f'<a href="#{match["id"]}">{text}</a>'

    html = _EQUATION.sub(label, html)
    return _REFERENCE.sub(refer, html)


@event_priority(50)  # before the print-site plugin keeps each page for the one-page version
def on_page_content(html: str, page, config, files) -> str:
    """MkDocs event: number the equations of one page."""
    return number_equations(html, page.file.src_uri)
