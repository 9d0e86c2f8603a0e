"""MkDocs hook: make code-heavy pages cheap for the browser to lay out.

Three things, on the HTML of each page:

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
* Mark with ``data-later`` each top-level block that starts below the first
  screen; extra.css lets the browser skip only those. Chromium draws the first
  frame of a page before it has decided which skippable blocks are on screen,
  with each one at its reserved height, and a block on screen is then drawn a
  frame later at its own: text below it jumps (a layout shift of up to 0.15 in
  Lighthouse on the references page). Blocks on the first screen are therefore
  never skipped. The mark is an attribute, not a class: the theme styles some
  elements only while they have no class at all (``table:not([class])``), and
  a table marked with a class lost its borders and padding.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from mkdocs.plugins import CombinedEvent, event_priority

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


# The first screen, in CSS pixels, and what each kind of content is at least as
# tall as there. The estimate errs low, so that no block that could be on the
# first screen is marked: the tallest usual window (1440 px of screen, 1300 of
# page), text at its widest column (1280 px and up: 16 px type in a 688 px
# column, some 90 characters to a 26 px line; counted as 100 to a 24 px line),
# code at 19 px a line (counted as 18), a heading, row, item or formula at 24 px.
FIRST_SCREEN_PX = 1300
_TEXT_CHARS_PER_LINE, _TEXT_LINE_PX, _CODE_LINE_PX, _ROW_PX = 100, 24, 18, 24
_VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
_ROWS = {"h1", "h2", "h3", "h4", "h5", "h6", "tr", "li", "dt", "math"}
_OPENING_TAG = re.compile(r"<[a-zA-Z][\w-]*([^>]*)>")


class _Blocks(HTMLParser):
    """The top-level elements of a page's content: where each opening tag
    starts, and a low estimate of the height its visible content takes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.blocks: list[tuple[tuple[int, int], float]] = []  # (line, column), height
        self.hidden = 0  # depth inside what is not drawn: <template>, a closed <details>' body
        self.closed_details: list[int] = []
        self.in_code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if self.depth == 0:
            self.blocks.append((self.getpos(), 0.0))
        if tag in _VOID:
            return
        self.depth += 1
        if self.hidden or tag == "template":
            self.hidden += 1
            return
        if tag == "details" and "open" not in attributes:
            self.closed_details.append(self.depth)
        elif tag == "summary" and self.closed_details:
            self.closed_details.append(-self.depth)  # the summary of a closed <details> shows
        if tag == "code" and "--lines:" in (attributes.get("style") or ""):
            lines = int(re.search(r"--lines:\s*(\d+)", attributes["style"])[1])
            self._add(lines * _CODE_LINE_PX)
            self.in_code += 1
        elif tag in _ROWS:
            self._add(_ROW_PX)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if self.hidden:
            self.hidden -= 1
        elif self.closed_details and abs(self.closed_details[-1]) == self.depth:
            self.closed_details.pop()
        elif tag == "code" and self.in_code:
            self.in_code -= 1
        self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth == 0 or self.hidden or self.in_code:
            return
        self._add(len(data.strip()) / _TEXT_CHARS_PER_LINE * _TEXT_LINE_PX)

    def _in_closed_body(self) -> bool:
        return bool(self.closed_details) and self.closed_details[-1] > 0

    def _add(self, px: float) -> None:
        if not self._in_closed_body():
            start, height = self.blocks[-1]
            self.blocks[-1] = (start, height + px)


def mark_later_blocks(html: str, first_screen_px: float = FIRST_SCREEN_PX) -> str:
    """Add the attribute ``data-later`` to each top-level element of a page's content
    that starts, by a low estimate of the heights above it, below the first screen."""
    parser = _Blocks()
    parser.feed(html)
    parser.close()
    line_starts = [0]
    for line in html.split("\n")[:-1]:
        line_starts.append(line_starts[-1] + len(line) + 1)
    top, cuts = 0.0, []
    for (line, column), height in parser.blocks:
        if top >= first_screen_px:
            cuts.append(line_starts[line - 1] + column)
        top += height
    out, last = [], 0
    for at in cuts:
        after_name = _OPENING_TAG.match(html, at).start(1)
        out += [html[last:after_name], " data-later"]
        last = after_name
    return "".join(out) + html[last:]


@event_priority(50)  # before the print-site plugin keeps each page for the one-page version
def _lighten_code(html: str, page, config, files) -> str:
    return count_code_lines(unwrap_plain_spans(html))


@event_priority(30)  # after code_blocks.py (40) has set each block's count of visible lines
def _mark_later(html: str, page, config, files) -> str:
    return mark_later_blocks(html)


# MkDocs event: lighten the page's code blocks, then mark what is below the first screen.
on_page_content = CombinedEvent(_lighten_code, _mark_later)
