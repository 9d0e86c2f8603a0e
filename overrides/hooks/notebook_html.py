"""MkDocs hook: show notebook pages (mkdocs-jupyter) as the chapters are shown.

mkdocs-jupyter renders a notebook with nbconvert's JupyterLab template: every
page carries 600 KB of inline JupyterLab CSS (mostly widgets and icons that a
static page never shows), a clipboard script and a Mermaid loader, and its code
cells look and behave unlike the rest of the book. This hook rewrites the
notebook's HTML into the theme's own markup:

* a code cell becomes a highlighted block (``div.highlight``), which gets the
  theme's colours, copy button and dark mode, and the line count of
  ``lean_code.py``;
* a text output becomes a block titled "Output", as the chapters show expected
  output;
  an image output becomes a file next to the book's figures
  (``figures/<notebook>-<cell id>-<n>.png``, loaded lazily like them) instead
  of base64 text inside the page, with the alt text written in the cell's
  metadata (``"alt"``) instead of nbconvert's placeholder;
* a Markdown cell becomes its rendered HTML, its heading links the theme's,
  its ``$...$`` and ``$$...$$`` math wrapped as arithmatex wraps it on the
  other pages (mathml.py renders both), and its links to ``page.md`` pointed
  at ``page.html`` (in a clone, Jupyter opens the Markdown source);
* the inline styles and scripts are dropped, nbconvert's MathJax loader (which
  points at a CDN) with them.

It stops the build on an output or a cell kind it does not know, rather than
show it unstyled.
"""

from __future__ import annotations

import base64
import html as html_lib
import re
from pathlib import Path

import nbformat
from bs4 import BeautifulSoup, Tag
from mkdocs.plugins import event_priority

_WRAPPER = re.compile(r'<div class="jupyter-wrapper">.*</div>\s*<!-- jupyter-wrapper -->', re.S)
_INLINE = re.compile(r"<(style|script)\b[^>]*>.*?</\1>", re.S)
# nbconvert's MathJax loader and its configuration (nbconvert's base/mathjax.html.j2).
_MATHJAX = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)
# Parts of a Markdown cell where a dollar sign is code, not math.
_VERBATIM = re.compile(r"(<pre\b.*?</pre>|<code\b.*?</code>)", re.S | re.I)
_DOLLARS = re.compile(r"\$\$(?P<display>.+?)\$\$|(?<![\\$])\$(?P<inline>[^$\n]+?)\$", re.S)
_MARKDOWN_LINK = re.compile(r'href="(?![a-z]+:|/|#)([^"#]+)\.md(#[^"]*)?"')
_DATA_URI = re.compile(r"data:image/(png|jpeg);base64,(.*)", re.S)
PLACEHOLDER_ALT = "No description has been provided for this image"

# Images taken out of the notebook pages, by site path; written after the build.
_images: dict[str, bytes] = {}


def code_block(inner_html: str) -> str:
    """The markup pymdownx.highlight gives a fenced block, around highlighted HTML."""
    return f'<div class="highlight"><pre><span></span><code>{inner_html}</code></pre></div>'


def output_block(text: str) -> str:
    """A text output, as code_blocks.py titles the chapters' expected outputs."""
    return (
        '<div class="la-output highlight"><span class="filename">Output</span>'
        f"<pre><span></span><code>{html_lib.escape(text)}</code></pre></div>"
    )


def wrap_math(cell_html: str) -> str:
    """Wrap Jupyter's dollar-delimited math outside code as arithmatex does."""

    def wrap(match: re.Match[str]) -> str:
        if match["display"] is not None:
            return f'<div class="arithmatex">\\[{match["display"]}\\]</div>'
        return f'<span class="arithmatex">\\({match["inline"]}\\)</span>'

    parts = _VERBATIM.split(cell_html)
    # re.split with one group puts the verbatim pieces at the odd indices.
    return "".join(part if i % 2 else _DOLLARS.sub(wrap, part) for i, part in enumerate(parts))


def _output_html(output: Tag, alt: str | None, where: str, image_stem: str) -> str:
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
            _images[re.sub(r"^(\.\./)*", "", uri)] = base64.b64decode(payload)
            image["src"] = uri
        return f"<p>{image}</p>"
    if {"jp-RenderedHTMLCommon", "jp-RenderedHTML"} & set(classes):
        return output.decode_contents()
    raise ValueError(f"{where}: no rendering for an output of class {' '.join(classes)!r}")


def restyle(
    notebook_html: str, alts: dict[str, str], where: str = "notebook", figures: str = "figures/nb"
) -> str:
    """Rewrite the ``div.jupyter-wrapper`` of mkdocs-jupyter as the theme's markup.

    ``alts`` maps cell ids to the alt text of the cell's image output; image
    outputs become files named ``<figures>-<cell id>-<n>`` (see ``_images``).
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
            html = _MARKDOWN_LINK.sub(r'href="\1.html\2"', rendered.decode_contents())
            parts.append(wrap_math(html))
        elif "jp-CodeCell" in classes:
            pre = cell.select_one(".highlight-ipynb pre")
            code = pre.decode_contents().removeprefix("<span></span>")
            parts.append(code_block(code))
            for n, output in enumerate(cell.select(".jp-OutputArea-output"), start=1):
                here, stem = f"{where}, cell {cell_id}", f"{figures}-{cell_id}-{n}"
                parts.append(_output_html(output, alts.get(cell_id), here, stem))
        else:
            raise ValueError(f"{where}, cell {cell_id}: no rendering for a cell of class {classes}")
    return "\n".join(parts)


def notebook_alts(path: str) -> dict[str, str]:
    """The ``alt`` metadata of each cell of the notebook at ``path``, by cell id."""
    notebook = nbformat.read(path, as_version=4)
    return {c.id: c.metadata["alt"] for c in notebook.cells if "alt" in c.metadata}


def rewrite_page(
    page_html: str, alts: dict[str, str], where: str, figures: str = "figures/nb"
) -> str:
    """Restyle the notebook in a page's content and drop its inline styles and scripts."""
    match = _WRAPPER.search(page_html)
    if match is None:
        raise ValueError(f"{where}: no notebook (div.jupyter-wrapper) in the page")
    body = restyle(match.group(0), alts, where, figures)

    def clean(part: str) -> str:
        return _INLINE.sub("", _MATHJAX.sub("", part))

    return clean(page_html[: match.start()]) + body + clean(page_html[match.end() :])


@event_priority(60)  # before lean_code.py and the print-site plugin see the page
def on_page_content(html: str, page, config, files) -> str:
    if not page.file.src_uri.endswith(".ipynb"):
        return html
    # Relative to the page, as every link of a site that works from a folder.
    up = "../" * page.file.dest_uri.count("/")
    figures = f"{up}figures/{Path(page.file.src_uri).with_suffix('').as_posix().replace('/', '-')}"
    return rewrite_page(html, notebook_alts(page.file.abs_src_path), page.file.src_uri, figures)


def on_post_build(config) -> None:
    """MkDocs event: write the images taken out of the notebook pages."""
    for uri, data in _images.items():
        path = Path(config["site_dir"]) / uri
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
