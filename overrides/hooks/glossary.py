"""MkDocs hook: render the glossary page from the abbreviations that give every page its tooltips.

``docs/includes/abbreviations.md`` holds one ``*[term]: definition`` line per
term. pymdownx.snippets appends it to every page, where pymdownx.abbr turns each
occurrence of a term into a tooltip; here the same file becomes the table of
the glossary page, in place of its ``<!-- glossary -->`` marker.

A term spelt two ways (a plural, a capital at the start of a sentence) has a
line for each spelling, so that each gets its tooltip, but one row in the
table. A tooltip belongs to running text: pymdownx.abbr also wraps terms in
headings, link text and inline code, where it only gets in the way (a dotted
underline in a title, a second hover target on a link), so those are unwrapped,
as are all of them on the references page, whose names and titles are no
running text either ("Xavier Glorot" is a person there, not a scheme), and on
the glossary, which gives each meaning beside its term.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.plugins import event_priority

ABBREVIATIONS = Path("includes") / "abbreviations.md"
_ENTRY = re.compile(r"^\*\[(?P<term>.+?)\]:\s*(?P<definition>.+)$")
# Elements where a term is not running text; none of them nests in itself.
_NO_TOOLTIP = re.compile(r"<(?P<tag>h[1-6]|a|code|pre)\b[^>]*>.*?</(?P=tag)>", re.S | re.I)
_ABBR = re.compile(r"<abbr\b[^>]*>(.*?)</abbr>", re.S | re.I)
# The references (names and titles), and the glossary itself, where every term's
# meaning stands beside it: there a hundred tooltips would only repeat the table.
WITHOUT_TOOLTIPS = {"references.md", "glossary.md"}


def row_key(term: str, terms: set[str]) -> str:
    """The spelling a term's row goes under: lower case, and singular when that is a term too."""
    key = term.lower()
    lowered = {t.lower() for t in terms}
    for suffix in ("es", "s"):
        if key.endswith(suffix) and key[: -len(suffix)] in lowered:
            return key[: -len(suffix)]
    return key


def glossary_table(path: Path) -> str:
    """A Markdown table of the terms in ``path``, alphabetically, one row per definition."""
    pairs = [
        m.group("term", "definition")
        for m in map(_ENTRY.match, path.read_text(encoding="utf-8").splitlines())
        if m
    ]
    terms = {term for term, _ in pairs}
    rows_by_key: dict[str, tuple[str, str]] = {}
    seen_definitions = set()
    for term, definition in pairs:  # the first spelling listed names the row
        key = row_key(term, terms)
        if key not in rows_by_key and definition not in seen_definitions:
            rows_by_key[key] = (term, definition)
        seen_definitions.add(definition)
    rows = sorted(rows_by_key.values(), key=lambda r: r[0].lower())
    return "\n".join(["| Term | Meaning |", "| --- | --- |", *(f"| {t} | {d} |" for t, d in rows)])


def without_stray_tooltips(html: str) -> str:
    """Unwrap the ``<abbr>`` tooltips inside headings, links and code."""
    return _NO_TOOLTIP.sub(lambda m: _ABBR.sub(r"\1", m[0]), html)


@event_priority(50)  # before the print-site plugin keeps each page for the one-page version
def on_page_content(html: str, page, config, files) -> str:
    """MkDocs event: keep the tooltips to running text."""
    if page.file.src_uri in WITHOUT_TOOLTIPS:
        return _ABBR.sub(r"\1", html)
    return without_stray_tooltips(html)


def on_page_markdown(text: str, page, config, files) -> str:
    """MkDocs event: fill the glossary page's marker with the table."""
    if "<!-- glossary -->" not in text:
        return text
    return text.replace(
        "<!-- glossary -->", glossary_table(Path(config["docs_dir"]) / ABBREVIATIONS)
    )
