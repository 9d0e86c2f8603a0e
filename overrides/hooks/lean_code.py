"""MkDocs hook: unwrap syntax-highlighting spans that carry no colour of their own.

Pygments wraps every name, punctuation mark and run of spaces of a code block
in a ``<span>``. With this theme, names and (through extra.css) punctuation
are drawn in the plain code colour, and spaces have no colour at all, so those
spans change nothing on screen, yet on a code-heavy chapter they are most of
the page's elements, and the browser lays each one out. Replacing them by
their text makes long pages markedly lighter.
"""

from __future__ import annotations

import re

# Pygments' classes for names (n), punctuation (p) and whitespace (w). The text
# inside is already HTML-escaped and holds no tags.
_PLAIN = re.compile(r'<span class="(?:n|p|w)">([^<]*)</span>')


def unwrap_plain_spans(html: str) -> str:
    """Replace ``<span class="n|p|w">text</span>`` by ``text``."""
    return _PLAIN.sub(r"\1", html)


def on_page_content(html: str, page, config, files) -> str:
    """MkDocs event: lighten the page's code blocks."""
    return unwrap_plain_spans(html)
