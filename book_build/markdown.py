"""The book's Python-Markdown extension: what a page needs before and after it is parsed.

Configured in ``mkdocs.yml`` under ``markdown_extensions`` (``book_build.markdown``),
so any Python-Markdown site generator runs it. Its preprocessor, after
pymdownx.snippets has expanded the includes and before superfences reads the
fences:

- ``{pin:numpy}`` becomes the version that ``requirements.txt`` pins;
- ``<!-- glossary -->`` becomes the table of the terms in the abbreviations file,
  each linked to the section that defines it;
- the block under ``<!--pytest-codeblocks:expected-output-->`` gets the class
  ``la-output``, which the stylesheet labels "Output" (a label outside the text,
  so that search never shows it).

Its tree processor, on the parsed page, after the abbr extension has made the
glossary's tooltips and before the toc extension reads the headings:

- arithmatex's formulas become MathML (``book_build.mathml``);
- a tooltip stays in running text only: inside a heading, a link or code it is
  unwrapped, and a page that says ``<!-- no tooltips -->`` (the glossary and the
  references, where a meaning stands beside every term) has none;
- each ``<div class="equation" id="eq-...">`` gets its number, in page order,
  and each link to it reads that number; a link to no equation, or one whose
  text gives another number, stops the build.

Its postprocessor, on the finished HTML, shows the drawn figures
(``book_build.figures.show_figures``): numbered captions, light and dark
versions at their natural size, a link to full size, lazy loading.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from book_build import figures, mathml
from book_build.blocks import fences
from book_build.pages import PageError, fill_pins, glossary_table, pinned_versions

NO_TOOLTIPS = "<!-- no tooltips -->"
# What the glossary table reads, relative to the folder the build runs in (the repository).
GLOSSARY = Path("docs/includes/abbreviations.md")  # one "*[term]: meaning" line a spelling
DEFINED_IN = Path("docs/includes/defined-in.txt")  # one "term: page.md#anchor" line a term
_NOT_RUNNING_TEXT = {"h1", "h2", "h3", "h4", "h5", "h6", "a", "code", "pre"}


class _BookPreprocessor(Preprocessor):
    def __init__(self, md: Markdown, requirements: Path) -> None:
        super().__init__(md)
        self.requirements = requirements

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        self.md.book_tooltips = NO_TOOLTIPS not in text  # read by the tree processor
        text = text.replace(NO_TOOLTIPS, "")
        if "{pin:" in text:
            pins = pinned_versions(self.requirements.read_text(encoding="utf-8"))
            text = fill_pins(text, pins)
        if "<!-- glossary -->" in text:
            table = glossary_table(GLOSSARY, DEFINED_IN, Path("docs"))
            text = text.replace("<!-- glossary -->", table)
        lines = text.split("\n")
        for fence in fences(text):
            if fence.is_output:
                language = fence.language or "text"
                lines[fence.start] = f"{fence.indent}{fence.fence}{{.{language} .la-output}}"
        return lines


def unwrap(parent: Element, child: Element) -> None:
    """Put ``child``'s text in its place in ``parent``, as if it had no tag."""
    index = list(parent).index(child)
    text = (child.text or "") + (child.tail or "")
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        before = parent[index - 1]
        before.tail = (before.tail or "") + text
    parent.remove(child)


class _BookTreeprocessor(Treeprocessor):
    def run(self, root: Element) -> None:
        mathml.render_tree(root)
        self.unwrap_tooltips(root, everywhere=not getattr(self.md, "book_tooltips", True))
        self.number_equations(root)

    def unwrap_tooltips(self, root: Element, everywhere: bool, inside: bool = False) -> None:
        for child in list(root):
            if child.tag == "abbr" and (everywhere or inside):
                unwrap(root, child)
            else:
                self.unwrap_tooltips(child, everywhere, inside or child.tag in _NOT_RUNNING_TEXT)

    def number_equations(self, root: Element) -> None:
        numbers: dict[str, str] = {}
        for div in root.iter("div"):
            name = div.get("id", "")
            if "equation" in div.get("class", "").split() and name.startswith("eq-"):
                if name in numbers:
                    raise PageError(f"two equations with the id {name!r}")
                numbers[name] = f"({len(numbers) + 1})"
                number = Element("span", {"class": "equation__number"})
                number.text = numbers[name]
                div.insert(0, number)
        for link in root.iter("a"):
            name = link.get("href", "").removeprefix("#")
            if name.startswith("eq-") and name != link.get("href"):
                if name not in numbers:
                    raise PageError(f"a link to #{name}, which no equation has")
                if (link.text or "").strip() not in ("", numbers[name]):
                    raise PageError(f"the link to #{name} should read {numbers[name]}")
                link.text = numbers[name]


class _BookPostprocessor(Postprocessor):
    def run(self, text: str) -> str:
        if "figures/" not in text:  # spares hashing the figure scripts
            return text
        return figures.show_figures(text, figures.natural_sizes(Path(".")))


class BookExtension(Extension):
    def __init__(self, **kwargs) -> None:
        self.config = {"requirements": ["requirements.txt", "the file whose pins {pin:name} reads"]}
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        requirements = Path(self.getConfig("requirements"))
        # After pymdownx.snippets (32), before superfences (25).
        md.preprocessors.register(_BookPreprocessor(md, requirements), "book", 30)
        # After abbr (7) has made the tooltips, before toc (5) reads the headings.
        md.treeprocessors.register(_BookTreeprocessor(md), "book", 6)
        # Last, on the finished HTML (raw HTML restored at 30).
        md.postprocessors.register(_BookPostprocessor(md), "book", 5)


def makeExtension(**kwargs) -> BookExtension:
    return BookExtension(**kwargs)
