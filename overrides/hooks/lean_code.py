"""MkDocs hook: make code-heavy pages cheap for the browser to lay out.

Two things, both on the HTML of each page's code blocks:

* Unwrap the syntax-highlighting spans that carry no colour of their own.
  Pygments wraps every name, operator, punctuation mark and run of spaces in a
  ``<span>``. With this theme, names, and (through extra.css) operators and
  punctuation, are drawn in the plain code colour, and spaces have no colour at
  all, so those spans change nothing on screen; yet on a code-heavy chapter
  they are most of the page's elements, and the browser styles each one.
* Give every block's ``<code>`` its line count as ``--lines``. extra.css lets
  the browser skip off-screen blocks (``content-visibility: auto``) and uses
  the count to reserve their true height meanwhile, so the scroll bar, anchor
  links and the table of contents see the page as it will be.
"""

from __future__ import annotations

import re

from mkdocs.plugins import event_priority

# Pygments' classes for names (n), operators (o), punctuation (p) and
# whitespace (w). Operator words such as `in` and `not` (ow) keep their colour.
# The text inside is already HTML-escaped and holds no tags.
_PLAIN = re.compile(r'<span class="(?:n|o|p|w)">([^<]*)</span>')

# A highlighted block as pymdownx.highlight writes it: <pre> (with an empty
# span of Pygments' before <code>), then the code up to the closing tags.
_BLOCK = re.compile(r"(<pre[^>]*>(?:<span></span>)?<code)(>)(.*?)(</code></pre>)", re.S)


def unwrap_plain_spans(html: str) -> str:
    """Replace ``<span class="n|o|p|w">text</span>`` by ``text``."""
    return _PLAIN.sub(r"\1", html)


def count_code_lines(html: str) -> str:
    """Add ``style="--lines: N"`` to the ``<code>`` of every highlighted block."""

    def annotate(match: re.Match[str]) -> str:
        opening, close, code, end = match.groups()
        lines = code.count("\n") or 1  # every line ends in a newline, the last too
        return f'{opening} style="--lines: {lines}"{close}{code}{end}'

    return _BLOCK.sub(annotate, html)


@event_priority(50)  # before the print-site plugin keeps each page for the one-page version
def on_page_content(html: str, page, config, files) -> str:
    """MkDocs event: lighten the page's code blocks."""
    return count_code_lines(unwrap_plain_spans(html))
