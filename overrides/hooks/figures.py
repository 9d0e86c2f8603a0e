"""MkDocs hook: draw the book's figures with matplotlib on every build.

Each ``docs/figures/<chapter>.py`` defines functions named ``plot_<name>`` that
return a matplotlib ``Figure``. This hook calls every one of them and adds the
result to the site as ``figures/<chapter>-<name>.svg`` (underscores become
hyphens), so a page shows it with ``![alt text](figures/<chapter>-<name>.svg)``.
No image is committed: a figure always shows what the current code computes.
The images load lazily (``loading="lazy"``): a figure further down the page
then does not compete with the page's text and styles for the first paint.
"""

from __future__ import annotations

import importlib.util
import io
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # draw to files only, never to a window

import matplotlib.pyplot as plt
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File


def figure_uri(script: Path, function_name: str) -> str:
    """Where the figure drawn by ``function_name`` in ``script`` lands in the site."""
    name = function_name.removeprefix("plot_").replace("_", "-")
    return f"figures/{script.stem}-{name}.svg"


def render_svg(figure) -> str:
    """Return ``figure`` as SVG text that is the same on every build."""
    buffer = io.StringIO()
    # No date in the metadata and fixed element ids: identical input, identical file.
    with matplotlib.rc_context({"svg.hashsalt": "linear-algebra-for-deep-learning"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    return buffer.getvalue()


def draw_all(root: Path) -> dict[str, str]:
    """Run every ``plot_*`` function under ``docs/figures``; return SVG text by site path."""
    # The figure scripts import the snippets package, as a reader's clone would.
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    drawn = {}
    for script in sorted((root / "docs" / "figures").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"figures_{script.stem}", script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, function in sorted(vars(module).items()):
            if name.startswith("plot_") and callable(function):
                drawn[figure_uri(script, name)] = render_svg(function())
    return drawn


def on_files(files, config):
    """MkDocs event: add every figure to the site's files."""
    root = Path(config.config_file_path).parent
    for uri, svg in draw_all(root).items():
        files.append(File.generated(config, uri, content=svg))
    return files


_FIGURE_IMAGE = re.compile(r'<img (?![^>]*\bloading=)(?=[^>]*\bsrc="(?:\.\./)*figures/)')


def lazy_figures(html: str) -> str:
    """Add ``loading="lazy"`` to every ``<img>`` of a drawn figure that has none."""
    return _FIGURE_IMAGE.sub('<img loading="lazy" ', html)


@event_priority(50)  # before the print-site plugin keeps each page for the one-page version
def on_page_content(html: str, page, config, files) -> str:
    """MkDocs event: let the page's figures load lazily."""
    return lazy_figures(html)
