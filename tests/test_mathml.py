"""overrides/hooks/mathml.py: LaTeX to MathML at build time."""

from __future__ import annotations

import pytest
from mkdocs.exceptions import PluginError

from conftest import load_hook

mathml = load_hook("mathml")


def test_arithmatex_inline_and_display_become_mathml():
    page = (
        '<p>Let <span class="arithmatex">\\(x &lt; y\\)</span>.</p>\n'
        '<div class="arithmatex">\\[\n\\sum_i a_i\n\\]</div>'
    )
    out = mathml.render_arithmatex(page)
    assert "arithmatex" not in out
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in out
    assert 'display="block"' in out
    assert "&#x0003C;" in out  # the escaped "<" was decoded, then rendered as an operator
    assert "&#x02211;" in out  # the summation sign


@pytest.mark.parametrize(
    ("latex", "message"),
    [
        ("\\notacommand x", "unsupported LaTeX"),
        ("a & b", "unsupported LaTeX"),
        ("x^", "cannot render math"),
    ],
)
def test_unrenderable_latex_fails_the_build(latex, message):
    with pytest.raises(PluginError, match=message):
        mathml.latex_to_mathml(latex, display=False)
