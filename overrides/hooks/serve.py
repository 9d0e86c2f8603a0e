"""MkDocs hook: make ``mkdocs serve`` rebuild faster after an edit.

``mkdocs build`` (which the tests and the workflow run) executes every notebook
page, so that its outputs match the current ``snippets/``. While ``mkdocs
serve`` runs, a rebuild follows every saved edit, and executing the notebooks
again took most of each one (a kernel start and every cell, about half a
minute on two cores): under ``serve`` a notebook page shows the notebook as
stored (the lab notebooks are committed without outputs), with a note at its
top saying so, and the log says so once. Set ``BOOK_EXECUTE_NOTEBOOKS=1`` to
execute them under ``serve`` too.

The figures hook draws every figure on every build, and some train small
networks to get their data. Under ``serve`` each figure script's drawings are
kept, keyed on the content of the script, of the ``snippets`` modules it
imports, of ``benchmarks/data/`` and of the figures hook: a prose edit redraws
nothing, and a snippet edit redraws only the figures that import it.

``mkdocs serve`` also keeps one Python process for all its rebuilds, so the
``snippets`` package that the figure scripts import would stay as it was first
imported: before each rebuild under ``serve`` it is dropped from
``sys.modules``, and a figure shows the edited code. (``mkdocs.yml`` lists
``snippets/`` and ``overrides/`` under ``watch:``, so an edit there starts the
rebuild; ``docs/``, figure scripts included, is watched anyway. An edit to a
hook's own Python code takes a restart of ``mkdocs serve``.)
"""

from __future__ import annotations

import ast
import hashlib
import logging
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.hooks.serve")

ENVIRONMENT_VARIABLE = "BOOK_EXECUTE_NOTEBOOKS"
_command = {"name": "build"}  # the hook module lives as long as the process


def on_startup(command: str, dirty: bool) -> None:
    """MkDocs event, once per process: remember whether this is ``mkdocs serve``."""
    _command["name"] = command


def serving() -> bool:
    return _command["name"] == "serve"


def skip_execution() -> bool:
    """Whether notebook pages are shown without executing them: under serve, by default."""
    return serving() and os.environ.get(ENVIRONMENT_VARIABLE, "") not in ("1", "true")


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
    for path in inputs:
        digest.update(str(path.relative_to(root)).encode() + b"\0")
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
