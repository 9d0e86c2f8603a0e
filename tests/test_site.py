"""The built site: a strict build with no warnings, every page in the nav, nothing
loaded from another host, and every formula rendered."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import yaml

from conftest import REPO, mkdocs_config

DOCS = REPO / "docs"


def nav_files(nav) -> list[str]:
    """The files named anywhere in a (nested) MkDocs nav."""
    found = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        if isinstance(value, list):
            found += nav_files(value)
        elif not re.match(r"^[a-z]+://", value):
            found.append(value)
    return found


def source_pages() -> set[str]:
    """Every page under docs/, less the fragments in docs/includes/ that pages embed."""
    return {
        p.relative_to(DOCS).as_posix()
        for p in DOCS.rglob("*")
        if p.suffix in {".md", ".ipynb"} and "includes" not in p.relative_to(DOCS).parts
    }


def built_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if p.name != "404.html")


def test_build_is_strict_and_silent(built_site):
    warnings = [line for line in built_site.log.splitlines() if line.startswith("WARNING")]
    assert warnings == []


def test_every_page_is_in_the_nav():
    listed = nav_files(mkdocs_config()["nav"])
    assert len(listed) == len(set(listed)), "a page is listed twice"
    assert set(listed) == source_pages()


def test_every_notebook_is_executed_on_each_build(built_site):
    # mkdocs-jupyter's cache is keyed on the notebook file alone; a change in
    # snippets/ would not invalidate it, so the cache must stay off.
    with open(REPO / "mkdocs.yml", encoding="utf-8") as handle:
        raw = yaml.load(handle, Loader=yaml.BaseLoader)
    jupyter = next(p["mkdocs-jupyter"] for p in raw["plugins"] if "mkdocs-jupyter" in p)
    # A build executes them unless BOOK_FULL=false asks for a quick preview.
    assert jupyter["cache"] == "false" and jupyter["execute"] in ("true", ["BOOK_FULL", "true"])
    for notebook in DOCS.rglob("*.ipynb"):
        assert f"Converting notebook (execute=True): {notebook}" in built_site.log


class ResourceCollector(HTMLParser):
    """Collect every URL a browser would fetch while loading the page."""

    FETCHED: ClassVar[set[tuple[str, str]]] = {
        ("script", "src"),
        ("img", "src"),
        ("iframe", "src"),
        ("source", "src"),
        ("video", "src"),
        ("audio", "src"),
        ("embed", "src"),
        ("object", "data"),
        ("input", "src"),
    }
    # <link rel=...> values that make a browser fetch or connect.
    FETCHING_LINKS: ClassVar[set[str]] = {
        "stylesheet",
        "icon",
        "preload",
        "prefetch",
        "preconnect",
        "dns-prefetch",
        "modulepreload",
        "manifest",
    }

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for fetched_tag, attr in self.FETCHED:
            if tag == fetched_tag and attrs.get(attr):
                self.urls.append(attrs[attr])
        if tag == "link" and self.FETCHING_LINKS & set((attrs.get("rel") or "").split()):
            self.urls.append(attrs.get("href") or "")
        if attrs.get("srcset"):
            self.urls += [part.split()[0] for part in attrs["srcset"].split(",")]
        if attrs.get("style"):
            self.urls += re.findall(r"url\(\s*['\"]?([^'\")]+)", attrs["style"])


def is_remote(url: str) -> bool:
    return bool(re.match(r"^([a-z][a-z0-9+.-]*:)?//", url.strip(), re.IGNORECASE))


def test_the_resource_check_sees_remote_loads():
    collector = ResourceCollector()
    collector.feed(
        '<script src="https://cdn.example/x.js"></script><link rel="stylesheet" '
        'href="//fonts.example/css"><img src="figure.svg"><a href="https://example.org">a</a>'
    )
    assert [u for u in collector.urls if is_remote(u)] == [
        "https://cdn.example/x.js",
        "//fonts.example/css",
    ]


def test_no_page_loads_anything_from_another_host(built_site):
    pages = built_pages(built_site.site)
    assert len(pages) >= len(source_pages())
    for page in pages:
        collector = ResourceCollector()
        collector.feed(page.read_text(encoding="utf-8"))
        remote = [url for url in collector.urls if is_remote(url)]
        assert remote == [], f"{page.relative_to(built_site.site)} loads {remote}"
    for stylesheet in built_site.site.rglob("*.css"):
        urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", stylesheet.read_text(encoding="utf-8"))
        remote = [url for url in urls if is_remote(url)]
        assert remote == [], f"{stylesheet.name} loads {remote}"


def visible_text(page_html: str) -> str:
    """The page without code, scripts, styles and MathML: what a reader reads as prose."""
    return re.sub(
        r"<(pre|code|script|style|math)\b.*?</\1>", "", page_html, flags=re.DOTALL | re.IGNORECASE
    )


# One test over every page, not one per page: "-k <page>" selects a chapter's
# fast checks and must not wait for a site build.
def test_math_is_rendered_to_mathml(built_site):
    for page in sorted(source_pages()):
        source = (DOCS / page).read_text(encoding="utf-8")
        url = Path(page).with_suffix(".html")  # use_directory_urls: false
        built = (built_site.site / url).read_text(encoding="utf-8")
        prose = visible_text(built)
        for delimiter in (r"\(", r"\[", "$$", 'class="arithmatex"'):
            assert delimiter not in prose, f"{page}: unrendered math ({delimiter}) in the page"
        assert not re.search(r"\$[^$\s][^$]*\$", prose), f"{page}: unrendered $...$ math"
        prose_source = re.sub(r"^(\s*)(`{3,}|~{3,}).*?^\1\2", "", source, flags=re.DOTALL | re.M)
        if re.search(r"\$\$|\$[^\s$][^$\n]*\$", prose_source):
            assert "<math" in built, f"{page} has math in its source but none in the page"


# Raw LaTeX as a reader would meet it: a math wrapper, a command, a script of \text.
RAW_LATEX = re.compile(r"\\[()\[\]]|\$\$|\\(?:[a-zA-Z]{2,}|_)|_\\text")


def test_no_raw_latex_in_any_page_or_in_the_search_index(built_site):
    import json

    found = {}
    for page in built_pages(built_site.site):
        # Formulas included: `fan\_in` once showed its backslash inside one.
        source = page.read_text(encoding="utf-8")
        text = re.sub(r"<(pre|code|script|style)\b.*?</\1>", "", source, flags=re.DOTALL)
        text = re.sub(r"<[^>]+>", " ", text)
        if RAW_LATEX.search(text):
            found[page.name] = RAW_LATEX.findall(text)[:5]
    index = json.loads((built_site.site / "search" / "search_index.json").read_text("utf-8"))
    for entry in index["docs"]:
        fragments = RAW_LATEX.findall(entry["title"] + " " + entry["text"])
        if fragments:
            found[entry["location"]] = fragments[:5]
        # Previews show prose: code blocks stay out of the index.
        assert "<pre" not in entry["text"], f"{entry['location']}: a code block in the index"
    assert found == {}
    # The formulas are in the index all the same, as text.
    assert any("softmax(x)<sub>i</sub>" in entry["text"] for entry in index["docs"])


def test_the_math_font_is_served_with_its_licence_to_pages_with_math(built_site):
    fonts = built_site.site / "assets" / "fonts"
    assert (fonts / "OFL.txt").read_text(encoding="utf-8").count("SIL Open Font License") >= 1
    assert 0 < (fonts / "book-math.woff2").stat().st_size < 100_000
    for page in built_pages(built_site.site):
        source = page.read_text(encoding="utf-8")
        preload = 'href="assets/fonts/book-math.woff2" as="font"' in source
        assert preload == ("<math" in source), f"{page.name}: font preload and math disagree"


class ImageCollector(HTMLParser):
    """Collect ``(src, alt)`` of every image in a page."""

    def __init__(self):
        super().__init__()
        self.images: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            attrs = dict(attrs)
            self.images.append((attrs.get("src") or "", attrs.get("alt")))


def test_every_image_exists_and_has_alt_text(built_site):
    figures = 0
    for page in built_pages(built_site.site):
        collector = ImageCollector()
        collector.feed(page.read_text(encoding="utf-8"))
        for src, alt in collector.images:
            where = page.relative_to(built_site.site)
            assert alt and alt.strip(), f"{where}: image {src[:60]} has no alt text"
            if src.startswith("data:"):
                continue
            # Material's #only-light / #only-dark pick the image by scheme.
            target = (page.parent / src.partition("#")[0]).resolve()
            assert target.is_file(), f"{where}: image {src} is missing"
            figures += src.partition("#")[0].endswith(".svg")
    # Every figure a chapter script draws is shown somewhere.
    drawn = list((built_site.site / "figures").glob("*.svg"))
    assert figures >= len(drawn) > 0
