"""MkDocs hook: make ``mkdocs serve`` rebuild in seconds after an edit.

``mkdocs serve`` keeps one Python process for all its rebuilds, and this hook
keeps there what a rebuild would otherwise redo for every page although only
one changed. Under ``mkdocs build`` (the tests and the workflow) it does nothing:
every build is whole.

- **Notebooks.** ``mkdocs build`` executes every notebook page, so that its
  outputs match the current ``snippets/``; that took about half a minute of each
  rebuild. Under ``serve`` a notebook page shows the notebook as stored (the lab
  notebooks are committed without outputs), with a note at its top saying so.
  ``BOOK_EXECUTE_NOTEBOOKS=1`` executes them under ``serve`` too.
- **The one-page version** (the print-site plugin) is left out under ``serve``;
  ``BOOK_PRINT_PAGE=1`` keeps it.
- **Pages.** A page whose Markdown (as the other hooks leave it), included files,
  ``mkdocs.yml`` and list of pages are unchanged is not converted again: its HTML,
  table of contents, title and anchors come from the last rebuild, and every
  hook's ``on_page_content`` still runs on them. The search plugin's entries of a
  page are kept the same way, keyed on the page's HTML, and Jinja compiles each
  template once.
- **Figures.** The figures hook draws every figure on every build, and some
  train small networks to get their data. Under ``serve`` each figure script's
  drawings are kept, keyed on the content of the script, of the code of the
  ``snippets`` modules it imports (a comment there draws nothing), of
  ``benchmarks/data/`` and of the figures hook: a prose edit redraws nothing, and
  a snippet edit redraws only the figures that import it.
- **Snippets.** So that a figure shows edited code, the ``snippets`` package is
  dropped from ``sys.modules`` before each rebuild. (``mkdocs.yml`` lists
  ``snippets/`` and ``overrides/`` under ``watch:``, so an edit there starts a
  rebuild; ``docs/``, figure scripts included, is watched anyway. An edit to a
  hook's own Python code takes a restart of ``mkdocs serve``.)

``benchmarks/serve.py`` measures the wait from saving a file to the page served.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import logging
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import jinja2
import jinja2.bccache
from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.hooks.serve")

ENVIRONMENT_VARIABLE = "BOOK_EXECUTE_NOTEBOOKS"
PRINT_VARIABLE = "BOOK_PRINT_PAGE"
_command = {"name": "build"}  # the hook module lives as long as the process


def on_startup(command: str, dirty: bool) -> None:
    """MkDocs event, once per process: remember whether this is ``mkdocs serve``."""
    _command["name"] = command


def serving() -> bool:
    return _command["name"] == "serve"


def skip_execution() -> bool:
    """Whether notebook pages are shown without executing them: under serve, by default."""
    return serving() and os.environ.get(ENVIRONMENT_VARIABLE, "") not in ("1", "true")


def skip_print_page() -> bool:
    """Whether the one-page version is left out: under serve, by default. Assembling it
    and its math takes more than a second on every rebuild."""
    return serving() and os.environ.get(PRINT_VARIABLE, "") not in ("1", "true")


def forget_snippets() -> None:
    """Drop the ``snippets`` package from the module cache, so the next import reads the files."""
    for name in [n for n in sys.modules if n == "snippets" or n.startswith("snippets.")]:
        del sys.modules[name]


def on_config(config):
    """MkDocs event, on every (re)build: under serve, show notebooks unexecuted and
    keep the figures hook's drawings between rebuilds."""
    figures = sys.modules.get(FIGURES_HOOK)
    if serving() and figures is not None and not getattr(figures.draw_all, "cached", False):
        figures.draw_all = cached_draw_all(figures.draw_all)
    printed = config.plugins.get("print-site")
    if skip_print_page() and printed is not None and printed.config["enabled"]:
        # The plugin checks "enabled" in each event after on_config: no page, no link.
        printed.config["enabled"] = False
        log.info(
            "mkdocs serve: the one-page version is left out "
            "(mkdocs build makes it; %s=1 makes it here too)",
            PRINT_VARIABLE,
        )
    search = config.plugins.get("material/search") or config.plugins.get("search")
    if serving() and search is not None and hasattr(search, "search_index"):
        remember_search_entries(search.search_index)
    jupyter = config.plugins.get("mkdocs-jupyter")
    if skip_execution() and jupyter is not None and jupyter.config["execute"]:
        jupyter.config["execute"] = False
        if not _command.get("told"):
            _command["told"] = True
            log.info(
                "mkdocs serve: notebook pages are shown unexecuted "
                "(mkdocs build executes them; %s=1 executes them here too)",
                ENVIRONMENT_VARIABLE,
            )
    return config


def on_pre_build(config) -> None:
    """MkDocs event: under serve, let the figure scripts import the edited snippets."""
    if serving():
        forget_snippets()


NOTE = (
    '<div class="admonition note"><p class="admonition-title">Not executed</p>'
    "<p>mkdocs serve shows this notebook without running it, to rebuild faster; "
    "<code>mkdocs build</code> and the tests run it and show its outputs "
    f"(or restart mkdocs serve with <code>{ENVIRONMENT_VARIABLE}=1</code>).</p></div>"
)


@event_priority(-100)  # after the other hooks have rewritten the notebook's HTML
def on_page_content(html: str, page, config, files) -> str:
    """MkDocs event: under serve, say at the top of a notebook page that it was not run."""
    if skip_execution() and page.file.src_uri.endswith(".ipynb"):
        return NOTE + html
    return html


FIGURES_HOOK = "overrides/hooks/figures.py"  # as mkdocs.yml names it, and so sys.modules
_drawn: dict[str, dict[str, str]] = {}  # drawings of one figure script, by content key


def imported_snippets(root: Path, script: Path) -> list[Path]:
    """The files of the ``snippets`` modules that a figure script imports."""
    modules = set()
    for node in ast.walk(ast.parse(script.read_bytes())):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    files = [root / "snippets" / "__init__.py"]
    for module in sorted(modules):
        if module.startswith("snippets."):
            files.append(root / (module.replace(".", "/") + ".py"))
    return [f for f in files if f.is_file()]


def figure_key(root: Path, script: Path) -> str:
    """A hash of everything a figure script's drawings depend on."""
    digest = hashlib.sha256()
    data = root / "benchmarks" / "data"
    inputs = [script, root / FIGURES_HOOK, *imported_snippets(root, script)]
    inputs += sorted(p for p in data.rglob("*") if p.is_file()) if data.is_dir() else []
    snippets = set(imported_snippets(root, script))
    for path in inputs:
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        if path in snippets:  # the code, not its comments or layout: those draw nothing
            digest.update(ast.dump(ast.parse(path.read_bytes())).encode())
        else:
            digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()


def cached_draw_all(draw_all: Callable[[Path], dict[str, str]]) -> Callable:
    """``draw_all`` of the figures hook, run per figure script and kept by content."""

    def draw(root: Path) -> dict[str, str]:
        drawn = {}
        for script in sorted((root / "docs" / "figures").glob("*.py")):
            key = figure_key(root, script)
            if key not in _drawn:
                # The hook draws every script of a folder: give it a folder of one,
                # a link to the script, so that its __file__ still resolves here.
                with tempfile.TemporaryDirectory() as folder:
                    figures = Path(folder) / "docs" / "figures"
                    figures.mkdir(parents=True)
                    (figures / script.name).symlink_to(script.resolve())
                    if str(root) not in sys.path:
                        sys.path.insert(0, str(root))  # where the scripts find snippets
                    try:
                        _drawn[key] = draw_all(Path(folder))
                    finally:
                        if folder in sys.path:
                            sys.path.remove(folder)
            drawn.update(_drawn[key])
        return drawn

    draw.cached = True
    return draw


# --- pages kept between rebuilds ---------------------------------------------------

_rendered: dict[str, tuple[str, dict]] = {}  # by page: its key, and what render() set


_INCLUDE = re.compile(r'^[ \t]*-{1,}8<-{1,}[ \t]+"([^"\n]+?)(?::[\w-]+)?"', re.MULTILINE)


def included_files(markdown: str, root: Path, config) -> list[Path]:
    """The files that pymdownx.snippets puts into a page: those its
    ``--8<-- "path"`` lines name (a section ``path:name`` is read from the
    file), those they include in turn, and the ``auto_append`` files."""
    options = config["mdx_configs"].get("pymdownx.snippets", {})
    pending = [*_INCLUDE.findall(markdown), *options.get("auto_append", [])]
    found: list[Path] = []
    while pending:
        path = root / pending.pop()
        if path.is_file() and path not in found:
            found.append(path)
            if path.suffix == ".md":
                pending += _INCLUDE.findall(path.read_text(encoding="utf-8"))
    return sorted(found)


def page_key(markdown: str, root: Path, config, files) -> str:
    """A hash of everything that converting a page's Markdown reads: the Markdown
    as the hooks left it, the files it includes, ``mkdocs.yml`` (the extensions'
    settings) and the list of pages (where its links go)."""
    digest = hashlib.sha256(markdown.encode())
    digest.update(Path(config["config_file_path"]).read_bytes())
    for path in included_files(markdown, root, config):
        digest.update(str(path).encode() + b"\0" + path.read_bytes())
    digest.update("\0".join(sorted(f.src_uri for f in files)).encode())
    return digest.hexdigest()


def remembered_render(page, key: str, render: Callable) -> Callable:
    """``page.render``, made to reuse what it set last time when ``key`` is unchanged.

    A rebuild then converts only the pages whose Markdown or includes changed;
    every hook's ``on_page_content`` still runs on the HTML, as after a conversion.
    """

    def restore(config, files) -> None:
        kept = _rendered.get(page.file.src_uri)
        if kept is None or kept[0] != key:
            render(config, files)
            links = page.links_to_anchors
            kept = (
                key,
                {
                    "content": page.content,
                    # Copies: later hooks of this build may change the page's own.
                    "toc": copy.deepcopy(page.toc),
                    "_title_from_render": page._title_from_render,
                    "present_anchor_ids": set(page.present_anchor_ids or ()),
                    # By path: the next build has new File objects.
                    "links_to_anchors": None
                    if links is None
                    else {f.src_uri: dict(anchors) for f, anchors in links.items()},
                },
            )
            _rendered[page.file.src_uri] = kept
        state = dict(kept[1])
        links = state.pop("links_to_anchors")
        for name, value in state.items():
            setattr(page, name, copy.deepcopy(value) if name != "content" else value)
        page.links_to_anchors = (
            None
            if links is None
            else {files.get_file_from_path(uri): dict(a) for uri, a in links.items()}
        )

    return restore


@event_priority(-100)  # after every other hook has changed the Markdown
def on_page_markdown(markdown: str, page, config, files) -> str:
    """MkDocs event: under serve, convert a page again only if what it reads changed."""
    # A notebook page's Markdown is the notebook itself; once executed, it also
    # reads whatever its cells import, so it is kept only while not executed.
    uri = page.file.src_uri
    if serving() and (uri.endswith(".md") or (uri.endswith(".ipynb") and skip_execution())):
        root = Path(config["config_file_path"]).parent
        page.render = remembered_render(page, page_key(markdown, root, config, files), page.render)
    return markdown


# --- templates compiled once -------------------------------------------------------


class _CompiledTemplates(jinja2.BytecodeCache):
    """Jinja's compiled templates, kept in memory between rebuilds. Each rebuild
    makes a new Jinja environment, which would compile the theme's templates
    again; a template's entry is keyed on its source, so an edit recompiles it."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


_templates = _CompiledTemplates()


def on_env(env, config, files):
    """MkDocs event: under serve, compile each template once per process."""
    if serving():
        env.bytecode_cache = _templates
    return env


# --- search entries kept between rebuilds ----------------------------------------

_indexed: dict[str, tuple[str, list[dict]]] = {}  # by page: its key, its entries


def remember_search_entries(index) -> None:
    """Make the search plugin's ``index`` (made anew on every rebuild) reuse a page's
    entries while the page's HTML, title and metadata stay the same: reading every
    page's HTML for the index took about a second and a half of each rebuild."""
    add = index.add_entry_from_context

    def add_entry_from_context(page) -> None:
        key = hashlib.sha256(
            "\0".join([page.title or "", repr(page.meta), page.content]).encode()
        ).hexdigest()
        kept = _indexed.get(page.url)
        if kept is not None and kept[0] == key:
            index.entries.extend(copy.deepcopy(kept[1]))
        else:
            start = len(index.entries)
            add(page)
            _indexed[page.url] = key, copy.deepcopy(index.entries[start:])

    index.add_entry_from_context = add_entry_from_context
