"""overrides/hooks/lean_code.py: colourless highlighting spans are unwrapped, coloured ones kept."""

from __future__ import annotations

from conftest import load_hook

lean_code = load_hook("lean_code")


def test_only_name_operator_punctuation_and_space_spans_are_unwrapped():
    html = (
        '<span class="kn">import</span><span class="w"> </span><span class="nn">numpy</span>'
        '<span class="n">x</span><span class="p">(</span><span class="s2">&quot;a&lt;b&quot;</span>'
        '<span class="p">)</span><span class="nc">Tensor</span>'
        '<span class="o">&lt;=</span><span class="ow">not</span>'
    )
    out = lean_code.unwrap_plain_spans(html)
    assert out == (
        '<span class="kn">import</span> <span class="nn">numpy</span>'
        'x(<span class="s2">&quot;a&lt;b&quot;</span>)<span class="nc">Tensor</span>'
        '&lt;=<span class="ow">not</span>'
    )


def test_each_block_gets_its_line_count():
    html = (
        '<div class="highlight"><pre><span></span><code>a = 1\nb = 2\n</code></pre></div>'
        "<p>between, <code>inline</code> code is left alone</p>"
        '<div class="highlight"><pre><span></span><code>c = 3\n</code></pre></div>'
    )
    out = lean_code.count_code_lines(html)
    block = '<div class="highlight"><pre><span></span><code style="--lines: {}">{}</code></pre>'
    block += "</div>"
    assert out == (
        block.format(2, "a = 1\nb = 2\n")
        + "<p>between, <code>inline</code> code is left alone</p>"
        + block.format(1, "c = 3\n")
    )


def test_built_code_keeps_its_text(built_site):
    page = (built_site.site / "einsum.html").read_text(encoding="utf-8")
    assert '<span class="n">' not in page and '<span class="p">' not in page
    assert '<span class="k">def</span> <span class="nf">einsum</span>(subscripts: ' in page
    assert '<span class="o">' not in page
    blocks = page.count("<pre><span></span><code")
    assert blocks > 10 and page.count('<pre><span></span><code style="--lines: ') == blocks
