"""book_build/notebooks.py: notebook pages in the theme's own markup."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from book_build import notebooks as notebook_html
from book_build.code import COPY_BUTTON

# The shape of mkdocs-jupyter's output (nbconvert's lab template), cut down:
# a Markdown cell, a code cell with a text and an image output, the styles and
# scripts around them.
PAGE = """<script>clipboard element</script>
<!-- Load mathjax -->
<script src="https://cdn.example/mathjax.js"></script>
<!-- End of mathjax configuration -->
<div class="jupyter-wrapper">
<div class="jp-Notebook">
<div class="jp-Cell jp-MarkdownCell jp-Notebook-cell" id="cell-id=aa">
<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown jp-MarkdownOutput">
<h2 id="t">Title<a class="anchor-link" href="#t">¶</a></h2>
<p>See <a href="tensors.md#views">views</a>: $a_i$ and $$\\frac{1}{n}$$,
not <code>$HOME$</code>.</p>
</div>
</div>
<div class="jp-Cell jp-CodeCell jp-Notebook-cell">
<div class="jp-Cell jp-CodeCell jp-Notebook-cell" id="cell-id=bb">
<div class="jp-InputPrompt jp-InputArea-prompt">In [1]:</div>
<div class="zeroclipboard-container"><clipboard-copy for="cell-1"></clipboard-copy></div>
<div class="highlight-ipynb hl-python">
<pre><span></span><span class="nb">print</span>(x <span class="o">&lt;</span> 1)
plt.show()
</pre></div>
<div class="clipboard-copy-txt" id="cell-1">print(x &lt; 1)</div>
<div class="jp-OutputArea jp-Cell-outputArea">
<div class="jp-RenderedText jp-OutputArea-output" data-mime-type="text/plain"><pre>a &lt; b
</pre></div>
<div class="jp-RenderedImage jp-OutputArea-output">
<img alt="No description has been provided for this image" class=""
 src="data:image/png;base64,AAAA"/></div>
</div>
</div>
</div>
</div> <!-- jp-Notebook -->
</div> <!-- jupyter-wrapper -->
<style>.jupyter-wrapper { color: red }</style>
"""


def test_cells_become_the_themes_blocks():
    images: dict[str, bytes] = {}
    out = notebook_html.rewrite_page(PAGE, {"bb": "A line plot"}, images, "test")
    assert not re.search(r"jp-|<style|<script|clipboard element|cdn\.example", out)
    assert '<a class="headerlink" href="#t" title="Permanent link">¶</a>' in out
    assert '<a href="tensors.html#views">views</a>' in out
    # The math is MathML, as on the other pages; code is left alone.
    assert 'display="inline" xmlns="http://www.w3.org/1998/Math/MathML"><mrow><msub>' in out
    assert '<div class="math-display"><math ' in out and 'display="block"' in out
    assert "<code>$HOME$</code>" in out
    # The code cell is a block as the chapters write it (book_build/code.py): its
    # program to copy, its copy button, highlighted; the image has its alt.
    assert (
        '<div class="language-python highlight la-program" data-copy="print(x &lt; 1)\n'
        f'plt.show()"><pre><span></span>{COPY_BUTTON}<code><span class="nb">print</span>'
        '(x &lt; <span class="mi">1</span>)\nplt.show()\n</code></pre></div>'
    ) in out
    # The text output is an output block, as the chapters' expected outputs are.
    assert (
        f'<div class="language-text highlight la-output"><pre><span></span>{COPY_BUTTON}'
        "<code>a &lt; b\n</code></pre></div>"
    ) in out
    assert '<p><img alt="A line plot" src="figures/nb-bb-2.png" /></p>' in out
    assert images["figures/nb-bb-2.png"] == b"\x00\x00\x00"


def test_an_image_without_alt_text_stops_the_build():
    with pytest.raises(ValueError, match="needs an 'alt' in the cell's metadata"):
        notebook_html.rewrite_page(PAGE, {}, {}, "test")


def test_an_unknown_output_stops_the_build():
    page = PAGE.replace("jp-RenderedText", "jp-RenderedJavaScript")
    with pytest.raises(ValueError, match="no rendering for an output of class"):
        notebook_html.rewrite_page(page, {"bb": "A line plot"}, {}, "test")


def test_a_page_without_a_notebook_is_an_error():
    with pytest.raises(ValueError, match="no notebook"):
        notebook_html.rewrite_page("<p>text</p>", {}, {}, "test")


def test_built_lab_page_is_light_and_in_the_themes_markup(built_site):
    page = (built_site.site / "lab-strides.html").read_text(encoding="utf-8")
    article = page[page.index("<article") : page.index("</article>")]
    assert len(page) < 200_000  # mkdocs-jupyter's own page weighed 740 KB
    assert not re.search(r"jp-|<style|<script|\$\$", article)
    code = (
        '<div class="language-python highlight la-program" data-copy=("[^"]+"|\'[^\']+\')>'
        '<pre><span></span><nav class="md-code__nav">.*?</nav><code>'
    )
    assert len(re.findall(code, article)) >= 3  # highlighted, with copy buttons
    assert article.count("<math") >= 3 and "arithmatex" not in article
    labelled = '<div class="language-text highlight la-output">'
    assert article.count(labelled) >= 1  # executed by the build, its text output labelled
    assert notebook_html.PLACEHOLDER_ALT not in page and "base64," not in page
    images = re.findall(r'<img loading="lazy" alt="[^"]+" src="(figures/lab-strides-[^"]+)"', page)
    assert images and all((built_site.site / src).stat().st_size > 10_000 for src in images)
    for target in re.findall(r'href="([a-z-]+\.html)', article):
        assert (built_site.site / target).is_file(), target


def test_a_bracket_before_inline_math_and_punctuation_after_it_stay_on_its_line():
    soup = BeautifulSoup("<p>At ($i_1$, $i_2$): done.</p>", "html.parser")
    notebook_html.render_math(soup)
    spans = soup.select("span.math-nowrap")
    assert [span.get_text() for span in spans] == ["(i1,", "i2):"]
    assert str(soup).startswith('<p>At <span class="math-nowrap">(<math')
