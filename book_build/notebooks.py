"""Notebooks: every chapter as a Jupyter notebook, and notebook pages in the book's markup.

A chapter is any Markdown page with a ``python`` code block. Its notebook holds
the prose as Markdown cells and each block's program as a code cell. A notebook
runs its cells in order, so a cell leaves out the imports and definitions of the
setup the page folds (``blocks.notebook_code``) and keeps the rest of it (seeded
data), so that it prints what the page shows. Each page gets a bar under its
title with a download link, an "Open in Colab" link and a link to the notation
page; a page that is a notebook already (a lab) gets the same bar.

mkdocs-jupyter renders a notebook page with nbconvert's JupyterLab template, 600 KB
of inline CSS and scripts whose cells look unlike the rest of the book.
``rewrite_page`` turns it into the theme's markup: code cells as highlighted
blocks, text outputs as output blocks, image outputs as files with the alt text
of the cell's metadata, Markdown cells with their math rendered as MathML
(``mathml``) and links to ``page.md`` pointed at
``page.html``. It stops on an output or cell kind it does not know.
"""

from __future__ import annotations

import base64
import html as html_lib
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import markdown
import nbformat
from bs4 import BeautifulSoup, Comment, Tag

from book_build import mathml
from book_build.blocks import fences, notebook_code, page_programs
from book_build.code import format_fence
from book_build.pages import AsWritten

NOTEBOOK_DIR = "notebooks"
COLAB_BRANCH = "notebooks"
_CONTAINER = re.compile(
    r'^(?P<indent> *)(?:===|!!!|\?\?\?\+?) *(?P<kind>[\w-]*) *(?:"(?P<title>[^"]*)")?\s*$'
)
_MARKER = re.compile(r"^\s*<!--\s*pytest")
_ABBREVIATION = re.compile(r"^\*\[.+\]:")
_LINK = re.compile(r"(!?\[[^\]]*\]\()(?!https?://|#|mailto:)([^)\s]+)(\))")
# Inline math keeps the bracket before it and what follows it on its line, as
# mathml.render_tree keeps them on the other pages.
_DOLLARS = re.compile(
    r"\$\$(?P<display>.+?)\$\$|(?P<opening>[(\[]?)(?<![\\$])\$(?P<inline>[^$\n]+?)\$"
    rf"(?P<after>{mathml.TRAILING.pattern})?",
    re.S,
)
# A link between pages, as a Markdown cell writes it: page.md or page.md#anchor.
_PAGE_LINK = re.compile(r"(?![a-z]+:|/|#)(?P<page>[^#]+)\.md(?P<anchor>#.*)?")
_DATA_URI = re.compile(r"data:image/(png|jpeg);base64,(.*)", re.S)
PLACEHOLDER_ALT = "No description has been provided for this image"


def absolute_link(target: str, site_url: str) -> str:
    """A link relative to docs/ made absolute on the published site (page.md -> page.html)."""
    path, _, anchor = target.partition("#")
    if path.endswith(".md"):
        path = path[: -len(".md")] + ".html"
    return site_url.rstrip("/") + "/" + path + (f"#{anchor}" if anchor else "")


def page_to_notebook(
    text: str, site_url: str, page_url: str, code: list[str]
) -> nbformat.NotebookNode:
    """Convert an expanded Markdown page to a notebook: prose cells, and a code cell
    for each python block, whose source ``code`` holds in page order."""
    cells, prose = [], []
    code_cells = iter(code)
    lines = text.split("\n")
    by_start = {fence.start: fence for fence in fences(text)}
    container_indent = None  # content of a tab or admonition is indented under its header

    def flush_prose():
        body = "\n".join(prose).strip()
        if body:
            cells.append(nbformat.v4.new_markdown_cell(body))
        prose.clear()

    k = 0
    while k < len(lines):
        line = lines[k]
        if fence := by_start.get(k):
            k = fence.end + 1
            if fence.is_output:
                continue  # the notebook prints its own output
            if fence.language == "python":
                flush_prose()
                cells.append(nbformat.v4.new_code_cell(next(code_cells).strip("\n")))
            else:
                prose.extend([fence.fence + fence.info, *fence.body, fence.fence])
            continue
        k += 1
        if _MARKER.match(line) or _ABBREVIATION.match(line):
            continue  # test markers and glossary tooltips: meaningful on the site only
        indent = len(line) - len(line.lstrip(" "))
        if container_indent is not None and line.strip() and indent < container_indent:
            container_indent = None
        if container := _CONTAINER.match(line):
            title = container["title"] or container["kind"].capitalize()
            prose.append(f"**{title}**" if title else "")
            container_indent = len(container["indent"]) + 4
            continue
        line = line[min(container_indent or 0, indent) :]
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


def chapter_notebooks(
    docs_dir: Path, expand: Callable[[str], str], site_url: str
) -> dict[str, nbformat.NotebookNode]:
    """Notebook of every chapter under ``docs_dir``, by the chapter's path relative to
    it; ``expand`` expands a page's includes (``blocks.snippet_expander``)."""
    notebooks = {}
    for page in sorted(docs_dir.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        if is_chapter(text):
            uri = page.relative_to(docs_dir).as_posix()
            notebooks[uri] = chapter_notebook(text, uri, expand, site_url)
    return notebooks


def chapter_notebook(
    text: str, uri: str, expand: Callable[[str], str], site_url: str
) -> nbformat.NotebookNode:
    """The notebook of the chapter ``text``, found at ``uri`` under docs/."""
    code = [notebook_code(program) for program in page_programs(text, expand)]
    return page_to_notebook(expand(text), site_url, absolute_link(uri, site_url), code)


def notebook_uri(page_uri: str) -> str:
    return f"{NOTEBOOK_DIR}/{Path(page_uri).stem}.ipynb"


def colab_url(repo_url: str, path: str) -> str:
    """Colab's address of ``path`` (``branch/file.ipynb``) in this repository on GitHub."""
    return (
        f"https://colab.research.google.com/github/{urlparse(repo_url).path.strip('/')}/blob/{path}"
    )


def bar(download: str, colab: str, notation: str) -> str:
    """The links under a page's title, in Markdown: its notebook, Colab, the notation page."""
    return (
        f"[Download as a notebook]({download}){{ .md-button download }} "
        f"[Open in Colab]({colab}){{ .md-button }} [Notation]({notation}){{ .md-button }}"
    )


def with_chapter_bar(text: str, uri: str, repo_url: str) -> str:
    """A chapter's Markdown with the bar under its title (the notebook ``notebooks``
    publishes to its branch)."""
    up = "../" * uri.count("/")
    colab = colab_url(repo_url, f"{COLAB_BRANCH}/{Path(uri).stem}.ipynb")
    links = bar(f"{up}{notebook_uri(uri)}", colab, f"{up}notation.md")
    title, newline, rest = text.partition("\n")
    if title.startswith("# "):
        return f"{title}\n\n{links}\n{newline}{rest}"
    return f"{links}\n\n{text}"


def with_notebook_bar(page_html: str, uri: str, repo_url: str, edit_uri: str) -> str:
    """A notebook page's HTML with the same bar under its title, for its own file
    (on the branch that ``edit_uri`` names)."""
    up = "../" * uri.count("/")
    source = (edit_uri or "edit/main/docs/").strip("/").removeprefix("edit/")
    links = bar(f"{up}{uri}", colab_url(repo_url, f"{source}/{uri}"), f"{up}notation.html")
    soup = BeautifulSoup(page_html, "html.parser")
    rendered = BeautifulSoup(markdown.markdown(links, extensions=["attr_list"]), "html.parser")
    title = soup.find("h1")
    if title is None:
        soup.insert(0, rendered)
    else:
        title.insert_after("\n", rendered)
    return soup.decode(formatter=AsWritten())


def render_math(cell: Tag) -> None:
    """Render Jupyter's dollar-delimited math outside code as MathML, as on the other pages."""
    for text in cell.find_all(string=_DOLLARS):
        if text.find_parent(["code", "pre"]) is not None:
            continue  # a dollar sign in code is code
        pieces, end = [], 0
        for match in _DOLLARS.finditer(text):
            display = match["display"] is not None
            math = mathml.latex_to_mathml(match["display" if display else "inline"], display)
            if display:
                math = f'<div class="math-display">{math}</div>'
            elif match["opening"] or match["after"]:
                opening, after = (html_lib.escape(match[k] or "") for k in ("opening", "after"))
                math = f'<span class="math-nowrap">{opening}{math}{after}</span>'
            pieces += [html_lib.escape(text[end : match.start()], quote=False), math]
            end = match.end()
        pieces.append(html_lib.escape(text[end:], quote=False))
        text.replace_with(BeautifulSoup("".join(pieces), "html.parser"))


def _markdown_cell(cell: Tag) -> str:
    rendered = cell.select_one(".jp-RenderedMarkdown")
    for anchor in rendered.select("a.anchor-link"):
        anchor.attrs = {"class": "headerlink", "href": anchor["href"], "title": "Permanent link"}
    # nbconvert writes a fence in prose as <pre> without <code>, which the theme
    # would not let scroll: it would widen a phone's page.
    for pre in rendered.select("div.highlight > pre"):
        if pre.code is None:
            code = Tag(name="code")
            code.extend(list(pre.contents))
            pre.append(code)
    for link in rendered.find_all("a", href=_PAGE_LINK):
        if found := _PAGE_LINK.fullmatch(link["href"]):
            link["href"] = f"{found['page']}.html{found['anchor'] or ''}"
    render_math(rendered)
    return rendered.decode_contents()


def _output_html(output: Tag, alt: str | None, where: str, image: str, images: dict) -> str:
    classes = output.get("class", [])
    if "jp-RenderedText" in classes:
        text = (output.find("pre") or output).get_text()
        return format_fence(text, "text", "highlight", {}, None, classes=["la-output"])
    if "jp-RenderedImage" in classes:
        tag = output.find("img")
        if alt:
            tag["alt"] = alt
        elif tag.get("alt", PLACEHOLDER_ALT) == PLACEHOLDER_ALT:
            raise ValueError(f"{where}: an image output needs an 'alt' in the cell's metadata")
        del tag["class"]
        if data := _DATA_URI.fullmatch(tag.get("src", "")):
            kind, payload = data.groups()
            tag["src"] = f"{image}.{'jpg' if kind == 'jpeg' else kind}"
            images[re.sub(r"^(\.\./)*", "", tag["src"])] = base64.b64decode(payload)
        return f"<p>{tag}</p>"
    if {"jp-RenderedHTMLCommon", "jp-RenderedHTML"} & set(classes):
        return output.decode_contents()
    raise ValueError(f"{where}: no rendering for an output of class {' '.join(classes)!r}")


def notebook_alts(path: str) -> dict[str, str]:
    """The ``alt`` metadata of each cell of the notebook at ``path``, by cell id."""
    notebook = nbformat.read(path, as_version=4)
    return {c.id: c.metadata["alt"] for c in notebook.cells if "alt" in c.metadata}


def rewrite_page(
    page_html: str,
    alts: dict[str, str],
    images: dict[str, bytes],
    where: str,
    figures: str = "figures/nb",
) -> str:
    """mkdocs-jupyter's page in the theme's markup: each cell of its ``div.jupyter-wrapper``
    rewritten, nbconvert's styles and scripts (MathJax's loader among them) and the
    comments around them dropped.

    ``alts`` maps cell ids to the alt text of the cell's image output; image outputs
    become files named ``<figures>-<cell id>-<n>``, their bytes put into ``images``
    by site path."""
    soup = BeautifulSoup(page_html, "html.parser")
    wrapper = soup.select_one("div.jupyter-wrapper")
    if wrapper is None:
        raise ValueError(f"{where}: no notebook (div.jupyter-wrapper) in the page")
    parts = []
    for cell in wrapper.select('div.jp-Cell[id^="cell-id="]'):
        cell_id, classes = cell["id"].removeprefix("cell-id="), cell.get("class", [])
        if "jp-MarkdownCell" in classes:
            parts.append(_markdown_cell(cell))
        elif "jp-CodeCell" in classes:
            source = cell.select_one(".highlight-ipynb pre").get_text()
            parts.append(format_fence(source, "python", "highlight", {}, None))
            for n, output in enumerate(cell.select(".jp-OutputArea-output"), start=1):
                here, image = f"{where}, cell {cell_id}", f"{figures}-{cell_id}-{n}"
                parts.append(_output_html(output, alts.get(cell_id), here, image, images))
        else:
            raise ValueError(f"{where}, cell {cell_id}: no rendering for a cell of class {classes}")
    for element in soup.find_all(["style", "script"]):
        element.decompose()
    for comment in soup.find_all(string=lambda text: isinstance(text, Comment)):
        comment.extract()
    wrapper.replace_with(BeautifulSoup("\n".join(parts), "html.parser"))
    return soup.decode(formatter=AsWritten())
