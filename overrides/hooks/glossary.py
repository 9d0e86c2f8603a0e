"""MkDocs hook: render the glossary page from the abbreviations that give every page its tooltips.

``docs/includes/abbreviations.md`` holds one ``*[term]: definition`` line per
term. pymdownx.snippets appends it to every page, where pymdownx.abbr turns each
occurrence of a term into a tooltip; here the same file becomes the table of
the glossary page, in place of its ``<!-- glossary -->`` marker.
"""

from __future__ import annotations

import re
from pathlib import Path

ABBREVIATIONS = Path("includes") / "abbreviations.md"
_ENTRY = re.compile(r"^\*\[(?P<term>.+?)\]:\s*(?P<definition>.+)$")


def glossary_table(path: Path) -> str:
    """A Markdown table of the terms in ``path``, alphabetically, one row per definition."""
    entries = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _ENTRY.match(line)
        if match:
            entries.setdefault(match["definition"], match["term"])  # plurals share a definition
    rows = sorted(
        ((term, definition) for definition, term in entries.items()), key=lambda r: r[0].lower()
    )
    return "\n".join(["| Term | Meaning |", "| --- | --- |", *(f"| {t} | {d} |" for t, d in rows)])


def on_page_markdown(text: str, page, config, files) -> str:
    """MkDocs event: fill the glossary page's marker with the table."""
    if "<!-- glossary -->" not in text:
        return text
    return text.replace(
        "<!-- glossary -->", glossary_table(Path(config["docs_dir"]) / ABBREVIATIONS)
    )
