"""Draw the book's figures with matplotlib on every build, and show them.

Each ``docs/figures/<page>.py`` defines ``plot_<name>`` functions that return a
matplotlib ``Figure``. ``draw_all`` calls each (cached by content) and gives
``figures/<page>-<name>.svg`` (underscores become hyphens) and a ``-dark.svg``
twin; no image is committed. A page shows a figure as

    <figure markdown="span">
      ![What the figure shows](figures/<page>-<name>.svg)
      <figcaption>What the reader should see in it.</figcaption>
    </figure>

and ``show_figures`` (the book's Markdown extension runs it) makes it:

- **readable:** text stays SVG text, 12 pt. A figure is shown at most at its
  natural width, on a phone about 358 px wide, so text below 9 px there is
  enlarged before the file is saved; what stays smaller is a warning, which
  fails a strict build;
- **light and dark:** the dark file has every colour moved to a dark
  background (``dark_variant``); the theme's ``#only-light`` and ``#only-dark``
  suffixes show the one that matches the reader's scheme, and a hidden lazy
  image is never fetched;
- **numbered, and full size on click:** each caption starts "Figure N." in
  page order, and the images sit in a link to the SVG file itself;
- **light on the first paint:** the images load lazily, at their size, so
  nothing shifts.
"""

from __future__ import annotations

import ast
import colorsys
import copy
import functools
import hashlib
import importlib.util
import io
import json
import logging
import re
import sys
import warnings
from pathlib import Path
from xml.dom import minidom

import matplotlib

matplotlib.use("Agg")  # draw to files only, never to a window

import matplotlib.pyplot as plt
from bs4 import BeautifulSoup, NavigableString, Tag
from matplotlib.text import Text
from matplotlib.ticker import Formatter, LogFormatter, LogFormatterSciNotation

from book_build.pages import AsWritten

log = logging.getLogger("mkdocs.plugins.book_build.figures")

MIN_TEXT_PX = 9.0
"""The smallest text a figure may show, in CSS px, at any screen width."""
PHONE_COLUMN_PX = 358.0
"""The width of the content column on a 390 px wide phone."""
SCRIPT_SHRINK = 0.7
"""How much smaller mathtext draws a sub- or superscript than its base text."""

STYLE = {
    # Text stays text: selectable, found by the browser's search, and its size
    # is written in the file, where the tests read it.
    "svg.fonttype": "none",
    # No date in the metadata and fixed element ids: identical input, identical file.
    "svg.hashsalt": "linear-algebra-for-deep-learning",
    # The first font is the one matplotlib measures text with (it ships with
    # matplotlib); the others are what a reader's system has that is close.
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Verdana", "Arial"],
    "font.size": 12,
    "axes.titlesize": 13,
    "figure.titlesize": 13,
    "legend.fontsize": 12,
    "legend.title_fontsize": 12,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "figure.figsize": (6.4, 4.0),
    "savefig.transparent": True,
}

# --- drawing ------------------------------------------------------------------


def figure_uri(script: Path, function_name: str) -> str:
    """Where the figure drawn by ``function_name`` in ``script`` lands in the site."""
    name = function_name.removeprefix("plot_").replace("_", "-")
    return f"figures/{script.stem}-{name}.svg"


def dark_uri(uri: str) -> str:
    """Where the dark version of the figure at ``uri`` lands."""
    return uri.removesuffix(".svg") + "-dark.svg"


def has_scripts(text: Text) -> bool:
    """Whether ``text`` is mathtext with a sub- or superscript or a fraction (drawn smaller)."""
    content = text.get_text()
    return content.count("$") >= 2 and bool(re.search(r"[_^]|\\frac", content))


def enlarge_small_text(figure, min_points: float) -> int:
    """Raise every text of ``figure`` smaller than ``min_points`` (its scripts
    included) to that size; return how many texts changed."""
    changed = 0
    for text in figure.findobj(Text):
        if not text.get_visible() or not text.get_text().strip():
            continue
        needed = min_points / SCRIPT_SHRINK if has_scripts(text) else min_points
        if text.get_fontsize() < needed - 1e-6:
            text.set_fontsize(needed)
            changed += 1
    return changed


class PlainLogFormatter(Formatter):
    """Labels the ticks that a log axis's own formatter labels, as the book's code
    prints numbers: 0.01, 1, 1000, then 1e+04, 2e+05, 1e-06."""

    def __init__(self, labels: LogFormatter) -> None:
        self.labels = labels  # which ticks get a label depends on the axis's range

    def set_locs(self, locs) -> None:
        self.labels.set_locs(locs)

    def __call__(self, x, pos=None) -> str:
        if not self.labels(x, pos):
            return ""
        return f"{x:g}" if x == 0 or 1e-3 <= abs(x) < 1e4 else f"{x:.0e}"


def plain_log_labels(figure) -> None:
    """Label the ticks of log axes 1e-10, 0.01, 100, as the book's code prints
    numbers, rather than 10 with a superscript: drawn at 70 %, the exponent would
    be the smallest text of the figure."""
    for axis in (axis for ax in figure.axes for axis in (ax.xaxis, ax.yaxis)):
        if type(axis.get_major_formatter()) is LogFormatterSciNotation:
            axis.set_major_formatter(PlainLogFormatter(axis.get_major_formatter()))
        if type(axis.get_minor_formatter()) is LogFormatterSciNotation:
            axis.set_minor_formatter(PlainLogFormatter(axis.get_minor_formatter()))


def svg_text(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def render_svg(figure, name: str = "figure") -> str:
    """Return ``figure`` as SVG text that is the same on every build, with no text
    smaller than ``MIN_TEXT_PX`` once shown in a phone's column."""
    with matplotlib.rc_context(STYLE):
        plain_log_labels(figure)
        svg = svg_text(figure)
        for _ in range(3):
            smallest = smallest_text_px(svg, PHONE_COLUMN_PX)
            if smallest >= MIN_TEXT_PX - 1e-6:
                break
            # The size that reaches the minimum at the width the file came out.
            min_points = MIN_TEXT_PX * viewbox_width(svg) / PHONE_COLUMN_PX
            changed = enlarge_small_text(figure, min_points + 0.05)
            log.info("figures: %s: enlarged %d texts to %.1f pt", name, changed, min_points)
            if figure.get_layout_engine() is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    figure.tight_layout()
            svg = svg_text(figure)
    plt.close(figure)
    smallest = smallest_text_px(svg, PHONE_COLUMN_PX)
    if smallest < MIN_TEXT_PX - 1e-6:
        log.warning(
            "figures: %s: text drawn at %.1f px on a phone (at least %g px wanted)",
            name,
            smallest,
            MIN_TEXT_PX,
        )
    return tidy_svg(svg)


@functools.lru_cache(maxsize=64)  # keyed on the script's text: parsed once per version
def _snippet_imports(source: str) -> tuple[str, ...]:
    """The ``snippets`` modules (and names in them) that a figure script imports."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("snippets"):
            names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.startswith("snippets")}
    return tuple(sorted(names))


def figure_key(root: Path, script: Path) -> str:
    """What a script's drawings depend on: its text, the snippets it imports, the
    data it may read and this module (which styles them), hashed."""
    digest = hashlib.sha256()
    data = sorted((root / "benchmarks" / "data").glob("*"))
    names = _snippet_imports(script.read_text(encoding="utf-8"))
    snippets = [root / (name.replace(".", "/") + ".py") for name in names]
    for path in [script, Path(__file__), *filter(Path.is_file, snippets), *data]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def draw_script(root: Path, script: Path) -> dict[str, str]:
    """Run every ``plot_*`` function of one script; return SVG text by site path, dark
    versions included."""
    # The figure scripts import the snippets package, as a reader's clone would.
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    spec = importlib.util.spec_from_file_location(f"figures_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    drawn = {}
    for name, function in sorted(vars(module).items()):
        if name.startswith("plot_") and callable(function):
            uri = figure_uri(script, name)
            with matplotlib.rc_context(STYLE):
                figure = function()
            drawn[uri] = render_svg(figure, uri)
            drawn[dark_uri(uri)] = dark_variant(drawn[uri])
    return drawn


@functools.lru_cache(maxsize=64)  # the file's name holds the hash of what it was drawn from
def _kept_drawings(path: Path) -> dict[str, str]:
    return json.loads(path.read_text(encoding="utf-8"))


def draw_all(root: Path, cache: Path | None = None) -> dict[str, str]:
    """Every figure under ``docs/figures`` as SVG text by site path. With a ``cache``
    folder, a script is run again only when what it depends on has changed."""
    drawn = {}
    for script in sorted((root / "docs" / "figures").glob("*.py")):
        kept = cache / f"{script.stem}-{figure_key(root, script)}.json" if cache else None
        if kept is not None and kept.is_file():
            drawn |= _kept_drawings(kept)
            continue
        figures = draw_script(root, script)
        if kept is not None:
            kept.parent.mkdir(parents=True, exist_ok=True)
            for stale in kept.parent.glob(f"{script.stem}-*.json"):
                stale.unlink()
            kept.write_text(json.dumps(figures), encoding="utf-8")
        drawn |= figures
    return drawn


# --- the SVG file, read and changed through an XML parser ---------------------

# In a style attribute's CSS: font-size: 11px; font-family: 'DejaVu Sans'; fill: #1f77b4.
_FONT_SIZE = re.compile(r"font-size:\s*([\d.]+)")
_ONE_FONT = re.compile(r"font-family: ('[^']+')(?=;|$)")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}\b")
_COLOURED = ("style", "fill", "stroke", "stop-color", "color")
DARK_TEXT = "#e6e6e6"


def viewbox_width(svg: str) -> float:
    """The width of the SVG's viewBox, in its own units (points for matplotlib)."""
    box = minidom.parseString(svg).documentElement.getAttribute("viewBox").replace(",", " ").split()
    if len(box) != 4:
        raise ValueError("the SVG has no viewBox")
    return float(box[2])


def text_sizes(svg: str) -> list[float]:
    """Every font size in the SVG's style attributes, in viewBox units."""
    elements = minidom.parseString(svg).getElementsByTagName("*")
    return [float(size) for e in elements for size in _FONT_SIZE.findall(e.getAttribute("style"))]


def smallest_text_px(svg: str, shown_width_px: float) -> float:
    """The smallest text of the SVG in CSS px when it is shown ``shown_width_px`` wide
    (infinity for an SVG without text)."""
    sizes = text_sizes(svg)
    if not sizes:
        return float("inf")
    return min(sizes) * shown_width_px / viewbox_width(svg)


def _generic_font(match: re.Match[str]) -> str:
    font = match[1]
    generic = "serif" if "STIX" in font or "cm" in font.lower() else "sans-serif"
    return f"font-family: {font}, {generic}"


def tidy_svg(svg: str) -> str:
    """Give every font a generic fallback, for readers without matplotlib's fonts
    (its mathtext names one font only)."""
    document = minidom.parseString(svg)
    for element in document.getElementsByTagName("*"):
        if element.hasAttribute("style"):
            element.setAttribute(
                "style", _ONE_FONT.sub(_generic_font, element.getAttribute("style"))
            )
    return document.documentElement.toxml()  # a browser needs no XML declaration


def dark_colour(colour: str) -> str:
    """The colour to draw ``colour`` (``#rrggbb``) with on a dark background.

    Greys and black and white swap lightness (black text becomes light, a white
    box dark); pale tints become dark tints, so that light text on them reads;
    a colour of a line or bar keeps its hue and becomes at least as light as it
    is far from black, so that it stands out on the dark page.
    """
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    hue, lightness, saturation = colorsys.rgb_to_hls(r, g, b)
    if saturation < 0.2 or lightness > 0.97 or lightness < 0.03:
        lightness = 0.9 - 0.78 * lightness
    elif lightness > 0.8:
        lightness, saturation = 0.15 + 0.4 * (1 - lightness), 0.5 * saturation
    else:
        lightness = min(max(lightness, 1 - lightness, 0.55), 0.8)
    r, g, b = colorsys.hls_to_rgb(hue, lightness, saturation)
    return "#" + "".join(f"{round(c * 255):02x}" for c in (r, g, b))


def dark_variant(svg: str) -> str:
    """The SVG with its colours for a dark page; text without a colour becomes light."""
    document = minidom.parseString(svg)
    for element in document.getElementsByTagName("*"):
        for name in filter(element.hasAttribute, _COLOURED):
            dark = _COLOUR.sub(lambda m: dark_colour(m[0]), element.getAttribute(name))
            element.setAttribute(name, dark)
    rule = document.createTextNode(f"text{{fill: {DARK_TEXT}}}")
    styles = document.getElementsByTagName("style")
    if not styles:
        root = document.documentElement
        styles = [root.insertBefore(document.createElement("style"), root.firstChild)]
    styles[0].insertBefore(rule, styles[0].firstChild)
    return document.documentElement.toxml()  # a browser needs no XML declaration


# --- the pages ----------------------------------------------------------------


@functools.lru_cache(maxsize=256)  # every page with figures asks again, on every build
def natural_size(svg: str) -> tuple[int, int]:
    """The width and height the SVG asks for, in CSS px (matplotlib writes points)."""
    root = minidom.parseString(svg).documentElement
    sizes = [root.getAttribute(name) for name in ("width", "height")]
    if not all(size.endswith("pt") for size in sizes):
        raise ValueError("the SVG has no width and height in points")
    width, height = (round(float(size.removesuffix("pt")) * 4 / 3) for size in sizes)
    return width, height


def natural_sizes(root: Path) -> dict[str, tuple[int, int]]:
    """The size of every figure by site path, from the drawings cached under ``.cache``."""
    drawn = draw_all(root, root / ".cache" / "figures")
    return {uri: natural_size(svg) for uri, svg in drawn.items()}


def _is_drawn(image: Tag) -> bool:
    return image.get("src", "").lstrip("./").startswith("figures/")


def tidy_figure(figure: Tag) -> None:
    """Undo what Markdown does to a figure where it cannot parse it as one (inside an
    admonition or a tab): a paragraph around it, a line break before the caption."""
    if figure.parent.name == "p" and figure.parent.get_text(strip=True) == figure.get_text(
        strip=True
    ):
        figure.parent.unwrap()
    figure.attrs.pop("markdown", None)
    for line_break in figure.find_all("br"):
        following = line_break.find_next_sibling()
        if following is not None and following.name == "figcaption":
            line_break.decompose()


def themed_image(soup: BeautifulSoup, image: Tag, sizes: dict[str, tuple[int, int]]) -> None:
    """Replace a drawn image by a link to itself that holds its light and dark versions.
    With its size known, the image keeps its place before it loads: the page does
    not shift, and a lazy image further down is not fetched early."""
    src = image["src"]
    size = sizes.get(src.lstrip("./"))
    if size and "width" not in image.attrs:
        image.attrs = {"width": str(size[0]), "height": str(size[1]), **image.attrs}
    link = soup.new_tag("a", attrs={"class": "figure-zoom", "href": src})
    link["title"] = "Open the figure full size"
    dark = copy.copy(image)
    image["src"], dark["src"] = f"{src}#only-light", f"{dark_uri(src)}#only-dark"
    image.replace_with(link)
    link.extend([image, dark])


def show_figures(page_html: str, sizes: dict[str, tuple[int, int]]) -> str:
    """Number the captions ("Figure N." in page order), give each drawn figure its
    size, its dark version and its link to full size, and let it load lazily."""
    if "figures/" not in page_html:
        return page_html
    return _shown(page_html, tuple(sorted(sizes.items())))


# mkdocs serve rebuilds every page on each edit: a page that did not change is not parsed again.
@functools.lru_cache(maxsize=64)
def _shown(page_html: str, size_items: tuple[tuple[str, tuple[int, int]], ...]) -> str:
    sizes = dict(size_items)
    soup = BeautifulSoup(page_html, "html.parser")
    captions = 0
    for figure in soup.find_all("figure"):
        tidy_figure(figure)
        caption = figure.find("figcaption")
        if caption is not None:
            captions += 1
            number = soup.new_tag("span", attrs={"class": "figure-number"})
            number.string = f"Figure {captions}."
            if caption.contents and isinstance(caption.contents[0], NavigableString):
                caption.contents[0].replace_with(caption.contents[0].lstrip())
            caption.insert(0, " ")
            caption.insert(0, number)
    for image in soup.find_all("img"):
        if not _is_drawn(image):
            continue
        if "loading" not in image.attrs:
            image.attrs = {"loading": "lazy", **image.attrs}
        if image["src"].endswith(".svg"):
            themed_image(soup, image, sizes)
    return soup.decode(formatter=AsWritten())
