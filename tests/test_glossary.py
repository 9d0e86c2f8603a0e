"""overrides/hooks/glossary.py: the glossary page and the tooltips come from one file."""

from __future__ import annotations

import re

from conftest import REPO, load_hook

glossary = load_hook("glossary")

ABBREVIATIONS = REPO / "docs" / "includes" / "abbreviations.md"


def test_every_line_of_the_abbreviations_file_is_an_entry():
    lines = [line for line in ABBREVIATIONS.read_text(encoding="utf-8").splitlines() if line]
    assert lines and all(re.match(r"^\*\[[^\]]+\]: \S", line) for line in lines)


def test_glossary_table_lists_each_definition_once_alphabetically(tmp_path):
    source = tmp_path / "abbreviations.md"
    source.write_text("*[VJP]: vector-Jacobian product\n*[AD]: autodiff\n*[ADs]: autodiff\n")
    table = glossary.glossary_table(source).splitlines()
    assert table[:2] == ["| Term | Meaning |", "| --- | --- |"]
    assert table[2:] == ["| AD | autodiff |", "| VJP | vector-Jacobian product |"]


def test_built_glossary_and_tooltips(built_site):
    page = (built_site.site / "glossary.html").read_text(encoding="utf-8")
    assert "<!-- glossary -->" not in page and "Jacobian-vector product" in page
    chapter = (built_site.site / "autodiff.html").read_text(encoding="utf-8")
    assert re.search(r'<abbr title="Jacobian-vector product[^"]*">JVP</abbr>', chapter)


def test_a_plural_or_a_capital_gets_a_tooltip_but_no_row_of_its_own(tmp_path):
    source = tmp_path / "abbreviations.md"
    source.write_text(
        "*[subnormal]: a number below the smallest normal one\n"
        "*[subnormals]: numbers below the smallest normal one\n"
        "*[batch normalization]: normalizing over the batch\n"
        "*[Batch normalization]: Normalizing over the batch\n"
        "*[bias]: the added term\n"
    )
    table = glossary.glossary_table(source).splitlines()[2:]
    assert table == [
        "| batch normalization | normalizing over the batch |",
        "| bias | the added term |",
        "| subnormal | a number below the smallest normal one |",
    ]


def test_the_glossary_covers_at_least_40_terms_each_once():
    table = glossary.glossary_table(ABBREVIATIONS).splitlines()[2:]
    terms = [row.split(" | ")[0].removeprefix("| ") for row in table]
    assert len(terms) >= 40
    keys = [t.lower().removesuffix("s") for t in terms]
    assert len(set(keys)) == len(keys)


def test_tooltips_are_unwrapped_outside_running_text():
    tip = '<abbr title="t">JVP</abbr>'
    html = (
        f'<h1 id="x">The {tip}<a class="headerlink" href="#x">¶</a></h1>'
        f"<p>A {tip} in text, <a href='#y'>a {tip} link</a>, <code>{tip}.py</code>.</p>"
        f'<pre><code>{tip}</code></pre><h2 id="z">{tip}</h2><p>{tip}</p>'
    )
    assert glossary.without_stray_tooltips(html) == (
        '<h1 id="x">The JVP<a class="headerlink" href="#x">¶</a></h1>'
        f"<p>A {tip} in text, <a href='#y'>a JVP link</a>, <code>JVP.py</code>.</p>"
        f'<pre><code>JVP</code></pre><h2 id="z">JVP</h2><p>{tip}</p>'
    )


def test_jvp_and_vjp_tooltips_say_what_the_autodiff_chapter_says():
    # A VJP is the gradient of u^T f(x) with respect to the inputs, not "a
    # weighted gradient of the outputs" (issue 17); a JVP is a derivative
    # along one input direction.
    terms = dict(
        re.match(r"^\*\[([^\]]+)\]: (.*)$", line).groups()
        for line in ABBREVIATIONS.read_text(encoding="utf-8").splitlines()
        if line
    )
    assert "gradient of uᵀ f(x) with respect to the inputs" in terms["VJP"]
    assert "of the outputs" not in terms["VJP"]
    assert "along one input direction" in terms["JVP"]
    chapter = (REPO / "docs" / "autodiff.md").read_text(encoding="utf-8")
    assert "the gradient of $u^\\top f(x)$ with respect to $x$" in chapter
