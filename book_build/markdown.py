"""The book's Python-Markdown extension: what a page's Markdown needs before it is parsed.

Configured in ``mkdocs.yml`` under ``markdown_extensions`` (``book_build.markdown``),
so any Python-Markdown site generator runs it. Its one preprocessor, after
pymdownx.snippets has expanded the includes and before superfences reads the
fences:

- ``{pin:numpy}`` becomes the version that ``requirements.txt`` pins;
- ``<!-- glossary -->`` becomes the table of the terms in the abbreviations file;
- the block under ``<!--pytest-codeblocks:expected-output-->`` gets the class
  ``la-output``, which the stylesheet labels "Output" (a label outside the text,
  so that search never shows it).

Code blocks themselves are written by ``book_build.code.format_fence``, a custom
fence of pymdownx.superfences.
"""

from __future__ import annotations

from pathlib import Path

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

from book_build.blocks import fences
from book_build.pages import fill_pins, glossary_table, pinned_versions


class _BookPreprocessor(Preprocessor):
    def __init__(self, md: Markdown, requirements: Path, abbreviations: Path) -> None:
        super().__init__(md)
        self.requirements, self.abbreviations = requirements, abbreviations

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        if "{pin:" in text:
            pins = pinned_versions(self.requirements.read_text(encoding="utf-8"))
            text = fill_pins(text, pins)
        if "<!-- glossary -->" in text:
            text = text.replace("<!-- glossary -->", glossary_table(self.abbreviations))
        lines = text.split("\n")
        for fence in fences(text):
            if fence.is_output:
                language = fence.language or "text"
                lines[fence.start] = f"{fence.indent}{fence.fence}{{.{language} .la-output}}"
        return lines


class BookExtension(Extension):
    def __init__(self, **kwargs) -> None:
        self.config = {
            "requirements": ["requirements.txt", "the file whose pins {pin:name} reads"],
            "abbreviations": [
                "docs/includes/abbreviations.md",
                "the glossary's terms, one '*[term]: meaning' line each",
            ],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        requirements, abbreviations = (Path(self.getConfig(k)) for k in self.config)
        # After pymdownx.snippets (32), before superfences (25).
        md.preprocessors.register(_BookPreprocessor(md, requirements, abbreviations), "book", 30)


def makeExtension(**kwargs) -> BookExtension:
    return BookExtension(**kwargs)
