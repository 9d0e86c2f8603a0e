"""The one-page print version sent in parts: its first page in the HTML, the rest in scripts.

A hook that runs last on the print page, after ``print_page.py`` has made it
static and ``mathml.py`` has rendered its math.

The print page holds the whole book: about 1 MB of HTML, 170 KB compressed. A
browser shows nothing of a page before it has its stylesheets, and it asks for
those only once the HTML has started to arrive; a performance audit (Lighthouse's
simulated phone on a slow 4G connection) charges the whole document to the first
paint. So on a slow connection the reader stared at a blank page for the time it
took to fetch the whole book, and then waited again while the browser parsed a
DOM of 23,000 elements in one go.

The page now holds its first page (the book's home page, with the contents of the
whole book above it) and leaves the rest to a few scripts under ``print_page/``.
``assets/javascripts/print-page.js`` loads them once the page has loaded and
painted, and appends their markup, a step at a time, each step a task of a few milliseconds, so
the page stays responsive while it grows. Scripts, not ``fetch``: they load from a
folder on disk too (``file://``), where ``fetch`` is refused.

A step is one of:

- ``["append", html]``: markup of whole elements, appended to the current element;
- ``["enter", shell]``: an element, empty (``<section ...></section>``), appended
  and made current, for an element too large for one step;
- ``["leave"]``: the current element's parent becomes current again.

Applied in order to an empty element they rebuild the markup exactly, character
for character (``apply_steps`` does this on text; the tests check it).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from mkdocs.plugins import event_priority

# Markup per step, in characters: the browser parses about 1 KB of this book's
# HTML in a millisecond on this machine, and a simulated phone is four times
# slower, where a task over 50 ms counts as blocking.
STEP_CHARS = 8_000
# Markup per script: a chapter or so, each fetched and appended while the next
# one arrives.
PART_CHARS = 100_000
# Elements that a step may open and fill in several steps. A larger table, list
# or code block is appended whole: its children belong together.
_ENTERABLE = {"section", "div", "details", "article"}
_VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
    "source", "track", "wbr",
}  # fmt: skip
# Where the book's pages sit on the print page, after its first page.
_BOOK = re.compile(r'<div id="print-site-page"[^>]*>')
_PAGE = re.compile(r'<section class="print-page" id="[^"]+"')
PARTS_DIR = "print_page"
SCRIPT = "assets/javascripts/print-page.js"


@dataclass
class _Element:
    tag: str
    start: int  # where its opening tag starts
    inside: int  # where its opening tag ends
    close: int = -1  # where its closing tag starts
    end: int = -1  # where its closing tag ends
    children: list[_Element] = field(default_factory=list)


class _Done(Exception):
    """The element asked for is closed: the rest of the document is not parsed."""


class _Tree(HTMLParser):
    """The elements of ``html[start:]``, with their offsets in ``html``: all of
    them (a run of whole elements), or only the first one (``first_only``)."""

    def __init__(self, html: str, start: int = 0, first_only: bool = False) -> None:
        super().__init__(convert_charrefs=False)
        self.html, self.start, self.first_only = html, start, first_only
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", html[start:])]
        self.root = _Element("", start, start, len(html), len(html))
        self.open = [self.root]
        try:
            self.feed(html[start:])
            self.close()
        except _Done:
            return
        if len(self.open) > 1:
            raise ValueError(f"print page: <{self.open[-1].tag}> is never closed")

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.start + self.line_starts[line - 1] + column

    def _closed(self) -> None:
        if self.first_only and len(self.open) == 1:
            raise _Done

    def handle_starttag(self, tag: str, attrs: list) -> None:
        start = self._offset()
        element = _Element(tag, start, start + len(self.get_starttag_text()))
        self.open[-1].children.append(element)
        if tag in _VOID:
            element.close = element.end = element.inside
            self._closed()
        else:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        start = self._offset()
        end = start + len(self.get_starttag_text())
        self.open[-1].children.append(_Element(tag, start, end, end, end))
        self._closed()

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        element = self.open.pop()
        if element is self.root or element.tag != tag:
            at = self._offset()
            what = f"<{element.tag}>" if element is not self.root else "nothing"
            near = self.html[max(0, at - 60) : at + len(tag) + 3]
            raise ValueError(f"print page: </{tag}> closes {what}, at {near!r}")
        element.close = self._offset()
        element.end = self.html.index(">", element.close) + 1
        self._closed()


def _element_at(html: str, start: int) -> _Element:
    """The element whose opening tag starts at ``start``."""
    return _Tree(html, start, first_only=True).root.children[0]


def _steps(html: str, element: _Element, limit: int, steps: list[list[str]]) -> None:
    """The steps that fill ``element`` (already in place) with its content."""
    kids = element.children
    pending = html[element.inside : kids[0].start if kids else element.close]
    for k, kid in enumerate(kids):
        following = kids[k + 1].start if k + 1 < len(kids) else element.close
        if kid.end - kid.start > limit and kid.tag in _ENTERABLE and kid.children:
            if pending:
                steps.append(["append", pending])
            steps.append(["enter", html[kid.start : kid.inside] + html[kid.close : kid.end]])
            _steps(html, kid, limit, steps)
            steps.append(["leave"])
            pending = html[kid.end : following]
            continue
        piece = html[kid.start : following]
        if pending.strip() and len(pending) + len(piece) > limit:
            steps.append(["append", pending])
            pending = ""
        pending += piece
    if pending:
        steps.append(["append", pending])


def assembly_steps(html: str, limit: int = STEP_CHARS) -> list[list[str]]:
    """Steps that rebuild ``html`` inside an empty element, none of them
    appending more than ``limit`` characters unless a single table, list or
    code block is larger."""
    if re.search(r"<script\b", html, re.I):
        raise ValueError("print page: a <script> in the book would not run once appended")
    steps: list[list[str]] = []
    _steps(html, _Tree(html).root, limit, steps)
    return steps


def apply_steps(steps: list[list[str]]) -> str:
    """The markup that ``steps`` build, as text: what the browser's DOM holds after them."""
    out, closing = [], []
    for step in steps:
        if step[0] == "append":
            out.append(step[1])
        elif step[0] == "enter":
            shell = step[1]
            cut = shell.rindex("</")
            out.append(shell[:cut])
            closing.append(shell[cut:])
        else:
            out.append(closing.pop())
    return "".join(out)


def _script(steps: list[list[str]]) -> str:
    data = json.dumps(steps, ensure_ascii=False, separators=(",", ":"))
    return f"bookPrintPart({data});\n"


@dataclass(frozen=True)
class Part:
    """A script of the print page: where it goes in the site, and its text."""

    path: str
    text: str


def split_book(
    html: str, limit: int = STEP_CHARS, part_chars: int = PART_CHARS
) -> tuple[str, list[Part]]:
    """The print page with the book's first page only, and the parts that bring the rest.

    The page's ``#print-site-page`` keeps everything up to the end of the
    first page (the contents of the book, then its home page), gets the parts'
    paths in ``data-parts``, a note for readers without script, and the script
    that appends the parts.
    """
    book = _BOOK.search(html)
    pages = [m.start() for m in _PAGE.finditer(html, book.end() if book else 0)]
    if book is None or len(pages) < 2:
        raise ValueError("print page: no #print-site-page with its pages (print-site changed?)")
    # What stays: the book's contents and its first page. What goes: the pages after it.
    rest_start = _element_at(html, pages[0]).end
    rest_end = _element_at(html, book.start()).close
    steps = assembly_steps(html[rest_start:rest_end], limit)

    # Parts of about part_chars each; a part may end inside an element, since
    # the script applies the steps of all parts as one sequence.
    batches: list[list[list[str]]] = [[]]
    size = 0
    for step in steps:
        if size >= part_chars:
            batches.append([])
            size = 0
        batches[-1].append(step)
        size += len(step[1]) if len(step) > 1 else 0
    parts = []
    for number, batch in enumerate(batches, start=1):
        text = _script(batch)
        digest = hashlib.sha256(text.encode()).hexdigest()[:10]  # a new name when it changes
        parts.append(Part(f"{PARTS_DIR}/{number:02d}.{digest}.js", text))

    paths = " ".join(part.path for part in parts)
    opening = book.group(0)[:-1] + f' data-parts="{paths}">'
    note = (
        '<noscript><p class="print-page-note">This page puts the book together with'
        " JavaScript, which is off: the chapters are on their own pages, listed on the"
        ' <a href="index.html">home page</a>.</p></noscript>'
    )
    page = html[: book.start()] + opening + html[book.end() : rest_start] + note + html[rest_end:]
    before, body_end, after = page.rpartition("</body>")
    page = before + f'<script src="{SCRIPT}" defer></script>\n' + body_end + after
    return page, parts


def whole_page(page: Path) -> str:
    """The built print page as a browser holds it once every part is in: for
    tests and tools that read the site's files."""
    html = page.read_text(encoding="utf-8")
    found = re.search(r' data-parts="([^"]*)"', html)
    if found is None:
        return html
    steps: list[list[str]] = []
    for path in found.group(1).split():
        text = (page.parent / path).read_text(encoding="utf-8")
        steps += json.loads(text[len("bookPrintPart(") : text.rindex(");")])
    note = re.search(r"<noscript>.*?</noscript>", html, re.S)
    return html[: note.start()] + apply_steps(steps) + html[note.end() :]


@event_priority(-110)  # after mathml.py (-100) has rendered the print page's math
def on_post_build(config) -> None:
    page = Path(config["site_dir"]) / "print_page.html"
    if not page.is_file():
        return
    html, parts = split_book(page.read_text(encoding="utf-8"))
    folder = page.parent / PARTS_DIR
    # Under mkdocs serve the site folder is kept from one build to the next.
    for old in folder.glob("*.js"):
        old.unlink()
    folder.mkdir(exist_ok=True)
    for part in parts:
        (page.parent / part.path).write_text(part.text, encoding="utf-8")
    page.write_text(html, encoding="utf-8")
