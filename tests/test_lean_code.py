"""overrides/hooks/lean_code.py: colourless highlighting spans are unwrapped, coloured ones kept."""

from __future__ import annotations

import re

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
    blocks = page.count("<pre><span></span>")
    # Between the two, code_blocks.py puts the block's copy button.
    counted = re.findall(
        r'<pre><span></span>(?:<nav class="md-code__nav">.*?</nav>)?'
        r'<code style="--lines: \d+">',
        page,
    )
    assert blocks > 10 and len(counted) == blocks


def test_blocks_below_the_first_screen_are_marked_later():
    # 40 paragraphs of 500 characters: 120 px each by the hook's low estimate,
    # so the first screen (1300 px) holds the first 11; the rest are marked.
    paragraph = "<p>" + "x" * 500 + "</p>\n"
    out = lean_code.mark_later_blocks("<h1>Title</h1>\n" + paragraph * 40)
    blocks = out.split("\n")[:-1]
    marked = [k for k, block in enumerate(blocks) if block.startswith("<p data-later>")]
    assert blocks[0] == "<h1>Title</h1>"
    # h1 (24 px) and 11 paragraphs (1320 px) start above 1300 px; the 12th and later do not.
    assert marked == list(range(12, 41))


def test_marking_keeps_classes_and_counts_only_what_shows():
    code = '<div class="highlight"><pre><code style="--lines: 80">{}</code></pre></div>'
    hidden = '<template class="la-setup">' + "y" * 50_000 + "</template>"
    closed = "<details><summary>Solution</summary><p>" + "z" * 50_000 + "</p></details>"
    html = "\n".join([code.format(hidden), closed, code.format(""), "<p>after</p>"])
    out = lean_code.mark_later_blocks(html)
    # 80 code lines (1440 px by the estimate) fill the first screen; what the
    # template and the closed <details> hold adds nothing.
    first, details, second, last = out.split("\n")
    assert first == code.format(hidden)
    assert details.startswith("<details data-later>")
    assert second.startswith('<div data-later class="highlight">')
    assert last == "<p data-later>after</p>"
    # A class-free element stays class-free: the theme styles tables by table:not([class]).
    table = lean_code.mark_later_blocks(
        code.format("") * 2 + "\n<table><tr><td>1</td></tr></table>"
    )
    assert table.endswith("<table data-later><tr><td>1</td></tr></table>")


def test_first_screen_blocks_are_not_marked():
    code = '<div class="highlight"><pre><code style="--lines: 3">a\n</code></pre></div>'
    html = '<h1>T</h1>\n<p class="note">short</p>\n' + code
    assert lean_code.mark_later_blocks(html) == html
