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

``python -m book_build notebooks OUTPUT_FOLDER`` writes the chapters' notebooks
(the workflow publishes them to the ``notebooks`` branch, which Colab opens).
"""

from __future__ import annotations

import base64
import html as html_lib
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse
from xml.etree.ElementTree import tostring

import nbformat
from bs4 import BeautifulSoup, Comment, Tag

from book_build import mathml
from book_build.blocks import fences, notebook_code, page_programs
from book_build.code import COPY_BUTTON
from book_build.pages import AsWritten

NOTEBOOK_DIR = "notebooks"
COLAB_BRANCH = "notebooks"
_CONTAINER = re.compile(
    r'^(?P<indent> *)(?:===|!!!|\?\?\?\+?) *(?P<kind>[\w-]*) *(?:"(?P<title>[^"]*)")?\s*$'
)
_MARKER = re.compile(r"^\s*<!--\s*pytest")
_ABBREVIATION = re.compile(r"^\*\[.+\]:")
_LINK = re.compile(r"(!?\[[^\]]*\]\()(?!https?://|#|mailto:)([^)\s]+)(\))")
# Inline math keeps what follows it on its line, as on the other pages.
_DOLLARS = re.compile(
    r"\$\$(?P<display>.+?)\$\$|(?<![\\$])\$(?P<inline>[^$\n]+?)\$"
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


def code_block(inner_html: str) -> str:
    """The markup pymdownx.highlight gives a fenced block, around highlighted HTML."""
    return (
        f'<div class="language-python highlight"><pre><span></span>{COPY_BUTTON}'
        f"<code>{inner_html}</code></pre></div>"
    )


def output_block(text: str) -> str:
    """A text output, as the chapters show their expected outputs."""
    return (
        f'<div class="language-text highlight la-output"><pre><span></span>{COPY_BUTTON}'
        f"<code>{html_lib.escape(text)}</code></pre></div>"
    )


def render_math(cell: Tag) -> None:
    """Render Jupyter's dollar-delimited math outside code as MathML, as on the other pages."""
    for text in cell.find_all(string=_DOLLARS):
        if text.find_parent(["code", "pre"]) is not None:
            continue  # a dollar sign in code is code
        pieces, end = [], 0
        for match in _DOLLARS.finditer(text):
            display = match["display"] is not None
            latex = match["display"] if display else match["inline"]
            math = tostring(mathml.math_element(latex, display), encoding="unicode")
            if display:
                math = f'<div class="math-display">{math}</div>'
            elif match["after"]:
                math = f'<span class="math-nowrap">{math}{html_lib.escape(match["after"])}</span>'
            pieces += [html_lib.escape(text[end : match.start()], quote=False), math]
            end = match.end()
        pieces.append(html_lib.escape(text[end:], quote=False))
        text.replace_with(BeautifulSoup("".join(pieces), "html.parser"))


def _output_html(
    output: Tag, alt: str | None, where: str, image_stem: str, images: dict[str, bytes]
) -> str:
    classes = output.get("class", [])
    if "jp-RenderedText" in classes:
        pre = output.find("pre")
        return output_block(pre.get_text() if pre else output.get_text())
    if "jp-RenderedImage" in classes:
        image = output.find("img")
        if alt:
            image["alt"] = alt
        elif image.get("alt", PLACEHOLDER_ALT) == PLACEHOLDER_ALT:
            raise ValueError(f"{where}: an image output needs an 'alt' in the cell's metadata")
        del image["class"]
        data = _DATA_URI.fullmatch(image.get("src", ""))
        if data:
            kind, payload = data.groups()
            uri = f"{image_stem}.{'jpg' if kind == 'jpeg' else kind}"
            images[re.sub(r"^(\.\./)*", "", uri)] = base64.b64decode(payload)
            image["src"] = uri
        return f"<p>{image}</p>"
    if {"jp-RenderedHTMLCommon", "jp-RenderedHTML"} & set(classes):
        return output.decode_contents()
    raise ValueError(f"{where}: no rendering for an output of class {' '.join(classes)!r}")


def restyle(
    notebook_html: str,
    alts: dict[str, str],
    images: dict[str, bytes],
    where: str = "notebook",
    figures: str = "figures/nb",
) -> str:
    """Rewrite the ``div.jupyter-wrapper`` of mkdocs-jupyter as the theme's markup.

    ``alts`` maps cell ids to the alt text of the cell's image output; image
    outputs become files named ``<figures>-<cell id>-<n>``, their bytes put into
    ``images`` by site path.
    """
    soup = BeautifulSoup(notebook_html, "html.parser")
    parts = []
    for cell in soup.select('div.jp-Cell[id^="cell-id="]'):
        cell_id = cell["id"].removeprefix("cell-id=")
        classes = cell.get("class", [])
        if "jp-MarkdownCell" in classes:
            rendered = cell.select_one(".jp-RenderedMarkdown")
            for anchor in rendered.select("a.anchor-link"):
                anchor["class"] = "headerlink"
                anchor["title"] = "Permanent link"
            # nbconvert writes a fence in prose as <pre> without <code>, which the
            # theme would not let scroll: it would widen a phone's page.
            for pre in rendered.select("div.highlight > pre"):
                if pre.code is None:
                    code = soup.new_tag("code")
                    code.extend(list(pre.contents))
                    pre.append(code)
            for link in rendered.find_all("a", href=_PAGE_LINK):
                found = _PAGE_LINK.fullmatch(link["href"])
                if found:
                    link["href"] = f"{found['page']}.html{found['anchor'] or ''}"
            render_math(rendered)
            parts.append(rendered.decode_contents())
        elif "jp-CodeCell" in classes:
            pre = cell.select_one(".highlight-ipynb pre")
            code = pre.decode_contents().removeprefix("<span></span>")
            parts.append(code_block(code))
            for n, output in enumerate(cell.select(".jp-OutputArea-output"), start=1):
                here, stem = f"{where}, cell {cell_id}", f"{figures}-{cell_id}-{n}"
                parts.append(_output_html(output, alts.get(cell_id), here, stem, images))
        else:
            raise ValueError(f"{where}, cell {cell_id}: no rendering for a cell of class {classes}")
    return "\n".join(parts)


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
    """Restyle the notebook in a page's content and drop its inline styles and scripts
    (nbconvert's, MathJax's loader among them) and the comments around them."""
    soup = BeautifulSoup(page_html, "html.parser")
    wrapper = soup.select_one("div.jupyter-wrapper")
    if wrapper is None:
        raise ValueError(f"{where}: no notebook (div.jupyter-wrapper) in the page")
    body = restyle(str(wrapper), alts, images, where, figures)
    for element in soup.find_all(["style", "script"]):
        element.decompose()
    for comment in soup.find_all(string=lambda text: isinstance(text, Comment)):
        comment.extract()
    wrapper.replace_with(BeautifulSoup(body, "html.parser"))
    return soup.decode(formatter=AsWritten())


def with_chapter_bar(text: str, uri: str, repo_url: str) -> str:
    """A chapter's Markdown with the notebook, Colab and notation links under its title."""
    up = "../" * uri.count("/")
    bar = (
        f"[Download as a notebook]({up}{notebook_uri(uri)}){{ .md-button download }} "
        f"[Open in Colab]({colab_url(repo_url, uri)}){{ .md-button }} "
        f"[Notation]({up}notation.md){{ .md-button }}"
    )
    title, newline, rest = text.partition("\n")
    if title.startswith("# "):
        return f"{title}\n\n{bar}\n{newline}{rest}"
    return f"{bar}\n\n{text}"


def with_notebook_bar(page_html: str, uri: str, repo_url: str, edit_uri: str) -> str:
    """A notebook page's HTML with the same bar under its title, linking its own file."""
    up = "../" * uri.count("/")
    colab = colab_source_url(repo_url, edit_uri or "edit/main/docs/", uri)
    bar = bar_html(f"{up}{uri}", colab, f"{up}notation.html")
    soup = BeautifulSoup(page_html, "html.parser")
    title = soup.find("h1")
    if title is None:
        return bar + "\n" + page_html
    title.insert_after("\n", BeautifulSoup(bar, "html.parser"))
    return soup.decode(formatter=AsWritten())
