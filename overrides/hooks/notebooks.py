"""MkDocs hook: turn every chapter into a Jupyter notebook, and link it from the page.

A chapter is any Markdown page with a ``python`` code block. Its notebook holds
the prose as Markdown cells and the code blocks as code cells. A notebook runs
its cells in order, so each implementation is defined once, in the cell where
the page shows it: a cell leaves out the imports and definitions of the setup
that the site hides (``code_blocks.notebook_code``), and keeps the rest of it
(seeded data), so that it prints what the page shows. Expected outputs are
left for the notebook to produce. Each page gets a bar under its
title with a download link, an "Open in Colab" link and a link to the
notation page. A page that is a notebook already (a lab) gets the same bar,
linking its own ``.ipynb`` and, in Colab, that file on the repository's
default branch.

Run as a script, it writes the notebooks to a folder (the GitHub workflow
publishes them to the ``notebooks`` branch, which the Colab links open):

    python overrides/hooks/notebooks.py OUTPUT_FOLDER
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import markdown
import nbformat
from code_blocks import notebook_code, page_programs, snippet_expander
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

NOTEBOOK_DIR = "notebooks"
COLAB_BRANCH = "notebooks"
_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_CONTAINER = re.compile(
    r'^(?P<indent> *)(?:===|!!!|\?\?\?\+?) *(?P<kind>[\w-]*) *(?:"(?P<title>[^"]*)")?\s*$'
)
_MARKER = re.compile(r"^\s*<!--\s*pytest")
_ABBREVIATION = re.compile(r"^\*\[.+\]:")
_LINK = re.compile(r"(!?\[[^\]]*\]\()(?!https?://|#|mailto:)([^)\s]+)(\))")


def expander(config) -> Callable[[str], str]:
    """Return a function that expands ``--8<--`` includes as the site build does."""
    md = markdown.Markdown(
        extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"]
    )
    snippets = md.preprocessors["snippet"]
    return lambda text: "\n".join(snippets.run(text.split("\n")))


def absolute_link(target: str, site_url: str) -> str:
    """A link relative to docs/ made absolute on the published site (page.md -> page.html)."""
    path, _, anchor = target.partition("#")
    if path.endswith(".md"):
        path = path[: -len(".md")] + ".html"
    return site_url.rstrip("/") + "/" + path + (f"#{anchor}" if anchor else "")


def page_to_notebook(
    text: str, site_url: str, page_url: str, code: list[str] | None = None
) -> nbformat.NotebookNode:
    """Convert an expanded Markdown page to a notebook: prose cells and code cells.

    ``code``, when given, holds the source of each python block's cell, in order;
    otherwise a cell holds its block as written.
    """
    cells, prose = [], []
    code_cells = iter(code) if code is not None else None
    lines = text.split("\n")
    container_indent = None  # content of a tab or admonition is indented under its header
    skip_next_fence = False
    k = 0

    def flush_prose():
        body = "\n".join(prose).strip()
        if body:
            cells.append(nbformat.v4.new_markdown_cell(body))
        prose.clear()

    while k < len(lines):
        line = lines[k]
        k += 1
        if _MARKER.match(line):
            skip_next_fence = "expected-output" in line  # that fence is output, not code
            continue
        if _ABBREVIATION.match(line):
            continue  # glossary tooltips: meaningful on the site only
        indent = len(line) - len(line.lstrip(" "))
        if container_indent is not None and line.strip() and indent < container_indent:
            container_indent = None
        container = _CONTAINER.match(line)
        if container:
            title = container["title"] or container["kind"].capitalize()
            prose.append(f"**{title}**" if title else "")
            container_indent = len(container["indent"]) + 4
            continue
        strip = container_indent or 0
        fence = _FENCE.match(line)
        if fence:
            block, closing = [], fence["indent"] + fence["fence"]
            while k < len(lines) and not lines[k].startswith(closing):
                block.append(lines[k][len(fence["indent"]) :])
                k += 1
            k += 1  # the closing fence
            if skip_next_fence:
                skip_next_fence = False
            elif fence["info"].strip() == "python":
                flush_prose()
                source = "\n".join(block) if code_cells is None else next(code_cells)
                cells.append(nbformat.v4.new_code_cell(source.strip("\n")))
            else:
                prose.extend([fence["fence"] + fence["info"], *block, fence["fence"]])
            continue
        line = line[min(strip, indent) :]
        prose.append(_LINK.sub(lambda m: m[1] + absolute_link(m[2], site_url) + m[3], line))
    flush_prose()
    intro = (
        f"*Generated from [{page_url}]({page_url}), a chapter of Linear Algebra for Deep "
        "Learning. Text CC BY-SA 4.0, code MIT. Run the cells in order; each code cell "
        "also runs on its own.*"
    )
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell(intro), *cells]
    # nbformat gives each new cell a random id: number them instead, so that
    # the same chapter always makes the same notebook (a rebuild changes no
    # file that the chapter has not changed).
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def is_chapter(text: str) -> bool:
    return re.search(r"^ *```python *$", text, re.MULTILINE) is not None


def chapter_notebooks(docs_dir: Path, config) -> dict[str, nbformat.NotebookNode]:
    """Notebook of every chapter under ``docs_dir``, by the chapter's path relative to it."""
    expand, expand_block = expander(config), snippet_expander(config)
    site_url = config["site_url"] or ""
    notebooks = {}
    for page in sorted(docs_dir.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        if is_chapter(text):
            uri = page.relative_to(docs_dir).as_posix()
            code = [notebook_code(program) for program in page_programs(text, expand_block)]
            notebooks[uri] = page_to_notebook(
                expand(text), site_url, absolute_link(uri, site_url), code
            )
    return notebooks


def notebook_uri(page_uri: str) -> str:
    return f"{NOTEBOOK_DIR}/{Path(page_uri).stem}.ipynb"


def colab_url(repo_url: str, page_uri: str) -> str:
    """Colab opens notebooks from GitHub: the published branch of this repository."""
    owner_repo = urlparse(repo_url).path.strip("/")
    return f"https://colab.research.google.com/github/{owner_repo}/blob/{COLAB_BRANCH}/{Path(page_uri).stem}.ipynb"


def colab_source_url(repo_url: str, edit_uri: str, src_uri: str) -> str:
    """Colab's address of a notebook kept under docs/ (edit_uri names the branch)."""
    owner_repo = urlparse(repo_url).path.strip("/")
    blob = edit_uri.strip("/").replace("edit/", "blob/", 1)
    return f"https://colab.research.google.com/github/{owner_repo}/{blob}/{src_uri}"


def bar_html(download: str, colab: str, notation: str) -> str:
    """The bar of a notebook page, as the theme renders the chapters' Markdown bar."""
    return (
        f'<p><a class="md-button" download href="{download}">Download as a notebook</a> '
        f'<a class="md-button" href="{colab}">Open in Colab</a> '
        f'<a class="md-button" href="{notation}">Notation</a></p>'
    )


_generated: set[str] = set()


def on_files(files, config):
    """MkDocs event: add every chapter's notebook to the site."""
    _generated.clear()
    for uri, notebook in chapter_notebooks(Path(config["docs_dir"]), config).items():
        files.append(File.generated(config, notebook_uri(uri), content=nbformat.writes(notebook)))
        _generated.add(uri)
    return files


def on_page_markdown(text: str, page, config, files) -> str:
    """MkDocs event: put the notebook, Colab and notation links under the page title."""
    uri = page.file.src_uri
    if uri not in _generated:
        return text
    depth = uri.count("/")
    up = "../" * depth
    bar = (
        f"[Download as a notebook]({up}{notebook_uri(uri)}){{ .md-button download }} "
        f"[Open in Colab]({colab_url(config['repo_url'], uri)}){{ .md-button }} "
        f"[Notation]({up}notation.md){{ .md-button }}"
    )
    title, newline, rest = text.partition("\n")
    if title.startswith("# "):
        return f"{title}\n\n{bar}\n{newline}{rest}"
    return f"{bar}\n\n{text}"


@event_priority(55)  # after notebook_html.py (60) rewrote the page, before print-site keeps it
def on_page_content(html: str, page, config, files) -> str:
    """MkDocs event: put the bar under the title of a notebook page."""
    uri = page.file.src_uri
    if not uri.endswith(".ipynb"):
        return html
    up = "../" * uri.count("/")
    colab = colab_source_url(config["repo_url"], config["edit_uri"] or "edit/main/docs/", uri)
    bar = bar_html(f"{up}{uri}", colab, f"{up}notation.html")
    title_end = html.find("</h1>")
    if title_end < 0:
        return bar + "\n" + html
    title_end += len("</h1>")
    return html[:title_end] + "\n" + bar + html[title_end:]


def main(argv: list[str]) -> int:
    from mkdocs.config import load_config

    if len(argv) != 1:
        print(__doc__)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    config = load_config(str(Path(__file__).resolve().parents[2] / "mkdocs.yml"))
    for uri, notebook in chapter_notebooks(Path(config["docs_dir"]), config).items():
        (out / f"{Path(uri).stem}.ipynb").write_text(nbformat.writes(notebook), encoding="utf-8")
        print(out / f"{Path(uri).stem}.ipynb")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
