"""Page transforms over Markdown and HTML: pinned versions, the glossary table and
the one-page print version."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from bs4.dammit import EntitySubstitution
from bs4.formatter import HTMLFormatter
from markdown.extensions.toc import slugify

from book_build.blocks import fences


class PageError(Exception):
    """A page that cannot be built as written: the message says where and why."""


# --- versions: a page writes {pin:numpy} and gets the version requirements.txt pins ---

_PIN = re.compile(r"\{pin:([A-Za-z0-9_.-]+)\}")


def pinned_versions(requirements: str) -> dict[str, str]:
    """``name: version`` for every ``name==version`` line, names in lower case."""
    pins = {}
    for line in requirements.splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = (part.strip() for part in line.split("==", 1))
            pins[name.lower()] = version
    return pins


def fill_pins(text: str, pins: dict[str, str], where: str = "a page") -> str:
    """Replace each ``{pin:name}`` of ``text`` by the version ``pins`` gives ``name``."""

    def version(match: re.Match[str]) -> str:
        name = match[1].lower()
        if name not in pins:
            raise PageError(
                f"{where}: {match[0]} names no package that requirements.txt pins "
                f"(it pins {', '.join(sorted(pins))})"
            )
        return pins[name]

    return _PIN.sub(version, text)


# --- the glossary: abbreviations.md gives tooltips and the glossary page's table ---

_ENTRY = re.compile(r"^\*\[(?P<term>.+?)\]:\s*(?P<definition>.+)$")


def row_key(term: str, terms: set[str]) -> str:
    """The spelling a term's row goes under: lower case, and singular when that is a term too."""
    key = term.lower()
    lowered = {t.lower() for t in terms}
    for suffix in ("es", "s"):
        if key.endswith(suffix) and key[: -len(suffix)] in lowered:
            return key[: -len(suffix)]
    return key


def glossary_table(path: Path, defined_in: Path, docs: Path) -> str:
    """A Markdown table of the terms in ``path``, alphabetically, one row per definition,
    each term a link to the section that defines it (``term: page.md#anchor`` lines of
    ``defined_in``, pages under ``docs``)."""
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
    lines = defined_in.read_text(encoding="utf-8").splitlines()
    sections = dict(line.rsplit(": ", 1) for line in lines if line and not line.startswith("#"))
    if unknown := set(sections) - {term for term, _ in rows_by_key.values()}:
        raise PageError(f"{defined_in.name}: no glossary row for {sorted(unknown)}")
    rows = ["| Term | Meaning |", "| --- | --- |"]
    page_headings: dict[str, dict[str, str]] = {}
    for term, definition in sorted(rows_by_key.values(), key=lambda r: r[0].lower()):
        if term not in sections:
            raise PageError(f"{defined_in.name}: say where {term!r} is defined")
        link = sections[term]
        page, anchor = link.split("#", 1)
        if page not in page_headings:
            page_headings[page] = headings(docs / page)
        found = page_headings[page]
        if anchor not in found:
            raise PageError(f"{defined_in.name}: {page} has no heading #{anchor} ({term!r})")
        title, heading = next(iter(found.values())), found[anchor]
        where = title if heading == title else f"{title}: {heading}"
        rows.append(f'| [{term}]({link} "{where}") | {definition} |')
    return "\n".join(rows)


_HEADING = re.compile(r"^#{1,6} (?P<text>.+?)(?: \{#(?P<id>[\w-]+)\})?$")


def headings(page: Path) -> dict[str, str]:
    """The headings of a page, the title first, by the anchors the toc extension gives
    them (a repeated heading's gets ``_1``), in plain text."""
    text = page.read_text(encoding="utf-8")
    inside = {k for f in fences(text) for k in range(f.start, f.end + 1)}
    found: dict[str, str] = {}
    for k, line in enumerate(text.split("\n")):
        if k not in inside and (match := _HEADING.match(line)):
            plain = re.sub(r"[`*$\\\"]", "", match["text"])
            anchor = base = match["id"] or slugify(plain, "-")
            n = 0
            while anchor in found:
                n += 1
                anchor = f"{base}_{n}"
            found[anchor] = plain
    return found


# --- the one-page print version (the print-site plugin's page, made static) --------


def relative_base(soup: BeautifulSoup, site_url: str) -> None:
    """Replace the absolute base that the theme derived from ``site_url`` by ``.``.

    The plugin renders its page outside MkDocs' page loop, where the theme takes
    its base from ``site_url``'s path: opened from disk, the page would look for
    its search index and palette under ``/book/``."""
    base = urlsplit(site_url or "").path or "/"
    for script in soup.find_all("script", string=True):
        text = script.string.replace(f'new URL("{base}",location)', 'new URL(".",location)')
        script.string = text.replace(f'"base": "{base}"', '"base": "."')


class AsWritten(HTMLFormatter):
    """Serialize HTML close to how Python-Markdown and the theme wrote it: attributes
    in their order, an empty attribute bare (``download``), only ``&``, ``<`` and
    ``>`` escaped in text."""

    def __init__(self) -> None:
        super().__init__(EntitySubstitution.substitute_xml, void_element_close_prefix=" /")

    def attributes(self, tag):
        return [(key, None if value == "" else value) for key, value in tag.attrs.items()]


def unroll_tabs(soup: BeautifulSoup) -> None:
    """Replace each content tab set by its tabs in order, each under its label."""
    for tab_set in soup.select("div.tabbed-set"):
        labels = [label.get_text() for label in tab_set.select(":scope > .tabbed-labels label")]
        blocks = tab_set.select(":scope > .tabbed-content > .tabbed-block")
        if len(labels) != len(blocks):
            raise PageError(
                f"print page: a tab set with {len(labels)} labels and {len(blocks)} tabs"
            )
        unrolled = soup.new_tag("div", attrs={"class": "print-tabs"})
        for label, block in zip(labels, blocks, strict=True):
            name = soup.new_tag("p", attrs={"class": "print-tab"})
            name.append(soup.new_tag("strong"))
            name.strong.string = label
            unrolled.append(name)
            unrolled.extend(list(block.contents))
        tab_set.replace_with(unrolled)


def static_print_page(html: str, site_url: str) -> str:
    """The print page as a printout needs it, done once at build time rather than by the
    plugin's script on every load: the navigation and search hidden, the contents copied
    into the book, tabs unrolled, solutions open, every figure loaded at once, and what
    only a screen can use left out (copy buttons and their programs, folded setup)."""
    soup = BeautifulSoup(html, "html.parser")
    relative_base(soup, site_url)
    toc = soup.select_one(".md-sidebar--secondary ul")
    nav = soup.select_one("nav.print-page-toc-nav")
    if toc is None or nav is None:
        raise PageError("print page: no table of contents to copy (print-site changed?)")
    copied = BeautifulSoup(str(toc), "html.parser").ul
    del copied["data-md-component"]
    nav.append(copied)
    for selector in (".md-sidebar--primary", ".md-tabs", ".md-search"):
        if (element := soup.select_one(selector)) is not None:
            element["style"] = "display: none"
    for script in soup.find_all("script"):
        if "print-site.js" in script.get("src", "") or "generate_toc" in (script.string or ""):
            script.decompose()
    unroll_tabs(soup)
    for element in soup.select(".md-code__nav, .la-setup-toggle, template.la-setup"):
        element.decompose()
    for block in soup.select("[data-copy]"):
        del block["data-copy"]
    for details in soup.find_all("details"):
        details["open"] = ""
    for image in soup.find_all("img"):
        image.attrs.pop("loading", None)
        image.attrs.setdefault("fetchpriority", "low")
    return soup.decode(formatter=AsWritten())
