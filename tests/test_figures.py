"""book_build/figures.py: every figure is drawn readable, in light and dark,
numbered, linked to full size, and loads lazily."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from book_build import figures

SLATE_BG = "#1e2129"  # about the theme's dark background


def luminance(colour: str) -> float:
    """Relative luminance of ``#rrggbb`` (WCAG 2)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted([luminance(a), luminance(b)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


# --- the page -----------------------------------------------------------------

PAGE = """<p>Text.</p>
<figure>
<img alt="first" src="figures/tensors-broadcasting.svg" />
<figcaption>What to see first.</figcaption>
</figure>
<figure><img alt="a photo" src="assets/photo.png" /></figure>
<figure class="wide">
<img alt="second" src="figures/autodiff-graph.svg" />
<figcaption>
What to see next.</figcaption>
</figure>"""


def test_captions_are_numbered_in_page_order():
    html = figures.show_figures(PAGE, {})
    assert re.findall(r'<span class="figure-number">(Figure \d+\.)</span>', html) == [
        "Figure 1.",
        "Figure 2.",
    ]
    assert '<figcaption><span class="figure-number">Figure 1.</span> What to see first.' in html
    assert '<span class="figure-number">Figure 2.</span> What to see next.' in html
    assert '<figure><img alt="a photo" src="assets/photo.png" /></figure>' in html  # no caption
    assert figures.show_figures(PAGE, {}) == html  # numbering starts again on every page


def test_a_drawn_figure_links_to_full_size_with_a_light_and_a_dark_image():
    html = figures.show_figures(PAGE, {})
    link = re.search(r'<a class="figure-zoom" href="([^"]+)"[^>]*>(.*?)</a>', html, re.S)
    assert link[1] == "figures/tensors-broadcasting.svg"
    images = re.findall(r"<img [^>]*>", link[2])
    assert len(images) == 2
    assert 'src="figures/tensors-broadcasting.svg#only-light"' in images[0]
    assert 'src="figures/tensors-broadcasting-dark.svg#only-dark"' in images[1]
    for image in images:
        assert 'loading="lazy"' in image and 'alt="first"' in image
    assert html.count('class="figure-zoom"') == 2
    assert '<img alt="a photo" src="assets/photo.png" />' in html  # not a drawn figure


def test_a_figure_markdown_could_not_parse_is_tidied():
    html = (
        '<p><figure markdown="span">\n  <img alt="x" src="figures/c.png" />\n<br />\n'
        "  <figcaption>Cap.</figcaption>\n</figure></p>"
    )
    assert " ".join(figures.show_figures(html, {}).split()) == (
        '<figure> <img loading="lazy" alt="x" src="figures/c.png" /> <figcaption>'
        '<span class="figure-number">Figure 1.</span> Cap.</figcaption> </figure>'
    )


def test_a_figure_of_known_size_keeps_its_place_before_it_loads():
    sizes = {"figures/tensors-broadcasting.svg": (599, 215)}
    html = figures.show_figures(PAGE, sizes)
    assert html.count('width="599" height="215"') == 2  # the light and the dark image
    assert html.count(" width=") == 2  # the other figure's size is not known
    svg = '<svg xmlns:xlink="x" width="460.8pt" height="216pt" viewBox="0 0 460.8 216"/>'
    assert figures.natural_size(svg) == (614, 288)


def test_pages_in_a_folder_keep_their_relative_paths():
    html = figures.show_figures('<img alt="x" src="../figures/einsum-contraction-order.svg" />', {})
    assert 'href="../figures/einsum-contraction-order.svg"' in html
    assert 'src="../figures/einsum-contraction-order-dark.svg#only-dark"' in html


def test_only_figure_images_become_lazy():
    html = (
        '<img alt="a" src="figures/tensors-strides.png" />'
        '<img alt="b" src="../figures/x.png" loading="eager" />'
        '<img alt="c" src="assets/images/logo.png" />'
    )
    assert figures.show_figures(html, {}) == (
        '<img loading="lazy" alt="a" src="figures/tensors-strides.png" />'
        '<img alt="b" src="../figures/x.png" loading="eager" />'
        '<img alt="c" src="assets/images/logo.png" />'
    )


def test_figure_files_are_named_after_page_and_function():
    assert figures.figure_uri(Path("docs/figures/low-rank.py"), "plot_singular_values") == (
        "figures/low-rank-singular-values.svg"
    )
    assert figures.dark_uri("figures/low-rank-singular-values.svg") == (
        "figures/low-rank-singular-values-dark.svg"
    )


# --- text sizes ---------------------------------------------------------------

SVG = """<svg width="460.8pt" height="100pt" viewBox="0 0 460.8 100" xmlns="http://www.w3.org/2000/svg">
<text style="font-size: 12px; font-family: 'DejaVu Sans'">a</text>
<text style="font-size: 14.4px; font-family: 'DejaVu Sans'">b</text>
<text style="font-size: 10px; font-family: 'DejaVu Sans'">c</text>
</svg>"""


def test_text_sizes_and_width_are_read_from_the_svg():
    assert sorted(figures.text_sizes(SVG)) == pytest.approx([10.0, 12.0, 14.4])
    assert figures.viewbox_width(SVG) == pytest.approx(460.8)


def test_smallest_text_scales_with_the_width_shown():
    # 10 units on a 460.8 wide figure shown 358 px wide: 7.77 px.
    assert figures.smallest_text_px(SVG, 358) == pytest.approx(10 * 358 / 460.8)
    assert figures.smallest_text_px(SVG, 460.8) == pytest.approx(10.0)
    assert figures.smallest_text_px('<svg viewBox="0 0 10 10"></svg>', 100) == float("inf")


def draw(text_size: float, width: float = 6.4):
    with matplotlib.rc_context(figures.STYLE):
        fig, ax = plt.subplots(figsize=(width, 3))
        ax.semilogy([1, 2, 3], [1e-8, 1e-3, 1e2], label="a line")
        ax.set_title(r"$f: \mathbb{R}^n \to \mathbb{R}^m$", fontsize=text_size)
        ax.legend(fontsize=text_size)
        ax.set_xlabel("x", fontsize=text_size)
    return fig


def test_small_text_is_enlarged_to_read_on_a_phone():
    svg = figures.render_svg(draw(text_size=6))
    assert figures.smallest_text_px(svg, figures.PHONE_COLUMN_PX) >= figures.MIN_TEXT_PX - 1e-6


def test_a_wide_figure_gets_larger_text():
    svg = figures.render_svg(draw(text_size=12, width=11))
    width = figures.viewbox_width(svg)
    assert width > 700
    assert min(figures.text_sizes(svg)) >= 9 * width / 358 - 1e-6


def test_figures_are_text_on_a_transparent_background():
    svg = figures.render_svg(draw(text_size=12))
    assert "<text" in svg  # text stays text: its size is in the file
    # No white figure or axes background (a legend keeps its box).
    for patch in ("patch_1", "patch_2"):
        assert re.search(rf'<g id="{patch}">\s*<path [^>]*style="fill: none"', svg), patch
    assert "sans-serif" in svg  # a fallback for readers without DejaVu Sans
    # Log axes are labelled like 1e-06, not 10 with a superscript.
    assert re.search("1e[-\u2212]0[1-9]<", svg)


# --- the dark version ---------------------------------------------------------


@pytest.mark.parametrize(
    "colour", ["#000000", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#4d4d4d", "#1b6b36"]
)
def test_dark_colours_of_lines_and_text_stand_out_on_the_dark_page(colour):
    assert contrast(figures.dark_colour(colour), SLATE_BG) >= 3.0  # WCAG for graphics


@pytest.mark.parametrize("fill", ["#ffffff", "#dbe4ff", "#fff3bf"])
def test_light_fills_turn_dark_so_light_text_reads_on_them(fill):
    dark = figures.dark_colour(fill)
    assert luminance(dark) < 0.1
    assert contrast(figures.DARK_TEXT, dark) >= 4.5


def test_dark_variant_recolours_styles_but_not_ids():
    svg = (
        '<svg xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">'
        '<defs><style type="text/css">*{stroke-linejoin: round}</style>'
        '</defs><path id="m1f77b4" style="fill: #ffffff; stroke: #000000"/>'
        '<use xlink:href="#m1f77b4" style="stroke: #1f77b4"/><text>t</text></svg>'
    )
    dark = figures.dark_variant(svg)
    assert 'id="m1f77b4"' in dark and 'href="#m1f77b4"' in dark
    assert "#ffffff" not in dark and "#000000" not in dark and "stroke: #1f77b4" not in dark
    assert f"text{{fill: {figures.DARK_TEXT}}}" in dark  # text with no colour of its own


def test_dark_variant_adds_a_style_block_where_there_is_none():
    dark = figures.dark_variant('<svg viewBox="0 0 1 1"><text>t</text></svg>')
    assert dark.startswith(f'<svg viewBox="0 0 1 1"><style>text{{fill: {figures.DARK_TEXT}}}')


# --- the built site -----------------------------------------------------------


def test_every_drawn_figure_is_readable_on_a_phone(built_site):
    drawn = sorted((built_site.site / "figures").glob("*.svg"))
    assert drawn
    for path in drawn:
        svg = path.read_text(encoding="utf-8")
        natural = figures.viewbox_width(svg) * 4 / 3  # pt to CSS px
        shown = min(natural, figures.PHONE_COLUMN_PX)
        assert figures.smallest_text_px(svg, shown) >= 9 - 1e-6, path.name


def test_every_drawn_figure_is_on_a_page_numbered_lazy_and_linked(built_site):
    drawn = {p.name for p in (built_site.site / "figures").glob("*.svg")}
    shown = set()
    for page in built_site.site.glob("*.html"):
        html = page.read_text("utf-8")
        for tag in re.findall(r'<img [^>]*src="figures/[^"]+\.svg[^"]*"[^>]*>', html):
            shown.add(re.search(r'src="figures/([^"#]+)', tag)[1])
            if page.name == "print_page.html":
                continue  # the one-page version decides for itself how its images load
            assert 'loading="lazy"' in tag, f"{page.name}: {tag}"
        if page.name == "print_page.html":
            continue
        found = re.findall(r"<figure\b.*?</figure>", html, re.S)
        with_figures = [f for f in found if 'src="figures/' in f]
        for number, figure in enumerate(with_figures, start=1):
            assert f'<span class="figure-number">Figure {number}.</span>' in figure, page.name
            assert '<a class="figure-zoom" href="figures/' in figure, page.name
            assert "#only-light" in figure and "#only-dark" in figure, page.name
        # No drawn figure outside a numbered <figure>.
        assert html.count('class="figure-zoom"') == len(with_figures), page.name
    assert drawn and drawn == shown


def test_log_axes_are_labelled_as_the_code_prints_numbers():
    figure, ax = plt.subplots()
    ax.loglog([1e3, 1e6], [1e-6, 10])
    figures.plain_log_labels(figure)
    figure.canvas.draw()
    shown = [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels() if t.get_text()]
    plt.close(figure)
    assert {"1000", "1e+04", "1e+05", "1e+06", "1e-06", "0.01", "1", "10"} <= set(shown), shown
    assert not any("\u2212" in label for label in shown), shown  # a hyphen, as print writes
