"""The MkDocs adapter: each event the book uses, in the order MkDocs runs them, each a
call into the plain functions of ``book_build``. The only module that imports MkDocs.

1. on_files         figures drawn (cached by content) and chapter notebooks, added as files
2. on_page_markdown a chapter gets its notebook bar under the title
   (then Python-Markdown runs ``book_build.markdown``, math included, and the
   code fences of ``book_build.code``, both configured in mkdocs.yml)
3. on_page_content  notebook pages restyled, their figures shown as on the other pages
4. on_page_context  the search index reads the formulas as text, not MathML
5. on_post_build    the print page made static; the math font cut to the
                    characters the site uses
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from mkdocs.exceptions import PluginError
from mkdocs.plugins import CombinedEvent, event_priority
from mkdocs.structure.files import File

from book_build import blocks, figures, mathml, notebooks, pages


def on_files(files, config):
    root = Path(config.config_file_path).parent
    for uri, svg in figures.draw_all(root, root / ".cache" / "figures").items():
        files.append(File.generated(config, uri, content=svg))
    expand = blocks.snippet_expander(config["mdx_configs"]["pymdownx.snippets"])
    for uri, notebook in notebooks.chapter_notebooks(
        Path(config["docs_dir"]), expand, config["site_url"] or ""
    ).items():
        content = nbformat.writes(notebook)
        files.append(File.generated(config, notebooks.notebook_uri(uri), content=content))
    return files


def on_page_markdown(text: str, page, config, files) -> str:
    if page.file.src_uri.endswith(".md") and notebooks.is_chapter(text):
        return notebooks.with_chapter_bar(text, page.file.src_uri, config["repo_url"])
    return text


@event_priority(50)  # before the print-site plugin keeps each page for the one-page version
def on_page_content(html: str, page, config, files) -> str:
    uri = page.file.src_uri
    if not uri.endswith(".ipynb"):
        return html
    stem = Path(uri).with_suffix("").as_posix().replace("/", "-")
    images: dict[str, bytes] = {}
    alts = notebooks.notebook_alts(page.file.abs_src_path)
    up = "../" * page.file.dest_uri.count("/")
    try:
        html = notebooks.rewrite_page(html, alts, images, uri, f"{up}figures/{stem}")
    except (ValueError, pages.PageError) as error:
        raise PluginError(f"docs/{uri}: {error}") from None
    for image_uri, data in images.items():
        path = Path(config["site_dir"]) / image_uri
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    html = notebooks.with_notebook_bar(html, uri, config["repo_url"], config["edit_uri"])
    return figures.show_figures(html, {})


@event_priority(10)  # just before the search plugin reads the page
def _search_reads_text(context, page, config, nav):
    context["book_content"], page.content = page.content, mathml.search_view(page.content)
    return context


@event_priority(-10)  # just after
def _page_shows_math(context, page, config, nav):
    page.content = context.pop("book_content", page.content)
    return context


on_page_context = CombinedEvent(_search_reads_text, _page_shows_math)


@event_priority(-100)  # after the print-site plugin has written its page
def on_post_build(config) -> None:
    site = Path(config["site_dir"])
    print_page = site / "print_page.html"
    if print_page.is_file():
        html = print_page.read_text(encoding="utf-8")
        print_page.write_text(pages.static_print_page(html, config["site_url"]), encoding="utf-8")
    mathml.write_font(site)
