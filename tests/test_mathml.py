"""book_build/mathml.py: LaTeX to MathML at build time."""

from __future__ import annotations

import markdown
import pytest

from book_build import mathml
from book_build.markdown import BookExtension


def convert(text: str) -> str:
    """A page through arithmatex and the book's extension, as the site builds it."""
    extensions = ["toc", "pymdownx.arithmatex", BookExtension()]
    configs = {"pymdownx.arithmatex": {"generic": True}}
    return markdown.markdown(text, extensions=extensions, extension_configs=configs)


def test_arithmatex_inline_and_display_become_mathml():
    out = convert("Let $x < y$.\n\n$$\n\\sum_i a_i\n$$")
    assert "arithmatex" not in out
    assert '<math display="inline" xmlns="http://www.w3.org/1998/Math/MathML">' in out
    assert '<div class="math-display"><math display="block" xmlns=' in out
    assert "<mo>&lt;</mo>" in out  # "<" is an operator, escaped once
    assert "∑" in out  # the summation sign


@pytest.mark.parametrize(
    ("latex", "message"),
    [
        ("\\notacommand x", "unsupported LaTeX"),
        ("a & b", "unsupported LaTeX"),
        ("x^", "cannot render math"),
    ],
)
def test_unrenderable_latex_fails_the_build(latex, message):
    with pytest.raises(mathml.MathError, match=message):
        mathml.latex_to_mathml(latex, display=False)


def test_function_names_are_upright_and_spaced_as_in_tex():
    # A thin space between a name and its argument, none before a parenthesis.
    assert mathml.latex_to_mathml("\\tanh a", display=False).count("<mspace") == 1
    assert "<mspace" not in mathml.latex_to_mathml("\\log(1 + u)", display=False)
    # \operatorname was an unknown operator with wide spaces on both sides.
    out = mathml.latex_to_mathml("n \\operatorname{Var}(w)", display=False)
    assert '<mi>n</mi><mspace width="0.1667em" /><mi>Var</mi><mo stretchy="false">(' in (
        out.replace("(", "(")
    )
    out = mathml.latex_to_mathml("\\tanh^2 a", display=False)
    assert "<msup><mi>tanh</mi><mn>2</mn></msup><mspace" in out


def test_word_operators_take_their_limits_below_in_display_math():
    out = mathml.latex_to_mathml("\\max_i x_i", display=True)
    assert '<munder><mo movablelimits="true" lspace="0" rspace="0">max</mo><mi>i</mi>' in out


def test_accents_are_one_small_glyph_above_the_letter():
    hat = mathml.latex_to_mathml("\\hat{x}", display=False)
    assert '<mover accent="true">' in hat
    assert '<mo stretchy="false">\u02c6</mo>' in hat  # not the tall ASCII caret
    dot = mathml.latex_to_mathml("\\dot{a}", display=False)
    assert '<mover accent="true">' in dot and "˙" in dot


def test_escapes_in_text_lose_their_backslash():
    assert "<mtext>fan_in</mtext>" in mathml.latex_to_mathml("\\text{fan\\_in}", display=False)


def test_punctuation_stays_with_inline_math_and_display_math_scrolls_in_a_box():
    out = convert("So $x$, then $y$'s.")
    assert out.count('<span class="math-nowrap"><math') == 2
    assert "</math>,</span> then" in out and "</math>'s.</span></p>" in out
    # An opening bracket is never left at the end of a line before the formula.
    out = convert("orthogonal ($U$: a")
    assert '<p>orthogonal <span class="math-nowrap">(<math' in out and "</math>:</span> a" in out
    assert convert("a $U$ b").startswith("<p>a <math")


def test_the_search_index_reads_formulas_as_text_and_skips_code_blocks():
    latex = "\\operatorname{softmax}(x)_i = e^{x_i} / \\sum_j e^{x_j}"
    text = mathml.latex_to_text(latex, display=False)
    exponent = "e<sup>x<sub>{}</sub></sup>"
    sum_j = "\u2211<sub>j</sub>"
    assert text == f"softmax(x)<sub>i</sub> = {exponent.format('i')}/{sum_j}{exponent.format('j')}"
    assert mathml.latex_to_text("\\hat{x}_j", display=False) == "x\u0302<sub>j</sub>"
    assert mathml.latex_to_text("\\frac{m}{m-1}", display=False) == "m/(m \u2212 1)"
    page = convert("The $n_\\text{in}$ inputs.")
    page += '<div class="highlight"><pre><code>x = 1</code></pre></div>'
    view = mathml.search_view(page)
    assert "\\" not in view and "n<sub>in</sub> inputs" in view
    assert '<div class="highlight"><pre data-search-exclude="code"><code>' in view


def test_the_math_font_keeps_what_the_formulas_need(tmp_path):
    from fontTools.ttLib import TTFont

    pages = [
        mathml.latex_to_mathml("\\left(\\sum_{i=1}^{n} \\frac{a}{b}\\right)", display=True),
        mathml.latex_to_mathml("\\sqrt{x}", display=False),
    ]
    characters = mathml.math_characters(pages)
    # One-letter identifiers are drawn in mathematical italic; a root draws U+221A.
    assert {"\U0001d44e", "\U0001d44f", "\U0001d45b", "\U0001d465", "\u221a"} <= characters
    target = tmp_path / "math.woff2"
    mathml.subset_font(characters, target)
    font = TTFont(target)
    assert font.flavor == "woff2" and "MATH" in font
    variants = font["MATH"].table.MathVariants
    vertical = variants.VertGlyphCoverage.glyphs
    summation = font.getBestCmap()[0x2211]
    assert summation in vertical  # the display size of the sum
    construction = variants.VertGlyphConstruction[vertical.index(font.getBestCmap()[0x28])]
    assert construction.VariantCount > 1  # the larger parentheses
    assert target.stat().st_size < 60_000


def test_signs_slashes_and_a_leading_relation_take_no_operator_space():
    # \approx -103: a sign after a relation, not a subtraction.
    out = mathml.latex_to_mathml("x \\approx -103", display=False)
    assert '<mo>\u2248</mo><mo lspace="0" rspace="0">\u2212</mo>' in out
    assert "<mo>\u2212</mo><mi>b</mi>" in mathml.latex_to_mathml("a - b", display=False)
    assert '<mo lspace="0" rspace="0">/</mo>' in mathml.latex_to_mathml("r / k", False)
    assert '<mo lspace="0">≤</mo>' in mathml.latex_to_mathml("\\le 0", display=False)
    # Infinity is a symbol: the minus before it is a sign, the one after it
    # an operation, and it takes no operator space of its own.
    out = mathml.latex_to_mathml("-\\infty < \\infty - x", display=False)
    assert '<mo lspace="0" rspace="0">\u2212</mo><mi>\u221e</mi><mo>&lt;</mo>' in out
    assert "<mi>\u221e</mi><mo>\u2212</mo><mi>x</mi>" in out
    # In a script, = and - are set tight as TeX sets them: i=1.
    out = mathml.latex_to_mathml("\\sum_{i=1}^{m} x_i", display=True)
    assert '<mi>i</mi><mo lspace="0" rspace="0">=</mo>' in out


def test_a_heading_with_math_gives_the_tables_of_contents_its_text():
    extensions = ["toc", "attr_list", "pymdownx.arithmatex", BookExtension()]
    md = markdown.Markdown(
        extensions=extensions, extension_configs={"pymdownx.arithmatex": {"generic": True}}
    )
    out = md.convert("## Never form $A^\\top A$ {#never}")
    assert out.startswith('<h2 id="never">Never form <math')
    assert md.toc_tokens[0]["name"] == "Never form A\u22a4A"


def test_bars_and_a_name_without_limits_take_no_operator_space():
    # TeX sets | and \| as ordinary symbols: no gap in |det A| or ||x||_2.
    out = mathml.latex_to_mathml("\\kappa = |\\det A|", display=False)
    assert out.count('lspace="0" rspace="0">|</mo>') == 2
    assert "<mi>det</mi><mspace" in out  # a name, as \log is: upright, thin space after
    out = mathml.latex_to_mathml("\\|x\\|_2", display=False)
    assert out.count('lspace="0" rspace="0">\u2016</mo>') == 2
    assert "<mi>max</mi><mo" in mathml.latex_to_mathml("\\max(a, b)", display=False)
    # A fence made with \left| keeps the fence's own spacing.
    assert "lspace" not in mathml.latex_to_mathml("\\left| a \\right|", display=False)
