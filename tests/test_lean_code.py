"""overrides/hooks/lean_code.py: colourless highlighting spans are unwrapped, coloured ones kept."""

from __future__ import annotations

from conftest import load_hook

lean_code = load_hook("lean_code")


def test_only_name_punctuation_and_space_spans_are_unwrapped():
    html = (
        '<span class="kn">import</span><span class="w"> </span><span class="nn">numpy</span>'
        '<span class="n">x</span><span class="p">(</span><span class="s2">&quot;a&lt;b&quot;</span>'
        '<span class="p">)</span><span class="nc">Tensor</span>'
    )
    out = lean_code.unwrap_plain_spans(html)
    assert out == (
        '<span class="kn">import</span> <span class="nn">numpy</span>'
        'x(<span class="s2">&quot;a&lt;b&quot;</span>)<span class="nc">Tensor</span>'
    )


def test_built_code_keeps_its_text(built_site):
    page = (built_site.site / "einsum.html").read_text(encoding="utf-8")
    assert '<span class="n">' not in page and '<span class="p">' not in page
    assert '<span class="k">def</span> <span class="nf">einsum</span>(subscripts: ' in page
